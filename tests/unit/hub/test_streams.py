"""HubOperator.WatchStream against grpcio fake devices that answer StreamControl with
StreamData: samples relayed in order, stop on cancel / max_messages / deadline, refusals,
device disconnect, stray stream ids, a slow watcher's bounded buffer, follower forwarding."""

import asyncio
import json

import grpc
import pytest

from jotunheim._gen import hub_pb2
from jotunheim.hub import streams as hub_streams

from .fake_device import FakeDevice
from .hubtest import Operator, eventually, provision, run_stopping_hubs, start_hub


class StreamFake(FakeDevice):
    """Answers StreamControl start with StreamData every `period` s (faster than interval_ms,
    to keep tests short), running its tool; records every StreamControl it gets."""

    def __init__(self, *a, period=0.01, **kw):
        FakeDevice.__init__(self, *a, **kw)
        self.period = period
        self.controls = []
        self.running = {}  # stream_id -> task
        self.wlock = asyncio.Lock()  # grpc.aio allows one write at a time per call

    async def _on_ping(self, call, ping):
        async with self.wlock:
            await FakeDevice._on_ping(self, call, ping)

    async def _on_stream_control(self, call, ctl):
        self.controls.append((ctl.action, ctl.stream_id, ctl.source, ctl.interval_ms))
        if ctl.action == "start":
            self.running[ctl.stream_id] = asyncio.ensure_future(self._stream(call, ctl))
        elif ctl.action == "stop":
            task = self.running.pop(ctl.stream_id, None)
            if task is not None:
                task.cancel()

    async def _stream(self, call, ctl):
        seq = 0
        try:
            while True:
                seq += 1
                out = self.tools[ctl.source](json.loads(ctl.args_json or "{}"))
                data = hub_pb2.StreamData(
                    stream_id=ctl.stream_id,
                    seq=seq,
                    payload=json.dumps(out).encode(),
                    timestamp_ms=1_700_000_000_000 + seq,
                )
                async with self.wlock:
                    await call.write(hub_pb2.DeviceMessage(stream_data=data))
                await asyncio.sleep(self.period)
        except (asyncio.CancelledError, asyncio.InvalidStateError, grpc.aio.AioRpcError):
            pass

    def stops(self):
        return [c[1] for c in self.controls if c[0] == "stop"]


def _tools():
    return {"echo": lambda args: {"echo": args.get("value")}, "read_room": lambda args: {"t": 21}}


async def _setup(tmp_path, **kw):
    hub = await start_hub(tmp_path / "hub")
    dev = StreamFake([hub.address], "d1", provision(hub, "d1"), tools=_tools(), **kw)
    await dev.connect()
    await eventually(lambda: hub.registry.capabilities("d1") is not None)
    return hub, dev, Operator(hub.address, hub.token)


def _watch(op, device_id="d1", source="echo", timeout=10, **kw):
    req = hub_pb2.WatchStreamRequest(device_id=device_id, source=source, **kw)
    return op.ops.WatchStream(req, metadata=op.md, timeout=timeout)


async def _refused(op, **kw):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        async for _ in _watch(op, **kw):
            pass
    return err.value


def test_samples_arrive_in_order_and_cancel_stops_the_device_stream(tmp_path):
    async def go():
        hub, dev, op = await _setup(tmp_path)
        call = _watch(op, args_json='{"value": 5}', interval_ms=250)
        got = []
        async for data in call:
            got.append(data)
            if len(got) == 5:
                break
        call.cancel()
        assert [d.seq for d in got] == [1, 2, 3, 4, 5]
        assert {json.loads(d.payload)["echo"] for d in got} == {5}
        assert got[0].timestamp_ms == 1_700_000_000_001
        start = dev.controls[0]
        assert start[0] == "start" and start[2:] == ("echo", 250)
        await eventually(lambda: dev.stops() == [start[1]])  # the device was told to stop
        await eventually(lambda: not hub.streams.watches)
        await dev.drop()
        await op.close()

    run_stopping_hubs(go())


def test_max_messages_ends_the_watch_and_stops_the_device(tmp_path):
    async def go():
        hub, dev, op = await _setup(tmp_path)
        got = [d async for d in _watch(op, max_messages=3)]
        assert [d.seq for d in got] == [1, 2, 3]
        assert dev.controls[0][3] == hub_streams.DEFAULT_INTERVAL_MS  # interval_ms 0 = 1000
        await eventually(lambda: len(dev.stops()) == 1)
        assert not hub.streams.watches
        await dev.drop()
        await op.close()

    run_stopping_hubs(go())


