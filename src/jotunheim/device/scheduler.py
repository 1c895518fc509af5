"""Priority scheduler on asyncio: system work before user work, a concurrency limit, and a
bounded user queue that also holds user work back while memory is critical."""

import asyncio

from jotunheim.compat import const, ticks_diff, ticks_ms
from jotunheim.errors import JotunheimError

_SYSTEM = const("system")
_USER = const("user")


class ResourceExhausted(JotunheimError):
    """User work refused: the user queue is full (concurrency limit or critical memory)."""

    # errors_policy.classify: worth retrying, but only after a delay.
    retryable = True
    slow_down = True


class _Waiter:
    def __init__(self, priority):
        self.priority = priority
        self.event = asyncio.Event()
        self.admitted = False


class PriorityScheduler:
    """`await sched.run(coro_fn, *args, priority="system"|"user")` under `max_concurrent`.

    - system work is never refused and never held back by memory; when every slot is busy it
      waits, and waiting system work is admitted before any waiting user work;
    - user work runs at once only when a slot is free, nothing is queued ahead of it and the
      memory monitor allows user work; otherwise it joins a FIFO queue of at most
      `user_queue_size`, and beyond that `ResourceExhausted` is raised;
    - queued user work re-checks memory every `recheck_ms` (memory can recover without any
      task finishing) and gives up with ResourceExhausted after `queue_timeout_ms` if set.
    No asyncio.Queue (absent on MicroPython): waiters are Events in two lists.
    """

    def __init__(
        self,
        max_concurrent=2,
        user_queue_size=8,
        memory_monitor=None,
        recheck_ms=250,
        queue_timeout_ms=None,
        now=ticks_ms,
    ):
        for name, value, least in (
            ("max_concurrent_tools", max_concurrent, 1),
            ("user_queue_size", user_queue_size, 0),
        ):
            if not isinstance(value, int) or value < least:
                raise JotunheimError("%s: expected an integer >= %d, got %r" % (name, least, value))
        self.max_concurrent = max_concurrent
        self.user_queue_size = user_queue_size
        # Only values that differ from the class defaults take a slot in the instance dict:
        # an idle scheduler is on every device's heap, so it holds 2-4 attributes, no lists.
        if memory_monitor is not None:
            self.memory = memory_monitor
        if recheck_ms != 250:
            self.recheck_ms = recheck_ms
        if queue_timeout_ms is not None:
            self.queue_timeout_ms = queue_timeout_ms
        if now is not ticks_ms:
            self._now = now

    # Class-level defaults (see __init__); counters become instance attributes on first use.
    memory = None
    recheck_ms = 250
    queue_timeout_ms = None
    _now = staticmethod(ticks_ms)
    # The waiter queues exist only once something has queued (_queue()).
    _system_waiters = ()
    _user_waiters = ()
    active = 0  # work items running now (both priorities); the heartbeat's active_tools
    active_user = 0
    rejected = 0
    completed = 0

    @classmethod
    def from_settings(cls, limits, memory_monitor=None, **kw):
        """From `resource_limits`: max_concurrent_tools, user_queue_size."""
        return cls(
            limits.get("max_concurrent_tools", 2),
            limits.get("user_queue_size", 8),
            memory_monitor,
            **kw,
        )

    async def run(self, coro_fn, *args, priority=_SYSTEM):
        """Run `await coro_fn(*args)` when the rules above admit it; returns its result."""
        if priority == _SYSTEM:
            if self.active < self.max_concurrent and not self._system_waiters:
                self.active += 1
            else:
                await self._wait(_Waiter(_SYSTEM), self._queue(_SYSTEM))
        elif priority == _USER:
            free_slot = self.active < self.max_concurrent
            if (
                free_slot
                and not self._system_waiters
                and not self._user_waiters
                and (self.memory is None or self.memory.allow_user_work())
            ):
                self.active += 1
                self.active_user += 1
            elif len(self._user_waiters) >= self.user_queue_size:
                self.rejected += 1
                why = (
                    "concurrency limit %d reached" % self.max_concurrent
                    if not free_slot
                    else "memory critical"
                )
                raise ResourceExhausted(
                    "user work refused: %s and user queue full (%d)" % (why, self.user_queue_size)
                )
            else:
                await self._wait(_Waiter(_USER), self._queue(_USER))
        else:
            raise JotunheimError(
                "scheduler priority: expected 'system' or 'user', got %r" % (priority,)
            )
        try:
            return await coro_fn(*args)
        finally:
            self._leave(priority)

    def _queue(self, priority):
        # The waiter list of `priority`, made on first use (empty tuple until then).
        if priority == _SYSTEM:
            if type(self._system_waiters) is tuple:
                self._system_waiters = []
            return self._system_waiters
        if type(self._user_waiters) is tuple:
            self._user_waiters = []
        return self._user_waiters

    async def _wait(self, waiter, queue):
        queue.append(waiter)
        started = self._now()
        try:
            while not waiter.admitted:
                if waiter.priority == _SYSTEM:
                    await waiter.event.wait()
                    continue
                try:
                    await asyncio.wait_for(waiter.event.wait(), self.recheck_ms / 1000)
                except asyncio.TimeoutError:
                    # Memory may have recovered without any task ending. Only the head of
                    # the queue re-checks: each check may run gc.collect() at critical.
                    if queue and queue[0] is waiter:
                        self._dispatch()
                if waiter.admitted:
                    break
                if (
                    self.queue_timeout_ms is not None
                    and ticks_diff(self._now(), started) >= self.queue_timeout_ms
                ):
                    self.rejected += 1
                    raise ResourceExhausted(
                        "user work refused: queued for %d ms without a slot" % self.queue_timeout_ms
                    )
        except BaseException:
            # Cancelled or timed out: leave no trace, and hand back a slot we were given
            # but will not use.
            if waiter.admitted:
                self._leave(waiter.priority, completed=False)
            elif waiter in queue:
                queue.remove(waiter)
            raise

    def _dispatch(self):
        while self.active < self.max_concurrent:
            if self._system_waiters:
                waiter = self._system_waiters.pop(0)
            elif self._user_waiters and (self.memory is None or self.memory.allow_user_work()):
                waiter = self._user_waiters.pop(0)
            else:
                return
            self.active += 1
            if waiter.priority == _USER:
                self.active_user += 1
            waiter.admitted = True
            waiter.event.set()

    def _leave(self, priority, completed=True):
        self.active -= 1
        if priority == _USER:
            self.active_user -= 1
        if completed:
            self.completed += 1
        self._dispatch()
