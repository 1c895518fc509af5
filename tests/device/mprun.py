"""Minimal test runner for device tests under the MicroPython unix port.

Usage: micropython mprun.py MODULE [MODULE ...]. Runs every `test_*` function (sync or
async), prints one line per test and a summary, exits 1 if any test failed.
"""

import gc
import sys

try:
    import asyncio
except ImportError:
    asyncio = None


def _is_coroutine(obj):
    return hasattr(obj, "send") and hasattr(obj, "throw")


def run_module(name):
    failed = 0
    passed = 0
    try:
        mod = __import__(name)
    except Exception as exc:
        print("ERROR importing %s:" % name)
        sys.print_exception(exc)
        return 0, 1
    names = sorted(n for n in dir(mod) if n.startswith("test_"))
    for test_name in names:
        fn = getattr(mod, test_name)
        if not callable(fn):
            continue
        gc.collect()
        try:
            result = fn()
            if _is_coroutine(result):
                asyncio.run(result)
            passed += 1
            print("PASS %s::%s" % (name, test_name))
        except Exception as exc:
            failed += 1
            print("FAIL %s::%s" % (name, test_name))
            sys.print_exception(exc)
    return passed, failed


def main(argv):
    total_pass = 0
    total_fail = 0
    for name in argv:
        if name.endswith(".py"):
            name = name[:-3]
        name = name.split("/")[-1]
        p, f = run_module(name)
        total_pass += p
        total_fail += f
    print("micropython: %d passed, %d failed" % (total_pass, total_fail))
    sys.exit(1 if total_fail else 0)


main(sys.argv[1:])
