"""Admission control: total and per-script concurrency, system priority, a bounded wait queue."""

import threading
import time

from jotunheim.loki.errors import ResourceExhausted


class _Waiter:
    __slots__ = ("script", "max_concurrent", "system", "seq")

    def __init__(self, script, max_concurrent, system, seq):
        self.script = script
        self.max_concurrent = max_concurrent
        self.system = system
        self.seq = seq


class Admission:
    """Slots for running scripts. `acquire` returns at once when a slot is free, else waits in a
    bounded queue (system scripts ahead of user scripts, FIFO within each) and fails with
    ResourceExhausted when the queue is full or the wait outlasts `timeout`."""

    def __init__(self, max_running=8, system_reserved=1, queue_size=32):
        self.max_running = max_running
        # User scripts may use all slots but these, so a system script always finds one
        # once running user scripts finish, however many users queue.
        self.system_reserved = min(system_reserved, max_running - 1)
        self.queue_size = queue_size
        self._cond = threading.Condition()
        self._running = 0
        self._per_script = {}
        self._waiters = []  # kept sorted: system first, then arrival order
        self._seq = 0

    def _fits(self, script, max_concurrent, system):
        limit = self.max_running if system else self.max_running - self.system_reserved
        return self._running < limit and self._per_script.get(script, 0) < max_concurrent

    def _first_eligible(self, waiter):
        # A waiter goes only when no one ahead of it in priority order could go instead.
        for other in self._waiters:
            if self._fits(other.script, other.max_concurrent, other.system):
                return other is waiter
        return False

    def _take(self, script):
        self._running += 1
        self._per_script[script] = self._per_script.get(script, 0) + 1

    def acquire(self, script: str, max_concurrent: int, system: bool, timeout: float) -> None:
        with self._cond:
            if not self._waiters and self._fits(script, max_concurrent, system):
                self._take(script)
                return
            if len(self._waiters) >= self.queue_size:
                raise ResourceExhausted(
                    "%s: %d calls already queued; try again later" % (script, len(self._waiters))
                )
            self._seq += 1
            waiter = _Waiter(script, max_concurrent, system, self._seq)
            self._waiters.append(waiter)
            self._waiters.sort(key=lambda w: (not w.system, w.seq))
            end = time.monotonic() + max(0.0, timeout)
            try:
                while not self._first_eligible(waiter):
                    left = end - time.monotonic()
                    if left <= 0:
                        raise ResourceExhausted(
                            "%s: no execution slot within %d ms (%d running, limit %d per script)"
                            % (script, timeout * 1000, self._running, max_concurrent)
                        )
                    self._cond.wait(left)
                self._take(script)
            finally:
                self._waiters.remove(waiter)
                self._cond.notify_all()

    def release(self, script: str) -> None:
        with self._cond:
            self._running -= 1
            count = self._per_script.get(script, 1) - 1
            if count:
                self._per_script[script] = count
            else:
                self._per_script.pop(script, None)
            if self._waiters:
                self._cond.notify_all()

    def snapshot(self) -> dict:
        with self._cond:
            return {"running": self._running, "queued": len(self._waiters)}
