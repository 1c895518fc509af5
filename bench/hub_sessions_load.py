"""Load generator for bench_hub.py: many simulated devices in one process, each with its own
TCP connection and a key provisioned through the hub's operator API, speaking the real
DeviceHub session protocol (challenge-response, capabilities, pings, heartbeats, commands).

Driven over stdin/stdout with JSON lines: it provisions its devices and prints
{"event": "provisioned"}; the line "connect" opens every session ({"event": "connected"});
"status" prints the live counts; "quit" or end of input closes everything and exits.
With --echo it is instead a bare grpc.aio echo server, the peer the hub's round trip is
compared with."""

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import random
import sys
import time

import grpc

from jotunheim._gen import capability_pb2, hub_pb2, hub_pb2_grpc

CONNECT = "/jotunheim.hub.DeviceHub/Connect"
# Every device gets its own subchannel (its own TCP connection), as real devices would;
# by default grpcio shares one connection between channels to the same target.
CHANNEL_OPTIONS = [("grpc.use_local_subchannel_pool", 1)]


def emit(**fields):
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def make_caps(device_id):
    caps = capability_pb2.JotunheimCapabilities(
        device_id=device_id,
        device_name=device_id,
        device_type="bench-sim",
        firmware_version="1.0.0",
        protocol_version="1",
    )
    t = caps.tools.add(name="set_led", description="Switch an LED", return_type="Object")
    t.parameters.add(name="pin", type="Integer", required=True, description="GPIO pin")
    t.parameters.add(name="on", type="Boolean", required=True, description="LED state")
    caps.hardware.actuators.append("led:status")
    return caps


class SimDevice:
    """One session: handshake, then answers the hub until the stream ends or close()."""

    def __init__(self, address, device_id, key):
        self.address = address
        self.device_id = device_id
        self.key = key
        self.channel = None
        self.call = None
        self.task = None
        self.hb_task = None
        self.online = False
        self.caps_sent = 0
        self.pings = 0
        self.commands = 0
        self.heartbeats = 0
        self.ended = None  # why the stream ended, when it did
        # grpc.aio allows one write in flight per call: heartbeats and answers take turns.
        self.write_lock = asyncio.Lock()
        self.led = {}

    async def connect(self, timeout_s):
        self.channel = grpc.aio.insecure_channel(self.address, options=CHANNEL_OPTIONS)
        mc = self.channel.stream_stream(
            CONNECT,
            request_serializer=hub_pb2.DeviceMessage.SerializeToString,
            response_deserializer=hub_pb2.HubMessage.FromString,
        )
        self.call = mc()
        first = await asyncio.wait_for(self.call.read(), timeout_s)
        if first is grpc.aio.EOF or first.WhichOneof("body") != "challenge":
            raise RuntimeError("no challenge: %s" % (first,))
        mac = hmac.new(
            self.key,
            b"jotunheim-v1|" + self.device_id.encode() + b"|" + first.challenge.nonce,
            hashlib.sha256,
        )
        hello = hub_pb2.Hello(
            device_id=self.device_id,
            proof=mac.digest(),
            firmware_version="1.0.0",
            protocol_version=1,
            runtime="bench-sim grpc.aio",
        )
        await self.call.write(hub_pb2.DeviceMessage(hello=hello))
        msg = await asyncio.wait_for(self.call.read(), timeout_s)
        if msg is grpc.aio.EOF or msg.WhichOneof("body") != "welcome":
            raise RuntimeError("not welcomed: %s" % (msg,))
        self.online = True
        self.task = asyncio.ensure_future(self._serve())
        self.hb_task = asyncio.ensure_future(self._heartbeats(msg.welcome.heartbeat_interval_ms))

    async def _serve(self):
        call = self.call
        try:
            while True:
                msg = await call.read()
                if msg is grpc.aio.EOF:
                    self.ended = "EOF %s" % (await call.code(),)
                    break
                kind = msg.WhichOneof("body")
                if kind == "capability_request":
                    self.caps_sent += 1
                    resp = capability_pb2.CapabilityResponse(capabilities=make_caps(self.device_id))
                    await self.write(hub_pb2.DeviceMessage(capabilities=resp))
                elif kind == "ping":
                    self.pings += 1
                    await self.write(hub_pb2.DeviceMessage(pong=hub_pb2.Pong(nonce=msg.ping.nonce)))
                elif kind == "command":
                    await self.write(hub_pb2.DeviceMessage(command_result=self._run(msg.command)))
                # result_ack and the rest need no answer from a device without storage
        except asyncio.CancelledError:
            self.ended = self.ended or "closed"
        except grpc.aio.AioRpcError as exc:
            self.ended = "%s: %s" % (exc.code(), exc.details())
        except Exception as exc:  # noqa: BLE001 - any failure ends this session only
            self.ended = "%s: %s" % (type(exc).__name__, exc)
        finally:
            self.online = False

    async def write(self, msg):
        async with self.write_lock:
            await self.call.write(msg)

    def _run(self, cmd):
        start = time.perf_counter()
        self.commands += 1
        try:
            args = json.loads(cmd.args_json or "{}")
        except ValueError:
            args = None
        if cmd.tool != "set_led" or not isinstance(args, dict):
            return hub_pb2.CommandResult(
                command_id=cmd.command_id, error_code="NOT_FOUND", error_message="no such tool"
            )
        self.led[args.get("pin")] = bool(args.get("on"))
        result = json.dumps({"pin": args.get("pin"), "on": self.led[args.get("pin")]}).encode()
        return hub_pb2.CommandResult(
            command_id=cmd.command_id,
            success=True,
            result=result,
            duration_us=int((time.perf_counter() - start) * 1e6),
        )

    async def _heartbeats(self, interval_ms):
        interval = max(interval_ms, 200) / 1000.0
        seq = 0
        # A random phase, so thousands of devices do not beat in lockstep.
        await asyncio.sleep(random.uniform(0, interval))
        while self.online:
            seq += 1
            hb = hub_pb2.Heartbeat(seq=seq, uptime_s=seq, mem_free=-1, mem_alloc=-1)
            try:
                await self.write(hub_pb2.DeviceMessage(heartbeat=hb))
            except Exception:  # noqa: BLE001 - the serve loop records why the stream ended
                return
            self.heartbeats += 1
            await asyncio.sleep(interval)

    async def close(self):
        self.online = False
        for task in (self.hb_task, self.task):
            if task is not None:
                task.cancel()
        if self.call is not None:
            self.call.cancel()
        if self.channel is not None:
            await self.channel.close(grace=None)


