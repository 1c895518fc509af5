"""Peer links over TLS (`--peer-ca`): hubs verify each other against the cluster CA for
election, identity sync and forwarding; a hub signed by another CA is never followed; a
cluster without it warns once that its peer links are plaintext."""

import asyncio
import logging
import os
import secrets
import signal
import subprocess
import sys
import time

import grpc
import pytest

from jotunheim._gen import hub_pb2
from jotunheim.hub.leader import PLAINTEXT_WARNING, PeerTls, PeerTlsError
from tests.interop.certs import make_certs

from .fake_device import FakeDevice, Refused
from .hubtest import Operator, eventually, provision, start_hub

INTERVAL_MS = 100


@pytest.fixture
def pki(tmp_path):
    """The cluster's CA and a hub certificate for 127.0.0.1/localhost, plus a stranger's."""
    (tmp_path / "ca").mkdir()
    (tmp_path / "other-ca").mkdir()
    return make_certs(tmp_path / "ca"), make_certs(tmp_path / "other-ca")


def _read(path):
    with open(path, "rb") as f:
        return f.read()


async def _tls_hub(data_dir, certs, peers=()):
    return await start_hub(
        data_dir,
        peers=list(peers),
        peer_interval_ms=INTERVAL_MS,
        tls=("127.0.0.1", 0, certs["cert"], certs["key"]),
        peer_tls=PeerTls(_read(certs["ca_pem"])),
    )


def _plain(hub):
    return "127.0.0.1:%d" % hub.port


def test_three_hubs_elect_sync_forward_and_fail_over_over_tls(tmp_path, pki, monkeypatch):
    certs, _ = pki
    token = "cluster-" + secrets.token_hex(8)
    monkeypatch.setenv("JOTUNHEIM_TOKEN", token)
    device_creds = grpc.ssl_channel_credentials(_read(certs["ca_pem"]))

    async def go():
        a = await _tls_hub(tmp_path / "a", certs)
        b = await _tls_hub(tmp_path / "b", certs, [a.address])
        c = await _tls_hub(tmp_path / "c", certs, [b.address])  # learns a by gossip
        hubs = [a, b, c]
        try:
            # Every hub advertises its TLS address, and only TLS addresses travel.
            for h in hubs:
                assert h.address == h.tls_address != _plain(h)
            await eventually(lambda: all(h.leader.leader_address() == a.address for h in hubs))
            await eventually(lambda: set(a.leader.peers) == {b.address, c.address})
            assert a.leader.is_leader() and not b.leader.is_leader()

            # Identity sync over TLS: a key provisioned on the leader reaches the followers.
            key = provision(a, "d1")
            await eventually(lambda: b.registry.device_key("d1") == (key, False))
            await eventually(lambda: c.registry.device_key("d1") == (key, False))

            # A device trying a follower is redirected to the leader's TLS address.
            dev = FakeDevice([c.address], "d1", key, credentials=device_creds)
            with pytest.raises(Refused) as info:
                await dev._connect_to(c.address, True)
            assert info.value.refusal.leader_address == a.address
            await dev.connect()
            assert dev.connected_to == a.address

            # An operator call on a follower (its loopback port) is forwarded to the leader
            # over the verified link, token and all.
            op_c = Operator(_plain(c), token)
            resp = await op_c.call("d1", "echo", '{"value": 5}', command_id="tls-fwd-1")
            assert resp.success and resp.result == b'{"echo": 5}'
            assert dev.runs == {"tls-fwd-1": 1}
            await op_c.ops.ProvisionDevice(
                hub_pb2.ProvisionRequest(device_id="d2"), metadata=op_c.md
            )
            assert a.registry.device_key("d2") is not None  # created on the leader
            await eventually(lambda: c.registry.device_key("d2") is not None)

            # The leader stops: b (next earliest) takes over, c follows, the device moves.
            dev.addresses = [a.address, b.address, c.address]
            await a.stop()
            hubs.remove(a)
            await eventually(lambda: b.leader.is_leader(), timeout=10)
            await eventually(lambda: c.leader.leader_address() == b.address, timeout=10)
            await asyncio.wait_for(dev.closed.wait(), 10)
            await eventually(_reconnects(dev), timeout=10)
            assert dev.connected_to == b.address
            resp = await op_c.call("d1", "echo", '{"value": 6}', wait_ms=5000)
            assert resp.success and resp.result == b'{"echo": 6}'
            await dev.drop()
            await op_c.close()
        finally:
            for h in hubs:
                await h.stop()

    asyncio.run(asyncio.wait_for(go(), 60))


