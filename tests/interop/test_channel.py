"""Channel behaviour against real peers: a grpcio server (concurrency limits, flow control,
deadlines, size limits, PING liveness through a black-holing proxy) and a scripted HTTP/2
server (HTTP status mapping, trailers-only responses, resets, GOAWAY)."""

import asyncio
import os
import subprocess
import sys
import time

import pytest

from jotunheim._gen.device import grpc_testing_messages as msg_d
from jotunheim._gen.device import grpc_testing_test as test_d
from jotunheim.wire.channel import Channel, Stub
from jotunheim.wire.grpc import GrpcError, Status
from tests.interop.fake_h2_server import DETAILS, start_fake_server
from tests.interop.interop_server import start_server
from tests.interop.proxy import FreezableProxy
from tests.mp import ROOT, micropython_binary

HERE = os.path.dirname(os.path.abspath(__file__))


async def _with_channel(port, fn, **kw):
    ch = Channel("127.0.0.1", port, **kw)
    await ch.connect()
    try:
        return await fn(ch, Stub(ch, test_d.TestService))
    finally:
        await ch.close()


def run(port, fn, **kw):
    return asyncio.run(_with_channel(port, fn, **kw))


async def _status_of(coro):
    try:
        await coro
    except GrpcError as exc:
        return exc
    raise AssertionError("call succeeded, expected an error")


def test_many_concurrent_calls_share_one_connection(interop_port):
    async def body(ch, stub):
        async def unary(i):
            r = await stub.UnaryCall({"response_size": i, "payload": {"body": bytes(i)}})
            return len(r["payload"]["body"])

        async def streaming(i):
            params = [{"size": i}] * 3
            return [
                len(m["payload"]["body"])
                async for m in stub.StreamingOutputCall({"response_parameters": params})
            ]

        res = await asyncio.gather(
            *([unary(i * 100) for i in range(40)] + [streaming(i) for i in range(20)])
        )
        assert res[:40] == [i * 100 for i in range(40)]
        assert res[40:] == [[i] * 3 for i in range(20)]
        assert ch._conn.get_next_available_stream_id() == 121  # 60 streams, one connection
        # We advertise a 0-byte HPACK table: grpcio's encoder shrinks its table to match and
        # the responses decoded fine without leaving a header in ours.
        assert ch._conn._decoder.max_size == 0
        assert not ch._conn._decoder.entries

    run(interop_port, body)


def test_calls_wait_for_a_stream_slot_under_max_concurrent_streams():
    server, port = start_server(options=[("grpc.max_concurrent_streams", 1)])
    try:

        async def body(ch, stub):
            params = [{"size": 5, "interval_us": 20000}]

            async def one():
                return [m async for m in stub.StreamingOutputCall({"response_parameters": params})]

            res = await asyncio.gather(*[one() for _ in range(6)])
            assert [len(r) for r in res] == [1] * 6  # none refused (REFUSED_STREAM)

        run(port, body)
    finally:
        server.stop(None)


def test_send_waits_for_flow_control_window(interop_port):
    async def body(ch, stub):
        call = stub.StreamingInputCall()
        for _ in range(20):  # 1.2 MB through 64 KB windows
            await call.send({"payload": {"body": bytes(60000)}})
        resp = await call.response()
        assert resp["aggregated_payload_size"] == 1200000

    run(interop_port, body)


def test_slow_reader_gets_every_message_after_backpressure(interop_port):
    async def body(ch, stub):
        call = stub.StreamingOutputCall({"response_parameters": [{"size": 50000}] * 30})
        first = await call.recv()
        await asyncio.sleep(0.3)  # the server blocks on our window meanwhile
        sizes = [len(first["payload"]["body"])] + [len(m["payload"]["body"]) async for m in call]
        assert sizes == [50000] * 30

    run(interop_port, body, receive_window=65535)


def test_deadline_exceeded_while_server_is_slow(interop_port):
    async def body(ch, stub):
        params = [{"size": 1, "interval_us": 2000000}]
        t0 = time.monotonic()
        call = stub.StreamingOutputCall({"response_parameters": params}, timeout=0.2)
        err = await _status_of(call.recv())
        assert err.status == Status.DEADLINE_EXCEEDED
        assert time.monotonic() - t0 < 1.5
        assert (await stub.EmptyCall({})) == {}  # the connection is still fine

    run(interop_port, body)


