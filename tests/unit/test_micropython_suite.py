"""Runs every device test module under the MicroPython unix port with a constrained heap."""

import re

import pytest

from tests.mp import DEFAULT_HEAP, DEVICE_TESTS, MP_RESULTS, run_micropython

MODULES = sorted(p.stem for p in DEVICE_TESTS.glob("test_*.py"))
# Modules that need more than DEFAULT_HEAP: test_session_protocol compiles a scripted hub,
# the session and the whole wire stack from source in one process (~250k), and source file
# paths are qstrs, so its need grows with the checkout's path (264k from a 100-byte path);
# test_agent_memory builds a whole Agent from source (passes from 320k in /work/main).
HEAP = {"test_session_protocol": "320k", "test_agent_memory": "384k"}
_SUMMARY = re.compile(r"^micropython: (\d+) passed, (\d+) failed$", re.M)


@pytest.mark.parametrize("module", MODULES)
def test_device_module_passes_under_micropython(module):
    heap = HEAP.get(module, DEFAULT_HEAP)
    proc = run_micropython(
        [str(DEVICE_TESTS / "mprun.py"), module], heap=heap, extra_path=[DEVICE_TESTS]
    )
    found = _SUMMARY.search(proc.stdout)
    MP_RESULTS.append(
        (module, int(found.group(1)) if found else 0, int(found.group(2)) if found else -1)
    )
    failures = [line for line in proc.stdout.splitlines() if not line.startswith("PASS ")]
    assert proc.returncode == 0 and found, "MicroPython run of %s failed (heap %s):\n%s\n%s" % (
        module,
        heap,
        "\n".join(failures),
        proc.stderr,
    )
