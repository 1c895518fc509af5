"""Host-side helpers to run code under the MicroPython unix port."""

import os
import subprocess
from pathlib import Path

from jotunheim.cli.device_cmd import micropython_binary

ROOT = Path(__file__).resolve().parent.parent
DEVICE_TESTS = ROOT / "tests" / "device"
DEFAULT_HEAP = "256k"

# (module, passed, failed) per device test module run under MicroPython, for the summary.
MP_RESULTS = []


def mp_env(extra_path=()):
    env = dict(os.environ)
    parts = [".frozen", str(ROOT / "src")] + [str(p) for p in extra_path]
    env["MICROPYPATH"] = ":".join(parts)
    return env


def run_micropython(args, heap=DEFAULT_HEAP, extra_path=(), timeout=120, **kw):
    """Run micropython with a constrained heap; returns CompletedProcess (text)."""
    cmd = [micropython_binary(), "-X", "heapsize=" + heap] + list(args)
    return subprocess.run(
        cmd,
        env=mp_env(extra_path),
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=timeout,
        **kw,
    )
