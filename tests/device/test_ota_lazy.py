"""The agent imports ota_session only when it is needed: at start when boot.json exists,
otherwise on the first update_notice or ota_rollback from the hub (agent.attach_ota over a
stub agent: the whole Agent needs more heap than the device suite's 256k)."""

import os
import sys

from devtest import run, tmpdir

from jotunheim.device import agent as agent_mod


class _Session:
    def __init__(self):
        self.firmware_version = "1.0.0"
        self._extra = {}
        self.state = "offline"  # statuses stay queued: nothing to send them to
        self._call = None

    def on_message(self, kind, callback):
        self._extra[kind] = callback

    async def send(self, message):
        return False


class _Agent:
    def __init__(self, base, enabled=True, running=False):
        self.settings = {
            "identity": {"device_id": "lazy-1", "type": "generic", "firmware_version": "1.0.0"},
            "ota_update_settings": {"enabled": enabled},
        }
        self.settings_path = base + "/device.json"
        self.session = _Session()
        self.propagator = None
        self.device_id = "lazy-1"
        self.exit_code = 0
        self.running = running


def _forget_ota():
    # Only ota_session is unloaded: the OTA core (device.ota.*) keeps its module objects, so
    # other test modules' references to its classes and errors stay the same objects.
    import jotunheim.device as pkg

    sys.modules.pop("jotunheim.device.ota_session", None)
    if "ota_session" in pkg.__dict__:  # CPython: `from pkg import mod` reuses the attribute
        delattr(pkg, "ota_session")


def _loaded():
    return "jotunheim.device.ota_session" in sys.modules


def test_never_updated_device_imports_no_ota_code():
    _forget_ota()
    agent = _Agent(tmpdir("lazy"))
    agent_mod.attach_ota(agent)
    assert agent.ota is None and not _loaded()
    assert sorted(agent.session._extra) == ["ota_rollback", "update_notice"]


def test_update_notice_loads_ota_and_delegates():
    _forget_ota()
    agent = _Agent(tmpdir("lazy"), enabled=False)
    agent_mod.attach_ota(agent)
    run(agent.session._extra["update_notice"]({"version": "2.0.0"}))
    assert _loaded()
    ota = agent.ota
    assert ota is not None and ota.info["version"] == "1.0.0"
    # The OtaSession handled it: refused (OTA disabled), status queued for the hub.
    assert [(s["version"], s["state"]) for s in ota.queue] == [("2.0.0", "failed")]
    assert "ota disabled" in ota.queue[0]["reason"]
    # Its own handlers replaced the lazy ones; a second notice reaches the same session.
    assert agent.session._extra["update_notice"] == ota.on_update_notice
    run(agent.session._extra["update_notice"]({"version": "2.0.1"}))
    assert agent.ota is ota and len(ota.queue) == 2


def test_rollback_without_a_previous_version_is_refused_by_the_lazy_session():
    _forget_ota()
    agent = _Agent(tmpdir("lazy"))
    agent_mod.attach_ota(agent)
    run(agent.session._extra["ota_rollback"]({"reason": "operator"}))
    ota = agent.ota
    assert ota is not None and ota.queue[-1]["state"] == "failed"
    assert "rollback refused" in ota.queue[-1]["reason"]
    assert agent.exit_code == 0  # nothing to roll back to: no reboot


async def test_loaded_mid_run_starts_the_status_timer():
    import asyncio

    _forget_ota()
    agent = _Agent(tmpdir("lazy"), enabled=False, running=True)
    agent_mod.attach_ota(agent)
    await agent.session._extra["update_notice"]({"version": "2.0.0"})
    sent = []

    async def send(message):
        sent.append(message["ota_status"]["state"])
        return True

    agent.session.send = send
    agent.session.state = "online"
    for _ in range(50):  # the timer flushes the queue once the session is online
        await asyncio.sleep(0.05)
        if sent:
            break
    agent.session.state = "stopped"
    assert sent == ["failed"] and agent.ota.queue == []


def test_boot_json_loads_ota_at_start():
    base = tmpdir("lazy")
    from jotunheim.device.ota import bootstate
    from jotunheim.device.ota.slots import FileSlotStore

    os.mkdir(base + "/ota")
    store = FileSlotStore(base + "/ota", "1.0.0")
    bootstate.write_state(store.state_path, store.state())  # as a first update leaves it
    _forget_ota()
    agent = _Agent(base)
    agent_mod.attach_ota(agent)
    assert agent.ota is not None and _loaded()
    assert agent.session._extra["update_notice"] == agent.ota.on_update_notice
