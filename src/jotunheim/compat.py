"""Runtime shims so device code runs unmodified on MicroPython and CPython."""

import sys

IS_MICROPYTHON = sys.implementation.name == "micropython"

try:
    from micropython import const
except ImportError:  # CPython

    def const(value):
        return value


try:
    from time import ticks_add, ticks_diff, ticks_ms, ticks_us
except ImportError:  # CPython: emulate MicroPython's wrapping tick counters
    import time

    # const(): folded by mpy-cross, so these CPython-only names cost no qstr on the device.
    _TICKS_PERIOD = const(1 << 30)
    _TICKS_HALF = const(1 << 29)

    def ticks_ms():
        return int(time.monotonic() * 1000) & (_TICKS_PERIOD - 1)

    def ticks_us():
        return int(time.monotonic() * 1000000) & (_TICKS_PERIOD - 1)

    def ticks_add(ticks, delta):
        return (ticks + delta) & (_TICKS_PERIOD - 1)

    def ticks_diff(end, start):
        # Signed difference in the wrapping tick space, as MicroPython defines it.
        return ((end - start + _TICKS_HALF) & (_TICKS_PERIOD - 1)) - _TICKS_HALF


try:
    from time import sleep_ms
except ImportError:  # CPython
    import time

    def sleep_ms(ms):
        time.sleep(ms / 1000)


def mem_free():
    """Free heap bytes (MicroPython) or -1 where the runtime has no fixed heap."""
    try:
        import gc

        return gc.mem_free()
    except AttributeError:
        return -1


# Heap bytes held for something that is not the runtime's on a board: `jotunheim device run
# --romfs` keeps the ROMFS image (flash, on a board) in the unix port's heap (romfs_boot.py).
HELD_BYTES = 0


def mem_alloc():
    """Allocated heap bytes (MicroPython) or -1 where unknown."""
    try:
        import gc

        return gc.mem_alloc() - HELD_BYTES
    except AttributeError:
        return -1


def unload(*names):
    """Forgets the named modules (full dotted names): out of sys.modules and off their
    package, so their code is freed once nothing else refers to it (on MicroPython code lives
    in the heap). A function of theirs still running keeps its own module's globals alive."""
    for full in names:
        sys.modules.pop(full, None)
        parent, _, attr = full.rpartition(".")
        pkg = sys.modules.get(parent)
        # `in __dict__`, not hasattr(): hasattr would make the name a qstr (never freed) on
        # MicroPython even when the module was never loaded.
        if pkg is not None and attr in pkg.__dict__:
            delattr(pkg, attr)
