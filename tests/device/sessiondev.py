"""A scripted hub for the device session tests (both runtimes): a fake Channel whose
DeviceHub.Connect stream is driven by the test, so every protocol step can be checked."""

import asyncio

from jotunheim._gen.device import hub as hub_d
from jotunheim.device.commands import CommandHandler
from jotunheim.device.session import DeviceSession
from jotunheim.device.tools import Tool, ToolRegistry
from jotunheim.wire import protobuf as pb
from jotunheim.wire.grpc import GrpcError, Status

KEY_HEX = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"


def settings(heartbeat_ms=50, dead_peer_ms=2000, cap_ms=400):
    return {
        "identity": {"device_id": "dev-1", "key": KEY_HEX, "firmware_version": "2.0.0"},
        "hub": {"addresses": ["127.0.0.1:1", "127.0.0.1:2"], "tls": False},
        "network_resilience_settings": {
            "backoff_base_ms": 10,
            "backoff_cap_ms": cap_ms,
            "jitter": "full",
            "heartbeat_interval_ms": heartbeat_ms,
            "dead_peer_timeout_ms": dead_peer_ms,
            "max_retries": 0,
        },
    }


class FakeCall:
    def __init__(self, hub):
        self.hub = hub
        self.inbox = []
        self.event = asyncio.Event()
        self.ended = None  # None: open; a GrpcError or "eof" once over

    async def start(self):
        pass

    async def send(self, message):
        if self.ended is not None:
            raise GrpcError(Status.UNAVAILABLE, "stream closed")
        # Through the codec, as on the wire: what the hub gets is what a real hub would parse.
        raw = pb.encode(hub_d.DeviceMessage, message)
        self.hub.received.append(pb.decode(hub_d.DeviceMessage, raw))
        self.hub.changed.set()

    async def recv(self):
        while not self.inbox:
            if self.ended == "eof":
                return None
            if self.ended is not None:
                raise self.ended
            self.event.clear()
            await self.event.wait()
        return self.inbox.pop(0)

    async def cancel(self):
        self.end(GrpcError(Status.CANCELLED, "cancelled by the client"))

    def end(self, how):
        if self.ended is None:
            self.ended = how
        self.event.set()


class FakeChannel:
    def __init__(self, hub, host, port):
        self.hub = hub
        self.host = host
        self.port = port
        self.call = None

    async def connect(self):
        self.hub.dials.append("%s:%d" % (self.host, self.port))
        if self.hub.down:
            raise OSError("connection refused")

    def stream_stream(self, path, req_d, resp_d, timeout=None, metadata=None):
        assert path == "/jotunheim.hub.DeviceHub/Connect"
        self.call = FakeCall(self.hub)
        self.hub.calls.append(self.call)
        self.hub.changed.set()
        return self.call

    async def send_message(self, call, raw, end_stream):
        await call.send(pb.decode(hub_d.DeviceMessage, raw))

    async def close(self):
        if self.call is not None:
            self.call.end(GrpcError(Status.CANCELLED, "channel closed"))


class ScriptedHub:
    """The test plays the hub: push() HubMessages, wait_for() device messages."""

    def __init__(self):
        self.received = []
        self.calls = []
        self.dials = []
        self.down = False
        self.changed = asyncio.Event()

    def factory(self, host, port, ssl, server_hostname):
        return FakeChannel(self, host, port)

    def push(self, kind, body):
        call = self.calls[-1]
        raw = pb.encode(hub_d.HubMessage, {kind: body})  # the device sees decoded wire data
        call.inbox.append(pb.decode(hub_d.HubMessage, raw))
        call.event.set()

    async def wait_for(self, kind, count=1, timeout=3.0):
        """The `count`-th device message of `kind` (its body)."""

        async def poll():
            while True:
                found = [m[kind] for m in self.received if m.get(kind) is not None]
                if len(found) >= count:
                    return found[count - 1]
                self.changed.clear()
                await self.changed.wait()

        return await asyncio.wait_for(poll(), timeout)

    async def wait_calls(self, n, timeout=3.0):
        async def poll():
            while len(self.calls) < n:
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(poll(), timeout)

    def count(self, kind):
        return len([m for m in self.received if m.get(kind) is not None])

    async def handshake(self, nonce=b"n" * 16, acked=(), n=None):
        """Challenge -> Hello -> Welcome on the newest stream; returns the Hello body."""
        await self.wait_calls(n or len(self.calls) or 1)
        hellos = self.count("hello")
        self.push("challenge", {"nonce": nonce, "protocol_version": 1})
        hello = await self.wait_for("hello", hellos + 1)
        self.push(
            "welcome",
            {
                "session_id": "s1",
                "resume_token": "tok-%d" % len(self.calls),
                "heartbeat_interval_ms": 0,
                "dead_peer_timeout_ms": 0,
                "acked_results": list(acked),
            },
        )
        return hello


class Counter:
    """A tool that counts its runs (and can take a while)."""

    def __init__(self):
        self.runs = 0
        self.release = asyncio.Event()
        self.block = False

    async def __call__(self, params):
        self.runs += 1
        if self.block:
            await self.release.wait()
        return {"runs": self.runs}


class FakeNegotiator:
    async def device_message(self, request=None, timeout_ms=None):
        caps = {"capabilities": {"device_id": "dev-1", "device_name": "one"}}
        return pb.encode(hub_d.DeviceMessage, {"capabilities": caps})


def make_session(hub, counter=None, logger=None, **kw):
    registry = ToolRegistry()
    counter = counter or Counter()
    registry.register(Tool("count", "counts runs", [], "Object", counter))
    handler = CommandHandler(registry)
    return DeviceSession(
        settings(**kw),
        FakeNegotiator(),
        handler,
        logger=logger,
        channel_factory=hub.factory,
        rng=lambda: 0.5,
    )
