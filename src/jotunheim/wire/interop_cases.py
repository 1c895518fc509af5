"""The 14 gRPC interop test cases (doc/interop-test-descriptions.md), each an
`async def case(channel, stub)` that raises InteropFailure or GrpcError on failure."""

from jotunheim.wire.grpc import GrpcError, Status, status_name

_REQ_SIZES = (27182, 8, 1828, 45904)
_RESP_SIZES = (31415, 9, 2653, 58979)
_ECHO_INITIAL = "x-grpc-test-echo-initial"
_ECHO_TRAILING = "x-grpc-test-echo-trailing-bin"
_SPECIAL = "\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \U0001f608\t\n"


class InteropFailure(Exception):
    """A test case saw something the interop spec does not allow."""


def check(cond, what):
    if not cond:
        raise InteropFailure(what)


def _zeros_ok(payload, size, what):
    body = (payload or {}).get("body", b"")
    check(len(body) == size, "%s: payload size %d, expected %d" % (what, len(body), size))
    check(body.count(b"\x00") == size, "%s: payload is not all zeros" % what)


def _payload(size):
    return {"body": bytes(size)}  # built once; the channel sends it without copying


# MicroPython's GC scans the whole operand stack of a suspended coroutine, where the
# arguments of calls it made linger: a request built inside a test coroutine would stay
# alive while that coroutine awaits the response. Requests are therefore built in these
# plain functions (their frames are gone once they return the call's coroutine), and each
# exchange that holds a large response runs in a coroutine of its own.
def _request(size, response_size=None):
    req = {"payload": _payload(size)}
    if response_size is not None:
        req["response_parameters"] = [{"size": response_size}]
    return req


def _send(call, size, response_size=None):
    return call.send(_request(size, response_size))


def _unary(method, response_size, size, **kw):
    return method({"response_size": response_size, "payload": _payload(size)}, **kw)


async def _expect_status(coro_fn, code, message=None, what="call"):
    try:
        await coro_fn()
    except GrpcError as exc:
        check(
            exc.status == code,
            "%s: status %s (%s), expected %s"
            % (what, status_name(exc.status), exc.message, status_name(code)),
        )
        if message is not None:
            check(
                exc.message == message, "%s: message %r, expected %r" % (what, exc.message, message)
            )
        return exc
    raise InteropFailure("%s: succeeded, expected %s" % (what, status_name(code)))


async def empty_unary(ch, stub):
    resp = await stub.EmptyCall({})
    check(resp == {}, "empty_unary: response %r is not empty" % resp)


async def large_unary(ch, stub):
    resp = await _unary(stub.UnaryCall, 314159, 271828)
    _zeros_ok(resp["payload"], 314159, "large_unary")


async def client_streaming(ch, stub):
    call = stub.StreamingInputCall()
    for size in _REQ_SIZES:
        await _send(call, size)
    resp = await call.response()
    got = resp["aggregated_payload_size"]
    check(got == 74922, "client_streaming: aggregated size %d, expected 74922" % got)


async def server_streaming(ch, stub):
    params = [{"size": s} for s in _RESP_SIZES]
    n = 0
    async for resp in stub.StreamingOutputCall({"response_parameters": params}):
        check(n < len(_RESP_SIZES), "server_streaming: too many responses")
        _zeros_ok(resp["payload"], _RESP_SIZES[n], "server_streaming #%d" % n)
        n += 1
    check(n == len(_RESP_SIZES), "server_streaming: %d responses, expected 4" % n)


async def _ping(call, i):
    await _send(call, _REQ_SIZES[i], _RESP_SIZES[i])
    resp = await call.recv()
    check(resp is not None, "ping_pong: stream ended after %d responses" % i)
    _zeros_ok(resp["payload"], _RESP_SIZES[i], "ping_pong #%d" % i)


async def ping_pong(ch, stub):
    call = stub.FullDuplexCall()
    for i in range(len(_REQ_SIZES)):
        await _ping(call, i)
    await call.done_writing()
    check(await call.recv() is None, "ping_pong: extra response after the last request")


async def empty_stream(ch, stub):
    call = stub.FullDuplexCall()
    await call.done_writing()
    check(await call.recv() is None, "empty_stream: got a response")


