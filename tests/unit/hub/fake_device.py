"""A device for hub tests: a real grpcio (CPython) client speaking the DeviceHub session
protocol — handshake, capabilities, commands applied at most once, results kept until acked
and re-sent after a reconnect, heartbeats, not_leader redirects."""

import asyncio
import hashlib
import hmac
import json

import grpc

from jotunheim._gen import capability_pb2, hub_pb2

CONNECT = "/jotunheim.hub.DeviceHub/Connect"


class Refused(Exception):
    def __init__(self, refusal, code):
        Exception.__init__(self, "%s: %s" % (refusal.code if refusal else "?", code))
        self.refusal = refusal
        self.code = code  # grpc.StatusCode the stream ended with


def proof(key, device_id, nonce):
    return hmac.new(
        key, b"jotunheim-v1|" + device_id.encode() + b"|" + nonce, hashlib.sha256
    ).digest()


def make_caps(device_id, tools=("echo",), device_type="simulator"):
    caps = capability_pb2.JotunheimCapabilities(
        device_id=device_id,
        device_name=device_id.title(),
        device_type=device_type,
        firmware_version="1.0.0",
        protocol_version="1",
    )
    for name in tools:
        t = caps.tools.add(name=name, description="test tool " + name, return_type="Object")
        t.parameters.add(name="value", type="Integer", required=False, description="a number")
    caps.hardware.sensors.append("sim:room")
    return caps


def _serialize(msg):
    # Raw bytes pass through untouched so tests can put malformed frames on the wire.
    return msg if isinstance(msg, bytes) else msg.SerializeToString()


