"""Admission control: total and per-script concurrency, system priority, a bounded wait queue."""

import threading
import time

from jotunheim.loki.errors import ResourceExhausted


class _Waiter:
    __slots__ = ("script", "max_concurrent", "system", "seq", "granted", "cond")

    def __init__(self, script, max_concurrent, system, seq, lock):
        self.script = script
        self.max_concurrent = max_concurrent
        self.system = system
        self.seq = seq
        self.granted = False
        self.cond = threading.Condition(lock)


class Admission:
    """Slots for running scripts. `acquire` returns at once when a slot is free, else waits in a
    bounded queue (system scripts ahead of user scripts, FIFO within each) and fails with
    ResourceExhausted when the queue is full or the wait outlasts `timeout`.

    A freed slot is handed directly to the first waiter that fits (under the lock), so only
    that waiter wakes: no thundering herd however long the queue is."""

    def __init__(self, max_running=8, system_reserved=1, queue_size=32):
        self.max_running = max_running
        # User scripts may use all slots but these, so a system script always finds one
        # once running user scripts finish, however many users queue.
        self.system_reserved = min(system_reserved, max_running - 1)
        self.queue_size = queue_size
        self._lock = threading.Lock()
        self._running = 0
        self._per_script = {}
        self._waiters = []  # kept sorted: system first, then arrival order
        self._seq = 0

    def _fits(self, script, max_concurrent, system):
        limit = self.max_running if system else self.max_running - self.system_reserved
        return self._running < limit and self._per_script.get(script, 0) < max_concurrent

    def _take(self, script):
        self._running += 1
        self._per_script[script] = self._per_script.get(script, 0) + 1

    def _grant_waiters(self):
        for waiter in list(self._waiters):
            if self._fits(waiter.script, waiter.max_concurrent, waiter.system):
                self._take(waiter.script)
                waiter.granted = True
                self._waiters.remove(waiter)
                waiter.cond.notify()

    def acquire(self, script: str, max_concurrent: int, system: bool, timeout: float) -> None:
        with self._lock:
            if not self._waiters and self._fits(script, max_concurrent, system):
                self._take(script)
                return
            if len(self._waiters) >= self.queue_size:
                raise ResourceExhausted(
                    "%s: %d calls already queued; try again later" % (script, len(self._waiters))
                )
            self._seq += 1
            waiter = _Waiter(script, max_concurrent, system, self._seq, self._lock)
            self._waiters.append(waiter)
            self._waiters.sort(key=lambda w: (not w.system, w.seq))
            # A system call may fit at once in the reserved slots even with users queued.
            self._grant_waiters()
            end = time.monotonic() + max(0.0, timeout)
            while not waiter.granted:
                left = end - time.monotonic()
                if left <= 0:
                    self._waiters.remove(waiter)
                    raise ResourceExhausted(
                        "%s: no execution slot within %d ms (%d running, limit %d per script)"
                        % (script, timeout * 1000, self._running, max_concurrent)
                    )
                waiter.cond.wait(left)

    def release(self, script: str) -> None:
        with self._lock:
            self._running -= 1
            count = self._per_script.get(script, 1) - 1
            if count:
                self._per_script[script] = count
            else:
                self._per_script.pop(script, None)
            if self._waiters:
                self._grant_waiters()

    def snapshot(self) -> dict:
        with self._lock:
            return {"running": self._running, "queued": len(self._waiters)}
