"""HubOperator.Rollout and RollbackDevice against grpcio fake devices that answer UpdateNotice
with scripted OtaStatus messages: batches, the hub's own verdicts (offline, timeout), status
filtering, the registry's last status per device, refusals."""

import asyncio

import grpc
import pytest

from jotunheim._gen import hub_pb2
from jotunheim.ota.signing import keygen, publish

from .fake_device import FakeDevice
from .hubtest import Operator, eventually, provision, start_hub

HAPPY = ("downloading", "verifying", "installing", "rebooting", "confirmed")


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


class OtaFake(FakeDevice):
    """Answers an UpdateNotice with `script` (states, last one final); records rollbacks."""

    def __init__(self, *a, script=HAPPY, **kw):
        FakeDevice.__init__(self, *a, **kw)
        self.script = script
        self.notices = []
        self.rollbacks = []

    async def _on_update_notice(self, call, notice):
        self.notices.append(notice.version)
        for state in self.script:
            await asyncio.sleep(0.01)
            reason = "signature: bad" if state == "failed" else ""
            await call.write(
                hub_pb2.DeviceMessage(
                    ota_status=hub_pb2.OtaStatus(
                        version=notice.version, state=state, reason=reason, total_bytes=10
                    )
                )
            )

    async def _on_ota_rollback(self, call, msg):
        self.rollbacks.append(msg.reason)


@pytest.fixture(scope="module")
def update_dir(tmp_path_factory):
    base = tmp_path_factory.mktemp("ota")
    key, _ = keygen(base / "keys", "k1")
    src = base / "src"
    src.mkdir()
    (src / "jotunheim_app.py").write_text("VERSION = '1.1.0'\n")
    return base, key, src


async def _setup(tmp_path, update_dir, devices):
    base, key, src = update_dir
    hub = await start_hub(tmp_path / "hub")
    publish(src, "1.1.0", key, str(tmp_path / "hub"), target="sim")
    fakes = {}
    for device_id, script in devices:
        fakes[device_id] = OtaFake(
            [hub.address], device_id, provision(hub, device_id), script=script
        )
    op = Operator(hub.address, hub.token)
    return hub, fakes, op


async def _teardown(hub, op, fakes):
    for dev in fakes.values():
        await dev.drop()
    await op.close()
    await hub.stop()


async def _rollout(op, max_failures=None, **kw):
    req = hub_pb2.RolloutRequest(version=kw.pop("version", "1.1.0"), **kw)
    md = list(op.md)
    if max_failures is not None:
        md.append(("x-jotunheim-max-failures", str(max_failures)))
    return [p async for p in op.ops.Rollout(req, metadata=md, timeout=20)]


def test_batches_in_order_with_offline_verdict_and_registry(tmp_path, update_dir):
    async def go():
        devices = [("d1", HAPPY), ("d2", ("downloading", "failed")), ("d3", HAPPY)]
        hub, fakes, op = await _setup(tmp_path, update_dir, devices)
        provision(hub, "d4")  # never connects
        for dev in fakes.values():
            await dev.connect()
        await eventually(lambda: len(hub.router.sessions) == 3)
        out = await _rollout(op, device_ids=["d1", "d2", "d3", "d4"], batch_size=2, max_failures=2)
        assert out[-1].done and out[-1].summary == "2 confirmed, 0 rolled_back, 2 failed"
        assert out[-1].batches == 2
        steps = [(p.batch, p.device_id, p.status.state) for p in out[:-1]]
        # Batch 1 (d1, d2) ends before batch 2 (d3, d4) starts.
        assert max(i for i, s in enumerate(steps) if s[0] == 1) < min(
            i for i, s in enumerate(steps) if s[0] == 2
        )
        assert [s for b, d, s in steps if d == "d1"] == list(HAPPY)
        assert [s for b, d, s in steps if d == "d2"] == ["downloading", "failed"]
        assert [s for b, d, s in steps if d == "d4"] == ["failed"]
        d4 = next(p for p in out if p.device_id == "d4")
        assert d4.status.reason == "device offline"
        infos = {i.device_id: i for i in (await op.ops.ListDevices(
            hub_pb2.ListDevicesRequest(), metadata=op.md)).devices}  # fmt: skip
        assert infos["d1"].ota_status.state == "confirmed"
        assert infos["d2"].ota_status.reason == "signature: bad"
        assert infos["d4"].ota_status.state == "failed"
        assert fakes["d1"].notices == ["1.1.0"]
        await _teardown(hub, op, fakes)

    run(go())