def test_response_over_max_receive_size_is_resource_exhausted(interop_port):
    async def body(ch, stub):
        err = await _status_of(stub.UnaryCall({"response_size": 5000}))
        assert err.status == Status.RESOURCE_EXHAUSTED
        r = await stub.UnaryCall({"response_size": 500})
        assert len(r["payload"]["body"]) == 500

    run(interop_port, body, max_receive_message_size=1000)


def test_reserved_metadata_is_rejected_before_sending(interop_port):
    async def body(ch, stub):
        err = await _status_of(stub.EmptyCall({}, metadata=[("grpc-status", "0")]))
        assert err.status == Status.INTERNAL and "reserved" in err.message

    run(interop_port, body)


def test_channel_reconnects_after_close(interop_port):
    async def body():
        ch = Channel("127.0.0.1", interop_port)
        await ch.connect()
        await ch.close()
        err = await _status_of(
            ch.unary_unary(
                "/grpc.testing.TestService/EmptyCall", msg_d.BoolValue, msg_d.BoolValue, {}
            )
        )
        assert err.status == Status.CANCELLED
        await ch.connect()
        assert await Stub(ch, test_d.TestService).EmptyCall({}) == {}
        await ch.close()

    asyncio.run(body())


def test_ping_timeout_fails_calls_on_a_dead_connection(interop_port):
    proxy = FreezableProxy("127.0.0.1", interop_port)
    try:

        async def body(ch, stub):
            call = stub.FullDuplexCall()
            await call.send({"response_parameters": [{"size": 3}]})
            assert (await call.recv())["payload"]["body"] == b"\x00" * 3
            await asyncio.sleep(0.5)  # idle: pings are sent and acknowledged
            proxy.freeze()
            t0 = time.monotonic()
            err = await _status_of(call.recv())
            assert err.status == Status.UNAVAILABLE and "PING" in err.message
            assert time.monotonic() - t0 < 3
            err = await _status_of(stub.EmptyCall({}))
            assert err.status == Status.UNAVAILABLE

        run(proxy.port, body, ping_interval_ms=100, ping_timeout_ms=300)
    finally:
        proxy.close()


