"""Priority scheduler on asyncio: system work before user work, a concurrency limit, and a
bounded user queue that also holds user work back while memory is critical.

Work admitted at once (a free slot, nothing queued, memory ok: the usual case) runs here;
queueing, admission of queued work and refusals are in scheduler_wait.py, imported the first
time something has to wait or is refused, so a device whose commands never overlap does not
hold that code in its heap."""

from jotunheim.compat import const, ticks_ms
from jotunheim.errors import JotunheimError

_SYSTEM = const("system")
_USER = const("user")


class PriorityScheduler:
    """`await sched.run(coro_fn, *args, priority="system"|"user", wait_ms=None)` under
    `max_concurrent`.

    - system work is never refused and never held back by memory; when every slot is busy it
      waits, and waiting system work is admitted before any waiting user work;
    - user work runs at once only when a slot is free, nothing is queued ahead of it and the
      memory monitor allows user work; otherwise it joins a FIFO queue of at most
      `user_queue_size`, and beyond that `ResourceExhausted` is raised;
    - queued user work re-checks memory every `recheck_ms` (memory can recover without any
      task finishing) and gives up with ResourceExhausted after `queue_timeout_ms` if set.
    No asyncio.Queue (absent on MicroPython): waiters are Events in two lists (made by
    scheduler_wait when something first queues).
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
    # The waiter queues exist only once something has queued (scheduler_wait.wait()).
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

    async def run(self, coro_fn, *args, priority=_SYSTEM, wait_ms=None):
        """Run `await coro_fn(*args)` when the rules above admit it; returns its result.
        `wait_ms`: raise asyncio.TimeoutError when not admitted within that many ms."""
        if priority == _USER:
            now = (
                self.active < self.max_concurrent
                and not self._system_waiters
                and not self._user_waiters
                and (self.memory is None or self.memory.allow_user_work())
            )
        elif priority == _SYSTEM:
            now = self.active < self.max_concurrent and not self._system_waiters
        else:
            raise JotunheimError(
                "scheduler priority: expected 'system' or 'user', got %r" % (priority,)
            )
        if now:
            self.active += 1
            if priority == _USER:
                self.active_user += 1
        else:  # queued until admitted, or refused (ResourceExhausted)
            from jotunheim.device import scheduler_wait

            await scheduler_wait.wait(self, priority, wait_ms)
        try:
            return await coro_fn(*args)
        finally:
            self._leave(priority)

    def _leave(self, priority, completed=True):
        self.active -= 1
        if priority == _USER:
            self.active_user -= 1
        if completed:
            self.completed += 1
        if self._system_waiters or self._user_waiters:  # a freed slot: admit the next
            from jotunheim.device import scheduler_wait

            scheduler_wait.dispatch(self)


def __getattr__(name):
    # ResourceExhausted lives with the refusals in scheduler_wait (loaded on first use);
    # `from jotunheim.device.scheduler import ResourceExhausted` keeps working.
    if name == "ResourceExhausted":
        from jotunheim.device import scheduler_wait

        return scheduler_wait.ResourceExhausted
    raise AttributeError(name)