def test_timeout_verdict_and_other_versions_ignored(tmp_path, update_dir):
    async def go():
        # "0.9.0" statuses belong to another update: they must not end this rollout's wait.
        hub, fakes, op = await _setup(tmp_path, update_dir, [("d1", ())])
        dev = fakes["d1"]
        await dev.connect()
        await eventually(lambda: "d1" in hub.router.sessions)

        async def stray():
            await eventually(lambda: dev.notices)
            await dev.send(ota_status=hub_pb2.OtaStatus(version="0.9.0", state="confirmed"))

        task = asyncio.ensure_future(stray())
        out = await _rollout(op, device_ids=["d1"], timeout_ms=600)
        await task
        assert [(p.device_id, p.status.state) for p in out[:-1]] == [("d1", "failed")]
        assert out[0].status.reason == "no final status within 600 ms"
        assert out[-1].summary == "0 confirmed, 0 rolled_back, 1 failed"
        await _teardown(hub, op, fakes)

    run(go())


def test_refusals_and_manual_rollback(tmp_path, update_dir):
    async def go():
        hub, fakes, op = await _setup(tmp_path, update_dir, [("d1", HAPPY)])
        provision(hub, "off")
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await _rollout(op, version="9.9.9", all=True)
        assert info.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await _rollout(op, device_ids=["ghost"])
        assert info.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await _rollout(op)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        await fakes["d1"].connect()
        await eventually(lambda: "d1" in hub.router.sessions)
        resp = await op.ops.RollbackDevice(
            hub_pb2.RollbackRequest(device_id="d1", reason="field report"), metadata=op.md
        )
        assert resp.sent
        await eventually(lambda: fakes["d1"].rollbacks == ["field report"])
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await op.ops.RollbackDevice(hub_pb2.RollbackRequest(device_id="off"), metadata=op.md)
        assert info.value.code() == grpc.StatusCode.UNAVAILABLE
        # Without the operator token: refused.
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await op.ops.RollbackDevice(hub_pb2.RollbackRequest(device_id="d1"))
        assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
        await _teardown(hub, op, fakes)

    run(go())


def test_rollout_stops_before_the_next_batch_once_failures_exceed_the_maximum(tmp_path, update_dir):
    async def go():
        devices = [("d1", ("downloading", "failed")), ("d2", HAPPY), ("d3", HAPPY)]
        hub, fakes, op = await _setup(tmp_path, update_dir, devices)
        for dev in fakes.values():
            await dev.connect()
        await eventually(lambda: len(hub.router.sessions) == 3)
        # Default max 0: the first failed device ends the rollout after its batch.
        out = await _rollout(op, device_ids=["d1", "d2", "d3"], batch_size=1)
        assert out[-1].done and out[-1].summary == (
            "0 confirmed, 0 rolled_back, 1 failed; stopped after batch 1 of 3: "
            "1 failed > max 0, 2 not sent"
        )
        assert fakes["d2"].notices == [] and fakes["d3"].notices == []
        (row,) = hub.registry.rollouts()
        assert row["state"] == "stopped" and row["finals"] == {"d1": "failed"}
        # max 1 tolerates that failure: batches 2 and 3 go out.
        out = await _rollout(op, device_ids=["d1", "d2", "d3"], batch_size=1, max_failures=1)
        assert out[-1].summary == "2 confirmed, 0 rolled_back, 1 failed"
        assert fakes["d2"].notices == ["1.1.0"] and fakes["d3"].notices == ["1.1.0"]
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await _rollout(op, device_ids=["d2"], max_failures="many")
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        await _teardown(hub, op, fakes)

    run(go())


def test_rollout_resumes_after_a_hub_restart(tmp_path, update_dir):
    async def go():
        # d1 stays in "downloading" until the hub restarts; d2 is batch 2.
        hub, fakes, op = await _setup(tmp_path, update_dir, [("d1", ("downloading",)),
                                                             ("d2", HAPPY)])  # fmt: skip
        for dev in fakes.values():
            await dev.connect()
        await eventually(lambda: len(hub.router.sessions) == 2)
        watching = asyncio.ensure_future(_rollout(op, device_ids=["d1", "d2"], batch_size=1))
        await eventually(
            lambda: (hub.registry.ota_status("d1") or hub_pb2.OtaStatus()).state == "downloading"
        )
        await hub.stop()  # the rollout is cut mid-batch 1
        with pytest.raises(grpc.aio.AioRpcError):
            await watching
        await op.close()
        for dev in fakes.values():
            await dev.drop()
        hub = await start_hub(tmp_path / "hub")  # same data dir: picks the rollout up
        op = Operator(hub.address, hub.token)
        for dev in fakes.values():
            dev.addresses = [hub.address]
            await dev.connect()
        await asyncio.sleep(0.3)
        assert fakes["d2"].notices == []  # batch 1 is not over yet
        # d1 finishes the download it had started (no second notice) and confirms.
        await fakes["d1"].send(ota_status=hub_pb2.OtaStatus(version="1.1.0", state="confirmed"))
        await eventually(lambda: hub.registry.rollouts()[0]["state"] == "done")
        (row,) = hub.registry.rollouts()
        assert row["summary"] == "2 confirmed, 0 rolled_back, 0 failed"
        assert row["finals"] == {"d1": "confirmed", "d2": "confirmed"} and row["batch"] == 2
        assert fakes["d1"].notices == ["1.1.0"] and fakes["d2"].notices == ["1.1.0"]
        await _teardown(hub, op, fakes)

    run(go())


