"""The agent's OTA glue (device/ota_session.py) over a stub agent: no OTA core at a factory
boot, trial boot -> self-test -> confirm, crash at start -> reboot code -> rollback with the
crash reported, manual rollback -> reboot code; statuses kept until the hub acks them."""

import sys

import ota_fixtures as fx
import ota_testdata as td
from devtest import raises, run
from otadev import make, settings, source_for

from jotunheim.device import ota_session


class _Session:
    def __init__(self):
        self.firmware_version = "1.0.0"
        self.handlers = {}
        self.sent = []
        self.state = "online"
        self._call = None
        self._channel = None
        self.stopped = False

    def on_message(self, kind, callback):
        self.handlers[kind] = callback

    async def send(self, message):
        if self.state != "online":
            return False
        self.sent.append(message["ota_status"])
        return True

    def stop(self):
        self.stopped = True


class _Agent:
    def __init__(self, base, **over):
        self.settings = {
            "identity": {"device_id": "d1", "type": td.TARGET, "firmware_version": "1.0.0"},
            "ota_update_settings": settings(**over),
        }
        self.settings_path = base + "/device.json"
        self.session = _Session()
        self.propagator = None
        self.device_id = "d1"
        self.exit_code = 0

    def stop(self):
        self.session.stop()


def _installed():
    """A slot dir (base/ota) with 1.1.0 installed, not yet booted."""
    store, up, _, _ = make()
    up.apply(fx.UPDATE_110, source_for(td.payload_for("1.1.0")))
    return store.slot_dir[: -len("/ota")], store


def _states(agent):
    return [(s["version"], s["state"]) for s in agent.session.sent]


def test_factory_boot_loads_no_ota_core():
    store, _, _, _ = make()
    base = store.slot_dir[: -len("/ota")] + "/fresh"
    before = set(sys.modules)
    agent = _Agent(base)
    ota = ota_session.attach(agent)
    loaded = [m for m in sys.modules if m not in before and m.startswith("jotunheim.device.ota.")]
    assert loaded == []
    assert ota.info["version"] == "1.0.0" and not ota.info["trial"]
    assert sorted(agent.session.handlers) == ["ota_rollback", "ota_status_ack", "update_notice"]
    assert ota.updater is None and ota.queue == []


def test_trial_boot_confirms_after_self_test_then_manual_rollback():
    base, _ = _installed()
    agent = _Agent(base)
    ota = ota_session.attach(agent)
    assert ota.info["trial"] and ota.info["version"] == "1.1.0"
    assert agent.session.firmware_version == "1.1.0"
    assert agent.settings["identity"]["firmware_version"] == "1.1.0"
    run(ota._flush())
    run(ota._self_test_and_confirm(ota.updater))
    assert _states(agent) == [("1.1.0", "rebooting"), ("1.1.0", "confirmed")]
    assert agent.session.sent[0]["reason"] == "trial boot 1 of 3"
    # Next boot: confirmed, nothing to count or report.
    agent2 = _Agent(base)
    ota2 = ota_session.attach(agent2)
    assert ota2.info["version"] == "1.1.0" and not ota2.info["trial"] and ota2.updater is None
    run(ota2.on_rollback({"reason": "field report"}))
    assert _states(agent2) == [("1.1.0", "rolled_back")]
    assert agent2.session.sent[0]["reason"] == "field report"
    assert agent2.exit_code == ota_session.REBOOT_EXIT and agent2.session.stopped
    agent3 = _Agent(base)
    assert ota_session.attach(agent3).info["version"] == "1.0.0"
    # Nothing left to roll back to: refused, reported, no reboot.
    agent4 = _Agent(base)
    run(ota_session.attach(agent4).on_rollback({}))
    assert _states(agent4) == [("1.0.0", "failed")]
    assert "no previous version" in agent4.session.sent[0]["reason"]
    assert agent4.exit_code == 0 and not agent4.session.stopped