def test_ping_timeout_detected_from_micropython(interop_port, mpy_dir):
    proxy = FreezableProxy("127.0.0.1", interop_port)
    env = dict(os.environ, MICROPYPATH=".frozen:" + mpy_dir)
    cmd = [micropython_binary(), "-X", "heapsize=256k", os.path.join(HERE, "mp_liveness.py")]
    proc = subprocess.Popen(
        cmd + [str(proxy.port)],
        env=env,
        cwd=str(ROOT),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("READY"), line + proc.stdout.read()
        proxy.freeze()
        out, _ = proc.communicate(timeout=20)
        assert proc.returncode == 0, out
        assert "STATUS 14" in out
    finally:
        proc.kill()
        proxy.close()


def test_ping_liveness_from_cpython_script(interop_port):
    proxy = FreezableProxy("127.0.0.1", interop_port)
    proc = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "mp_liveness.py"), str(proxy.port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().startswith("READY")
        proxy.freeze()
        out, _ = proc.communicate(timeout=20)
        assert proc.returncode == 0 and "STATUS 14" in out, out
    finally:
        proc.kill()
        proxy.close()


async def _fake_call(kind, **kw):
    server, port = await start_fake_server()
    ch = Channel("127.0.0.1", port, **kw)
    try:
        await ch.connect()
        call = ch.unary_unary_call(
            "/fake/" + kind, msg_d.BoolValue, msg_d.BoolValue, {"value": True}
        )
        return await _status_of(call.response())
    finally:
        await ch.close()
        server.close()


@pytest.mark.parametrize(
    "http,code",
    [
        (400, 13),
        (401, 16),
        (403, 7),
        (404, 12),
        (429, 14),
        (500, 2),
        (502, 14),
        (503, 14),
        (504, 14),
    ],
)
def test_http_status_maps_to_grpc_status(http, code):
    err = asyncio.run(_fake_call("http%d" % http))
    assert err.status == code, err


def test_non_grpc_content_type_is_unknown():
    assert asyncio.run(_fake_call("html")).status == Status.UNKNOWN


def test_trailers_only_response_carries_status_message_details():
    err = asyncio.run(_fake_call("trailers_only"))
    assert (err.status, err.message, err.details) == (5, "not found \u263a", DETAILS)


def test_refused_stream_is_unavailable():
    assert asyncio.run(_fake_call("refused")).status == Status.UNAVAILABLE


def test_stream_without_trailers_is_an_error():
    assert asyncio.run(_fake_call("no_trailers")).status == Status.INTERNAL


def test_stream_ending_inside_a_message_is_internal():
    err = asyncio.run(_fake_call("truncated"))
    assert err.status == Status.INTERNAL and "inside a message" in err.message


def test_goaway_fails_unprocessed_calls_with_unavailable():
    assert asyncio.run(_fake_call("goaway")).status == Status.UNAVAILABLE


def test_graceful_server_shutdown_lets_running_call_finish_then_redials():
    server, port = start_server()

    async def body():
        ch = Channel("127.0.0.1", port)
        await ch.connect()
        stub = Stub(ch, test_d.TestService)
        call = stub.StreamingOutputCall(
            {"response_parameters": [{"size": 7, "interval_us": 300000}]}
        )
        await call.start()
        await asyncio.sleep(0.1)
        stopping = server.stop(grace=5)  # GOAWAY; the running call may finish
        msgs = [m async for m in call]
        assert [len(m["payload"]["body"]) for m in msgs] == [7]
        err = await _status_of(stub.EmptyCall({}))
        assert err.status == Status.UNAVAILABLE
        stopping.wait(5)
        return ch

    try:
        asyncio.run(body())
    finally:
        server.stop(None)


def test_caller_timeout_resets_the_unary_stream(interop_port):
    async def body(ch, stub):
        req = {"response_parameters": [{"size": 1, "interval_us": 3000000}]}
        slow = ch.unary_unary(
            "/grpc.testing.TestService/StreamingOutputCall",
            msg_d.StreamingOutputCallRequest,
            msg_d.StreamingOutputCallResponse,
            req,
        )
        try:
            await asyncio.wait_for(slow, 0.2)
        except asyncio.TimeoutError:
            pass
        else:
            raise AssertionError("the slow call returned")
        assert ch._calls == {}  # forgotten at once, its stream reset
        assert await stub.EmptyCall({}) == {}

    run(interop_port, body)


def test_deadline_counts_while_waiting_for_a_stream_slot():
    server, port = start_server(options=[("grpc.max_concurrent_streams", 1)])
    try:

        async def body(ch, stub):
            busy = stub.StreamingOutputCall(
                {"response_parameters": [{"size": 1, "interval_us": 1500000}]}
            )
            await busy.start()
            t0 = time.monotonic()
            err = await _status_of(stub.EmptyCall({}, timeout=0.2))
            assert err.status == Status.DEADLINE_EXCEEDED
            assert time.monotonic() - t0 < 1.0  # did not wait for the busy call
            assert len([m async for m in busy]) == 1

        run(port, body)
    finally:
        server.stop(None)


def test_send_encoded_sends_a_pre_encoded_request(interop_port):
    from jotunheim.wire import protobuf as pb

    async def body(ch, stub):
        call = stub.StreamingInputCall()
        raw = pb.encode(msg_d.StreamingInputCallRequest, {"payload": {"body": bytes(123)}})
        await call.send_encoded(raw)
        await call.send({"payload": {"body": bytes(7)}})
        assert (await call.response())["aggregated_payload_size"] == 130

    run(interop_port, body)


def test_exhausted_stream_ids_fail_the_connection_and_connect_redials(interop_port):
    from jotunheim.wire.h2conn import H2Error

    async def body(ch, stub):
        def exhausted():
            raise H2Error("stream ids exhausted; open a new connection")

        ch._conn.get_next_available_stream_id = exhausted
        err = await _status_of(stub.EmptyCall({}))
        assert err.status == Status.UNAVAILABLE and "exhausted" in err.message
        await ch.connect()  # a fresh connection with fresh stream ids
        assert await stub.EmptyCall({}) == {}

    run(interop_port, body)


def test_concurrent_connects_share_one_connection(interop_port):
    async def body():
        ch = Channel("127.0.0.1", interop_port)
        await asyncio.gather(ch.connect(), ch.connect(), ch.connect())
        first = ch._transport
        await ch.connect()
        assert ch._transport is first
        assert await Stub(ch, test_d.TestService).EmptyCall({}) == {}
        await ch.close()

    asyncio.run(body())