def _check_echoed(call, what):
    initial = call.initial_metadata()
    check(
        (_ECHO_INITIAL, "test_initial_metadata_value") in initial,
        "%s: initial metadata %r lacks the echo" % (what, initial),
    )
    trailing = call.trailing_metadata()
    check(
        (_ECHO_TRAILING, b"\xab\xab\xab") in trailing,
        "%s: trailing metadata %r lacks the echo" % (what, trailing),
    )


_MD = [(_ECHO_INITIAL, "test_initial_metadata_value"), (_ECHO_TRAILING, b"\xab\xab\xab")]


async def _custom_metadata_unary(ch):
    from jotunheim._gen.device import grpc_testing_messages as msg_d

    path = "/grpc.testing.TestService/UnaryCall"
    req_d, resp_d = msg_d.SimpleRequest, msg_d.SimpleResponse

    def make(req):
        return ch.unary_unary_call(path, req_d, resp_d, req, metadata=_MD)

    call = _unary(make, 314159, 271828)
    resp = await call.response()
    _zeros_ok(resp["payload"], 314159, "custom_metadata unary")
    _check_echoed(call, "custom_metadata unary")


async def custom_metadata(ch, stub):
    await _custom_metadata_unary(ch)
    await _custom_metadata_duplex(stub)


async def _custom_metadata_duplex(stub):
    call = stub.FullDuplexCall(metadata=_MD)
    await _send(call, 271828, 314159)
    await call.done_writing()
    resp = await call.recv()
    check(resp is not None, "custom_metadata: no full-duplex response")
    _zeros_ok(resp["payload"], 314159, "custom_metadata full-duplex")
    check(await call.recv() is None, "custom_metadata: extra full-duplex response")
    _check_echoed(call, "custom_metadata full-duplex")


async def _status_case(stub, message, what):
    status = {"code": 2, "message": message}

    async def unary():
        await stub.UnaryCall({"response_status": status})

    await _expect_status(unary, Status.UNKNOWN, message, what + " unary")

    async def duplex():
        call = stub.FullDuplexCall()
        await call.send({"response_status": status})
        await call.done_writing()
        while await call.recv() is not None:
            pass

    await _expect_status(duplex, Status.UNKNOWN, message, what + " full-duplex")


async def status_code_and_message(ch, stub):
    await _status_case(stub, "test status message", "status_code_and_message")


async def special_status_message(ch, stub):
    async def unary():
        await stub.UnaryCall({"response_status": {"code": 2, "message": _SPECIAL}})

    await _expect_status(unary, Status.UNKNOWN, _SPECIAL, "special_status_message")


async def unimplemented_method(ch, stub):
    async def call():
        await stub.UnimplementedCall({})

    await _expect_status(call, Status.UNIMPLEMENTED, None, "unimplemented_method")


async def unimplemented_service(ch, stub):
    from jotunheim._gen.device import grpc_testing_test as test_d
    from jotunheim.wire.channel import Stub

    other = Stub(ch, test_d.UnimplementedService)

    async def call():
        await other.UnimplementedCall({})

    await _expect_status(call, Status.UNIMPLEMENTED, None, "unimplemented_service")


async def cancel_after_begin(ch, stub):
    call = stub.StreamingInputCall()
    await call.start()
    await call.cancel()
    await _expect_status(call.response, Status.CANCELLED, None, "cancel_after_begin")


async def cancel_after_first_response(ch, stub):
    call = stub.FullDuplexCall()
    await _send(call, 27182, 31415)
    resp = await call.recv()
    check(resp is not None, "cancel_after_first_response: no first response")
    await call.cancel()
    await _expect_status(call.recv, Status.CANCELLED, None, "cancel_after_first_response")


async def timeout_on_sleeping_server(ch, stub):
    call = stub.FullDuplexCall(timeout=0.001)

    async def run():
        try:  # the deadline may already have passed while sending: that is allowed
            await _send(call, 27182)
        except GrpcError as exc:
            if exc.status != Status.DEADLINE_EXCEEDED:
                raise
        await call.recv()

    await _expect_status(run, Status.DEADLINE_EXCEEDED, None, "timeout_on_sleeping_server")
