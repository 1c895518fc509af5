"""Runs every device test module under the MicroPython unix port with a constrained heap."""

import pytest

from tests.mp import DEFAULT_HEAP, DEVICE_TESTS, run_micropython

MODULES = sorted(p.stem for p in DEVICE_TESTS.glob("test_*.py"))


@pytest.mark.parametrize("module", MODULES)
def test_device_module_passes_under_micropython(module):
    proc = run_micropython(
        [str(DEVICE_TESTS / "mprun.py"), module], heap=DEFAULT_HEAP, extra_path=[DEVICE_TESTS]
    )
    print(proc.stdout)
    assert proc.returncode == 0, "MicroPython run of %s failed (heap %s):\n%s%s" % (
        module,
        DEFAULT_HEAP,
        proc.stdout,
        proc.stderr,
    )
