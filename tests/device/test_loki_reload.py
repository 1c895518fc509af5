"""A kind "loki" tool across a reload of the `loki` settings: the client made from the old
settings is let go, so Loki turned off refuses the tool and a new address is dialled."""

import asyncio

from capsdev import PlainSettings, RecordingHal, example_settings, fake_drivers
from devtest import raises

from jotunheim.device.capabilities import CapabilityBuilder, CapabilityPropagator
from jotunheim.device.tools import ToolError, ToolRegistry


class _Channel:
    def __init__(self, address, dialled):
        self.address = address
        dialled.append(address)
        self.closed = False

    async def connect(self):
        pass

    async def close(self):
        self.closed = True

    async def unary_unary(self, path, req_d, resp_d, request, timeout=None, metadata=None):
        return {"success": True, "output": "5", "metadata": []}


def _device(dialled):
    data = example_settings()
    data["loki"] = {"mode": "remote", "address": "127.0.0.1:1"}
    data["capability_configuration"]["tools"] = [{"name": "add", "kind": "loki"}]
    settings = PlainSettings(data)
    registry = ToolRegistry()
    builder = CapabilityBuilder(settings, RecordingHal(), registry, fake_drivers())
    CapabilityPropagator(builder, settings).connected()
    real = builder._loki_client

    def client():  # every client the builder makes dials into `dialled`
        made = real()
        made._factory = lambda host, port: _Channel("%s:%d" % (host, port), dialled)
        made.free_heap = lambda: 1 << 20  # roomy: a channel stays open between calls
        return made

    builder._loki_client = client
    return settings, registry, builder


async def test_loki_turned_off_by_a_reload_refuses_the_tool():
    dialled = []
    settings, registry, builder = _device(dialled)
    assert await registry.get("add").handler({}) == 5
    old = builder._loki
    settings.change("loki", {"mode": "off"})
    await asyncio.sleep(0)  # the old client's idle close runs
    assert builder._loki is None and old._channel is None
    with raises(ToolError, "Loki is off"):
        await registry.get("add").handler({})
    assert dialled == ["127.0.0.1:1"]


async def test_a_new_loki_address_is_dialled_after_a_reload():
    dialled = []
    settings, registry, _ = _device(dialled)
    assert await registry.get("add").handler({}) == 5
    settings.change("loki", {"mode": "remote", "address": "127.0.0.1:2"})
    assert await registry.get("add").handler({}) == 5
    assert dialled == ["127.0.0.1:1", "127.0.0.1:2"]
