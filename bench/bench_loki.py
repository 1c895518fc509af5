"""Loki benchmark: Script_ call throughput and latency over gRPC beside the in-process floors.

Floors measured in the same run: the bare Lua function through lupa (no sandbox), one sandboxed
LuaEngine.run (fresh env, hook, memory limit), LokiCore.run (typed params, admission, engine),
and a grpcio echo server with the same messages (the cost of gRPC itself).
Targets (issue 4): >= 5,000 calls/s and <= 200 us server-side overhead for a trivial script.
"""

import json
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent import futures

import grpc
from lupa import lua54

from jotunheim._gen import loki_pb2 as pb
from jotunheim.loki.core import LokiCore
from jotunheim.loki.engine import CallContext, LuaEngine
from jotunheim.loki.settings import Limits, LokiSettings

SOURCE = "return params.a + params.b"
PARAMS = {"a": "1", "b": "2"}


def per_call_us(fn, n):
    for _ in range(min(n // 10, 2000)):
        fn()
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n * 1e6


def paired_latencies_us(fn_a, fn_b, n):
    """(p50, p99) of fn_a and of fn_b, calls interleaved so both see the same machine load."""
    for _ in range(200):
        fn_a()
        fn_b()
    a, b = [], []
    for _ in range(n):
        t = time.perf_counter()
        fn_a()
        t2 = time.perf_counter()
        fn_b()
        t3 = time.perf_counter()
        a.append((t2 - t) * 1e6)
        b.append((t3 - t2) * 1e6)
    a.sort()
    b.sort()
    p99 = int(n * 0.99) - 1
    return (statistics.median(a), a[p99]), (statistics.median(b), b[p99])


def throughput(method, request, seconds=3.0, window=16):
    """Calls/s with `window` calls in flight from one client (futures on one channel)."""
    done = 0
    sem = threading.Semaphore(window)
    lock = threading.Lock()
    errors = []

    def finished(f):
        nonlocal done
        if f.exception() is not None:
            errors.append(f.exception())
        with lock:
            done += 1
        sem.release()

    end = time.perf_counter() + seconds
    start = time.perf_counter()
    issued = 0
    while time.perf_counter() < end:
        sem.acquire()
        method.future(request, timeout=10).add_done_callback(finished)
        issued += 1
    for _ in range(window):
        sem.acquire()
    elapsed = time.perf_counter() - start
    if errors:
        raise RuntimeError("%d calls failed, first: %s" % (len(errors), errors[0]))
    return issued / elapsed


def echo_server_main() -> int:
    """The peer: a grpcio server answering with a fixed ScriptResult (gRPC's own cost)."""

    def handler(request, context):
        return pb.ScriptResult(success=True, output="3", metadata={"type": "Integer"})

    generic = grpc.method_handlers_generic_handler(
        "bench.Echo",
        {
            "Call": grpc.unary_unary_rpc_method_handler(
                handler,
                request_deserializer=pb.ScriptInput.FromString,
                response_serializer=pb.ScriptResult.SerializeToString,
            )
        },
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=48))
    server.add_generic_rpc_handlers((generic,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print("echo listening on 127.0.0.1:%d" % port, flush=True)
    server.wait_for_termination()
    return 0


def spawn(args):
    proc = subprocess.Popen(
        [sys.executable] + args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    line = proc.stdout.readline()
    if "listening on" not in line:
        proc.kill()
        raise RuntimeError("server did not start: %r" % line)
    return proc, int(line.rsplit(":", 1)[1])


def unary(channel, path):
    return channel.unary_unary(
        path,
        request_serializer=pb.ScriptInput.SerializeToString,
        response_deserializer=pb.ScriptResult.FromString,
    )


def client_rate(args):
    """One client process: calls/s against (port, path) with a window of calls in flight."""
    port, path, seconds = args
    channel = grpc.insecure_channel("127.0.0.1:%d" % port)
    rate = throughput(unary(channel, path), pb.ScriptInput(parameters=PARAMS), seconds)
    channel.close()
    return rate


def main() -> int:
    n = 20000
    rt = lua54.LuaRuntime()
    bare = rt.eval("function(p) return p.a + p.b end")
    table = rt.table_from({"a": 1, "b": 2})
    bare_us = per_call_us(lambda: bare(table), n)

    engine = LuaEngine()
    limits = Limits()
    engine_us = per_call_us(
        lambda: engine.run(
            "add", SOURCE, {"a": 1, "b": 2}, limits, CallContext("add", time.monotonic() + 5)
        ),
        n,
    )
    with tempfile.TemporaryDirectory() as data:
        core = LokiCore(LokiSettings(data_dir=data, port=0))
        core.register(
            "add",
            "",
            "lua",
            [{"name": "a", "type": "Number"}, {"name": "b", "type": "Number"}],
            "Number",
            SOURCE,
            None,
        )
        definition = core.lookup("add")
        core_us = per_call_us(lambda: core.run(definition, PARAMS), n)
        core.close()

    clients = 2
    with tempfile.TemporaryDirectory() as data:
        tools = os.path.join(data, "tools.json")
        with open(tools, "w") as fh:
            json.dump(
                {
                    "tools": [
                        {
                            "name": "add",
                            "script": SOURCE,
                            "return_type": "Number",
                            "limits": {"max_concurrent": 8},
                            "parameters": [
                                {"name": "a", "type": "Number"},
                                {"name": "b", "type": "Number"},
                            ],
                        }
                    ]
                },
                fh,
            )
        loki, loki_port = spawn(
            [
                "-m",
                "jotunheim",
                "loki",
                "serve",
                "--port",
                "0",
                "--data-dir",
                os.path.join(data, "d"),
                "--tools",
                tools,
                "--log-level",
                "ERROR",
            ]
        )
        echo, echo_port = spawn([os.path.abspath(__file__), "--echo-server"])
        try:
            loki_ch = grpc.insecure_channel("127.0.0.1:%d" % loki_port)
            echo_ch = grpc.insecure_channel("127.0.0.1:%d" % echo_port)
            script = unary(loki_ch, "/loki.LokiService/Script_add")
            plain = unary(echo_ch, "/bench.Echo/Call")
            request = pb.ScriptInput(parameters=PARAMS)
            if script(request).output != "3":
                raise RuntimeError("Script_add returned a wrong result")
            handler = sorted(int(script(request).metadata["elapsed_us"]) for _ in range(2000))
            (loki_p50, loki_p99), (echo_p50, echo_p99) = paired_latencies_us(
                lambda: script(request), lambda: plain(request), 3000
            )
            loki_ch.close()
            echo_ch.close()
            with multiprocessing.get_context("spawn").Pool(clients) as pool:
                # alternate the two servers and keep each one's best run: load comes and goes
                loki_rate = echo_rate = 0.0
                for _ in range(2):
                    loki_rate = max(
                        loki_rate,
                        sum(
                            pool.map(
                                client_rate,
                                [(loki_port, "/loki.LokiService/Script_add", 2.0)] * clients,
                            )
                        ),
                    )
                    echo_rate = max(
                        echo_rate,
                        sum(
                            pool.map(client_rate, [(echo_port, "/bench.Echo/Call", 2.0)] * clients)
                        ),
                    )
        finally:
            for proc in (loki, echo):
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=10)

    overhead = loki_p50 - echo_p50
    print(
        "Loki Script_add (%s), CPython %s, lupa PUC Lua 5.4; load average %s"
        % (SOURCE, sys.version.split()[0], "%.1f %.1f %.1f" % os.getloadavg())
    )
    print("in-process floors (per call, sequential):")
    print("  bare lupa Lua call (no sandbox)        %8.1f us" % bare_us)
    print(
        "  LuaEngine.run (sandbox, hook, limits)  %8.1f us  (%.0fx bare)"
        % (engine_us, engine_us / bare_us)
    )
    print(
        "  LokiCore.run (params, admission, run)  %8.1f us  (%.0fx bare)"
        % (core_us, core_us / bare_us)
    )
    print(
        "over gRPC (servers are separate processes: `jotunheim loki serve` and a grpcio echo peer):"
    )
    print("  Script_add latency    p50 %7.1f us   p99 %8.1f us" % (loki_p50, loki_p99))
    print(
        "  grpcio echo latency   p50 %7.1f us   p99 %8.1f us   (peer: gRPC alone)"
        % (echo_p50, echo_p99)
    )
    print(
        "  Script_add throughput %8.0f calls/s (%d client processes x 16 in flight, best of 2)"
        % (loki_rate, clients)
    )
    print(
        "  grpcio echo throughput %7.0f calls/s  -> Loki at %.0f%% of the echo peer"
        % (echo_rate, 100 * loki_rate / echo_rate)
    )
    print("server-side overhead of Loki per call:")
    print(
        "  handler time inside Loki (metadata elapsed_us)  p50 %6.1f us"
        % statistics.median(handler)
    )
    print("  p50 latency over the grpcio echo peer             %6.1f us" % overhead)
    print(
        "targets: >= 5000 calls/s: %s (%.0f); <= 200 us server-side overhead: %s (%.1f us)"
        % (
            "met" if loki_rate >= 5000 else "NOT met",
            loki_rate,
            "met" if overhead <= 200 else "NOT met",
            overhead,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(echo_server_main() if "--echo-server" in sys.argv else main())