def test_rollout_on_a_follower_runs_on_the_leader(tmp_path, update_dir, monkeypatch):
    monkeypatch.setenv("JOTUNHEIM_TOKEN", "cluster-token-rollout")

    async def go():
        base, key, src = update_dir
        a = await start_hub(tmp_path / "a", peer_interval_ms=100)
        b = await start_hub(tmp_path / "b", peers=[a.address], peer_interval_ms=100)
        await eventually(lambda: b.leader.leader_address() == a.address)
        publish(src, "1.1.0", key, str(tmp_path / "a"), target="sim")
        dev = OtaFake([a.address], "d1", provision(a, "d1"))
        await dev.connect()
        op = Operator(b.address, b.token)  # the follower
        out = await _rollout(op, device_ids=["d1"], max_failures=1)
        assert out[-1].done and out[-1].summary == "1 confirmed, 0 rolled_back, 0 failed"
        assert [p.status.state for p in out[:-1]] == list(HAPPY)
        assert dev.notices == ["1.1.0"]
        # The leader's refusal comes back through the follower with its status.
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await _rollout(op, device_ids=["d1"], max_failures=-1)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "x-jotunheim-max-failures" in err.value.details()
        await dev.drop()
        await op.close()
        await b.stop()
        await a.stop()

    run(go())


def test_ota_statuses_are_acked_and_a_resent_seq_is_recorded_once(tmp_path, update_dir):
    """hub.proto revision 4: each OtaStatus with a seq is acknowledged; after a resumed
    reconnect the device sends again what it saw no ack for, which is acked, not recorded
    twice, also after a hub restart; a rebooted device (a new session) numbers from 1 again;
    seq 0 is never acked."""

    def status(state, seq):
        return hub_pb2.OtaStatus(version="1.1.0", state=state, seq=seq)

    async def go():
        hub, fakes, op = await _setup(tmp_path, update_dir, [("d1", HAPPY)])
        dev = fakes["d1"]
        seen = []
        hub.ota_status_listeners.append(lambda d, st: seen.append((st.state, st.seq)))
        welcome = await dev.connect()
        assert welcome.ota_status_acks
        await dev.send(ota_status=status("downloading", 1))
        await dev.send(ota_status=status("verifying", 2))
        await eventually(lambda: dev.ota_acks == [1, 2])
        await dev.drop()
        assert (await dev.connect()).resumed
        await dev.send(ota_status=status("verifying", 2))  # its ack was lost, say
        await dev.send(ota_status=status("installing", 3))
        await eventually(lambda: dev.ota_acks == [1, 2, 2, 3])
        assert seen == [("downloading", 1), ("verifying", 2), ("installing", 3)]
        # The hub restarts (on the same data dir) before its ack of 3 reached the device: the
        # session resumes, and the copy of 3 is acked, not recorded a second time.
        await dev.drop()
        await hub.stop()
        hub = await start_hub(tmp_path / "hub")
        hub.ota_status_listeners.append(lambda d, st: seen.append((st.state, st.seq)))
        dev.addresses = [hub.address]
        assert (await dev.connect()).resumed
        await dev.send(ota_status=status("installing", 3))
        await eventually(lambda: dev.ota_acks == [1, 2, 2, 3, 3])
        assert len(seen) == 3
        await dev.drop()
        dev.resume_token = ""  # a reboot: the token lived in RAM
        assert not (await dev.connect()).resumed
        await dev.send(ota_status=status("confirmed", 1))
        await eventually(lambda: dev.ota_acks[-1:] == [1] and len(seen) == 4)
        await dev.send(ota_status=status("confirmed", 0))  # a device before revision 4
        await eventually(lambda: len(seen) == 5)
        await asyncio.sleep(0.2)
        assert seen[3:] == [("confirmed", 1), ("confirmed", 0)]
        assert dev.ota_acks == [1, 2, 2, 3, 3, 1]
        await _teardown(hub, op, fakes)

    run(go())
