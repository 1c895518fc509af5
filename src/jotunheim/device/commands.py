"""Runs the hub's commands: validate first, then run under a deadline and a concurrency limit.

Idempotent by command id: a repeated id gets the cached CommandResult (hub.proto) and never
runs twice, even while the first run is still in flight. `handle()` never raises.
"""

import asyncio
import json

from jotunheim.compat import ticks_diff, ticks_us
from jotunheim.device.command_results import (
    MAX_RESULT_BYTES,
    ResultCache,
    check_json,
    error_code_of,
    error_result,
)
from jotunheim.device.tools import InvalidArgument, ToolError

DEFAULT_DEADLINE_MS = 30000  # used when a command carries deadline_ms = 0
MAX_ARGS_BYTES = 16384  # args_json comes from the network: bound it before parsing
# Results remembered for idempotency. At most max_concurrent + user_queue_size (2 + 8 by
# default) commands are pending at once, so 16 covers all of them plus recent history while
# costing ~1.2 KB of heap (measured in bench/bench_device.py).
DEFAULT_CACHE_SIZE = 16


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

    async def run(self, coro_fn, priority="user"):
        await self._acquire()
        try:
            return await coro_fn()
        finally:
            self._release()

    async def _acquire(self):
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
            await ev.wait()
        except BaseException:  # cancelled (deadline) while queued
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


def _default_limiter(max_concurrent, max_waiting):
    # devB's PriorityScheduler when the firmware ships it (the device agent normally injects
    # one wired to the memory monitor); the same run() shape from ConcurrencyLimiter otherwise.
    try:
        from jotunheim.device.scheduler import PriorityScheduler
    except ImportError:
        return ConcurrencyLimiter(max_concurrent, max_waiting)
    return PriorityScheduler(max(1, max_concurrent), max(0, max_waiting))


class _InFlight:
    def __init__(self):
        self.event = asyncio.Event()
        self.result = None


class CommandHandler:
    """`await handle(command)` -> CommandResult dict; see the module docstring."""

    def __init__(
        self,
        registry,
        max_concurrent=2,
        cache_size=DEFAULT_CACHE_SIZE,
        logger=None,
        scheduler=None,
        max_waiting=8,
        default_deadline_ms=DEFAULT_DEADLINE_MS,
    ):
        self.registry = registry
        self._cache = ResultCache(cache_size)
        self.limiter = scheduler or _default_limiter(max_concurrent, max_waiting)
        # Only values that differ from the class defaults below take an instance slot.
        if logger is not None:
            self.log = logger
        if default_deadline_ms != DEFAULT_DEADLINE_MS:
            self.default_deadline_ms = default_deadline_ms

    log = None
    default_deadline_ms = DEFAULT_DEADLINE_MS
    active = 0  # tools running now (heartbeat active_tools)
    executed = 0  # tool runs started, for tests and stats
    # command id -> _InFlight while a command runs; a dict only while one is in flight (an
    # emptied dict keeps its hash table allocated).
    _inflight = None

    @property
    def cache_size(self):
        return self._cache.size

    def cached(self, command_id):
        """The stored CommandResult dict for `command_id`, or None."""
        return self._cache.get(command_id, touch=False)

    def forget(self, command_id):
        """Drops a stored result (e.g. once the hub acknowledged it and it aged out)."""
        self._cache.drop(command_id)

    async def handle(self, command):
        """Validates and runs one Command dict; always returns a CommandResult dict."""
        cid = command.get("command_id") if isinstance(command, dict) else None
        if not isinstance(cid, str) or not cid:
            return error_result("", "INVALID_ARGUMENT", "command_id: expected a non-empty string")
        hit = self._cache.get(cid)
        if hit is not None:
            return hit
        inflight = self._inflight
        pending = None if inflight is None else inflight.get(cid)
        if pending is not None:
            await pending.event.wait()
            return pending.result
        pending = _InFlight()
        if inflight is None:
            inflight = self._inflight = {}
        inflight[cid] = pending
        try:
            result = await self._execute(cid, command)
        except Exception as exc:  # last line of defence: nothing escapes the runtime
            result = error_result(cid, "INTERNAL", "%s: %s" % (type(exc).__name__, exc))
        except BaseException:
            # The caller was cancelled (session closed). The tool may have run partly, so the
            # id is spent: remember that, release any duplicate waiting on us, re-raise.
            self._finish(cid, pending, error_result(cid, "INTERNAL", "cancelled"))
            raise
        self._finish(cid, pending, result)
        return result

    def _finish(self, cid, pending, result):
        inflight = self._inflight
        del inflight[cid]
        if not inflight:
            self._inflight = None
        self._store(cid, result)
        pending.result = result
        pending.event.set()

    async def _execute(self, cid, command):
        tool_name = command.get("tool")
        try:
            tool = self.registry.get(tool_name)
            params = tool.validate(_parse_args(command.get("args_json", "")))
            deadline = command.get("deadline_ms") or self.default_deadline_ms
            if not isinstance(deadline, int) or isinstance(deadline, bool) or deadline < 0:
                raise InvalidArgument("deadline_ms: expected a non-negative integer")
        except ToolError as exc:
            self._note("command %s refused: %s", cid, exc)
            return error_result(cid, exc.error_code, str(exc))
        start = ticks_us()
        try:
            value = await asyncio.wait_for(self._limited(tool, params), deadline / 1000)
            check_json(value, tool.name)
            payload = json.dumps(value).encode()
        except asyncio.TimeoutError:
            msg = "%s did not finish within %d ms" % (tool.name, deadline)
            return error_result(cid, "DEADLINE_EXCEEDED", msg, _since(start))
        except Exception as exc:
            code = error_code_of(exc)
            msg = str(exc) if isinstance(exc, ToolError) else "%s: %s" % (type(exc).__name__, exc)
            self._note("command %s (%s) failed: %s", cid, tool.name, msg)
            return error_result(cid, code, msg, _since(start))
        took = _since(start)
        if len(payload) > MAX_RESULT_BYTES:
            msg = "%s: result of %d bytes exceeds %d" % (tool.name, len(payload), MAX_RESULT_BYTES)
            return error_result(cid, "RESOURCE_EXHAUSTED", msg, took)
        return {
            "command_id": cid,
            "success": True,
            "result": payload,
            "error_code": "",
            "error_message": "",
            "duration_us": took,
        }

    async def _limited(self, tool, params):
        async def run():
            self.active += 1
            self.executed += 1
            try:
                value = tool.handler(params)
                if hasattr(value, "send"):  # coroutine: async handler
                    value = await value
                return value
            finally:
                self.active -= 1

        return await self.limiter.run(run, priority="user")

    def _store(self, cid, result):
        self._cache.put(cid, result)

    def _note(self, msg, *args):
        if self.log is not None:
            self.log.info(msg, *args)


def _since(start):
    return max(0, ticks_diff(ticks_us(), start))


def _parse_args(text):
    if text is None or (isinstance(text, (str, bytes, bytearray)) and not text):
        return {}
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode()
        except Exception:  # UnicodeError differs between runtimes
            raise InvalidArgument("args_json: not valid UTF-8") from None
    if not isinstance(text, str):
        raise InvalidArgument("args_json: expected a JSON string")
    if len(text) > MAX_ARGS_BYTES:
        raise InvalidArgument("args_json: longer than %d bytes" % MAX_ARGS_BYTES)
    try:
        args = json.loads(text)
    except ValueError:
        raise InvalidArgument("args_json: not valid JSON") from None
    if not isinstance(args, dict):
        raise InvalidArgument("args_json: expected a JSON object")
    return args
