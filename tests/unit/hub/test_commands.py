"""Command routing through JotunheimService against real grpcio fake devices: results,
validation, offline fail-fast vs wait, deadlines, and exactly-once across reconnects."""

import asyncio
import json

import grpc
import pytest

from jotunheim._gen import hub_pb2, jotunheim_service_pb2

from .fake_device import FakeDevice
from .hubtest import Operator, eventually, provision, run_stopping_hubs, start_hub


def run(coro):
    return run_stopping_hubs(coro)


async def _setup(tmp_path, tools=None):
    hub = await start_hub(tmp_path / "hub")
    dev = FakeDevice([hub.address], "d1", provision(hub, "d1"), tools=tools)
    op = Operator(hub.address, hub.token)
    return hub, dev, op


async def _teardown(hub, op, *devices):
    for dev in devices:
        await dev.drop()
    await op.close()
    await hub.stop()


async def _connected(hub, dev):
    await dev.connect()
    await eventually(lambda: hub.registry.capabilities(dev.device_id) is not None)


async def _rpc_error(coro):
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await coro
    return info.value


def test_call_tool_and_send_device_command_return_device_result(tmp_path):
    async def go():
        hub, dev, op = await _setup(tmp_path)
        await _connected(hub, dev)
        resp = await op.call("d1", "echo", '{"value": 41}')
        assert resp.success and json.loads(resp.result) == {"echo": 41}
        resp = await op.jot.SendDeviceCommand(
            jotunheim_service_pb2.DeviceCommandRequest(
                device_id="d1", command="echo", parameters='{"value": 2}'
            ),
            metadata=op.md,
        )
        assert resp.success and json.loads(resp.result) == {"echo": 2}
        assert sum(dev.runs.values()) == 2
        await _teardown(hub, op, dev)

    run(go())


def test_device_side_failure_is_reported_not_raised(tmp_path):
    def boom(args):
        raise RuntimeError("never runs")

    async def go():
        hub, dev, op = await _setup(tmp_path)
        dev.caps.tools.add(name="missing_on_device")  # declared, but the device lacks it
        await _connected(hub, dev)
        resp = await op.call("d1", "missing_on_device")
        assert not resp.success and resp.error_message == "NOT_FOUND: no tool"
        await _teardown(hub, op, dev)

    run(go())


@pytest.mark.parametrize(
    "device, tool, params, status",
    [
        ("nobody", "echo", "{}", grpc.StatusCode.NOT_FOUND),
        ("d1", "nope", "{}", grpc.StatusCode.NOT_FOUND),
        ("d1", "echo", '{"value": "x"}', grpc.StatusCode.INVALID_ARGUMENT),
        ("d1", "echo", '{"value": true}', grpc.StatusCode.INVALID_ARGUMENT),
        ("d1", "echo", '{"other": 1}', grpc.StatusCode.INVALID_ARGUMENT),
        ("d1", "echo", "[1, 2]", grpc.StatusCode.INVALID_ARGUMENT),
        ("d1", "echo", "{not json", grpc.StatusCode.INVALID_ARGUMENT),
        ("d1", "", "{}", grpc.StatusCode.INVALID_ARGUMENT),
    ],
)
def test_invalid_calls_are_rejected_before_reaching_the_device(
    tmp_path, device, tool, params, status
):
    async def go():
        hub, dev, op = await _setup(tmp_path)
        await _connected(hub, dev)
        err = await _rpc_error(op.call(device, tool, params))
        assert err.code() == status, err.details()
        assert dev.runs == {}
        await _teardown(hub, op, dev)

    run(go())


def test_operator_calls_need_the_token(tmp_path):
    async def go():
        hub, dev, op = await _setup(tmp_path)
        op.md = (("authorization", "Bearer wrong"),)
        err = await _rpc_error(op.call("d1", "echo"))
        assert err.code() == grpc.StatusCode.UNAUTHENTICATED
        op.md = ()
        err = await _rpc_error(op.devices())
        assert err.code() == grpc.StatusCode.UNAUTHENTICATED
        await _teardown(hub, op)

    run(go())


