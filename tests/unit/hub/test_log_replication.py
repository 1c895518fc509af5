"""Followers copy the leader's command log (hub.proto rev 5, HubPeer.SyncCommands), and a hub
that takes over from a live leader copies its log to the end first, so after a failover or a
failback a command id the leader saw is not sent again: its recorded outcome is returned, a
result still in flight is recorded once when the device brings it, and a command another hub
held queued is failed as not run."""

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


def test_failback_copies_the_interim_leaders_log_first(tmp_path, monkeypatch):
    monkeypatch.setenv("JOTUNHEIM_TOKEN", "cluster-token-" + secrets.token_hex(8))

    async def go():
        a = await start_hub(tmp_path / "a", peer_interval_ms=100)
        b = await start_hub(tmp_path / "b", peers=[a.address], peer_interval_ms=100)
        key = provision(a, "d1")
        await eventually(lambda: b.registry.device_key("d1") is not None)
        await a.stop()
        await eventually(lambda: b.leader.is_leader(), timeout=10)
        dev = FakeDevice([b.address], "d1", key)
        await dev.connect()
        op_b = Operator(b.address, b.token)
        resp = await op_b.call("d1", "echo", '{"value": 5}', command_id="on-b")
        assert resp.success
        await dev.drop()
        await op_b.close()

        # a comes back (same data dir: it leads again) and has b's command before it leads
        a2 = await start_hub(tmp_path / "a", peers=[b.address], peer_interval_ms=100)
        assert a2.leader.is_leader()
        rec = a2.registry.command("on-b")
        assert rec is not None and rec.state == reg.DONE and rec.origin_hub == b.hub_id
        dev.addresses = [a2.address]
        await dev.connect()
        op_a2 = Operator(a2.address, a2.token)
        resp = await op_a2.call("d1", "echo", '{"value": 5}', command_id="on-b")
        assert resp.success and resp.result == b'{"echo": 5}'
        assert dev.received == {"on-b": 1}
        await dev.drop()
        await op_a2.close()

    run_stopping_hubs(go(), 60)


def test_failback_waits_for_a_long_log(tmp_path, monkeypatch):
    from jotunheim.hub import leader

    monkeypatch.setenv("JOTUNHEIM_TOKEN", "cluster-token-" + secrets.token_hex(8))
    monkeypatch.setattr(reg, "SYNC_MAX_COMMANDS", 2)  # 7 rows: 4 pages,
    monkeypatch.setattr(leader, "LOG_PAGES_PER_POLL", 1)  # one page a poll

    async def go():
        a = await start_hub(tmp_path / "a", peer_interval_ms=100)
        b = await start_hub(tmp_path / "b", peers=[a.address], peer_interval_ms=100)
        await a.stop()
        await eventually(lambda: b.leader.is_leader(), timeout=10)
        _log(b.registry, 7)
        a2 = await start_hub(tmp_path / "a", peers=[b.address], peer_interval_ms=100)
        assert not a2.leader.is_leader()  # still copying: follows b meanwhile
        assert a2.leader.leader_address() == b.address
        await eventually(lambda: a2.leader.is_leader(), timeout=10)
        for i in range(7):
            assert a2.registry.command("c%03d" % i).state == reg.SENT

    run_stopping_hubs(go(), 60)


def test_a_copied_failure_stops_a_waiting_caller_from_sending(tmp_path):
    async def go():
        a = await start_hub(tmp_path / "a")
        key = provision(a, "d2")
        op = Operator(a.address, a.token)
        waiting = asyncio.ensure_future(
            op.call("d2", "echo", "{}", wait_ms=30000, command_id="q", timeout=30)
        )
        await eventually(lambda: _state(a, "q") == reg.QUEUED)
        # A hub that led meanwhile failed it (it held a copy, queued) and a copied that back.
        row = a.registry.commands_after("", 0, 10)[0][0]
        row.state, row.error_code = reg.FAILED, "UNAVAILABLE"
        row.error_message = "leader changed before it was sent; not run"
        assert a.registry.merge_commands("peer-x", [row]) == ["q"]
        assert a.registry.command("q").origin_hub == ""  # logged here: still ours
        dev = FakeDevice([a.address], "d2", key)
        await dev.connect()
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await waiting
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "not run" in err.value.details()
        await asyncio.sleep(0.2)
        assert dev.received == {}
        await dev.drop()
        await op.close()

    run_stopping_hubs(go(), 30)


