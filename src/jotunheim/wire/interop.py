"""gRPC interop test client (doc/interop-test-descriptions.md) on both runtimes:
`python -m jotunheim.wire.interop --server_host H --server_port P --test_case NAME[,NAME]`."""

import sys

from jotunheim.compat import IS_MICROPYTHON
from jotunheim.wire.grpc import GrpcError

# The cases, the channel and the grpc.testing descriptors load in run_cases(), not at
# import: this module is imported by the device import check, where every KB counts.

# MicroPython collects garbage only when an allocation fails, by which time long-lived
# small objects are spread over the whole heap and large messages find no contiguous
# room. The CLI (an application, like a device's main) therefore has the runtime collect
# after every GC_THRESHOLD bytes allocated: measured, this cuts the smallest heap the
# large-message cases pass with by 20-40% (docs/micropython-notes.md, gRPC section).
GC_THRESHOLD = 8192

CASES = (
    "empty_unary large_unary client_streaming server_streaming ping_pong empty_stream "
    "custom_metadata status_code_and_message special_status_message unimplemented_method "
    "unimplemented_service cancel_after_begin cancel_after_first_response "
    "timeout_on_sleeping_server"
).split()


async def run_cases(host, port, names, ssl=None, server_hostname=None):
    """Runs the named cases on one channel; returns [(name, None | reason)]."""
    from jotunheim._gen.device import grpc_testing_test as test_d
    from jotunheim.wire import interop_cases
    from jotunheim.wire.channel import Channel, Stub

    ch = Channel(host, port, ssl=ssl, server_hostname=server_hostname)
    await ch.connect()
    stub = Stub(ch, test_d.TestService)
    results = []
    try:
        for name in names:
            fn = getattr(interop_cases, name) if name in CASES else None
            if fn is None:
                results.append((name, "unknown test case"))
                continue
            try:
                await fn(ch, stub)
                results.append((name, None))
            except (interop_cases.InteropFailure, GrpcError, MemoryError) as exc:
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

    if IS_MICROPYTHON:
        import gc

        gc.threshold(GC_THRESHOLD)

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