class FakeDevice:
    """One simulated device. `tools` maps a name to fn(args) -> result (JSON-able)."""

    def __init__(self, addresses, device_id, key, tools=None, caps=None, credentials=None):
        self.addresses = list(addresses)
        self.credentials = credentials  # grpc channel credentials for TLS, None: plaintext
        self.device_id = device_id
        self.key = key
        self.tools = tools or {"echo": lambda args: {"echo": args.get("value")}}
        self.caps = caps or make_caps(device_id, sorted(self.tools))
        self.answer_caps = True
        self.runs = {}  # command_id -> times the tool really ran
        self.received = {}  # command_id -> times a hub sent it (runs or not)
        self.applied = {}  # command_id -> CommandResult (at-most-once cache)
        self.unacked = {}  # command_id -> CommandResult not yet acknowledged by the hub
        self.hold_results = False  # apply commands but do not send results (then drop)
        self.resume_token = ""
        self.welcome = None
        self.cap_requests = 0
        self.pings = 0
        self.ota_acks = []  # OtaStatusAck.seq values, in order
        self.connected_to = None
        self._channel = None
        self._call = None
        self._task = None
        self.closed = asyncio.Event()
        self.end_code = None

    async def connect(self, pending=True):
        """Handshake on the first address that accepts, following not_leader redirects."""
        tried = []
        queue = list(self.addresses)
        last = None
        while queue:
            addr = queue.pop(0)
            if addr in tried:
                continue
            tried.append(addr)
            try:
                return await self._connect_to(addr, pending)
            except Refused as exc:
                last = exc
                if exc.refusal is not None and exc.refusal.code == "not_leader":
                    if exc.refusal.leader_address:
                        queue.insert(0, exc.refusal.leader_address)
                    continue
                raise
            except grpc.aio.AioRpcError as exc:
                last = exc
        raise last or RuntimeError("no address")

    async def _connect_to(self, addr, pending):
        await self._close_channel()
        self.closed = asyncio.Event()
        if self.credentials is not None:
            self._channel = grpc.aio.secure_channel(addr, self.credentials)
        else:
            self._channel = grpc.aio.insecure_channel(addr)
        mc = self._channel.stream_stream(
            CONNECT,
            request_serializer=_serialize,
            response_deserializer=hub_pb2.HubMessage.FromString,
        )
        call = self._call = mc()
        first = await self._read_or_refused(call)
        if first.WhichOneof("body") == "refusal":
            await self._raise_refused(call, first.refusal)
        nonce = first.challenge.nonce
        hello = hub_pb2.Hello(
            device_id=self.device_id,
            proof=proof(self.key, self.device_id, nonce),
            firmware_version="1.0.0",
            protocol_version=1,
            resume_token=self.resume_token,
            runtime="cpython-fake",
            pending_results=sorted(self.unacked) if pending else [],
        )
        self.last_hello = hello
        await call.write(hub_pb2.DeviceMessage(hello=hello))
        msg = await self._read_or_refused(call)
        if msg.WhichOneof("body") == "refusal":
            await self._raise_refused(call, msg.refusal)
        self.welcome = msg.welcome
        self.resume_token = msg.welcome.resume_token
        for cid in msg.welcome.acked_results:
            self.unacked.pop(cid, None)
        self.connected_to = addr
        for res in list(self.unacked.values()):
            await call.write(hub_pb2.DeviceMessage(command_result=res))
        self._task = asyncio.ensure_future(self._loop(call))
        return self.welcome

    async def _read_or_refused(self, call):
        msg = await call.read()
        if msg is grpc.aio.EOF:
            raise Refused(None, await call.code())
        return msg

    async def _raise_refused(self, call, refusal):
        code = await call.code()
        raise Refused(refusal, code)

    async def _loop(self, call):
        try:
            while True:
                msg = await call.read()
                if msg is grpc.aio.EOF:
                    break
                kind = msg.WhichOneof("body")
                await getattr(self, "_on_" + kind)(call, getattr(msg, kind))
        except (grpc.aio.AioRpcError, asyncio.CancelledError):
            pass
        finally:
            try:
                self.end_code = await call.code()
                self.end_details = await call.details()
            except BaseException:
                self.end_code = None
            self.closed.set()

    async def _on_capability_request(self, call, req):
        self.cap_requests += 1
        if self.answer_caps:
            await call.write(
                hub_pb2.DeviceMessage(
                    capabilities=capability_pb2.CapabilityResponse(capabilities=self.caps)
                )
            )

    async def _on_command(self, call, cmd):
        self.received[cmd.command_id] = self.received.get(cmd.command_id, 0) + 1
        res = self.applied.get(cmd.command_id)
        if res is None:  # first time: apply it (at most once)
            self.runs[cmd.command_id] = self.runs.get(cmd.command_id, 0) + 1
            fn = self.tools.get(cmd.tool)
            if fn is None:
                res = hub_pb2.CommandResult(
                    command_id=cmd.command_id, error_code="NOT_FOUND", error_message="no tool"
                )
            else:
                out = fn(json.loads(cmd.args_json or "{}"))
                if asyncio.iscoroutine(out):
                    out = await out
                res = hub_pb2.CommandResult(
                    command_id=cmd.command_id,
                    success=True,
                    result=json.dumps(out).encode(),
                    duration_us=5,
                )
            self.applied[cmd.command_id] = res
            self.unacked[cmd.command_id] = res
        if self.hold_results:
            return
        await call.write(hub_pb2.DeviceMessage(command_result=res))

    async def _on_result_ack(self, call, ack):
        for cid in ack.command_ids:
            self.unacked.pop(cid, None)

    async def _on_ota_status_ack(self, call, ack):
        self.ota_acks.append(ack.seq)

    async def _on_ping(self, call, ping):
        self.pings += 1
        await call.write(hub_pb2.DeviceMessage(pong=hub_pb2.Pong(nonce=ping.nonce)))

    async def send(self, **body):
        await self._call.write(hub_pb2.DeviceMessage(**body))

    async def heartbeat(self, seq=1, mem_free=12345):
        await self.send(heartbeat=hub_pb2.Heartbeat(seq=seq, uptime_s=seq, mem_free=mem_free))

    async def drop(self):
        """Vanish without a goodbye (as if the network died): cancel the stream."""
        if self._call is not None:
            self._call.cancel()
        if self._task is not None:
            await asyncio.wait([self._task], timeout=2)
        await self._close_channel()

    async def _close_channel(self):
        if self._channel is not None:
            await self._channel.close()
            self._channel = None
