"""Runs the hub's commands: validate first, then run under a deadline and a concurrency limit.

Idempotent by command id: a repeated id gets the cached CommandResult (hub.proto) and never
runs twice, even while the first run is still in flight. `handle()` never raises. What only
a failing command needs (full argument checks, error codes and messages) is in
command_failures.py, imported on the first failure: successful commands never load it.
"""

import asyncio
import json

from jotunheim.compat import const, ticks_diff, ticks_us
from jotunheim.device.command_results import (
    MAX_RESULT_BYTES,
    ResultCache,
    check_json,
    error_result,
)
from jotunheim.device.tools import InvalidArgument, ToolError

_DEFAULT_DEADLINE_MS = const(30000)  # used when a command carries deadline_ms = 0
_MAX_ARGS_BYTES = const(16384)  # args_json comes from the network: bound it before parsing
# Results remembered for idempotency. At most max_concurrent + user_queue_size (2 + 8 by
# default) commands are pending at once, so 16 covers all of them plus recent history while
# costing ~1.2 KB of heap (measured in bench/bench_device.py).
_DEFAULT_CACHE_SIZE = const(16)


class CommandHandler:
    """`await handle(command)` -> CommandResult dict; see the module docstring."""

    def __init__(
        self,
        registry,
        max_concurrent=2,
        cache_size=_DEFAULT_CACHE_SIZE,
        logger=None,
        scheduler=None,
        max_waiting=8,
        default_deadline_ms=_DEFAULT_DEADLINE_MS,
    ):
        self.registry = registry
        self._cache = ResultCache(cache_size)
        if scheduler is None:
            from jotunheim.device.limiter import default_limiter

            scheduler = default_limiter(max_concurrent, max_waiting)
        self.limiter = scheduler
        # Only values that differ from the class defaults below take an instance slot.
        if logger is not None:
            self.log = logger
        if default_deadline_ms != _DEFAULT_DEADLINE_MS:
            self.default_deadline_ms = default_deadline_ms

    log = None
    default_deadline_ms = _DEFAULT_DEADLINE_MS
    active = 0  # tools running now (heartbeat active_tools)
    executed = 0  # tool runs started, for tests and stats
    # command id -> [done event, result] while a command runs; a dict only while one is in
    # flight (an emptied dict keeps its hash table allocated).
    _inflight = None

    async def handle(self, command):
        """Validates and runs one Command dict; always returns a CommandResult dict."""
        cid = command.get("command_id") if isinstance(command, dict) else None
        if not isinstance(cid, str) or not cid:
            return error_result("", "INVALID_ARGUMENT", "command_id: expected a non-empty string")
        hit = self._cache.get(cid)
        if hit is not None:
            return hit
        inflight = self._inflight
        if inflight is None:
            inflight = self._inflight = {}
        pending = inflight.get(cid)
        if pending is not None:  # a duplicate while the first run is going: share its result
            await pending[0].wait()
            return pending[1]
        pending = inflight[cid] = [asyncio.Event(), None]
        result = None
        try:
            result = await self.execute(cid, command)
        except Exception as exc:  # last line of defence: nothing escapes the runtime
            result = error_result(cid, "INTERNAL", "%s: %s" % (type(exc).__name__, exc))
        finally:
            if result is None:
                # The caller was cancelled (session closed). The tool may have run partly, so
                # the id is spent: remember that and release any duplicate waiting on us.
                result = error_result(cid, "INTERNAL", "cancelled")
            del inflight[cid]
            if not inflight:
                self._inflight = None
            self._cache.put(cid, result)
            pending[1] = result
            pending[0].set()
        return result

    async def execute(self, cid, command):
        """Runs one command (lookup, argument checks, deadline, scheduler) -> CommandResult
        dict, without the idempotency cache: handle() adds that; a data stream runs one id
        again and again (device/streams.py)."""
        try:
            tool = self.registry.get(command.get("tool"))
            params = tool.validate(_parse_args(command.get("args_json", "")))
            deadline = command.get("deadline_ms") or self.default_deadline_ms
            if type(deadline) is not int or deadline < 0:  # (a bool is not an int here)
                raise InvalidArgument("deadline_ms: expected a non-negative integer")
        except ToolError as exc:
            if self.log is not None:
                self.log.info("command %s refused: %s", cid, exc)
            return error_result(cid, exc.error_code, str(exc))
        start = ticks_us()
        error = None
        started = []  # the tool's body ran (else the scheduler held it back until the deadline)
        try:
            value = await asyncio.wait_for(self._limited(tool, params, started), deadline / 1000)
            check_json(value, tool.name)
            payload = json.dumps(value).encode()
        except Exception as exc:
            error = exc
        took = max(0, ticks_diff(ticks_us(), start))
        if error is not None:
            from jotunheim.device.command_failures import failed

            held = None if started else self.limiter
            return failed(cid, tool.name, error, deadline, took, self.log, held)
        if len(payload) > MAX_RESULT_BYTES:
            from jotunheim.device.command_failures import oversized

            return oversized(cid, tool.name, len(payload), took)
        return {
            "command_id": cid,
            "success": True,
            "result": payload,
            "error_code": "",
            "error_message": "",
            "duration_us": took,
        }

    async def _limited(self, tool, params, started):
        async def run():
            started.append(True)
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


def _parse_args(text):
    # The usual args_json: a JSON object text within the limit. Anything else (None, bytes,
    # too long, not JSON, not an object) takes command_failures' full check and messages.
    if isinstance(text, str) and len(text) <= _MAX_ARGS_BYTES:
        if not text:
            return {}
        try:
            args = json.loads(text)
        except ValueError:
            args = None
        if isinstance(args, dict):
            return args
    from jotunheim.device.command_failures import parse_args

    return parse_args(text, _MAX_ARGS_BYTES)
