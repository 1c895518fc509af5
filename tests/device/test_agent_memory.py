"""The agent and its heap: the memory monitor's on_critical closes the idle channel to Loki
(the next script call dials again), so held-back user work may fit; WiFi settings on a host
without a WLAN interface keep no WiFi code loaded."""

import json

from capsdev import example_settings
from devtest import tmpdir

from jotunheim.device.agent import Agent


class _Channel:
    closed = 0

    async def close(self):
        self.closed += 1


def _agent(ssid=None):
    d = tmpdir("agentmem")
    data = example_settings()
    data["loki"] = {"mode": "remote", "address": "127.0.0.1:1"}
    if ssid:
        data["network"] = {"wifi": {"ssid": ssid, "password": "not-logged"}}
    with open(d + "/device.json", "w") as f:
        f.write(json.dumps(data))
    return Agent(d + "/device.json", watch_ms=0)


async def test_critical_memory_closes_the_idle_loki_channel():
    import asyncio

    agent = _agent()
    loki = agent.builder._loki_client()
    ch = loki._channel = _Channel()  # as after a script call
    memory = agent.monitor.memory
    memory._mem_free = lambda: 4096  # below the 16 KB floor
    assert not memory.allow_user_work()  # critical: on_critical runs once
    await asyncio.sleep(0.01)
    assert ch.closed == 1 and loki._channel is None


async def test_a_channel_in_use_stays_open():
    import asyncio

    agent = _agent()
    loki = agent.builder._loki_client()
    ch = loki._channel = _Channel()
    loki._calls = 1  # a script call is running on it
    agent.monitor.memory._mem_free = lambda: 4096
    assert not agent.monitor.memory.allow_user_work()
    await asyncio.sleep(0.01)
    assert ch.closed == 0 and loki._channel is ch


def test_no_loki_client_nothing_to_close():
    agent = _agent()
    agent.monitor.memory._mem_free = lambda: 4096
    assert not agent.monitor.memory.allow_user_work()  # and no error
    assert agent.builder._loki is None


def test_wifi_settings_on_a_host_keep_no_wifi_code():
    import sys

    from jotunheim.compat import IS_MICROPYTHON

    wire = "jotunheim.device.session_wire"
    before = {m for m in ("jotunheim.device.wifi", "jotunheim.device.wlan", wire)
              if m in sys.modules}  # fmt: skip
    agent = _agent(ssid="home")
    assert agent.wifi is None  # no network.WLAN here: the host's network is used
    # never imported (an unload would still leave its names as qstrs on MicroPython)
    for module in ("jotunheim.device.wifi", "jotunheim.device.wlan"):
        assert module in before or module not in sys.modules, module
    if IS_MICROPYTHON and wire not in before:  # the session loads it at a failed connect
        assert wire not in sys.modules
        assert agent.session.backoff is None


def test_wifi_settings_on_a_board_make_the_wifi_manager():
    # A board's `network` has WLAN: the agent builds its WifiManager over it (not started
    # until the agent runs). A stand-in module plays the board's here.
    import sys

    class _WLAN:
        def __init__(self, iface):
            self.iface = iface

    class _Network:
        STA_IF = 0
        WLAN = _WLAN

    real = sys.modules.get("network")
    sys.modules["network"] = _Network()
    try:
        agent = _agent(ssid="home")
    finally:
        if real is None:
            del sys.modules["network"]
        else:
            sys.modules["network"] = real
    assert agent.wifi is not None and agent.wifi.ssid == "home"
    assert agent.monitor.wifi is agent.wifi


class _LokiChannel:
    """Answers every Script_ call with output "5" (a scripted in-memory channel)."""

    closed = 0

    async def connect(self):
        pass

    async def close(self):
        self.closed += 1

    async def unary_unary(self, path, req_d, resp_d, request, timeout=None, metadata=None):
        return {"success": True, "output": "5", "metadata": []}


def _loki_tool_builder():
    from capsdev import RecordingHal, fake_drivers

    from jotunheim.device.capabilities import CapabilityBuilder
    from jotunheim.device.tools import ToolRegistry

    data = example_settings()
    data["loki"] = {"mode": "remote", "address": "127.0.0.1:1"}
    data["capability_configuration"]["tools"] = [{"name": "add", "kind": "loki"}]
    b = CapabilityBuilder(data, RecordingHal(), ToolRegistry(), fake_drivers())
    b.configure()
    return b


