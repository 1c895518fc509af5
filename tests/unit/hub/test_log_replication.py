"""The command log and the device sessions follow the leader (hub.proto rev 5): followers copy
the log page by page and each device's resume state, so after a failover the device resumes
its session and a command id the old leader saw is never sent again — its recorded outcome is
returned, a result still in flight is recorded once when the device brings it, and a command
the old leader held queued is failed as not run."""

import asyncio
import secrets
import sqlite3

import grpc
import pytest

from jotunheim._gen import hub_pb2
from jotunheim.hub import registry as reg
from jotunheim.hub.registry import Registry

from .fake_device import FakeDevice
from .hubtest import Operator, eventually, provision, run_stopping_hubs, start_hub


def _state(hub, command_id):
    rec = hub.registry.command(command_id)
    return rec and rec.state


def test_failover_keeps_command_ids_once(tmp_path, monkeypatch):
    monkeypatch.setenv("JOTUNHEIM_TOKEN", "cluster-token-" + secrets.token_hex(8))

    async def go():
        a = await start_hub(tmp_path / "a", peer_interval_ms=100)
        b = await start_hub(tmp_path / "b", peers=[a.address], peer_interval_ms=100)
        assert a.leader.is_leader() and not b.leader.is_leader()
        key = provision(a, "d1")
        provision(a, "d2")  # never connects: its command waits queued
        await eventually(lambda: b.registry.device_key("d2") is not None)
        dev = FakeDevice([a.address, b.address], "d1", key)
        await dev.connect()
        session_on_a = dev.welcome.session_id
        op_a = Operator(a.address, a.token)

        # done on the leader, then copied
        resp = await op_a.call("d1", "echo", '{"value": 1}', command_id="done-1")
        assert resp.success and dev.runs == {"done-1": 1}
        await eventually(lambda: _state(b, "done-1") == reg.DONE)
        assert b.registry.command("done-1").result == b'{"echo": 1}'

        # applied on the device, its result held back: in flight at the failover
        dev.hold_results = True
        flying = asyncio.ensure_future(
            op_a.call("d1", "echo", '{"value": 2}', command_id="fly-1", timeout=20)
        )
        await eventually(lambda: "fly-1" in dev.unacked)
        await eventually(lambda: _state(b, "fly-1") == reg.SENT)

        # waiting on the leader for an offline device: queued at the failover
        waiting = asyncio.ensure_future(
            op_a.call("d2", "echo", "{}", wait_ms=60000, command_id="queued-1", timeout=30)
        )
        await eventually(lambda: _state(b, "queued-1") == reg.QUEUED)

        await a.stop()
        for call in (flying, waiting):  # their hub is gone
            with pytest.raises(grpc.aio.AioRpcError):
                await call
        await eventually(lambda: b.leader.is_leader(), timeout=10)
        assert _state(b, "queued-1") == reg.FAILED
        dev.hold_results = False
        await asyncio.wait_for(dev.closed.wait(), 10)
        await dev.connect()  # lists fly-1 as pending and sends its result again
        assert dev.connected_to == b.address
        # The resume state came with the identity: the same session goes on on b.
        assert dev.welcome.resumed and dev.welcome.session_id == session_on_a

        op_b = Operator(b.address, b.token)
        resp = await op_b.call("d1", "echo", '{"value": 1}', command_id="done-1")
        assert resp.success and resp.result == b'{"echo": 1}'
        resp = await op_b.call("d1", "echo", '{"value": 2}', command_id="fly-1")
        assert resp.success and resp.result == b'{"echo": 2}'
        assert b.registry.command("fly-1").recorded_count == 1
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await op_b.call("d2", "echo", "{}", command_id="queued-1")
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "leader changed before it was sent" in err.value.details()
        # None of the three went to the device again.
        assert dev.received == {"done-1": 1, "fly-1": 1}
        assert dev.runs == {"done-1": 1, "fly-1": 1}
        await dev.drop()
        await op_a.close()
        await op_b.close()

    run_stopping_hubs(go(), 60)


def _log(registry, n, result=b""):
    for i in range(n):
        cid = "c%03d" % i
        registry.add_command(cid, "d1", "echo", "{}", reg.now_ms() + 60000, reg.SENT)
        if result:
            res = hub_pb2.CommandResult(command_id=cid, success=True, result=result)
            assert registry.record_result("d1", res)