def test_offline_device_fails_fast_by_default(tmp_path):
    async def go():
        hub, dev, op = await _setup(tmp_path)
        loop = asyncio.get_running_loop()
        start = loop.time()
        err = await _rpc_error(op.call("d1", "echo", timeout=30))
        assert err.code() == grpc.StatusCode.UNAVAILABLE
        assert loop.time() - start < 10  # did not sit out the 30 s deadline
        await _teardown(hub, op)

    run(go())


def test_offline_device_waited_for_when_caller_asks(tmp_path):
    async def go():
        hub, dev, op = await _setup(tmp_path)
        call = asyncio.ensure_future(op.call("d1", "echo", '{"value": 5}', wait_ms=10000))
        await asyncio.sleep(0.3)
        assert not call.done()
        await dev.connect()
        resp = await call
        assert resp.success and json.loads(resp.result) == {"echo": 5}
        await _teardown(hub, op, dev)

    run(go())


def test_wait_ends_with_unavailable_when_device_stays_offline(tmp_path):
    async def go():
        hub, dev, op = await _setup(tmp_path)
        err = await _rpc_error(op.call("d1", "echo", wait_ms=300))
        assert err.code() == grpc.StatusCode.UNAVAILABLE and "300 ms" in err.details()
        await _teardown(hub, op)

    run(go())


def test_slow_tool_ends_with_deadline_exceeded(tmp_path):
    async def slow(args):
        await asyncio.sleep(3)
        return {}

    async def go():
        hub, dev, op = await _setup(tmp_path, tools={"slow": slow})
        await _connected(hub, dev)
        err = await _rpc_error(op.call("d1", "slow", timeout=1.0))
        assert err.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        await _teardown(hub, op, dev)

    run(go())


def test_command_applied_once_and_reported_once_across_forced_reconnect(tmp_path):
    async def go():
        hub, dev, op = await _setup(tmp_path)
        await _connected(hub, dev)
        dev.hold_results = True  # the device runs the tool, then the link dies
        call = asyncio.ensure_future(op.call("d1", "echo", '{"value": 9}', timeout=10))
        await eventually(lambda: dev.runs)
        (cid,) = dev.runs
        await dev.drop()
        await eventually(lambda: "d1" not in hub.router.sessions)
        dev.hold_results = False
        welcome = await dev.connect()  # resumes; holds the unacked result
        assert welcome.resumed and list(dev.last_hello.pending_results) == [cid]
        resp = await call
        assert resp.success and json.loads(resp.result) == {"echo": 9}
        assert dev.runs == {cid: 1}  # applied once on the device
        # The log is written just after the caller is answered (batched, before the ack).
        await eventually(lambda: hub.registry.command(cid).recorded_count)
        rec = hub.registry.command(cid)
        assert rec.recorded_count == 1 and rec.state == "done"  # recorded once
        await eventually(lambda: not dev.unacked)  # the hub acknowledged it
        await _teardown(hub, op, dev)

    run(go())


def test_hub_resends_in_flight_command_after_resume_and_device_dedups(tmp_path):
    async def go():
        hub, dev, op = await _setup(tmp_path)
        await _connected(hub, dev)
        dev.hold_results = True
        call = asyncio.ensure_future(op.call("d1", "echo", '{"value": 1}', timeout=10))
        await eventually(lambda: dev.runs)
        (cid,) = dev.runs
        await dev.drop()
        dev.hold_results = False
        # The device does not announce its pending result: the hub re-sends the command and
        # the device answers from its at-most-once cache instead of running it again.
        await dev.connect(pending=False)
        resp = await call
        assert resp.success and dev.runs == {cid: 1}
        await eventually(lambda: not dev.unacked)  # acked only once it is in the log
        assert hub.registry.command(cid).recorded_count == 1
        await _teardown(hub, op, dev)

    run(go())


def test_result_held_by_hub_is_acked_in_welcome(tmp_path):
    async def go():
        hub, dev, op = await _setup(tmp_path)
        await _connected(hub, dev)

        async def lose_acks(call, ack):
            return None

        dev._on_result_ack = lose_acks  # the ack never arrives
        resp = await op.call("d1", "echo", '{"value": 3}')
        assert resp.success
        (cid,) = dev.runs
        assert cid in dev.unacked
        await dev.drop()
        welcome = await dev.connect()
        assert list(welcome.acked_results) == [cid]
        assert cid not in dev.unacked
        assert hub.registry.command(cid).recorded_count == 1
        await _teardown(hub, op, dev)

    run(go())


