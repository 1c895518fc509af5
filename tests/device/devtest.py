"""Test helpers shared by device tests on both runtimes (pytest is absent on MicroPython)."""

import os

try:
    import asyncio
except ImportError:  # pragma: no cover
    asyncio = None


class raises:
    """`with raises(Exc) as r:` fails unless the block raises Exc; `r.value` holds it."""

    def __init__(self, exc_type, match=None):
        self.exc_type = exc_type
        self.match = match
        self.value = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            raise AssertionError("expected %s, nothing was raised" % self.exc_type.__name__)
        if not issubclass(exc_type, self.exc_type):
            return False
        self.value = exc
        if self.match is not None and self.match not in str(exc):
            raise AssertionError("%r does not contain %r" % (str(exc), self.match))
        return True


def run(coro):
    """Run a coroutine to completion on either runtime."""
    return asyncio.run(coro)


class Clock:
    """A fake ticks_ms clock: call it for the time, `advance(ms)` moves it (wrapping as the
    device's ticks do)."""

    def __init__(self, t=0):
        self.t = t

    def __call__(self):
        return self.t

    def advance(self, ms):
        from jotunheim.compat import ticks_add

        self.t = ticks_add(self.t, ms)


_counter = [0]


def tmpdir(tag="t"):
    """A fresh empty directory under /tmp for one test."""
    _counter[0] += 1
    base = "/tmp/jotunheim-devtest-%d-%s-%d" % (_pid(), tag, _counter[0])
    _rmtree(base)
    os.mkdir(base)
    return base


def _pid():
    try:
        return os.getpid()
    except AttributeError:  # MicroPython unix port has no getpid
        import time

        return time.ticks_us() & 0xFFFFFF


def _rmtree(path):
    try:
        st = os.stat(path)
    except OSError:
        return
    if st[0] & 0x4000:  # directory
        for name in os.listdir(path):
            _rmtree(path + "/" + name)
        os.rmdir(path)
    else:
        os.remove(path)


rmtree = _rmtree
