"""gRPC client benchmark: unary calls/s and p50/p99 latency of our client (CPython) against
grpcio's clients (grpc.aio and sync) and grpclib, all on the same local grpcio server in
the same run, printed as ratios; plus the heap one open channel costs under MicroPython."""

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import grpc  # noqa: E402

from jotunheim._gen.device import grpc_testing_messages as msg_d  # noqa: E402
from jotunheim._gen.grpc.testing import messages_pb2, test_pb2_grpc  # noqa: E402
from jotunheim.wire.channel import Channel  # noqa: E402

PATH = "/grpc.testing.TestService/UnaryCall"
SEQUENTIAL = 2000  # calls one after another: latency
CONCURRENT = 16  # calls in flight at once: throughput
PER_WORKER = 250
REQUEST = {"response_size": 16, "payload": {"body": b"x" * 16}}
HEAP = "256k"
ROUNDS = 3


def start_server():
    """The interop grpcio server in its own process (the clients do not share its GIL)."""
    code = (
        "import sys; sys.path.insert(0, %r)\n"
        "from tests.interop.interop_server import start_server\n"
        "s, p = start_server(workers=32); print(p, flush=True); s.wait_for_termination()"
    ) % str(ROOT)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    port = int(proc.stdout.readline())
    return proc, port


def summarize(latencies, total_s, calls):
    lat = sorted(latencies)
    return {
        "p50_ms": lat[len(lat) // 2] * 1000,
        "p99_ms": lat[int(len(lat) * 0.99)] * 1000,
        "calls_s": calls / total_s,
    }


async def run_async(call_once):
    for _ in range(200):  # warm-up
        await call_once()
    lat = []
    t0 = time.perf_counter()
    for _ in range(SEQUENTIAL):
        t = time.perf_counter()
        await call_once()
        lat.append(time.perf_counter() - t)
    seq = summarize(lat, time.perf_counter() - t0, SEQUENTIAL)

    async def worker():
        for _ in range(PER_WORKER):
            await call_once()

    t0 = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(CONCURRENT)])
    seq["concurrent_calls_s"] = CONCURRENT * PER_WORKER / (time.perf_counter() - t0)
    return seq


async def bench_ours(port):
    ch = Channel("127.0.0.1", port)
    await ch.connect()

    async def once():
        await ch.unary_unary(PATH, msg_d.SimpleRequest, msg_d.SimpleResponse, REQUEST)

    try:
        return await run_async(once)
    finally:
        await ch.close()


def _pb_request():
    return messages_pb2.SimpleRequest(
        response_size=16, payload=messages_pb2.Payload(body=b"x" * 16)
    )


async def bench_grpc_aio(port):
    async with grpc.aio.insecure_channel("127.0.0.1:%d" % port) as ch:
        stub = test_pb2_grpc.TestServiceStub(ch)
        req = _pb_request()

        async def once():
            await stub.UnaryCall(req)

        return await run_async(once)


async def bench_grpclib(port):
    from grpclib.client import Channel as GChannel
    from grpclib.client import UnaryUnaryMethod

    ch = GChannel("127.0.0.1", port)
    method = UnaryUnaryMethod(ch, PATH, messages_pb2.SimpleRequest, messages_pb2.SimpleResponse)
    req = _pb_request()

    async def once():
        await method(req)

    try:
        return await run_async(once)
    finally:
        ch.close()


def bench_grpc_sync(port):
    from concurrent.futures import ThreadPoolExecutor

    ch = grpc.insecure_channel("127.0.0.1:%d" % port)
    stub = test_pb2_grpc.TestServiceStub(ch)
    req = _pb_request()
    for _ in range(200):
        stub.UnaryCall(req)
    lat = []
    t0 = time.perf_counter()
    for _ in range(SEQUENTIAL):
        t = time.perf_counter()
        stub.UnaryCall(req)
        lat.append(time.perf_counter() - t)
    res = summarize(lat, time.perf_counter() - t0, SEQUENTIAL)

    def worker():
        for _ in range(PER_WORKER):
            stub.UnaryCall(req)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENT) as pool:
        for f in [pool.submit(worker) for _ in range(CONCURRENT)]:
            f.result()
    res["concurrent_calls_s"] = CONCURRENT * PER_WORKER / (time.perf_counter() - t0)
    ch.close()
    return res


