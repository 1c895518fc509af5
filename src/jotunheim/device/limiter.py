"""ConcurrencyLimiter: CommandHandler's fallback limiter when no scheduler is injected (the
agent injects a PriorityScheduler), kept apart so that the agent's flow never loads it."""

import asyncio

from jotunheim.device.tools import ToolError


class ResourceExhausted(ToolError):
    """Too many commands waiting for a free slot."""

    error_code = "RESOURCE_EXHAUSTED"


class ConcurrencyLimiter:
    """At most `limit` holders; up to `max_waiting` more queue in FIFO order, others refused."""

    def __init__(self, limit, max_waiting=8):
        self.limit = max(1, limit)
        self.max_waiting = max_waiting
        self.active = 0
        self._waiters = []

    async def run(self, coro_fn, *args, priority="user", wait_ms=None):
        await self._acquire(wait_ms)
        try:
            return await coro_fn(*args)
        finally:
            self._release()

    async def _acquire(self, wait_ms=None):
        # asyncio.TimeoutError when no slot comes within wait_ms. Only the event wait is
        # bounded: a wait_for around all of this could, on MicroPython, time out a holder
        # _release() has just handed its slot, and the slot would be lost.
        if self.active < self.limit and not self._waiters:
            self.active += 1
            return
        if len(self._waiters) >= self.max_waiting:
            raise ResourceExhausted(
                "%d tools running, %d waiting" % (self.active, self.max_waiting)
            )
        ev = asyncio.Event()
        self._waiters.append(ev)
        try:
            if wait_ms is None:
                await ev.wait()
            else:
                await asyncio.wait_for(ev.wait(), wait_ms / 1000)
        except BaseException:  # cancelled or timed out while queued
            if ev in self._waiters:
                self._waiters.remove(ev)
            else:
                self._release()  # the slot was already handed to us: pass it on
            raise
        # _release() handed its slot straight to us, so `active` is already counted.

    def _release(self):
        if self._waiters:
            self._waiters.pop(0).set()
        else:
            self.active -= 1


def default_limiter(max_concurrent, max_waiting):
    """devB's PriorityScheduler when the firmware ships it (the device agent normally injects
    one wired to the memory monitor); the same run() shape from ConcurrencyLimiter otherwise."""
    try:
        from jotunheim.device.scheduler import PriorityScheduler
    except ImportError:
        return ConcurrencyLimiter(max_concurrent, max_waiting)
    return PriorityScheduler(max(1, max_concurrent), max(0, max_waiting))
