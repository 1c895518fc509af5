"""Several hubs as real `jotunheim hub` processes: the earliest-created leads, followers
redirect devices and forward operator calls, and a follower takes over when the leader dies."""

import asyncio
import os
import secrets
import signal
import sqlite3
import subprocess
import sys

import grpc
import pytest

from jotunheim._gen import hub_pb2, jotunheim_service_pb2

from .fake_device import FakeDevice, Refused
from .hubtest import Operator, eventually

FAST = [
    "--heartbeat-ms",
    "200",
    "--dead-peer-ms",
    "1500",
    "--peer-interval-ms",
    "200",
    "--capability-timeout-ms",
    "1000",
]


class HubProc:
    def __init__(self, data_dir, peers, token):
        cmd = [sys.executable, "-m", "jotunheim", "hub", "--port", "0", "--data-dir", str(data_dir)]
        for p in peers:
            cmd += ["--peer", p]
        env = dict(os.environ, JOTUNHEIM_TOKEN=token, JOTUNHEIM_LOG="WARNING")
        self.data_dir = data_dir
        self.proc = subprocess.Popen(
            cmd + FAST, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
        )
        self.address = None

    def wait_ready(self):
        self.first_lines = ""
        for line in self.proc.stdout:
            self.first_lines += line
            if " listening on " in line:
                self.address = line.split(" listening on ")[1].split()[0]
                return self
        raise AssertionError("hub exited with %s" % self.proc.wait())

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)


async def _status(address):
    async with grpc.aio.insecure_channel(address) as ch:
        call = ch.unary_unary(
            "/jotunheim.hub.HubPeer/Status",
            request_serializer=hub_pb2.PeerStatusRequest.SerializeToString,
            response_deserializer=hub_pb2.PeerStatus.FromString,
        )
        return await call(hub_pb2.PeerStatusRequest(), timeout=2)


async def _all_follow(addresses, leader):
    async def check():
        for addr in addresses:
            st = await _status(addr)
            if st.leader_address != leader:
                return False
        return True

    await eventually(check, timeout=15)


def _has_identity(data_dir, device_id):
    db = sqlite3.connect(str(data_dir / "hub.sqlite3"))
    try:
        return db.execute("SELECT 1 FROM devices WHERE device_id = ?", (device_id,)).fetchone()
    finally:
        db.close()


async def _reconnect(dev, timeout=20):
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        try:
            return await dev.connect()
        except (Refused, grpc.aio.AioRpcError):
            if loop.time() > end:
                raise
            await asyncio.sleep(0.2)


@pytest.fixture
def hubs(tmp_path):
    started = []
    yield started
    for h in started:
        h.kill()


def test_three_hubs_elect_forward_and_fail_over(tmp_path, hubs):
    token = secrets.token_urlsafe(16)

    def start(name, peers):
        h = HubProc(tmp_path / name, peers, token)
        hubs.append(h)
        return h.wait_ready()

    a = start("a", [])
    b = start("b", [a.address])
    c = start("c", [a.address, b.address])  # created last: never leads while a or b live

    async def go():
        await _all_follow([a.address, b.address, c.address], a.address)
        st = await _status(a.address)
        assert st.is_leader and sorted(st.peers) == sorted([b.address, c.address])

        # Operator calls on a follower are forwarded to the leader.
        op_c = Operator(c.address, token)
        resp = await op_c.ops.ProvisionDevice(
            hub_pb2.ProvisionRequest(device_id="d1"), metadata=op_c.md
        )
        key = bytes.fromhex(resp.key)
        await eventually(lambda: _has_identity(b.data_dir, "d1"), timeout=10)
        await eventually(lambda: _has_identity(c.data_dir, "d1"), timeout=10)

        # A device trying a follower first is redirected to the leader.
        dev = FakeDevice([c.address, b.address], "d1", key)
        await dev.connect()
        assert dev.connected_to == a.address
        op_b = Operator(b.address, token)
        resp = await op_b.call("d1", "echo", '{"value": 1}', wait_ms=5000)
        assert resp.success and resp.result == b'{"echo": 1}'

        # The leader dies: b (next earliest) takes over, the device moves there.
        a.kill()
        await asyncio.wait_for(dev.closed.wait(), 10)
        await _all_follow([b.address, c.address], b.address)
        await _reconnect(dev)
        assert dev.connected_to == b.address
        resp = await op_c.call("d1", "echo", '{"value": 2}', wait_ms=5000)
        assert resp.success and resp.result == b'{"echo": 2}'
        devices = await op_c.devices()
        assert devices["d1"].online

        # The old leader returns (same data dir: same created_at, new port) and leads again;
        # b hands its devices over by closing their sessions.
        a2 = start("a", [b.address, c.address])
        await _all_follow([a2.address, b.address, c.address], a2.address)
        await asyncio.wait_for(dev.closed.wait(), 10)
        await _reconnect(dev)
        assert dev.connected_to == a2.address
        resp = await op_c.call("d1", "echo", '{"value": 3}', wait_ms=5000)
        assert resp.success and resp.result == b'{"echo": 3}'
        await dev.drop()
        await op_b.close()
        await op_c.close()

    asyncio.run(asyncio.wait_for(go(), 90))


def test_follower_refuses_devices_forwards_calls_and_takes_over_in_process(tmp_path, monkeypatch):
    from .hubtest import provision, start_hub

    monkeypatch.setenv("JOTUNHEIM_TOKEN", "cluster-token-" + secrets.token_hex(8))

    async def go():
        a = await start_hub(tmp_path / "a", peer_interval_ms=100)
        b = await start_hub(tmp_path / "b", peers=[a.address], peer_interval_ms=100)
        assert a.token == b.token  # adopted from the environment at first start
        assert a.leader.is_leader() and not b.leader.is_leader()
        assert b.leader.leader_address() == a.address
        await eventually(lambda: b.address in a.leader.peers)  # learnt from b's Status call
        key = provision(a, "d1")
        await eventually(lambda: b.registry.device_key("d1") == (key, False))  # synced
        dev = FakeDevice([b.address], "d1", key)
        with pytest.raises(Refused) as info:
            await dev._connect_to(b.address, True)
        assert info.value.refusal.code == "not_leader"
        assert info.value.refusal.leader_address == a.address
        assert info.value.code == grpc.StatusCode.UNAVAILABLE
        await dev.connect()  # follows the redirect
        assert dev.connected_to == a.address

        op = Operator(b.address, b.token)
        call = op.jot.CallTool(
            jotunheim_service_pb2.ToolCallRequest(
                device_id="d1", tool_name="echo", parameters='{"value": 8}'
            ),
            metadata=op.md + (("x-jotunheim-command-id", "fwd-1"),),
        )
        resp = await call
        assert resp.success and dev.runs == {"fwd-1": 1}
        trailing = dict(await call.trailing_metadata())
        assert trailing["x-jotunheim-command-id"] == "fwd-1"  # relayed from the leader

        async with grpc.aio.insecure_channel(a.address) as ch:
            sync = ch.unary_unary(
                "/jotunheim.hub.HubPeer/SyncDevices",
                request_serializer=hub_pb2.SyncDevicesRequest.SerializeToString,
                response_deserializer=hub_pb2.SyncDevicesResponse.FromString,
            )
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await sync(hub_pb2.SyncDevicesRequest())  # keys travel: token required
            assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED

        await dev.drop()
        await op.close()
        await a.stop()
        await eventually(lambda: b.leader.is_leader(), timeout=10)
        await dev.connect()
        assert dev.connected_to == b.address
        await dev.drop()
        await b.stop()

    asyncio.run(asyncio.wait_for(go(), 60))
