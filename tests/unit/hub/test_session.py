"""DeviceHub.Connect against real grpcio clients: handshake, refusals (unknown, revoked,
wrong key, replayed proof), malformed and unexpected messages, heartbeats, dead peers."""

import asyncio
import os

import grpc
import pytest

from jotunheim._gen import hub_pb2
from jotunheim.hub import auth as hub_auth

from .fake_device import CONNECT, FakeDevice, Refused, proof
from .hubtest import Operator, eventually, provision, start_hub


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


async def _hub_and_device(tmp_path, device_id="d1"):
    hub = await start_hub(tmp_path / "hub")
    key = provision(hub, device_id)
    return hub, FakeDevice([hub.address], device_id, key)


def test_proof_is_hmac_sha256_over_label_id_and_nonce():
    key, nonce = bytes(range(32)), bytes(16)
    assert hub_auth.compute_proof(key, "d1", nonce) == proof(key, "d1", nonce)
    assert hub_auth.compute_proof(key, "d2", nonce) != proof(key, "d1", nonce)


def test_device_connects_gets_welcome_and_announces_capabilities(tmp_path):
    async def go():
        hub, dev = await _hub_and_device(tmp_path)
        welcome = await dev.connect()
        assert welcome.session_id and welcome.resume_token and not welcome.resumed
        assert welcome.heartbeat_interval_ms == 200 and welcome.dead_peer_timeout_ms == 1000
        await eventually(lambda: hub.registry.capabilities("d1") is not None)
        assert dev.cap_requests == 1
        assert "d1" in hub.router.sessions
        await dev.drop()
        await eventually(lambda: "d1" not in hub.router.sessions)
        await hub.stop()

    run(go())


@pytest.mark.parametrize(
    "case, code, status",
    [
        ("unknown", "unknown_device", grpc.StatusCode.UNAUTHENTICATED),
        ("wrong_key", "bad_proof", grpc.StatusCode.UNAUTHENTICATED),
        ("revoked", "revoked", grpc.StatusCode.PERMISSION_DENIED),
    ],
)
def test_refuses_bad_identities_with_refusal_and_status(tmp_path, case, code, status):
    async def go():
        hub, dev = await _hub_and_device(tmp_path)
        if case == "unknown":
            dev.device_id = "stranger"
        elif case == "wrong_key":
            dev.key = os.urandom(32)
        else:
            hub.registry.revoke("d1")
        with pytest.raises(Refused) as info:
            await dev.connect()
        assert info.value.refusal.code == code
        assert info.value.code == status
        assert not hub.router.sessions
        await hub.stop()

    run(go())


def test_replayed_proof_is_refused(tmp_path):
    async def go():
        hub, dev = await _hub_and_device(tmp_path)
        await dev.connect()
        recorded = dev.last_hello
        await dev.drop()
        # An eavesdropper replays the recorded Hello on a new stream.
        async with grpc.aio.insecure_channel(hub.address) as ch:
            call = ch.stream_stream(
                CONNECT,
                request_serializer=hub_pb2.DeviceMessage.SerializeToString,
                response_deserializer=hub_pb2.HubMessage.FromString,
            )()
            challenge = await call.read()
            assert len(challenge.challenge.nonce) == 16
            assert challenge.challenge.nonce != b"" and challenge.challenge.protocol_version == 1
            await call.write(hub_pb2.DeviceMessage(hello=recorded))
            msg = await call.read()
            assert msg.refusal.code == "replayed"
            assert await call.code() == grpc.StatusCode.UNAUTHENTICATED
        # The genuine device still gets in with a fresh proof.
        await dev.connect()
        await dev.drop()
        await hub.stop()

    run(go())


def test_nonces_are_single_use_and_random(tmp_path):
    async def go():
        hub = await start_hub(tmp_path / "hub")
        nonces = set()
        async with grpc.aio.insecure_channel(hub.address) as ch:
            for _ in range(5):
                call = ch.stream_stream(
                    CONNECT, response_deserializer=hub_pb2.HubMessage.FromString
                )()
                nonces.add((await call.read()).challenge.nonce)
                call.cancel()
        assert len(nonces) == 5
        await hub.stop()

    run(go())


