"""The waiting half of device/scheduler.py's PriorityScheduler: the two waiter queues, admission
of queued work when a slot frees or memory recovers, and refusals (ResourceExhausted). The
scheduler imports it the first time work cannot start at once, so it stays out of the heap of
a device whose work never has to wait."""

import asyncio

from jotunheim.compat import const, ticks_diff
from jotunheim.errors import JotunheimError

# A waiter is a list [priority, event, admitted]: a class would cost its type object and
# methods on the heap for three fields.
_PRIORITY = const(0)
_EVENT = const(1)
_ADMITTED = const(2)
_USER = const("user")


class ResourceExhausted(JotunheimError):
    """User work refused: the user queue is full (concurrency limit or critical memory)."""

    # errors_policy.classify: worth retrying, but only after a delay.
    retryable = True
    slow_down = True


async def wait(sched, priority, wait_ms=None):
    """Queues work of `priority` on `sched` and returns once it holds a slot (counted in
    sched.active); raises ResourceExhausted when user work finds the user queue full, or
    waited longer than sched.queue_timeout_ms, and asyncio.TimeoutError when not admitted
    within `wait_ms`. The bound is checked here, not by a wait_for around this coroutine:
    MicroPython's wait_for can time out a wait that has just been admitted, and the slot
    would then never be handed back."""
    if priority == _USER:
        if type(sched._user_waiters) is tuple:  # first use: the class default is ()
            sched._user_waiters = []
        queue = sched._user_waiters
        if len(queue) >= sched.user_queue_size:
            sched.rejected += 1
            why = (
                "memory critical"
                if sched.active < sched.max_concurrent
                else "concurrency limit %d reached" % sched.max_concurrent
            )
            raise ResourceExhausted(
                "user work refused: %s and user queue full (%d)" % (why, sched.user_queue_size)
            )
    else:
        if type(sched._system_waiters) is tuple:
            sched._system_waiters = []
        queue = sched._system_waiters
    waiter = [priority, asyncio.Event(), False]
    queue.append(waiter)
    started = sched._now()
    try:
        while not waiter[_ADMITTED]:
            step = sched.recheck_ms if priority == _USER else None
            if wait_ms is not None:
                left = wait_ms - ticks_diff(sched._now(), started)
                if left <= 0:
                    raise asyncio.TimeoutError
                step = left if step is None else min(step, left)
            if step is None:  # system work, unbounded: a freed slot wakes it
                await waiter[_EVENT].wait()
                continue
            try:
                await asyncio.wait_for(waiter[_EVENT].wait(), step / 1000)
            except asyncio.TimeoutError:
                if waiter[_ADMITTED]:  # admitted as the wait timed out: keep the slot
                    break
                if wait_ms is not None and ticks_diff(sched._now(), started) >= wait_ms:
                    raise  # the deadline, not a re-check: no admission past it
                # Memory may have recovered without any task ending. Only the head of the
                # queue re-checks: each check may run gc.collect() at critical.
                if priority == _USER and queue and queue[0] is waiter:
                    dispatch(sched)
            if waiter[_ADMITTED]:
                break
            if priority != _USER:
                continue
            if (
                sched.queue_timeout_ms is not None
                and ticks_diff(sched._now(), started) >= sched.queue_timeout_ms
            ):
                sched.rejected += 1
                raise ResourceExhausted(
                    "user work refused: queued for %d ms without a slot" % sched.queue_timeout_ms
                )
    except BaseException:
        # Cancelled or timed out: leave no trace, and hand back a slot we were given but
        # will not use.
        if waiter[_ADMITTED]:
            sched._leave(priority, completed=False)
        elif waiter in queue:
            queue.remove(waiter)
        raise


def dispatch(sched):
    """Admits queued work while slots are free: system work first, user work while memory
    allows it."""
    while sched.active < sched.max_concurrent:
        if sched._system_waiters:
            waiter = sched._system_waiters.pop(0)
        elif sched._user_waiters and (sched.memory is None or sched.memory.allow_user_work()):
            waiter = sched._user_waiters.pop(0)
        else:
            return
        sched.active += 1
        if waiter[_PRIORITY] == _USER:
            sched.active_user += 1
        waiter[_ADMITTED] = True
        waiter[_EVENT].set()
