"""Runs every benchmark in bench/ (bench_*.py) one after another and prints its figures."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failed = []
    for path in sorted(HERE.glob("bench_*.py")):
        print("=" * 72)
        print(path.name)
        print("=" * 72, flush=True)
        if subprocess.run([sys.executable, str(path)], cwd=str(HERE.parent)).returncode:
            failed.append(path.name)
    if failed:
        print("benchmarks that failed: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
