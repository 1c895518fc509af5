"""The device session against a scripted hub (both runtimes): handshake proof, capabilities,
pings, heartbeats, commands at most once, results kept until acknowledged, reconnects."""

import asyncio
import binascii

from devtest import raises, run
from sessiondev import KEY_HEX, Counter, ScriptedHub, make_session

from jotunheim.device.log import Logger
from jotunheim.device.session_connect import hmac_sha256


async def _started(hub, session):
    task = asyncio.create_task(session.run())
    hello = await hub.handshake()
    return task, hello


async def _stop(session, task):
    session.stop()
    await asyncio.wait_for(task, 3)


def test_hello_carries_identity_and_a_valid_proof():
    async def main():
        hub = ScriptedHub()
        session = make_session(hub)
        task, hello = await _started(hub, session)
        want = hmac_sha256(binascii.unhexlify(KEY_HEX), b"jotunheim-v1|dev-1|" + b"n" * 16)
        assert hello["proof"] == want
        assert hello["device_id"] == "dev-1"
        assert hello["firmware_version"] == "2.0.0"
        assert hello["protocol_version"] == 1
        assert hello["resume_token"] == ""
        assert hello["runtime"].split()[0] in ("cpython", "micropython")
        assert hello["pending_results"] == []
        await _stop(session, task)

    run(main())


def test_capabilities_pong_and_heartbeats():
    async def main():
        hub = ScriptedHub()
        session = make_session(hub, heartbeat_ms=30)
        task, _ = await _started(hub, session)
        hub.push("capability_request", {})
        caps = await hub.wait_for("capabilities")
        assert caps["capabilities"]["device_id"] == "dev-1"
        hub.push("ping", {"nonce": 77})
        assert (await hub.wait_for("pong"))["nonce"] == 77
        first = await hub.wait_for("heartbeat")
        second = await hub.wait_for("heartbeat", 2)
        assert second["seq"] == first["seq"] + 1
        assert session.state == "online"
        await _stop(session, task)

    run(main())


def test_command_runs_once_and_result_is_kept_until_acknowledged():
    async def main():
        hub = ScriptedHub()
        counter = Counter()
        counter.block = True
        session = make_session(hub, counter)
        task, _ = await _started(hub, session)
        cmd = {"command_id": "c1", "tool": "count", "args_json": "{}", "deadline_ms": 2000}
        hub.push("command", cmd)
        hub.push("command", cmd)  # a duplicate while the first still runs
        await asyncio.sleep(0.05)
        counter.release.set()
        res = await hub.wait_for("command_result")
        assert res["command_id"] == "c1" and res["success"]
        assert res["result"] == b'{"runs": 1}'
        hub.push("command", cmd)  # after it finished: the kept result, not a second run
        again = await hub.wait_for("command_result", 2)
        assert again["result"] == res["result"]
        assert counter.runs == 1
        assert "c1" in session.pending
        hub.push("result_ack", {"command_ids": ["c1"]})
        await asyncio.sleep(0.02)
        assert "c1" not in session.pending
        await _stop(session, task)

    run(main())


def test_unacknowledged_result_is_resent_after_reconnect_with_resume_token():
    async def main():
        hub = ScriptedHub()
        counter = Counter()
        session = make_session(hub, counter)
        task, _ = await _started(hub, session)
        hub.push("command", {"command_id": "c2", "tool": "count", "args_json": "{}"})
        await hub.wait_for("command_result")
        hub.calls[-1].end("eof")  # the hub ends the stream without acknowledging
        await hub.wait_calls(2)
        hello = await hub.handshake(n=2)
        assert hello["pending_results"] == ["c2"]
        assert hello["resume_token"] == "tok-1"
        resent = await hub.wait_for("command_result", 2)
        assert resent["command_id"] == "c2"
        hub.push("command", {"command_id": "c2", "tool": "count", "args_json": "{}"})
        await hub.wait_for("command_result", 3)
        assert counter.runs == 1
        assert session.connects == 2
        await _stop(session, task)

    run(main())


def test_welcome_acked_results_are_dropped_not_resent():
    async def main():
        hub = ScriptedHub()
        session = make_session(hub)
        task, _ = await _started(hub, session)
        hub.push("command", {"command_id": "c3", "tool": "count", "args_json": "{}"})
        await hub.wait_for("command_result")
        hub.calls[-1].end("eof")
        await hub.wait_calls(2)
        await hub.handshake(acked=["c3"], n=2)
        await asyncio.sleep(0.05)
        assert hub.count("command_result") == 1
        assert len(session.pending) == 0
        await _stop(session, task)

    run(main())


