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


class _Ticket:
    __slots__ = ("script", "deadline", "abandoned")

    def __init__(self, script, deadline):
        self.script = script
        self.deadline = deadline
        self.abandoned = False


class StuckCallWatchdog:
    """Writes off the slot of a call still running `grace_s` past its deadline.

    The limit hook only runs between Lua instructions, so one long C call (a pathological
    string pattern, a child blocked in the OS) can outlive its deadline. Its thread cannot be
    stopped, but its slot is handed back so the rest of the service keeps its capacity."""

    def __init__(self, admission: Admission, grace_s=1.0, interval_s=0.25, log=None):
        self.admission = admission
        self.grace_s = grace_s
        self.interval_s = interval_s
        self.log = log
        self.abandoned = 0
        self._lock = threading.Lock()
        self._tickets = set()
        self._stop = threading.Event()
        self._thread = None

    def begin(self, script: str, deadline: float) -> _Ticket:
        ticket = _Ticket(script, deadline)
        with self._lock:
            self._tickets.add(ticket)
        return ticket

    def end(self, ticket: _Ticket) -> None:
        """The call finished: release its slot unless the watchdog already wrote it off."""
        with self._lock:
            self._tickets.discard(ticket)
            abandoned = ticket.abandoned
        if not abandoned:
            self.admission.release(ticket.script)

    def check(self, now=None) -> int:
        now = time.monotonic() if now is None else now
        stuck = []
        with self._lock:
            for ticket in self._tickets:
                if not ticket.abandoned and now > ticket.deadline + self.grace_s:
                    ticket.abandoned = True
                    stuck.append(ticket)
            self.abandoned += len(stuck)
        for ticket in stuck:
            self.admission.release(ticket.script)
            if self.log is not None:
                self.log.error(
                    "script %s is stuck %.1f s past its deadline inside a native call; "
                    "its slot is released, its thread continues until the call returns",
                    ticket.script,
                    now - ticket.deadline,
                )
        return len(stuck)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="loki-watchdog", daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(self.interval_s):
            self.check()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