def test_deadline_ends_the_watch_and_stops_the_device(tmp_path):
    async def go():
        hub, dev, op = await _setup(tmp_path, period=0.05)
        err = await _refused(op, timeout=0.5)
        assert err.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        await eventually(lambda: len(dev.stops()) == 1)
        await eventually(lambda: not hub.streams.watches)
        await dev.drop()
        await op.close()

    run_stopping_hubs(go())


def test_refusals_are_checked_before_the_device_is_asked(tmp_path):
    async def go():
        hub, dev, op = await _setup(tmp_path)
        provision(hub, "d2")  # known, never connected
        cases = [
            (dict(device_id="nope"), grpc.StatusCode.NOT_FOUND, "unknown"),
            (dict(device_id="d2"), grpc.StatusCode.UNAVAILABLE, "offline"),
            (dict(source="missing"), grpc.StatusCode.NOT_FOUND, "not declared"),
            (dict(source=""), grpc.StatusCode.INVALID_ARGUMENT, "source"),
            (dict(args_json='{"value": "x"}'), grpc.StatusCode.INVALID_ARGUMENT, "Integer"),
            (dict(args_json='{"other": 1}'), grpc.StatusCode.INVALID_ARGUMENT, "other"),
            (dict(args_json="[1"), grpc.StatusCode.INVALID_ARGUMENT, "JSON"),
            (dict(interval_ms=50), grpc.StatusCode.INVALID_ARGUMENT, "interval_ms"),
            (dict(interval_ms=3_600_001), grpc.StatusCode.INVALID_ARGUMENT, "interval_ms"),
        ]
        for kw, code, words in cases:
            err = await _refused(op, **kw)
            assert err.code() == code, (kw, err)
            assert words in err.details(), (kw, err.details())
        assert dev.controls == []  # none reached the device
        no_token = hub_pb2.WatchStreamRequest(device_id="d1", source="echo")
        with pytest.raises(grpc.aio.AioRpcError) as err:
            async for _ in op.ops.WatchStream(no_token, timeout=5):
                pass
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
        await dev.drop()
        await op.close()

    run_stopping_hubs(go())


def test_a_fifth_stream_per_device_is_refused(tmp_path):
    async def go():
        hub, dev, op = await _setup(tmp_path)
        calls = [_watch(op) for _ in range(hub_streams.MAX_STREAMS_PER_DEVICE)]
        for call in calls:
            await call.read()  # each one runs
        err = await _refused(op)
        assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        calls.pop().cancel()
        await eventually(lambda: len(hub.streams.watches) == 3)
        assert (await _watch(op).read()).seq == 1  # a slot is free again
        for call in calls:
            call.cancel()
        await dev.drop()
        await op.close()

    run_stopping_hubs(go())


def test_device_disconnect_ends_the_watch_with_unavailable(tmp_path):
    async def go():
        hub, dev, op = await _setup(tmp_path)
        call = _watch(op)
        assert (await call.read()).seq == 1
        await dev.drop()
        with pytest.raises(grpc.aio.AioRpcError) as err:
            while True:
                if await call.read() is grpc.aio.EOF:
                    break
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "disconnected" in err.value.details()
        assert not hub.streams.watches
        await op.close()

    run_stopping_hubs(go())


def test_stream_data_for_an_unknown_id_is_ignored_and_the_session_lives(tmp_path):
    async def go():
        hub, dev, op = await _setup(tmp_path)
        stray = hub_pb2.StreamData(stream_id="no-such-stream", seq=1, payload=b"{}")
        await dev.send(stream_data=stray)
        await eventually(lambda: hub.streams.unknown_data == 1)
        resp = await op.call("d1", "echo", '{"value": 3}')  # the session still serves
        assert resp.success
        got = [d async for d in _watch(op, max_messages=2)]
        assert [d.seq for d in got] == [1, 2]
        await dev.drop()
        await op.close()

    run_stopping_hubs(go())


