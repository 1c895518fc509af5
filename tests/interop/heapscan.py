"""Smallest MicroPython heap each interop case passes with (a measuring script, not a test):
`.venv/bin/python -m tests.interop.heapscan [case,...|all] [--tries N] [--step KB]`.
Bisects -X heapsize against a local grpcio TestService, running the precompiled runtime."""

import argparse
import os
import subprocess
import tempfile

from jotunheim.wire import interop
from tests.interop.interop_server import start_server
from tests.interop.mpbuild import compile_device_runtime
from tests.mp import ROOT, micropython_binary


def passes(case, kb, mpy_dir, port, tries):
    """True when the case passes `tries` times in a row with a heap of kb KB."""
    env = dict(os.environ, MICROPYPATH=".frozen:" + mpy_dir)
    cmd = [micropython_binary(), "-X", "heapsize=%dk" % kb, "-m", "jotunheim.wire.interop"]
    cmd += ["--server_port", str(port), "--test_case", case]
    for _ in range(tries):
        try:
            p = subprocess.run(
                cmd, env=env, cwd=str(ROOT), capture_output=True, text=True, timeout=60
            )
        except subprocess.TimeoutExpired:
            return False
        if p.returncode != 0 or ("PASS " + case) not in p.stdout:
            return False
    return True


def smallest_heap(case, mpy_dir, port, lo=128, hi=4096, tries=3, step=8):
    """Smallest heap (KB, a multiple of step) that passes; None if even hi fails."""
    if not passes(case, hi, mpy_dir, port, 1):
        return None
    while hi - lo > step:
        mid = (lo + hi) // 2 // step * step
        if passes(case, mid, mpy_dir, port, tries):
            hi = mid
        else:
            lo = mid
    return hi


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("cases", nargs="?", default="all")
    ap.add_argument("--tries", type=int, default=3)
    ap.add_argument("--step", type=int, default=8)
    args = ap.parse_args()
    cases = interop.CASES if args.cases == "all" else args.cases.split(",")
    mpy_dir = compile_device_runtime(tempfile.mkdtemp(prefix="heapscan"))
    server, port = start_server()
    try:
        for case in cases:
            kb = smallest_heap(case, mpy_dir, port, tries=args.tries, step=args.step)
            print("%-28s %s" % (case, "fails at 4 MB" if kb is None else "%d KB" % kb), flush=True)
    finally:
        server.stop(None)


if __name__ == "__main__":
    main()
