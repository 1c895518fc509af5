"""Precompiles the device runtime to .mpy with mpy-cross (what ships to a board)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SRC = ROOT / "src"
DEVICE_PARTS = (
    "jotunheim/__init__.py",
    "jotunheim/compat.py",
    "jotunheim/errors.py",
    "jotunheim/wire",
    "jotunheim/device",
    "jotunheim/_gen/__init__.py",
    "jotunheim/_gen/device",
)


def mpy_cross():
    return str(Path(sys.executable).parent / "mpy-cross")


def build(out_dir):
    """Compiles every device module into out_dir (same package layout); returns the count."""
    out_dir = Path(out_dir)
    sources = []
    for part in DEVICE_PARTS:
        p = SRC / part
        sources += sorted(p.rglob("*.py")) if p.is_dir() else [p]
    for src in sources:
        rel = src.relative_to(SRC).with_suffix(".mpy")
        dest = out_dir / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [mpy_cross(), "-o", str(dest), "-s", str(rel.with_suffix(".py")), str(src)],
            check=True,
            capture_output=True,
        )
    return len(sources)