def test_restarted_device_does_not_get_in_flight_command_again(tmp_path):
    async def go():
        hub, dev, op = await _setup(tmp_path)
        await _connected(hub, dev)
        dev.hold_results = True
        call = asyncio.ensure_future(op.call("d1", "echo", timeout=10))
        await eventually(lambda: dev.runs)
        await dev.drop()
        # A reboot: same identity, no memory, no resume token.
        fresh = FakeDevice([hub.address], "d1", dev.key)
        welcome = await fresh.connect()
        assert not welcome.resumed
        err = await _rpc_error(call)
        assert err.code() == grpc.StatusCode.UNAVAILABLE and "outcome unknown" in err.details()
        await asyncio.sleep(0.2)
        assert fresh.runs == {}
        await _teardown(hub, op, fresh)

    run(go())


def test_retry_with_same_command_id_returns_recorded_outcome(tmp_path):
    async def go():
        hub, dev, op = await _setup(tmp_path)
        await _connected(hub, dev)
        first = await op.call("d1", "echo", '{"value": 4}', command_id="op-42")
        again = await op.call("d1", "echo", '{"value": 4}', command_id="op-42")
        assert first.result == again.result and dev.runs == {"op-42": 1}
        await _teardown(hub, op, dev)

    run(go())


def test_get_device_status_reports_online_offline_unknown_revoked(tmp_path):
    async def go():
        hub, dev, op = await _setup(tmp_path)
        assert (await op.status("d1")).status == "offline"
        assert (await op.status("ghost")).status == "unknown"
        await _connected(hub, dev)
        st = await op.status("d1")
        assert st.status == "online" and json.loads(st.capabilities)["device_id"] == "d1"
        assert st.last_seen > 0
        await dev.drop()
        await eventually(lambda: "d1" not in hub.router.sessions)
        await op.ops.RevokeDevice(hub_pb2.DeviceRef(device_id="d1"), metadata=op.md)
        assert (await op.status("d1")).status == "revoked"
        await _teardown(hub, op)

    run(go())


def test_finished_commands_are_pruned_after_the_keep_time(tmp_path):
    async def go():
        hub, dev, op = await _setup(tmp_path)
        await _connected(hub, dev)
        resp = await op.call("d1", "echo", command_id="old-1")
        assert resp.success
        assert hub.registry.prune_commands(keep_ms=3_600_000) == 0  # recent: kept
        await asyncio.sleep(0.05)
        assert hub.registry.prune_commands(keep_ms=1) == 1
        assert hub.registry.command("old-1") is None
        await _teardown(hub, op, dev)

    run(go())


def test_many_devices_served_concurrently(tmp_path):
    async def go():
        hub = await start_hub(tmp_path / "hub")
        op = Operator(hub.address, hub.token)
        devs = [
            FakeDevice([hub.address], "d%02d" % i, provision(hub, "d%02d" % i)) for i in range(40)
        ]
        await asyncio.gather(*(d.connect() for d in devs))
        await eventually(lambda: all(hub.registry.capabilities(d.device_id) for d in devs))
        resps = await asyncio.gather(
            *(op.call(d.device_id, "echo", '{"value": %d}' % i) for i, d in enumerate(devs))
        )
        assert [json.loads(r.result)["echo"] for r in resps] == list(range(40))
        assert all(sum(d.runs.values()) == 1 for d in devs)
        await _teardown(hub, op, *devs)

    run(go())