MP_SCRIPT = (
    """
import gc, asyncio, sys
from jotunheim.wire.channel import Channel
from jotunheim._gen.device import grpc_testing_messages as m
async def main(port):
    # MicroPython's asyncio loads event/lock/stream submodules on first use; they serve the
    # whole runtime, so load them first and count only the channel's own state.
    asyncio.Event(), asyncio.Lock(), asyncio.open_connection
    gc.collect()
    base = gc.mem_alloc()
    ch = Channel("127.0.0.1", port)
    await ch.connect()
    gc.collect()
    connected = gc.mem_alloc() - base
    await ch.unary_unary("%s", m.SimpleRequest, m.SimpleResponse,
                         {"response_size": 16, "payload": {"body": b"x" * 16}})
    gc.collect()
    after_call = gc.mem_alloc() - base
    await ch.close()
    print('{"connected": %%d, "after_call": %%d}' %% (connected, after_call))
asyncio.run(main(int(sys.argv[1])))
"""
    % PATH
)


def bench_micropython_heap(port):
    from tests.interop.mpbuild import compile_device_runtime
    from tests.mp import micropython_binary

    mpy = compile_device_runtime()
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "channel_heap.py"
        script.write_text(MP_SCRIPT)
        env = dict(os.environ, MICROPYPATH=".frozen:" + mpy)
        proc = subprocess.run(
            [micropython_binary(), "-X", "heapsize=" + HEAP, str(script), str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    if proc.returncode != 0:
        raise SystemExit("MicroPython heap run failed:\n" + proc.stdout + proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    server, port = start_server()
    clients = {
        "jotunheim (ours)": lambda: asyncio.run(bench_ours(port)),
        "grpcio aio": lambda: asyncio.run(bench_grpc_aio(port)),
        "grpcio sync": lambda: bench_grpc_sync(port),
        "grpclib": lambda: asyncio.run(bench_grpclib(port)),
    }
    runs = {name: [] for name in clients}
    try:
        # Interleaved rounds, median per figure: the machine is shared, and load that
        # comes and goes should not favour whichever client happened to run first.
        for _ in range(ROUNDS):
            for name, fn in clients.items():
                runs[name].append(fn())
        heap = bench_micropython_heap(port)
    finally:
        server.kill()
        server.wait()
    results = {
        name: {k: sorted(r[k] for r in rs)[len(rs) // 2] for k in rs[0]}
        for name, rs in runs.items()
    }
    ours = results["jotunheim (ours)"]
    print("unary UnaryCall (16-byte payloads) against one local grpcio server, same run")
    print(
        "%d sequential calls, then %d workers x %d calls concurrently; median of %d rounds"
        % (SEQUENTIAL, CONCURRENT, PER_WORKER, ROUNDS)
    )
    print("%-18s %9s %9s %9s %12s" % ("client", "calls/s", "p50 ms", "p99 ms", "conc calls/s"))
    for name, r in results.items():
        print(
            "%-18s %9.0f %9.3f %9.3f %12.0f"
            % (name, r["calls_s"], r["p50_ms"], r["p99_ms"], r["concurrent_calls_s"])
        )
    print("ratios (ours / peer; > 1 means we are faster):")
    for name, r in results.items():
        if r is ours:
            continue
        print(
            "  vs %-14s sequential calls/s x%.2f, concurrent calls/s x%.2f, p50 latency x%.2f"
            % (
                name,
                ours["calls_s"] / r["calls_s"],
                ours["concurrent_calls_s"] / r["concurrent_calls_s"],
                r["p50_ms"] / ours["p50_ms"],
            )
        )
    target = results["grpcio aio"]["calls_s"]
    print(
        "target (>= grpcio aio sequential calls/s): %s"
        % ("met" if ours["calls_s"] >= target else "NOT met")
    )
    print(
        "MicroPython (heap %s, runtime as .mpy): one open channel costs %.1f KB of heap "
        "(%.1f KB after its first call: HPACK tables, stream bookkeeping)"
        % (HEAP, heap["connected"] / 1024, heap["after_call"] / 1024)
    )


if __name__ == "__main__":
    main()