def _reconnects(dev):
    async def attempt():
        try:
            await dev.connect()
        except (Refused, grpc.aio.AioRpcError):
            return False
        return True

    return attempt


def test_hub_signed_by_another_ca_is_never_followed_nor_synced(tmp_path, pki, caplog):
    certs, stranger_certs = pki
    caplog.set_level(logging.WARNING, logger="jotunheim.hub.leader")

    async def go():
        # The stranger is created first: were it trusted, it would lead the cluster.
        x = await _tls_hub(tmp_path / "x", stranger_certs)
        provision(x, "planted")
        a = await _tls_hub(tmp_path / "a", certs, [x.address])
        b = await _tls_hub(tmp_path / "b", certs, [a.address, x.address])
        hubs = [x, a, b]
        try:
            assert x.created_at_ms <= a.created_at_ms
            await eventually(lambda: b.leader.leader_address() == a.address)
            for _ in range(10):  # many poll rounds: the stranger never wins one
                assert a.leader.is_leader()
                assert b.leader.leader_id == a.hub_id
                await asyncio.sleep(INTERVAL_MS / 1000)
            assert a.registry.device_key("planted") is None
            assert b.registry.device_key("planted") is None
            assert not x.leader.peers  # our Status calls never reached it
        finally:
            for h in hubs:
                await h.stop()
        return x, a, b

    x, a, b = asyncio.run(asyncio.wait_for(go(), 30))
    why = [r.getMessage() for r in caplog.records if "failed TLS verification" in r.getMessage()]
    assert len(why) == 2, why  # once per hub that dialled it, not once per poll
    for line in why:
        assert "peer %s " % x.address in line
        assert "certificate" in line.lower()
    assert a.token not in caplog.text


def test_peer_tls_rejects_a_file_without_certificates(tmp_path):
    with pytest.raises(PeerTlsError, match="no PEM certificate"):
        PeerTls(b"not a certificate")
    with pytest.raises(PeerTlsError, match="peer CA .*missing"):
        PeerTls.from_file(str(tmp_path / "missing"))


def test_peer_tls_needs_the_hubs_own_tls_port(tmp_path, pki):
    from jotunheim.hub.server import Hub

    certs, _ = pki
    peer_tls = PeerTls(_read(certs["ca_pem"]))
    with pytest.raises(PeerTlsError, match="--tls-port"):
        Hub(str(tmp_path / "h1"), peer_tls=peer_tls)
    with pytest.raises(PeerTlsError, match="--advertise"):
        Hub(
            str(tmp_path / "h2"), tls=("0.0.0.0", 0, certs["cert"], certs["key"]), peer_tls=peer_tls
        )


class _CliHub:
    def __init__(self, data_dir, *extra):
        cmd = [sys.executable, "-m", "jotunheim", "hub", "--port", "0", "--data-dir", str(data_dir)]
        cmd += ["--peer-interval-ms", str(INTERVAL_MS), *extra]
        env = dict(os.environ, JOTUNHEIM_TOKEN="cli-" + secrets.token_hex(8))
        env["JOTUNHEIM_LOG"] = "WARNING"
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )

    def ready(self):
        """The `hub ... listening on ADDR (role)` line's address and role."""
        for line in self.proc.stdout:
            if " listening on " in line:
                rest = line.split(" listening on ")[1]
                return rest.split()[0], rest.split("(", 1)[1].rstrip(")\n")
        raise AssertionError("hub exited: %s" % self.proc.communicate()[1])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            _, err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err


