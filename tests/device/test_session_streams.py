"""Device data streams against a scripted hub (both runtimes): StreamControl start runs the
tool every interval and sends ordered StreamData, stop cancels, tool errors go out as problem
samples, limits are kept and a dropped session ends every stream."""

import asyncio
import json

from devtest import run
from sessiondev import ScriptedHub, make_session

from jotunheim.device.streams import PROBLEM_JSON, StreamRunner, now_ms
from jotunheim.device.tools import Tool


async def _online(hub, counter=None):
    session = make_session(hub, counter)
    task = asyncio.create_task(session.run())
    await hub.handshake()
    runner = StreamRunner(session, session.handler)
    session.on_message("stream_control", runner.on_control)
    return session, task, runner


async def _stop(session, task):
    session.stop()
    await asyncio.wait_for(task, 3)


def _start(hub, sid, source="count", interval_ms=100, args_json=""):
    hub.push(
        "stream_control",
        {
            "stream_id": sid,
            "action": "start",
            "source": source,
            "interval_ms": interval_ms,
            "args_json": args_json,
        },
    )


def _data(hub, sid):
    found = [m.get("stream_data") for m in hub.received]
    return [d for d in found if d is not None and d["stream_id"] == sid]


def test_start_sends_samples_in_order_and_stop_cancels():
    async def main():
        hub = ScriptedHub()
        session, task, runner = await _online(hub)
        _start(hub, "s1")
        await hub.wait_for("stream_data", 3)
        hub.push("stream_control", {"stream_id": "s1", "action": "stop"})
        await asyncio.sleep(0.05)
        assert "s1" not in runner.streams
        got = _data(hub, "s1")
        assert [d["seq"] for d in got] == list(range(1, len(got) + 1))
        assert json.loads(got[0]["payload"]) == {"runs": 1}
        assert got[0]["content_type"] == ""
        assert abs(got[0]["timestamp_ms"] - now_ms()) < 60000  # the host has a clock
        count = len(got)
        await asyncio.sleep(0.25)  # stopped: nothing more arrives
        assert len(_data(hub, "s1")) == count
        await _stop(session, task)

    run(main())


def test_tool_error_is_a_problem_sample_and_the_stream_goes_on():
    async def main():
        hub = ScriptedHub()
        session, task, runner = await _online(hub)
        calls = []

        def flaky(params):
            calls.append(1)
            if len(calls) == 1:
                raise ValueError("sensor not ready")
            return {"ok": len(calls)}

        session.handler.registry.register(Tool("flaky", "fails first", [], "Object", flaky))
        _start(hub, "s2", source="flaky")
        await hub.wait_for("stream_data", 2)
        first, second = _data(hub, "s2")[:2]
        assert first["content_type"] == PROBLEM_JSON
        body = json.loads(first["payload"])
        assert body["title"] and "sensor not ready" in body["detail"]
        assert second["content_type"] == "" and json.loads(second["payload"]) == {"ok": 2}
        assert second["seq"] == first["seq"] + 1
        runner.stop_all()
        await _stop(session, task)

    run(main())


def test_unknown_tool_and_bad_args_are_reported_as_problems():
    async def main():
        hub = ScriptedHub()
        session, task, runner = await _online(hub)
        _start(hub, "s3", source="nope")
        sample = await hub.wait_for("stream_data")
        assert sample["content_type"] == PROBLEM_JSON
        assert json.loads(sample["payload"])["title"] == "NOT_FOUND"
        runner.stop_all()
        _start(hub, "s4", args_json="[1]")  # not a JSON object
        await hub.wait_for("stream_data", 2)
        bad = _data(hub, "s4")[0]
        assert json.loads(bad["payload"])["title"] == "INVALID_ARGUMENT"
        runner.stop_all()
        await _stop(session, task)

    run(main())


def test_interval_and_stream_count_limits():
    async def main():
        hub = ScriptedHub()
        session, task, runner = await _online(hub)
        _start(hub, "fast", interval_ms=10)
        refused = await hub.wait_for("stream_data")
        assert refused["seq"] == 0 and refused["content_type"] == PROBLEM_JSON
        assert json.loads(refused["payload"])["title"] == "INVALID_ARGUMENT"
        assert "fast" not in runner.streams
        for i in range(5):
            _start(hub, "c%d" % i, interval_ms=1000)
        await asyncio.sleep(0.1)
        assert sorted(runner.streams) == ["c0", "c1", "c2", "c3"]
        over = _data(hub, "c4")
        assert len(over) == 1 and json.loads(over[0]["payload"])["title"] == "RESOURCE_EXHAUSTED"
        runner.stop_all()
        await _stop(session, task)

    run(main())


def test_a_dropped_session_ends_every_stream():
    async def main():
        hub = ScriptedHub()
        session, task, runner = await _online(hub)
        _start(hub, "a")
        _start(hub, "b")
        await hub.wait_for("stream_data", 2)
        hub.calls[-1].end("eof")  # the hub goes away
        await hub.wait_calls(2)
        await hub.handshake(n=2)
        await asyncio.sleep(0.3)  # one interval and more: the old streams noticed
        assert runner.streams == {}
        before = hub.count("stream_data")
        await asyncio.sleep(0.25)
        assert hub.count("stream_data") == before
        _start(hub, "new")  # the hub starts new ones on the new session
        await hub.wait_for("stream_data", before + 1)
        assert _data(hub, "new")[0]["seq"] == 1
        runner.stop_all()
        await _stop(session, task)

    run(main())