async def provision(address, token, ids, concurrency):
    keys = {}
    md = (("authorization", "Bearer " + token),)
    sem = asyncio.Semaphore(concurrency)
    async with grpc.aio.insecure_channel(address) as ch:
        ops = hub_pb2_grpc.HubOperatorStub(ch)

        async def one(device_id):
            async with sem:
                req = hub_pb2.ProvisionRequest(device_id=device_id, name=device_id, replace=True)
                resp = await ops.ProvisionDevice(req, metadata=md, timeout=30)
                keys[device_id] = bytes.fromhex(resp.key)

        await asyncio.gather(*(one(i) for i in ids))
    return keys


def status(devices, **extra):
    ended = [d.ended for d in devices if d.ended]
    emit(
        event="status",
        online=sum(1 for d in devices if d.online),
        ended=len(ended),
        ended_sample=ended[:3],
        caps_sent=sum(d.caps_sent for d in devices),
        pings=sum(d.pings for d in devices),
        heartbeats=sum(d.heartbeats for d in devices),
        commands=sum(d.commands for d in devices),
        **extra,
    )


async def main_async(args):
    ids = ["%s%05d" % (args.prefix, i) for i in range(args.count)]
    start = time.monotonic()
    keys = await provision(args.hub, args.token, ids, args.concurrency)
    emit(event="provisioned", n=len(keys), secs=round(time.monotonic() - start, 3))

    loop = asyncio.get_running_loop()
    lines = asyncio.Queue()

    def on_stdin():
        line = sys.stdin.readline()
        lines.put_nowait(line.strip() if line else "quit")

    loop.add_reader(sys.stdin.fileno(), on_stdin)
    devices = [SimDevice(args.hub, i, keys[i]) for i in ids]
    try:
        while True:
            cmd = await lines.get()
            if cmd == "connect":
                await connect_all(devices, args)
            elif cmd == "status":
                status(devices)
            elif cmd == "quit":
                break
    finally:
        loop.remove_reader(sys.stdin.fileno())
        await asyncio.gather(*(d.close() for d in devices), return_exceptions=True)


async def connect_all(devices, args):
    sem = asyncio.Semaphore(args.concurrency)
    handshakes = []
    errors = []
    start = time.monotonic()

    async def one(dev):
        async with sem:
            t0 = time.perf_counter()
            try:
                await dev.connect(args.timeout)
            except Exception as exc:  # noqa: BLE001 - counted and reported, others go on
                errors.append("%s: %s" % (type(exc).__name__, str(exc)[:120]))
                dev.ended = "handshake failed"
                return
            handshakes.append((time.perf_counter() - t0) * 1000.0)

    await asyncio.gather(*(one(d) for d in devices))
    welcomed = time.monotonic() - start
    # Connected means the hub also has the capabilities (its CapabilityRequest answered).
    end = time.monotonic() + args.timeout
    while time.monotonic() < end and any(d.online and not d.caps_sent for d in devices):
        await asyncio.sleep(0.05)
    handshakes.sort()
    emit(
        event="connected",
        ok=len(handshakes),
        failed=len(errors),
        errors=errors[:3],
        welcomed_secs=round(welcomed, 3),
        secs=round(time.monotonic() - start, 3),
        with_caps=sum(1 for d in devices if d.caps_sent),
        handshake_ms=handshakes,
    )


async def echo_server():
    """The peer for the round-trip figures: a bare grpc.aio unary echo in its own process,
    what one loopback hop costs with no hub logic behind it."""

    async def echo(request, context):
        return request

    server = grpc.aio.server()
    handler = grpc.unary_unary_rpc_method_handler(echo)  # raw bytes in, same bytes out
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler("bench.Echo", {"Echo": handler}),)
    )
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    emit(event="listening", port=port)
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    loop.add_reader(
        sys.stdin.fileno(), lambda: sys.stdin.readline() in ("", "quit\n") and done.set()
    )
    await done.wait()
    loop.remove_reader(sys.stdin.fileno())
    await server.stop(None)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--echo", action="store_true", help="run a plain grpc.aio echo server instead")
    p.add_argument("--hub")
    # The token comes from the environment, never the command line (ps shows argv).
    p.add_argument("--token", default=os.environ.get("JOTUNHEIM_TOKEN", ""))
    p.add_argument("--prefix", default="sim-")
    p.add_argument("--count", type=int, default=500)
    p.add_argument("--concurrency", type=int, default=64, help="handshakes in flight")
    p.add_argument("--timeout", type=float, default=30.0, help="per handshake step, seconds")
    args = p.parse_args()
    if args.echo:
        asyncio.run(echo_server())
    elif not args.hub:
        p.error("--hub is required")
    else:
        asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