def test_retry_by_id_after_hub_restart_waits_for_the_in_flight_result(tmp_path):
    async def go():
        hub, dev, op = await _setup(tmp_path)
        await _connected(hub, dev)
        dev.hold_results = True  # the tool runs; its result is not sent before the restart
        first = asyncio.ensure_future(op.call("d1", "echo", '{"value": 5}', command_id="op-7"))
        await eventually(lambda: dev.runs)
        await dev.drop()
        await hub.stop()
        with pytest.raises(grpc.aio.AioRpcError):
            await first  # its caller went with the hub
        await op.close()
        hub = await start_hub(tmp_path / "hub")  # same data dir: same log, new port
        op = Operator(hub.address, hub.token)
        retry = asyncio.ensure_future(
            op.call("d1", "echo", '{"value": 5}', command_id="op-7", timeout=10)
        )
        await asyncio.sleep(0.3)
        assert not retry.done()  # waits for the device instead of "still in flight"
        dev.addresses = [hub.address]
        dev.hold_results = False
        welcome = await dev.connect()  # resumes and hands over the result it kept
        assert welcome.resumed
        resp = await retry
        assert resp.success and json.loads(resp.result) == {"echo": 5}
        assert dev.runs == {"op-7": 1}
        await eventually(lambda: not dev.unacked)
        rec = hub.registry.command("op-7")
        assert rec.state == "done" and rec.recorded_count == 1
        await _teardown(hub, op, dev)

    run(go())


def test_retry_by_id_after_hub_restart_ends_at_the_command_deadline(tmp_path):
    async def go():
        hub, dev, op = await _setup(tmp_path)
        await _connected(hub, dev)
        dev.hold_results = True
        first = asyncio.ensure_future(op.call("d1", "echo", command_id="op-8", timeout=1.5))
        await eventually(lambda: dev.runs)
        await dev.drop()
        await hub.stop()
        with pytest.raises(grpc.aio.AioRpcError):
            await first
        await op.close()
        hub = await start_hub(tmp_path / "hub")
        op = Operator(hub.address, hub.token)
        # The device stays away: the command's own deadline (within 1.5 s) ends the wait.
        err = await _rpc_error(op.call("d1", "echo", command_id="op-8", timeout=10))
        assert err.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        assert "no result before the deadline" in err.details()
        assert hub.registry.command("op-8").state == "failed"
        await _teardown(hub, op)

    run(go())


def test_command_queued_for_an_offline_device_fails_when_the_hub_restarts(tmp_path):
    async def go():
        hub, dev, op = await _setup(tmp_path)
        waiting = asyncio.ensure_future(op.call("d1", "echo", wait_ms=5000, command_id="q-1"))
        await eventually(lambda: hub.registry.command("q-1") is not None)
        await hub.stop()
        with pytest.raises(grpc.aio.AioRpcError):
            await waiting
        await op.close()
        hub = await start_hub(tmp_path / "hub")
        op = Operator(hub.address, hub.token)
        err = await _rpc_error(op.call("d1", "echo", command_id="q-1"))
        # Stopping the hub cancels the waiting caller first, or the restart finds the command
        # still queued: either way it is recorded as never sent.
        assert err.code() == grpc.StatusCode.UNAVAILABLE and "not run" in err.details()
        await _connected(hub, FakeDevice([hub.address], "d1", dev.key))  # never sent later
        await asyncio.sleep(0.2)
        await _teardown(hub, op)

    run(go())


def test_results_are_acked_only_once_logged_and_resent_when_logging_fails(tmp_path):
    async def go():
        hub, dev, op = await _setup(tmp_path)
        await _connected(hub, dev)
        real = hub.registry.record_results
        calls = []

        def failing_once(batch):
            calls.append(len(batch))
            if len(calls) == 1:
                raise OSError("disk full")
            return real(batch)

        hub.registry.record_results = failing_once
        resp = await op.call("d1", "echo", '{"value": 6}', command_id="op-9")
        assert resp.success  # the caller had its answer before the log write
        # The write failed: no ack, the session is dropped, the device still holds it.
        await eventually(lambda: dev.closed.is_set())
        assert "op-9" in dev.unacked and hub.registry.command("op-9").recorded_count == 0
        await dev.connect()  # re-sends what it holds
        await eventually(lambda: not dev.unacked)
        rec = hub.registry.command("op-9")
        assert rec.recorded_count == 1 and json.loads(rec.result) == {"echo": 6}
        assert dev.runs == {"op-9": 1}
        await _teardown(hub, op, dev)

    run(go())
