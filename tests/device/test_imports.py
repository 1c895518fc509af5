"""Every module of jotunheim.wire and jotunheim.device imports on this runtime."""

import gc
import os
import sys

from devtest import raises  # noqa: F401  (shared helpers must import too)

_SRC = os.getcwd() + "/src/jotunheim"


def _modules(package):
    out = []
    for name in sorted(os.listdir(_SRC + "/" + package)):
        if name.endswith(".py") and name != "__init__.py":
            out.append("jotunheim.%s.%s" % (package, name[:-3]))
        elif "." not in name and name != "__pycache__":
            try:
                os.stat(_SRC + "/" + package + "/" + name + "/__init__.py")
            except OSError:
                continue
            for sub in sorted(os.listdir(_SRC + "/" + package + "/" + name)):
                if sub.endswith(".py") and sub != "__init__.py":
                    out.append("jotunheim.%s.%s.%s" % (package, name, sub[:-3]))
    return out


def test_every_device_side_module_imports():
    names = ["jotunheim", "jotunheim.compat"]
    for package in ("wire", "device", "_gen/device"):
        names.append("jotunheim." + package.replace("/", "."))
        names.extend(m.replace("/", ".") for m in _modules(package))
    # Each module is dropped again after its import so the whole runtime never has to fit in
    # the test heap at once (a device loads only what a flow needs).
    for name in names:
        before = set(sys.modules)
        __import__(name)
        assert name in sys.modules, name
        if sys.implementation.name == "micropython":
            for extra in set(sys.modules) - before:
                del sys.modules[extra]
            gc.collect()
    assert len(names) >= 3


def test_compat_ticks_wrap_and_diff():
    from jotunheim.compat import const, ticks_diff, ticks_ms

    assert const(7) == 7
    a = ticks_ms()
    b = ticks_ms()
    assert ticks_diff(b, a) >= 0
    assert ticks_diff(a, b) <= 0