def test_a_device_refusal_of_the_start_ends_the_watch(tmp_path):
    class Refuser(StreamFake):
        async def _stream(self, call, ctl):
            problem = {"title": "RESOURCE_EXHAUSTED", "detail": "at most 4 streams at once"}
            data = hub_pb2.StreamData(
                stream_id=ctl.stream_id,
                seq=0,
                payload=json.dumps(problem).encode(),
                content_type="application/problem+json",
            )
            await call.write(hub_pb2.DeviceMessage(stream_data=data))

    async def go():
        hub = await start_hub(tmp_path / "hub")
        dev = Refuser([hub.address], "d1", provision(hub, "d1"), tools=_tools())
        await dev.connect()
        op = Operator(hub.address, hub.token)
        err = await _refused(op)
        assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "at most 4 streams" in err.details()
        await dev.drop()
        await op.close()

    run_stopping_hubs(go())


def test_a_slow_watcher_loses_the_oldest_samples_not_the_newest():
    async def go():
        watch = hub_streams.Watch("s", "d1", session=None, buffer=3)
        for seq in range(1, 8):
            watch.push(hub_pb2.StreamData(stream_id="s", seq=seq))
        watch.end(grpc.StatusCode.UNAVAILABLE, "gone")
        got = []
        while (data := await watch.next()) is not None:
            got.append(data.seq)
        assert got == [5, 6, 7] and watch.dropped == 4
        assert watch.ended[0] == grpc.StatusCode.UNAVAILABLE

    asyncio.run(go())


def test_a_follower_forwards_the_watch_to_the_leader(tmp_path, monkeypatch):
    monkeypatch.setenv("JOTUNHEIM_TOKEN", "cluster-token-streams")

    async def go():
        a = await start_hub(tmp_path / "a", peer_interval_ms=100)
        b = await start_hub(tmp_path / "b", peers=[a.address], peer_interval_ms=100)
        await eventually(lambda: b.leader.leader_address() == a.address)
        dev = StreamFake([a.address], "d1", provision(a, "d1"), tools=_tools())
        await dev.connect()
        op = Operator(b.address, b.token)  # the follower
        got = [d async for d in _watch(op, source="read_room", max_messages=3)]
        assert [d.seq for d in got] == [1, 2, 3]
        assert json.loads(got[0].payload) == {"t": 21}
        await eventually(lambda: len(dev.stops()) == 1)  # the leader stopped it
        call = _watch(op)  # a caller of the follower that cancels: the leader stops too
        assert (await call.read()).seq == 1
        call.cancel()
        await eventually(lambda: len(dev.stops()) == 2)
        await eventually(lambda: not a.streams.watches)
        err = await _refused(op, source="missing")  # the leader's refusal, relayed
        assert err.code() == grpc.StatusCode.NOT_FOUND
        await dev.drop()
        await op.close()

    run_stopping_hubs(go())


def test_watch_cli_prints_samples_and_ctrl_c_stops_the_device_stream(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    async def jot_watch(address, token, *args):
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "jotunheim", "watch", "d1", "echo", *args,
            "--hub", address, "--token", token,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ, COLUMNS="160"),
        )  # fmt: skip

    async def go():
        hub, dev, op = await _setup(tmp_path)
        proc = await jot_watch(hub.address, hub.token, "value=4", "--count", "3")
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err
        lines = out.decode().splitlines()
        assert [int(line.split()[0]) for line in lines] == [1, 2, 3]
        assert lines[0].split()[1] == "2023-11-14T22:13:20.001Z"  # the device's timestamp
        assert lines[0].endswith('{"echo": 4}') and "3 sample(s)" in err.decode()
        await eventually(lambda: len(dev.stops()) == 1)

        proc = await jot_watch(hub.address, hub.token, "--interval-ms", "500")
        first = await asyncio.wait_for(proc.stdout.readline(), 60)
        assert first.split()[0] == b"1"
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        _, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err
        await eventually(lambda: len(dev.stops()) == 2)  # the hub told the device to stop
        rc = await (await jot_watch(hub.address, hub.token, "--interval-ms", "5")).wait()
        assert rc == 1  # the hub's INVALID_ARGUMENT, reported on stderr
        await dev.drop()
        await op.close()

    run_stopping_hubs(go())


def test_watch_cli_sample_lines():
    from jotunheim.cli.operator_cmd import sample_line

    problem = hub_pb2.StreamData(
        seq=7,
        payload=b'{"title": "INTERNAL", "detail": "ValueError: sensor not ready"}',
        content_type="application/problem+json",
    )
    assert sample_line(problem) == "     7  -  error: INTERNAL: ValueError: sensor not ready"
    plain = hub_pb2.StreamData(seq=1, payload=b'{"t": 21}', timestamp_ms=86_400_123)
    assert sample_line(plain) == '     1  1970-01-02T00:00:00.123Z  {"t": 21}'