async def _raw_stream(address, frames):
    """Send raw byte frames as DeviceHub.Connect messages; return (messages, status)."""
    async with grpc.aio.insecure_channel(address) as ch:
        call = ch.stream_stream(CONNECT, response_deserializer=hub_pb2.HubMessage.FromString)()
        got = [await call.read()]
        for frame in frames:
            await call.write(frame)
        while True:
            try:
                msg = await call.read()
            except grpc.aio.AioRpcError:
                break  # the stream ended with an error status, read below
            if msg is grpc.aio.EOF:
                break
            got.append(msg)
        return got, await call.code(), await call.details()


@pytest.mark.parametrize(
    "garbage",
    [b"\xff\xff\xff\xff", b"\x0a\x05abc", b"\x0a\xff\xff\xff\xff\x0f", b"\x12\x02\x08"],
)
def test_malformed_bytes_before_hello_are_refused_and_hub_keeps_serving(tmp_path, garbage):
    async def go():
        hub, dev = await _hub_and_device(tmp_path)
        got, code, details = await _raw_stream(hub.address, [garbage])
        assert got[-1].refusal.code == "malformed"
        assert code == grpc.StatusCode.INVALID_ARGUMENT
        await dev.connect()  # others are unaffected
        await dev.drop()
        await hub.stop()

    run(go())


def test_malformed_message_after_welcome_drops_only_that_device(tmp_path, caplog):
    async def go():
        hub = await start_hub(tmp_path / "hub")
        bad = FakeDevice([hub.address], "bad", provision(hub, "bad"))
        good = FakeDevice([hub.address], "good", provision(hub, "good"))
        await bad.connect()
        await good.connect()
        await eventually(lambda: {"bad", "good"} <= set(hub.router.sessions))
        await bad._call.write(b"\xff\xff\xff")  # bypasses the serializer: raw bytes on the wire
        await asyncio.wait_for(bad.closed.wait(), 5)
        # grpcio's client may report INTERNAL when its own write races the close, so the
        # hub's side is what we check.
        await eventually(lambda: "bad" in hub.router.last_disconnect)
        status, reason = hub.router.last_disconnect["bad"]
        assert status == grpc.StatusCode.INVALID_ARGUMENT
        assert reason.startswith("malformed DeviceMessage")
        await eventually(lambda: "bad" not in hub.router.sessions)
        op = Operator(hub.address, hub.token)
        resp = await op.call("good", "echo", '{"value": 7}')
        assert resp.success and b"7" in resp.result
        await op.close()
        await good.drop()
        await hub.stop()

    run(go())
    assert any("dropping device bad: malformed DeviceMessage" in r.message for r in caplog.records)


@pytest.mark.parametrize(
    "body",
    [
        {"hello": hub_pb2.Hello(device_id="x")},  # a second hello
        {"command_result": hub_pb2.CommandResult()},  # result without an id
    ],
)
def test_unexpected_messages_drop_the_device(tmp_path, body):
    async def go():
        hub, dev = await _hub_and_device(tmp_path)
        await dev.connect()
        await dev.send(**body)
        await asyncio.wait_for(dev.closed.wait(), 5)
        await eventually(lambda: "d1" in hub.router.last_disconnect)
        assert hub.router.last_disconnect["d1"][0] == grpc.StatusCode.INVALID_ARGUMENT
        await dev.connect()  # the same device may come back
        await dev.drop()
        await hub.stop()

    run(go())


def test_message_other_than_hello_first_is_refused(tmp_path):
    async def go():
        hub = await start_hub(tmp_path / "hub")
        hb = hub_pb2.DeviceMessage(heartbeat=hub_pb2.Heartbeat(seq=1)).SerializeToString()
        got, code, _ = await _raw_stream(hub.address, [hb])
        assert got[-1].refusal.code == "malformed" and code == grpc.StatusCode.INVALID_ARGUMENT
        await hub.stop()

    run(go())


def test_unsupported_protocol_version_is_refused(tmp_path):
    async def go():
        hub, dev = await _hub_and_device(tmp_path)
        hello = hub_pb2.DeviceMessage(hello=hub_pb2.Hello(device_id="d1", protocol_version=9))
        got, code, _ = await _raw_stream(hub.address, [hello.SerializeToString()])
        assert got[-1].refusal.code == "unsupported_protocol"
        assert code == grpc.StatusCode.FAILED_PRECONDITION
        await hub.stop()

    run(go())