def test_cli_peer_ca_advertises_tls_and_plaintext_peers_warn_once(tmp_path, pki):
    certs, _ = pki
    tls = ["--tls-port", "0", "--tls-host", "127.0.0.1"]
    tls += ["--tls-cert", certs["cert"], "--tls-key", certs["key"], "--peer-ca", certs["ca_pem"]]
    started = []
    try:
        a = _CliHub(tmp_path / "a", *tls)
        started.append(a)
        a_addr, a_role = a.ready()
        b = _CliHub(tmp_path / "b", "--peer", a_addr, *tls)
        started.append(b)
        plain = _CliHub(tmp_path / "p", "--peer", "127.0.0.1:1")  # a peer that never answers
        started.append(plain)
        b_addr, b_role = b.ready()
        plain.ready()
        assert a_role == "leader" and b_role == "follower of " + a_addr
        # Advertised addresses are the TLS ports (their banner printed just before).
        asyncio.run(asyncio.wait_for(_status_over_tls(b_addr, certs["ca_pem"], a_addr), 10))
        time.sleep(0.5)  # several more poll rounds: still one warning
    finally:
        errs = [h.stop() for h in started]
    assert all(PLAINTEXT_WARNING not in e for e in errs[:2]), errs[:2]
    assert errs[2].count(PLAINTEXT_WARNING) == 1, errs[2]


async def _status_over_tls(address, ca_file, leader):
    creds = grpc.ssl_channel_credentials(_read(ca_file))
    async with grpc.aio.secure_channel(address, creds) as ch:
        call = ch.unary_unary(
            "/jotunheim.hub.HubPeer/Status",
            request_serializer=hub_pb2.PeerStatusRequest.SerializeToString,
            response_deserializer=hub_pb2.PeerStatus.FromString,
        )
        st = await call(hub_pb2.PeerStatusRequest(), timeout=5)
    assert st.address == address and st.leader_address == leader


def test_cli_refuses_peer_ca_without_tls_port(tmp_path, pki):
    certs, _ = pki
    cmd = [sys.executable, "-m", "jotunheim", "hub", "--port", "0", "--data-dir", str(tmp_path)]
    cmd += ["--peer-ca", certs["ca_pem"]]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    assert out.returncode != 0 and "--tls-port" in out.stderr


def test_peer_server_name_replaces_the_dialled_host_in_the_check(tmp_path, pki, caplog):
    certs, _ = pki  # the certificate names localhost and 127.0.0.1
    caplog.set_level(logging.WARNING, logger="jotunheim.hub.leader")
    ca = _read(certs["ca_pem"])
    tls = ("127.0.0.1", 0, certs["cert"], certs["key"])

    async def go():
        a = await _tls_hub(tmp_path / "a", certs)
        b = await start_hub(
            tmp_path / "b",
            peers=[a.address],
            peer_interval_ms=INTERVAL_MS,
            tls=tls,
            peer_tls=PeerTls(ca, server_name="localhost"),
        )
        c = await start_hub(
            tmp_path / "c",
            peers=[a.address],
            peer_interval_ms=INTERVAL_MS,
            tls=tls,
            peer_tls=PeerTls(ca, server_name="elsewhere.example"),
        )
        try:
            await eventually(lambda: b.leader.leader_address() == a.address)
            assert c.leader.is_leader()  # a's certificate does not name elsewhere.example
        finally:
            for h in (c, b, a):
                await h.stop()
        return a

    a = asyncio.run(asyncio.wait_for(go(), 30))
    why = [r.getMessage() for r in caplog.records if "failed TLS verification" in r.getMessage()]
    assert len(why) == 1 and ("peer %s " % a.address) in why[0], why
    assert "hostname" in why[0].lower()
