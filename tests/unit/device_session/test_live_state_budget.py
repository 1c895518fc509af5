"""DESIGN section 4's budget: the device runtime's own live state (code excluded) stays within
10 KB, measured as bench/bench_device.py does — the example settings, capabilities and 100
commands on the simulated HAL — under MicroPython with the runtime as .mpy. A heap diet that
trades code for per-object data (once: 10.9 KB) fails here, not only in a benchmark."""

import json
import os
import subprocess

from jotunheim.cli.device_cmd import precompile
from tests.mp import ROOT, micropython_binary

WORKLOAD = ROOT / "bench" / "device_workload.py"
BUDGET = 10 * 1024


def test_live_state_after_capabilities_and_100_commands_is_within_10_kb():
    env = dict(os.environ, MICROPYPATH=".frozen:" + precompile())
    proc = subprocess.run(
        [micropython_binary(), "-X", "heapsize=256k", str(WORKLOAD), "10"],
        env=env,
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["ok_commands"] == 100
    assert 0 < out["live_heap"] <= BUDGET, "live state %d B > %d B" % (out["live_heap"], BUDGET)
