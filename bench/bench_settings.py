"""Settings and driver benchmark: load+validate time and heap of examples/device/device.json
on MicroPython (runtime precompiled with mpy-cross) and CPython in the same run, against
plain json.loads of the same file (the floor), plus simulated sensor/LED driver call times."""

import json
import os
import subprocess
import sys
from pathlib import Path

from bench_device import compile_runtime  # same .mpy build as the device benchmark

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WORKLOAD = ROOT / "bench" / "settings_workload.py"
HEAP = "256k"
RUNS = 200


def run(cmd, env=None):
    proc = subprocess.run(cmd, env=env, cwd=str(ROOT), capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise SystemExit("workload failed (%s):\n%s%s" % (cmd[0], proc.stdout, proc.stderr))
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    mpy = compile_runtime()[0]
    env = dict(os.environ, MICROPYPATH=".frozen:" + mpy)
    mp = run([str(BIN / "micropython"), "-X", "heapsize=" + HEAP, str(WORKLOAD), str(RUNS)], env)
    cp = run(
        [sys.executable, str(WORKLOAD), str(RUNS)], dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    )
    kb = 1024.0
    print(
        "examples/device/device.json (%d bytes)"
        % (ROOT / "examples/device/device.json").stat().st_size
    )
    print("MicroPython unix port (.mpy, heap %s):" % HEAP)
    print("  heap after importing settings (+log)   %7.1f KB" % (mp["import_heap"] / kb))
    print("  heap held by the loaded settings       %7.1f KB" % (mp["settings_heap"] / kb))
    print("%-40s %12s %12s %8s" % ("per call", "MicroPython", "CPython", "MP/CP"))
    rows = (
        ("Settings.load (read+parse+validate)", "load_us"),
        ("json.loads of the same text (floor)", "json_us"),
        ("DHT22 read (sim)", "read_room_us"),
        ("DS18B20 read (sim, bit-level 1-Wire)", "read_water_us"),
        ("BMP280 read (sim, forced mode)", "read_air_us"),
        ("LED set (sim)", "led_set_us"),
    )
    for label, key in rows:
        print("  %-38s %9.1f us %9.1f us %7.1fx" % (label, mp[key], cp[key], mp[key] / cp[key]))
    print(
        "  load / json.loads: MicroPython %.1fx, CPython %.1fx (validation's cost over parsing)"
        % (mp["load_us"] / mp["json_us"], cp["load_us"] / cp["json_us"])
    )


if __name__ == "__main__":
    main()