def test_pages_by_rows_and_bytes_in_seq_order(tmp_path):
    leader = Registry(str(tmp_path / "l"))
    _log(leader, 7)
    rows, more = leader.commands_after(0, 3)
    assert [r.command_id for r in rows] == ["c000", "c001", "c002"] and more
    rows, more = leader.commands_after(rows[-1].seq, 3)
    assert [r.command_id for r in rows] == ["c003", "c004", "c005"] and more
    rows, more = leader.commands_after(rows[-1].seq, 3)
    assert [r.command_id for r in rows] == ["c006"] and not more
    assert leader.commands_after(rows[-1].seq, 3) == ([], False)
    leader.fail_command("c001", "UNAVAILABLE", "gone")  # a change moves the row to the end
    rows, _ = leader.commands_after(rows[-1].seq, 3)
    assert [(r.command_id, r.state) for r in rows] == [("c001", reg.FAILED)]

    big = Registry(str(tmp_path / "big"))
    _log(big, 5, result=b"x" * 300_000)
    rows, more = big.commands_after(0, 500)
    assert len(rows) == 3 and more  # cut before 1 MB
    assert len(big.commands_after(rows[-1].seq, 500)[0]) == 2
    huge = Registry(str(tmp_path / "huge"))
    _log(huge, 2, result=b"x" * 1_200_000)
    rows, more = huge.commands_after(0, 500)
    assert len(rows) == 1 and more  # one row over the cap still goes: never an empty page


def test_merge_adopts_the_leader_but_never_reopens_a_finished_command(tmp_path):
    leader = Registry(str(tmp_path / "l"))
    follower = Registry(str(tmp_path / "f"))
    _log(leader, 2)
    rows, _ = leader.commands_after(0, 10)
    follower.merge_commands(rows)
    assert follower.command("c000").state == reg.SENT
    res = hub_pb2.CommandResult(command_id="c000", success=True, result=b"1")
    assert leader.record_result("d1", res)
    follower.merge_commands(leader.commands_after(rows[-1].seq, 10)[0])
    done = follower.command("c000")
    assert (done.state, done.result, done.recorded_count) == (reg.DONE, b"1", 1)
    follower.merge_commands(rows)  # a stale page (sent) arriving late: ignored
    assert follower.command("c000").state == reg.DONE
    # The follower numbers what it adopts, so its own followers can copy it if it leads.
    third = Registry(str(tmp_path / "t"))
    third.merge_commands(follower.commands_after(0, 10)[0])
    assert {r.command_id: r.state for r in third.commands_after(0, 10)[0]} == {
        "c000": reg.DONE,
        "c001": reg.SENT,
    }


def test_a_data_dir_from_before_rev5_gets_seqs(tmp_path):
    Registry(str(tmp_path)).close()
    db = sqlite3.connect(str(tmp_path / reg.DB_NAME))
    db.executescript(
        "DROP TABLE commands; CREATE TABLE commands (command_id TEXT PRIMARY KEY, "
        "device_id TEXT NOT NULL, tool TEXT NOT NULL, args_json TEXT NOT NULL, "
        "deadline_at_ms INTEGER NOT NULL, created_ms INTEGER NOT NULL, state TEXT NOT NULL, "
        "success INTEGER NOT NULL DEFAULT 0, result BLOB NOT NULL DEFAULT x'', "
        "error_code TEXT NOT NULL DEFAULT '', error_message TEXT NOT NULL DEFAULT '', "
        "duration_us INTEGER NOT NULL DEFAULT 0, completed_ms INTEGER NOT NULL DEFAULT 0, "
        "recorded_count INTEGER NOT NULL DEFAULT 0);"
        "INSERT INTO commands (command_id, device_id, tool, args_json, deadline_at_ms, "
        "created_ms, state) VALUES ('old-1', 'd1', 'echo', '{}', 1, 1, 'failed'), "
        "('old-2', 'd1', 'echo', '{}', 1, 1, 'done');"
    )
    db.commit()
    db.close()
    registry = Registry(str(tmp_path))
    rows, _ = registry.commands_after(0, 10)
    assert [r.command_id for r in rows] == ["old-1", "old-2"]
    registry.add_command("new-1", "d1", "echo", "{}", 1)
    assert registry.command("new-1").seq > max(r.seq for r in rows)
