"""Regenerates src/jotunheim/_gen from proto/: grpcio stubs (host) and device descriptors.

Usage: python tools/genproto.py [--check]. With --check, regenerates into a temporary
directory and exits 1 if the committed files differ (stale generated code).
"""

import argparse
import filecmp
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO = ROOT / "proto"
GEN = ROOT / "src" / "jotunheim" / "_gen"
HEADER = '"""Generated code (do not edit): `make proto` rebuilds it from proto/."""\n'


def proto_files():
    return sorted(p.relative_to(PROTO).as_posix() for p in PROTO.rglob("*.proto"))


def _fix_imports(path: Path) -> None:
    """protoc writes top-level imports (`import loki_pb2`); make them package-absolute."""
    text = path.read_text()
    text = re.sub(
        r"^import (\w+_pb2) as (\w+)$",
        r"from jotunheim._gen import \1 as \2",
        text,
        flags=re.M,
    )
    text = re.sub(
        r"^from (?!jotunheim\._gen)([\w.]+) import (\w+_pb2) as (\w+)$",
        r"from jotunheim._gen.\1 import \2 as \3",
        text,
        flags=re.M,
    )
    path.write_text(text)


def generate_host(out: Path) -> None:
    from grpc_tools import protoc

    files = proto_files()
    args = [
        "protoc",
        "-I" + str(PROTO),
        "--python_out=" + str(out),
        "--pyi_out=" + str(out),
        "--grpc_python_out=" + str(out),
    ] + files
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    for py in out.rglob("*.py"):
        _fix_imports(py)
    for d in [out] + [p for p in out.rglob("*") if p.is_dir()]:
        init = d / "__init__.py"
        if not init.exists():
            init.write_text(HEADER)


def generate_device(out: Path) -> None:
    """Compact descriptors for device code (tools/devicegen.py), when present."""
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import devicegen
    except ImportError:
        return
    devicegen.generate(PROTO, proto_files(), out / "device")


def generate(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "__init__.py").write_text(HEADER)
    (out / "device").mkdir(exist_ok=True)
    (out / "device" / "__init__.py").write_text(
        '"""Compact message and service descriptors for device code, generated from proto/."""\n'
    )
    generate_host(out)
    generate_device(out)


def _diff(a: Path, b: Path) -> list:
    out = []
    cmp = filecmp.dircmp(a, b, ignore=["__pycache__"])
    out += [str(a / n) for n in cmp.left_only + cmp.right_only + cmp.diff_files]
    for sub in cmp.common_dirs:
        out += _diff(a / sub, b / sub)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            fresh = Path(tmp) / "_gen"
            generate(fresh)
            stale = _diff(GEN, fresh)
            if stale:
                print("generated code is stale; run `make proto`:\n  " + "\n  ".join(stale))
                return 1
            print("generated code is up to date")
            return 0
    if GEN.exists():
        shutil.rmtree(GEN)
    generate(GEN)
    print("regenerated", GEN.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
