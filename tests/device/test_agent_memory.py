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
    wire_before = wire in sys.modules
    agent = _agent(ssid="home")
    assert agent.wifi is None  # no network.WLAN here: the host's network is used
    if IS_MICROPYTHON:
        assert "jotunheim.device.wifi" not in sys.modules
        assert "jotunheim.device.wlan" not in sys.modules
        if not wire_before:  # wifi's Backoff: the session loads it at a failed connect
            assert wire not in sys.modules
            assert agent.session.backoff is None
