"""Helpers for hub tests: an in-process hub on a free port and an operator client."""

import asyncio

import grpc

from jotunheim._gen import (
    einherjar_pb2,
    einherjar_pb2_grpc,
    hub_pb2,
    hub_pb2_grpc,
    jotunheim_service_pb2,
    jotunheim_service_pb2_grpc,
)
from jotunheim.hub.server import Hub
from jotunheim.hub.session import SessionConfig

FAST = dict(
    heartbeat_interval_ms=200,
    dead_peer_timeout_ms=1000,
    hello_timeout_ms=1000,
    capability_timeout_ms=500,
)


# Hubs start_hub started in this test: run_stopping_hubs stops them (Hub.stop is idempotent)
# when a test fails half-way, since a grpc.aio server left running keeps pytest from exiting.
_STARTED = []


async def start_hub(data_dir, **kw):
    cfg = SessionConfig(**dict(FAST, **kw.pop("session", {})))
    hub = Hub(str(data_dir), host="127.0.0.1", port=0, session_config=cfg, **kw)
    await hub.start()
    _STARTED.append(hub)
    return hub


def run_stopping_hubs(coro, timeout_s=60):
    """asyncio.run(coro) with a timeout; hubs it started and left running are stopped."""

    del _STARTED[:]  # hubs of earlier tests belong to loops that are gone

    async def guarded():
        try:
            return await asyncio.wait_for(coro, timeout_s)
        finally:
            while _STARTED:
                await _STARTED.pop().stop()

    return asyncio.run(guarded())


def provision(hub, device_id, name=""):
    key = bytes(range(32))[::-1] if device_id == "fixed" else __import__("os").urandom(32)
    assert hub.registry.provision(device_id, name or device_id, key)
    return key


class Operator:
    """Operator-side stubs with the bearer token attached."""

    def __init__(self, address, token):
        self.channel = grpc.aio.insecure_channel(address)
        self.md = (("authorization", "Bearer " + token),)
        self.jot = jotunheim_service_pb2_grpc.JotunheimServiceStub(self.channel)
        self.ein = einherjar_pb2_grpc.EinherjarProtocolStub(self.channel)
        self.ops = hub_pb2_grpc.HubOperatorStub(self.channel)

    async def call(self, device_id, tool, params="{}", wait_ms=None, command_id=None, timeout=5):
        md = list(self.md)
        if wait_ms is not None:
            md.append(("x-jotunheim-wait-ms", str(wait_ms)))
        if command_id:
            md.append(("x-jotunheim-command-id", command_id))
        return await self.jot.CallTool(
            jotunheim_service_pb2.ToolCallRequest(
                device_id=device_id, tool_name=tool, parameters=params
            ),
            metadata=md,
            timeout=timeout,
        )

    async def status(self, device_id):
        return await self.jot.GetDeviceStatus(
            jotunheim_service_pb2.DeviceStatusRequest(device_id=device_id), metadata=self.md
        )

    async def functions(self):
        resp = await self.ein.GetCapabilities(einherjar_pb2.CapabilityRequest(), metadata=self.md)
        return sorted(f.name for f in resp.functions)

    async def devices(self):
        resp = await self.ops.ListDevices(hub_pb2.ListDevicesRequest(), metadata=self.md)
        return {d.device_id: d for d in resp.devices}

    async def caps(self, device_id):
        return await self.ops.GetCapabilities(
            hub_pb2.DeviceRef(device_id=device_id), metadata=self.md
        )

    async def close(self):
        await self.channel.close()


async def eventually(predicate, timeout=5.0, interval=0.02):
    """Wait until predicate() is true (behaviour, not speed: generous timeout)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if loop.time() > end:
            raise AssertionError("condition not met within %.1f s" % timeout)
        await asyncio.sleep(interval)