def _log(registry, n, result=b""):
    for i in range(n):
        cid = "c%03d" % i
        registry.add_command(cid, "d1", "echo", "{}", reg.now_ms() + 60000, reg.SENT)
        if result:
            res = hub_pb2.CommandResult(command_id=cid, success=True, result=result)
            assert registry.record_result("d1", res)


def test_pages_by_rows_and_bytes_in_seq_order_within_an_epoch(tmp_path):
    leader = Registry(str(tmp_path / "l"))
    _log(leader, 7)
    e = leader.epoch
    rows, more = leader.commands_after(e, 0, 3)
    assert [r.command_id for r in rows] == ["c000", "c001", "c002"] and more
    rows, more = leader.commands_after(e, rows[-1].seq, 3)
    assert [r.command_id for r in rows] == ["c003", "c004", "c005"] and more
    rows, more = leader.commands_after(e, rows[-1].seq, 3)
    assert [r.command_id for r in rows] == ["c006"] and not more
    last = rows[-1].seq
    assert leader.commands_after(e, last, 3) == ([], False)
    leader.fail_command("c001", "UNAVAILABLE", "gone")  # a change moves the row to the end
    rows, _ = leader.commands_after(e, last, 3)
    assert [(r.command_id, r.state) for r in rows] == [("c001", reg.FAILED)]
    assert {r.origin_hub for r in rows} == {leader.hub_identity()[0]}
    # Another epoch (the leader restarted: its numbers may repeat): from the start again.
    rows, _ = leader.commands_after("an-older-run", last, 10)
    assert len(rows) == 7

    big = Registry(str(tmp_path / "big"))
    _log(big, 5, result=b"x" * 300_000)
    rows, more = big.commands_after(big.epoch, 0, 500)
    assert len(rows) == 3 and more  # cut before 1 MB of serialised rows
    assert len(big.commands_after(big.epoch, rows[-1].seq, 500)[0]) == 2
    # Every field counts: error messages (a device's, up to 256 KB) as much as results.
    errs = Registry(str(tmp_path / "errs"))
    for i in range(8):
        cid = "e%d" % i
        errs.add_command(cid, "d1", "echo", "{}", reg.now_ms() + 60000, reg.SENT)
        res = hub_pb2.CommandResult(
            command_id=cid, error_code="INTERNAL", error_message="e" * 250_000
        )
        assert errs.record_result("d1", res)
    rows, more = errs.commands_after(errs.epoch, 0, 500)
    assert len(rows) == 4 and more
    assert sum(r.ByteSize() for r in rows) <= reg.SYNC_MAX_BYTES
    huge = Registry(str(tmp_path / "huge"))
    _log(huge, 2, result=b"x" * 1_200_000)
    rows, more = huge.commands_after(huge.epoch, 0, 500)
    assert len(rows) == 1 and more  # one row over the cap still goes: never an empty page