def test_app_crashing_at_start_reboots_then_rolls_back_with_the_crash():
    base, store = _installed()
    with open(store.files_dir("b") + "/" + ota_session.APP_MODULE + ".py", "w") as f:
        f.write("raise RuntimeError('boom')\n")
    path = store.files_dir("b")
    try:
        for _ in range(2):  # max_boot_attempts = 2: two trial boots crash
            with raises(SystemExit) as r:
                ota_session.attach(_Agent(base, max_boot_attempts=2))
            assert r.value.args[0] == ota_session.REBOOT_EXIT
        agent = _Agent(base, max_boot_attempts=2)
        ota = ota_session.attach(agent)  # third boot: rolled back before the app runs
        assert ota.info["version"] == "1.0.0" and ota.app is None
        run(ota._flush())
        assert _states(agent) == [("1.1.0", "rolled_back")]
        reason = agent.session.sent[0]["reason"]
        assert "boot attempts exhausted" in reason
        assert "last crash: RuntimeError: boom" in reason
    finally:
        while path in sys.path:
            sys.path.remove(path)


def test_trial_offline_past_the_confirmation_timeout_rolls_back_and_reboots():
    base, _ = _installed()
    agent = _Agent(base, confirm_timeout_ms=50)
    agent.session.state = "waiting"  # the new version never reaches the hub
    ota = ota_session.attach(agent)
    assert ota.info["trial"]
    tick = ota_session.TICK_S
    ota_session.TICK_S = 0.02
    try:
        run(ota._loop())  # returns once it decided to reboot
    finally:
        ota_session.TICK_S = tick
    assert agent.exit_code == ota_session.REBOOT_EXIT and agent.session.stopped
    assert [s["state"] for s in ota.queue] == ["rebooting", "rolled_back"]
    assert ota.queue[1]["reason"].startswith("confirmation timeout: 1.1.0 not confirmed")
    # The next boot runs the previous version and reports the rollback it could not send.
    agent2 = _Agent(base)
    ota2 = ota_session.attach(agent2)
    assert ota2.info["version"] == "1.0.0"
    run(ota2._flush())
    assert _states(agent2) == [("1.1.0", "rolled_back")]
    assert agent2.session.sent[0]["reason"].startswith("confirmation timeout")
    assert ota_session.attach(_Agent(base)).queue == []  # reported once


def _acking_agent(tag, acks=True):
    store, _, _, _ = make()
    agent = _Agent(store.slot_dir[: -len("/ota")] + "/" + tag)
    ota = ota_session.attach(agent)
    if acks:
        agent.session.ota_acks = True  # the hub's Welcome said so (hub.proto revision 4)
    agent.session._call = object()  # a live stream
    ota._own_status("1.1.0", "downloading", "")
    ota._own_status("1.1.0", "verifying", "")
    return agent.session, ota


def test_statuses_stay_queued_until_acked_and_go_again_on_a_new_stream():
    session, ota = _acking_agent("acks")

    async def go():
        assert not await ota._flush()  # written, not yet acknowledged
        assert [(st["seq"], st["state"]) for st in session.sent] == [
            (1, "downloading"),
            (2, "verifying"),
        ]
        assert not await ota._flush()  # nothing goes out twice on the same stream
        assert len(session.sent) == 2
        await session.handlers["ota_status_ack"]({"seq": 1})
        assert [st["state"] for st in ota.queue] == ["verifying"]
        session._call = object()  # the stream broke and the device reconnected
        assert not await ota._flush()
        assert [st["seq"] for st in session.sent] == [1, 2, 2]
        await session.handlers["ota_status_ack"]({"seq": 2})
        assert await ota._flush() and ota.queue == []
        ota._own_status("1.1.0", "installing", "")
        assert ota.queue[0]["seq"] == 3  # numbering goes on

    run(go())


def test_a_hub_without_acks_gets_each_status_once():
    session, ota = _acking_agent("noacks", acks=False)

    async def go():
        assert await ota._flush() and ota.queue == []
        session._call = object()
        assert await ota._flush()
        assert [st["seq"] for st in session.sent] == [1, 2]

    run(go())


def test_reboot_waits_for_the_hubs_acks():
    session, ota = _acking_agent("rebootacks")

    async def go():
        import asyncio

        async def ack_later():
            await asyncio.sleep(0.3)
            await session.handlers["ota_status_ack"]({"seq": 2})

        asyncio.create_task(ack_later())
        await ota._reboot()  # returns once the hub has both statuses (not after 15 s)
        assert ota.queue == [] and session.stopped
        assert ota.agent.exit_code == ota_session.REBOOT_EXIT

    run(go())
