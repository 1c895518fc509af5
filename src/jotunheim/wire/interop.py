"""gRPC interop test client (doc/interop-test-descriptions.md) on both runtimes:
`python -m jotunheim.wire.interop --server_host H --server_port P --test_case NAME[,NAME]`."""

import sys

from jotunheim.wire.grpc import GrpcError, Status, status_name

# The channel and the grpc.testing descriptors load in run_cases(), not at import: this
# module is imported by the device import check, where every KB of heap counts.

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
    return {"body": bytes(size)}


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
    resp = await stub.UnaryCall({"response_size": 314159, "payload": _payload(271828)})
    _zeros_ok(resp["payload"], 314159, "large_unary")


async def client_streaming(ch, stub):
    call = stub.StreamingInputCall()
    for size in _REQ_SIZES:
        await call.send({"payload": _payload(size)})
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


async def ping_pong(ch, stub):
    call = stub.FullDuplexCall()
    for i in range(len(_REQ_SIZES)):
        req = {
            "response_parameters": [{"size": _RESP_SIZES[i]}],
            "payload": _payload(_REQ_SIZES[i]),
        }
        await call.send(req)
        resp = await call.recv()
        check(resp is not None, "ping_pong: stream ended after %d responses" % i)
        _zeros_ok(resp["payload"], _RESP_SIZES[i], "ping_pong #%d" % i)
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


async def custom_metadata(ch, stub):
    from jotunheim._gen.device import grpc_testing_messages as msg_d

    md = [(_ECHO_INITIAL, "test_initial_metadata_value"), (_ECHO_TRAILING, b"\xab\xab\xab")]
    req = {"response_size": 314159, "payload": _payload(271828)}
    path = "/grpc.testing.TestService/UnaryCall"
    call = ch.unary_unary_call(path, msg_d.SimpleRequest, msg_d.SimpleResponse, req, metadata=md)
    resp = await call.response()
    _zeros_ok(resp["payload"], 314159, "custom_metadata unary")
    _check_echoed(call, "custom_metadata unary")
    call = stub.FullDuplexCall(metadata=md)
    await call.send({"response_parameters": [{"size": 314159}], "payload": _payload(271828)})
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
    await call.send({"response_parameters": [{"size": 31415}], "payload": _payload(27182)})
    resp = await call.recv()
    check(resp is not None, "cancel_after_first_response: no first response")
    await call.cancel()
    await _expect_status(call.recv, Status.CANCELLED, None, "cancel_after_first_response")


async def timeout_on_sleeping_server(ch, stub):
    call = stub.FullDuplexCall(timeout=0.001)

    async def run():
        try:  # the deadline may already have passed while sending: that is allowed
            await call.send({"payload": _payload(27182)})
        except GrpcError as exc:
            if exc.status != Status.DEADLINE_EXCEEDED:
                raise
        await call.recv()

    await _expect_status(run, Status.DEADLINE_EXCEEDED, None, "timeout_on_sleeping_server")


CASES = (
    "empty_unary large_unary client_streaming server_streaming ping_pong empty_stream "
    "custom_metadata status_code_and_message special_status_message unimplemented_method "
    "unimplemented_service cancel_after_begin cancel_after_first_response "
    "timeout_on_sleeping_server"
).split()


async def run_cases(host, port, names, ssl=None, server_hostname=None):
    """Runs the named cases on one channel; returns [(name, None | reason)]."""
    from jotunheim._gen.device import grpc_testing_test as test_d
    from jotunheim.wire.channel import Channel, Stub

    ch = Channel(host, port, ssl=ssl, server_hostname=server_hostname)
    await ch.connect()
    stub = Stub(ch, test_d.TestService)
    results = []
    try:
        for name in names:
            fn = globals().get(name) if name in CASES else None
            if fn is None:
                results.append((name, "unknown test case"))
                continue
            try:
                await fn(ch, stub)
                results.append((name, None))
            except (InteropFailure, GrpcError, MemoryError) as exc:
                results.append((name, "%s: %s" % (type(exc).__name__, exc)))
    finally:
        await ch.close()
    return results


def parse_args(argv):
    """--key value / --key=value pairs (MicroPython has no argparse)."""
    opts = {"server_host": "127.0.0.1", "server_port": "10000", "test_case": "empty_unary"}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("--"):
            raise ValueError("unexpected argument %r" % arg)
        if "=" in arg:
            key, value = arg[2:].split("=", 1)
        else:
            if i + 1 >= len(argv):
                raise ValueError("%s needs a value" % arg)
            key, value = arg[2:], argv[i + 1]
            i += 1
        opts[key] = value
        i += 1
    return opts


def main(argv):
    import asyncio

    try:
        opts = parse_args(argv)
        port = int(opts["server_port"])
    except ValueError as exc:
        print("usage error:", exc)
        return 2
    ssl = None
    if opts.get("use_tls", "false") == "true":
        from jotunheim.wire.transport import client_ssl_context

        ssl = client_ssl_context(cafile=opts.get("ca_file"))
    names = opts["test_case"].split(",")
    if names == ["all"]:
        names = CASES
    try:
        results = asyncio.run(
            run_cases(opts["server_host"], port, names, ssl, opts.get("server_host_override"))
        )
    except GrpcError as exc:
        print("FAIL connect: %s" % exc)
        return 1
    failed = 0
    for name, reason in results:
        if reason is None:
            print("PASS %s" % name)
        else:
            failed += 1
            print("FAIL %s: %s" % (name, reason))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