def test_bad_credentials_back_off_to_the_cap_and_key_is_never_logged():
    async def main():
        hub = ScriptedHub()
        lines = []
        session = make_session(hub, logger=Logger("t", "DEBUG", lines.append), cap_ms=400)
        delays = []
        real_sleep = session._sleep_ms

        async def sleep_ms(ms):
            delays.append(ms)
            session.stop()
            await real_sleep(0)

        session._sleep_ms = sleep_ms
        task = asyncio.create_task(session.run())
        await hub.wait_calls(1)
        hub.push("challenge", {"nonce": b"x" * 16})
        await hub.wait_for("hello")
        hub.push("refusal", {"code": "bad_proof", "reason": "proof does not match"})
        await asyncio.wait_for(task, 3)
        assert delays == [400]
        assert session.last_refusal == "bad_proof"
        assert session.connects == 0
        text = "\n".join(lines)
        assert "bad_proof" in text
        assert KEY_HEX not in text and KEY_HEX[:16] not in text

    run(main())


def test_not_leader_refusal_redirects_to_the_leader():
    import sys

    from jotunheim.compat import IS_MICROPYTHON

    async def main():
        hub = ScriptedHub()
        session = make_session(hub)
        task = asyncio.create_task(session.run())
        await hub.wait_calls(1)
        hub.push("refusal", {"code": "not_leader", "reason": "", "leader_address": "10.0.0.9:7"})
        while session.state != "waiting" and len(hub.dials) < 2:
            await asyncio.sleep(0)
        if IS_MICROPYTHON and session.state == "waiting":  # handled, then the code dropped
            assert "jotunheim.device.session_connect" not in sys.modules
        await hub.wait_calls(2)
        assert hub.dials[-1] == "10.0.0.9:7"
        await hub.handshake(n=2)
        await asyncio.sleep(0.01)
        assert session.state == "online"
        if IS_MICROPYTHON:  # the refusal was handled before the handshake code was dropped
            assert "jotunheim.device.session_connect" not in sys.modules
        await _stop(session, task)

    run(main())


def test_unreachable_hub_rotates_addresses_with_backoff():
    async def main():
        hub = ScriptedHub()
        hub.down = True
        session = make_session(hub)
        task = asyncio.create_task(session.run())
        while len(hub.dials) < 3:
            await asyncio.sleep(0.01)
        assert hub.dials[:3] == ["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:1"]
        assert session.backoff.attempt >= 2
        spent = session.backoff
        hub.down = False
        await hub.handshake()
        await asyncio.sleep(0.01)
        assert session.state == "online"
        # the Welcome drops the Backoff: the next failure starts a fresh one (from attempt 0)
        assert session.backoff is None
        hub.down = True
        hub.calls[-1].end("eof")
        while session.backoff is None:
            await asyncio.sleep(0.01)
        assert session.backoff is not spent and session.backoff.attempt >= 1
        await _stop(session, task)

    run(main())


def test_pending_results_are_bounded_oldest_dropped_first():
    async def main():
        hub = ScriptedHub()
        session = make_session(hub)
        session.max_pending = 3  # (32 by default)
        task, _ = await _started(hub, session)
        for i in range(5):
            cmd = {"command_id": "c%d" % i, "tool": "count", "args_json": "{}"}
            hub.push("command", cmd)
            await hub.wait_for("command_result", i + 1)
        assert list(session.pending) == ["c2", "c3", "c4"]
        assert [r["command_id"] for r in session.pending.values()] == ["c2", "c3", "c4"]
        hub.push("result_ack", {"command_ids": ["c3", "nope"]})
        hub.push("ping", {"nonce": 1})
        await hub.wait_for("pong")
        assert list(session.pending) == ["c2", "c4"] and "c3" not in session.pending
        hub.push("command", {"command_id": "c2", "tool": "count", "args_json": "{}"})
        await hub.wait_for("command_result", 6)  # a known id: its kept result, same place
        assert list(session.pending) == ["c2", "c4"]
        await _stop(session, task)

    run(main())


def test_extra_message_kinds_go_to_registered_callbacks():
    async def main():
        hub = ScriptedHub()
        session = make_session(hub)
        seen = []

        async def on_notice(body):
            seen.append(body["version"])
            assert await session.send({"ota_status": {"version": body["version"], "state": "x"}})

        session.on_message("update_notice", on_notice)
        task, _ = await _started(hub, session)
        hub.push("update_notice", {"version": "9.9.9", "size": 10})
        status = await hub.wait_for("ota_status")
        assert seen == ["9.9.9"] and status["state"] == "x"
        hub.push("stream_control", {"stream_id": "s", "action": "start"})  # no handler: ignored
        hub.push("ping", {"nonce": 5})
        assert (await hub.wait_for("pong"))["nonce"] == 5
        await _stop(session, task)
        assert not await session.send({"pong": {"nonce": 1}})  # offline: not sent

    run(main())


def test_a_welcome_after_the_handshake_is_a_protocol_violation_and_the_session_redials():
    async def main():
        hub = ScriptedHub()
        session = make_session(hub)
        task, _ = await _started(hub, session)
        hub.push("welcome", {"session_id": "again"})
        await hub.handshake(n=2)  # the device dropped the stream and dialled again
        assert session.last_error == (
            "JotunheimError: hub protocol violation: unexpected welcome after the handshake"
        )
        await _stop(session, task)

    run(main())


