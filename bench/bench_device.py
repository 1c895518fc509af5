"""Device runtime benchmark: heap after import, live state after capabilities + 100 commands
(target <= 10 KB, code excluded), and set_led execution time p50/p99 on MicroPython (runtime
precompiled with mpy-cross) against CPython in the same run."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
BIN = Path(sys.executable).parent
WORKLOAD = ROOT / "bench" / "device_workload.py"
LIVE_TARGET = 10 * 1024
HEAP = "256k"
RUNS = 1000


def compile_runtime():
    """The device runtime as .mpy (`jotunheim device run`'s precompile cache);
    returns (directory, modules, total .mpy bytes)."""
    from jotunheim.cli.device_cmd import precompile

    out = precompile()
    if out is None:
        raise SystemExit("mpy-cross not found (install requirements.txt)")
    files = list(Path(out).rglob("*.mpy"))
    return out, len(files), sum(f.stat().st_size for f in files)


def run(cmd, env=None):
    proc = subprocess.run(cmd, env=env, cwd=str(ROOT), capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise SystemExit("workload failed (%s):\n%s%s" % (cmd[0], proc.stdout, proc.stderr))
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    mpy, modules, mpy_bytes = compile_runtime()
    env = dict(os.environ, MICROPYPATH=".frozen:" + mpy)
    mp = run([str(BIN / "micropython"), "-X", "heapsize=" + HEAP, str(WORKLOAD), str(RUNS)], env)
    cp = run([sys.executable, str(WORKLOAD), str(RUNS)])
    kb = 1024.0
    print("device runtime precompiled: %d modules, %.1f KB of .mpy" % (modules, mpy_bytes / kb))
    if mp["late_imports"]:
        print("  note: modules imported after the baseline: %s" % ", ".join(mp["late_imports"]))
    settings = mp["settings_heap"]
    caps = mp["after_caps_heap"] - settings
    drivers = mp["after_warmup_heap"] - mp["after_caps_heap"]
    cache = mp["live_heap"] - mp["after_warmup_heap"]
    print("MicroPython unix port (64-bit), heap %s, runtime as .mpy:" % HEAP)
    print(
        "  heap after importing the runtime         %7.1f KB  (code: excluded below)"
        % (mp["import_heap"] / kb)
    )
    print("  live state, step by step:")
    print("    settings (examples/device/device.json)  %6.1f KB" % (settings / kb))
    print(
        "    capabilities: %2d tools, %4d B encoded  %6.1f KB"
        % (mp["tools"], mp["caps_bytes"], caps / kb)
    )
    print("    command handler + drivers on first use  %6.1f KB" % (drivers / kb))
    print(
        "    100 commands (result cache of %2d)       %6.1f KB" % (mp["cached_results"], cache / kb)
    )
    verdict = "within" if mp["live_heap"] <= LIVE_TARGET else "OVER"
    print(
        "  live state after capabilities + 100 commands: %.1f KB (%s the %.0f KB target; %d/100 ok)"
        % (mp["live_heap"] / kb, verdict, LIVE_TARGET / kb, mp["ok_commands"])
    )
    print("    of which capabilities + commands: %.1f KB" % ((caps + cache) / kb))
    print("  heap free at the end                     %7.1f KB" % (mp["heap_free"] / kb))
    print("set_led, %d runs          MicroPython     CPython    ratio" % RUNS)
    for key, label in (("handle", "handle() end to end"), ("tool", "tool body (duration_us)")):
        for p in ("p50", "p99"):
            a = mp["%s_%s_us" % (key, p)]
            b = cp["%s_%s_us" % (key, p)]
            print("  %-24s %s %8d us %8d us  %6.1fx" % (label, p, a, b, a / max(b, 1)))
    print("platform promise: tool round trip p99 < 100 ms = 100000 us")


if __name__ == "__main__":
    main()