def test_merge_takes_the_leaders_word_but_never_drops_a_device_result(tmp_path):
    a = Registry(str(tmp_path / "a"))
    b = Registry(str(tmp_path / "b"))
    a_id = a.hub_identity()[0]
    _log(a, 2)
    sent_page, _ = a.commands_after(a.epoch, 0, 10)
    assert b.merge_commands(a_id, sent_page) == []  # copied, nothing finished
    assert b.command("c000").state == reg.SENT and b.command("c000").origin_hub == a_id
    res = hub_pb2.CommandResult(command_id="c000", success=True, result=b"1")
    assert a.record_result("d1", res)
    assert b.merge_commands(a_id, a.commands_after(a.epoch, 0, 10)[0]) == ["c000"]
    done = b.command("c000")
    assert (done.state, done.result, done.recorded_count) == (reg.DONE, b"1", 1)
    assert b.merge_commands(a_id, sent_page) == []  # never replaces a device's result
    assert b.command("c000").state == reg.DONE
    # b fails c001 (a deadline, say) and a copies that; then the device's result recorded on
    # a beats b's failure, and b's failure never beats it back.
    b.fail_command("c001", "DEADLINE_EXCEEDED", "no result before the deadline")
    assert a.merge_commands(b.hub_identity()[0], b.commands_after(b.epoch, 0, 10)[0]) == ["c001"]
    assert a.command("c001").state == reg.FAILED and a.command("c001").origin_hub == ""
    res = hub_pb2.CommandResult(command_id="c001", success=True, result=b"2")
    assert a.record_result("d1", res)  # the device's word replaces the failure
    assert b.merge_commands(a_id, a.commands_after(a.epoch, 0, 10)[0]) == ["c001"]
    assert a.merge_commands(b.hub_identity()[0], b.commands_after(b.epoch, 0, 10)[0]) == []
    assert a.command("c001").result == b"2" and b.command("c001").result == b"2"
    # Equal copies change nothing, so no new numbers: the copies do not echo.
    seq = b.commands_after(b.epoch, 0, 10)[0][-1].seq
    b.merge_commands(a_id, a.commands_after(a.epoch, 0, 10)[0])
    assert b.commands_after(b.epoch, seq, 10) == ([], False)


def test_taking_over_fails_only_queued_commands_logged_elsewhere(tmp_path):
    a = Registry(str(tmp_path / "a"))
    b = Registry(str(tmp_path / "b"))
    a_id = a.hub_identity()[0]
    a.add_command("theirs", "d1", "echo", "{}", reg.now_ms() + 60000)  # queued on a
    b.merge_commands(a_id, a.commands_after(a.epoch, 0, 10)[0])
    b.add_command("ours", "d1", "echo", "{}", reg.now_ms() + 60000)  # queued on b
    assert b.fail_adopted_queued("leader changed before it was sent; not run") == ["theirs"]
    assert b.command("theirs").state == reg.FAILED and b.command("ours").state == reg.QUEUED
    # b lost the lead again meanwhile (a flap): a, still leading, sent it; b takes a's word.
    a.mark_sent("theirs")
    b.merge_commands(a_id, a.commands_after(a.epoch, 0, 10)[0])
    assert b.command("theirs").state == reg.SENT


def test_a_restart_fails_only_its_own_queued_commands(tmp_path):
    a = Registry(str(tmp_path / "a"))
    b = Registry(str(tmp_path / "b"))
    a.add_command("theirs", "d1", "echo", "{}", reg.now_ms() + 60000)
    b.merge_commands(a.hub_identity()[0], a.commands_after(a.epoch, 0, 10)[0])
    b.add_command("ours", "d1", "echo", "{}", reg.now_ms() + 60000)
    b.close()
    b = Registry(str(tmp_path / "b"))
    assert b.fail_queued("hub restarted before sending it; not run") == 1
    assert b.command("ours").state == reg.FAILED and b.command("theirs").state == reg.QUEUED


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
    rows, _ = registry.commands_after(registry.epoch, 0, 10)
    assert [r.command_id for r in rows] == ["old-1", "old-2"]
    assert registry.command("old-1").origin_hub == ""  # this hub's own
    registry.add_command("new-1", "d1", "echo", "{}", 1)
    assert registry.command("new-1").seq > max(r.seq for r in rows)
    registry.close()
    # A build that had `seq` but not `origin_hub` yet: the missing column alone is added.
    db = sqlite3.connect(str(tmp_path / reg.DB_NAME))
    db.executescript(
        "CREATE TABLE c2 AS SELECT command_id, device_id, tool, args_json, deadline_at_ms, "
        "created_ms, state, success, result, error_code, error_message, duration_us, "
        "completed_ms, recorded_count, seq FROM commands; DROP TABLE commands; "
        "ALTER TABLE c2 RENAME TO commands;"
    )
    db.commit()
    db.close()
    registry = Registry(str(tmp_path))
    assert registry.command("new-1").origin_hub == ""
    assert [r.command_id for r in registry.commands_after("", 0, 10)[0]] == [
        "old-1",
        "old-2",
        "new-1",
    ]
