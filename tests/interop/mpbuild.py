"""Precompiles the device runtime with mpy-cross for MicroPython test runs: .mpy imports
need no compile step, so the 256 KB heap is not fragmented by compiler garbage."""

import subprocess
from pathlib import Path

from tests.mp import ROOT, micropython_binary

DEVICE_PARTS = (
    "jotunheim/__init__.py",
    "jotunheim/compat.py",
    "jotunheim/errors.py",
    "jotunheim/wire",
    "jotunheim/_gen/__init__.py",
    "jotunheim/_gen/device",
)


def compile_device_runtime(out_dir):
    """mpy-cross every device module of the wire stack into out_dir (same package tree)."""
    src_root = ROOT / "src"
    mpy_cross = str(Path(micropython_binary()).parent / "mpy-cross")
    for part in DEVICE_PARTS:
        p = src_root / part
        for src in sorted(p.rglob("*.py")) if p.is_dir() else [p]:
            rel = src.relative_to(src_root)
            dest = Path(out_dir) / rel.with_suffix(".mpy")
            dest.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [mpy_cross, "-o", str(dest), "-s", str(rel), str(src)],
                check=True,
                capture_output=True,
            )
    return str(out_dir)