async def test_a_loki_tool_loads_its_call_code_on_its_first_call():
    # A device that declares a Loki tool but never calls it does not load loki_call (its
    # heap with the code in ROMFS); the first call makes the handler, later calls reuse it.
    import sys

    from jotunheim.compat import IS_MICROPYTHON, unload

    if IS_MICROPYTHON:  # CPython keeps the module: other tests hold its classes
        unload("jotunheim.device.loki_call")
    b = _loki_tool_builder()
    add = b.registry.get("add")
    assert type(add.handler).__name__ != "LokiCall"
    if IS_MICROPYTHON:
        assert "jotunheim.device.loki_call" not in sys.modules
    client = b._loki_client()
    client._factory = lambda host, port: _LokiChannel()
    client.free_heap = lambda: 1 << 20
    assert await add.handler({"a": 2, "b": 3}) == 5
    handler = add.handler
    assert type(handler).__name__ == "LokiCall" and handler.script == "add"
    assert await add.handler({}) == 5 and add.handler is handler
    await b._loki_client().close()


async def test_a_loki_call_on_a_short_heap_lets_the_client_go():
    # The call closes its channel at once under close_below; the client the builder made
    # goes too on MicroPython, with its module (the next call makes a new one), and stays
    # where the runtime has no fixed heap (CPython) or while the heap is roomy.
    import sys

    from jotunheim.compat import IS_MICROPYTHON

    b = _loki_tool_builder()
    add = b.registry.get("add")
    client = b._loki_client()
    ch = _LokiChannel()
    client._factory = lambda host, port: ch
    client.free_heap = lambda: 1 << 20  # roomy: channel and client stay
    assert await add.handler({}) == 5
    assert b._loki is client and client._channel is ch
    client.free_heap = lambda: 1024  # short: the call closes its channel
    assert await add.handler({}) == 5
    assert ch.closed == 1 and client._channel is None
    if IS_MICROPYTHON:
        assert b._loki is None and "jotunheim.device.loki_client" not in sys.modules
        again = b._loki_client()
        assert again is not client and b._loki is again
    else:
        assert b._loki is client
    await b._loki_client().close()


async def test_a_loki_client_given_to_the_builder_is_kept():
    from capsdev import RecordingHal, fake_drivers

    from jotunheim.device.capabilities import CapabilityBuilder
    from jotunheim.device.loki_client import LokiClient
    from jotunheim.device.tools import ToolRegistry

    ch = _LokiChannel()
    client = LokiClient({"mode": "remote"}, lambda host, port: ch)
    client.free_heap = lambda: 1024
    data = example_settings()
    data["capability_configuration"]["tools"] = [{"name": "add", "kind": "loki"}]
    b = CapabilityBuilder(data, RecordingHal(), ToolRegistry(), fake_drivers(), loki=client)
    b.configure()
    assert await b.registry.get("add").handler({}) == 5
    assert ch.closed == 1 and b._loki is client


async def test_a_short_heap_never_lets_go_of_a_client_another_call_is_dialing_on():
    # Call A's dial fails while call B waits for the client's lock: A ends with no channel and
    # no call counted on the client, but B is still to dial on it. The client must stay (a
    # new one would dial Loki beside B: two connections on a short heap).
    import asyncio

    dials = {"now": 0, "most": 0, "made": 0}

    class SlowChannel(_LokiChannel):
        def __init__(self, fails):
            self.fails = fails

        async def connect(self):
            dials["now"] += 1
            dials["most"] = max(dials["most"], dials["now"])
            try:
                await asyncio.sleep(0.02)
                if self.fails:
                    raise OSError(111)
            finally:
                dials["now"] -= 1

    def factory(host, port):
        dials["made"] += 1
        return SlowChannel(fails=dials["made"] == 1)

    b = _loki_tool_builder()
    add = b.registry.get("add")
    first = b._loki_client()
    first.retries = 0  # A fails at once
    first._factory = factory
    first.free_heap = lambda: 1024

    async def call():
        try:
            return await add.handler({})
        except Exception as exc:  # A: Loki unreachable
            return type(exc).__name__

    a = asyncio.create_task(call())
    await asyncio.sleep(0.005)
    b_task = asyncio.create_task(call())
    await asyncio.sleep(0.03)  # A has failed; B is dialing
    assert b._loki_client() is first
    c = asyncio.create_task(call())
    results = [await a, await b_task, await c]
    assert results[0] != 5 and results[1:] == [5, 5], results
    assert dials["most"] == 1  # one connect at a time