def test_heartbeats_are_stored_and_pings_answered(tmp_path):
    async def go():
        hub, dev = await _hub_and_device(tmp_path)
        await dev.connect()
        await dev.heartbeat(seq=3, mem_free=4242)
        op = Operator(hub.address, hub.token)

        async def stored():
            return (await op.devices())["d1"].last_heartbeat.mem_free == 4242

        await eventually(stored)
        await eventually(lambda: dev.pings >= 2)  # the hub pings so the device can judge it
        await op.close()
        await dev.drop()
        await hub.stop()

    run(go())


def test_silent_device_is_dropped_as_dead_peer(tmp_path, caplog):
    async def go():
        hub, dev = await _hub_and_device(tmp_path)
        dev._on_ping = _ignore  # a device that stops answering (wedged, or network gone)
        dev.answer_caps = True
        await dev.connect()
        await asyncio.wait_for(dev.closed.wait(), 10)
        assert dev.end_code == grpc.StatusCode.UNAVAILABLE
        assert "d1" not in hub.router.sessions
        await hub.stop()

    run(go())
    assert any("dead peer" in r.message for r in caplog.records)


async def _ignore(call, msg):
    return None


def test_device_without_capability_answer_is_dropped(tmp_path):
    async def go():
        hub, dev = await _hub_and_device(tmp_path)
        dev.answer_caps = False
        await dev.connect()
        await asyncio.wait_for(dev.closed.wait(), 10)
        await eventually(lambda: "d1" in hub.router.last_disconnect)
        assert hub.router.last_disconnect["d1"][0] == grpc.StatusCode.DEADLINE_EXCEEDED
        await hub.stop()

    run(go())


def test_resume_token_resumes_session_and_rotates(tmp_path):
    async def go():
        hub, dev = await _hub_and_device(tmp_path)
        first = await dev.connect()
        await eventually(lambda: hub.registry.capabilities("d1") is not None)
        await dev.drop()
        second = await dev.connect()
        assert second.resumed and second.session_id == first.session_id
        assert second.resume_token != first.resume_token
        await asyncio.sleep(0.3)
        assert dev.cap_requests == 1  # fresh cache: no need to ask again on resume
        await dev.drop()
        dev.resume_token = "forged"
        third = await dev.connect()
        assert not third.resumed and third.session_id != first.session_id
        await dev.drop()
        await hub.stop()

    run(go())


def test_second_session_supersedes_the_first(tmp_path):
    async def go():
        hub, dev = await _hub_and_device(tmp_path)
        twin = FakeDevice([hub.address], "d1", dev.key)
        await dev.connect()
        await twin.connect()
        await asyncio.wait_for(dev.closed.wait(), 5)
        await eventually(lambda: "d1" in hub.router.last_disconnect)
        assert hub.router.last_disconnect["d1"] == (
            grpc.StatusCode.UNAVAILABLE,
            "superseded by a new session",
        )
        assert "d1" in hub.router.sessions
        await twin.drop()
        await hub.stop()

    run(go())


def test_revoking_a_connected_device_closes_its_session(tmp_path):
    async def go():
        hub, dev = await _hub_and_device(tmp_path)
        await dev.connect()
        op = Operator(hub.address, hub.token)
        resp = await op.ops.RevokeDevice(hub_pb2.DeviceRef(device_id="d1"), metadata=op.md)
        assert resp.revoked and resp.was_online
        await asyncio.wait_for(dev.closed.wait(), 5)
        await eventually(lambda: "d1" in hub.router.last_disconnect)
        assert hub.router.last_disconnect["d1"][0] == grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(Refused) as info:
            await dev.connect()
        assert info.value.refusal.code == "revoked"
        await op.close()
        await hub.stop()

    run(go())


def test_connection_without_hello_is_closed_after_the_hello_timeout(tmp_path):
    async def go():
        hub = await start_hub(tmp_path / "hub")
        got, code, _ = await _raw_stream(hub.address, [])  # sends nothing after the challenge
        assert got[0].challenge.nonce and got[-1].refusal.code == "malformed"
        assert code == grpc.StatusCode.DEADLINE_EXCEEDED
        await hub.stop()

    run(go())