def test_silent_hub_is_declared_dead_and_redialled():
    async def main():
        hub = ScriptedHub()
        session = make_session(hub, heartbeat_ms=20, dead_peer_ms=120)
        task, _ = await _started(hub, session)
        # Heartbeats go out but nothing comes back: the hub is dead after 120 ms.
        await hub.wait_calls(2, timeout=3)
        assert "silent" in (session.last_error or "") or session.connects == 1
        await hub.handshake(n=2)
        await asyncio.sleep(0.01)
        assert session.connects == 2
        await _stop(session, task)

    run(main())


def test_tool_registered_at_runtime_reaches_the_hub_as_an_update():
    from capsdev import example_settings
    from sessiondev import settings

    from jotunheim.device.capabilities import (
        CapabilityBuilder,
        CapabilityNegotiator,
        CapabilityPropagator,
    )
    from jotunheim.device.commands import CommandHandler
    from jotunheim.device.hal.sim import SimHal
    from jotunheim.device.session import DeviceSession
    from jotunheim.device.tools import Tool

    async def main():
        hub = ScriptedHub()
        data = example_settings()
        data["network_resilience_settings"] = settings()["network_resilience_settings"]
        builder = CapabilityBuilder(data, SimHal())
        prop = CapabilityPropagator(builder)
        session = DeviceSession(
            data,
            CapabilityNegotiator(builder, propagator=prop),
            CommandHandler(builder.registry),
            propagator=prop,
            channel_factory=hub.factory,
        )
        task, _ = await _started(hub, session)
        first = await hub.wait_for("capability_update")
        assert first["event_type"] == "connected"
        assert "read_room" in [t["name"] for t in first["capabilities"]["tools"]]
        builder.registry.register(Tool("hello", "says hello", [], "String", lambda p: "hi"))
        update = await hub.wait_for("capability_update", 2)
        assert update["event_type"] == "updated"
        assert "hello" in [t["name"] for t in update["capabilities"]["tools"]]
        hub.push("capability_request", {})
        caps = await hub.wait_for("capabilities")
        assert "hello" in [t["name"] for t in caps["capabilities"]["tools"]]
        await _stop(session, task)

    run(main())


def test_handshake_code_is_dropped_once_connected_on_micropython():
    # session_connect (dial, Hello proof with its HMAC) runs once per connection: on
    # MicroPython the session unloads them after the Welcome so they do not hold heap.
    import sys

    from jotunheim.compat import IS_MICROPYTHON

    async def main():
        hub = ScriptedHub()
        session = make_session(hub)
        task, _ = await _started(hub, session)
        hub.push("ping", {"nonce": 3})
        assert (await hub.wait_for("pong"))["nonce"] == 3
        assert session.state == "online"
        if IS_MICROPYTHON:
            assert "jotunheim.device.session_connect" not in sys.modules
        await _stop(session, task)

    run(main())


def test_backoff_code_loads_only_after_a_failed_attempt():
    # session_wire (Backoff) is imported on the first failed attempt: a device whose hub
    # connection never fails does not hold it. The session checks its arguments anyway.
    import sys

    from jotunheim.compat import IS_MICROPYTHON, unload
    from jotunheim.errors import JotunheimError

    wire = "jotunheim.device.session_wire"
    with raises(JotunheimError, "backoff"):
        make_session(ScriptedHub(), cap_ms=0)

    async def main():
        if IS_MICROPYTHON:
            unload(wire)
        hub = ScriptedHub()
        session = make_session(hub)
        task, _ = await _started(hub, session)
        assert session.backoff is None
        if IS_MICROPYTHON:
            assert wire not in sys.modules
        hub.down = True
        hub.calls[-1].end("eof")  # the hub ends the stream; dials fail from now on
        while session.backoff is None:
            await asyncio.sleep(0.01)
        assert wire in sys.modules and session.backoff.attempt >= 1
        hub.down = False
        await hub.handshake(n=2)
        await asyncio.sleep(0.01)
        # welcomed again: the Backoff is dropped (the next failure makes a fresh one), and
        # with it session_wire on MicroPython
        assert session.state == "online" and session.backoff is None
        if IS_MICROPYTHON:
            assert wire not in sys.modules
        await _stop(session, task)

    run(main())


def test_backoff_code_another_part_holds_is_never_reloaded():
    # On a board, wifi (WifiManager) imports session_wire's Backoff before the session is
    # built and keeps it: the session must not unload the module under it, or its next
    # failed attempt would import a second copy (two module objects on the heap).
    import sys

    from jotunheim.device.session_wire import Backoff  # as wifi does, kept

    wire = "jotunheim.device.session_wire"

    async def main():
        hub = ScriptedHub()
        hub.down = True
        session = make_session(hub)
        task = asyncio.create_task(session.run())
        while session.backoff is None:
            await asyncio.sleep(0.01)
        first = type(session.backoff)
        hub.down = False
        await hub.handshake()
        await asyncio.sleep(0.01)
        assert session.state == "online" and wire in sys.modules
        hub.down = True
        hub.calls[-1].end("eof")
        while session.backoff is None:
            await asyncio.sleep(0.01)
        assert type(session.backoff) is first is Backoff  # one module, one class
        await _stop(session, task)

    run(main())
