"""Shared pytest setup: device tests import their helpers as top-level modules."""

import sys
from pathlib import Path

_DEVICE = Path(__file__).resolve().parent / "device"
if str(_DEVICE) not in sys.path:
    sys.path.insert(0, str(_DEVICE))


def pytest_terminal_summary(terminalreporter):
    """Show what ran under MicroPython, so the device suite's second runtime is visible."""
    from tests.mp import DEFAULT_HEAP, MP_RESULTS

    if not MP_RESULTS:
        return
    tr = terminalreporter
    tr.section("device tests under MicroPython (unix port, heap %s)" % DEFAULT_HEAP)
    total_pass = total_fail = 0
    for module, passed, failed in sorted(MP_RESULTS):
        tr.write_line("  %-40s %4d passed %4d failed" % (module, passed, max(failed, 0)))
        total_pass += passed
        total_fail += max(failed, 0)
    tr.write_line("  MicroPython total: %d tests passed, %d failed" % (total_pass, total_fail))
