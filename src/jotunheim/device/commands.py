"""Runs the hub's commands: validate first, then run under a deadline and a concurrency limit;
CommandResult dicts (hub.proto): error codes, JSON checks, compact storage.

Idempotent by command id: a repeated id gets the cached CommandResult and never runs twice,
even while the first run is still in flight. `handle()` never raises. What only a failing
command needs (full argument checks, mapping an exception to an error code, messages) is in
command_failures.py, imported on the first failure: successful commands never load it. The
result helpers were command_results.py: one module, since the flow always loads both.
"""

import asyncio
import gc
import json

from jotunheim.compat import const, ticks_diff, ticks_ms, ticks_us
from jotunheim.device.tools import InvalidArgument, ToolError
from jotunheim.wire.pbwire import put_varint, read_varint

_DEFAULT_DEADLINE_MS = const(30000)  # used when a command carries deadline_ms = 0
_MAX_ARGS_BYTES = const(16384)  # args_json comes from the network: bound it before parsing
# Results remembered for idempotency. At most max_concurrent + user_queue_size (2 + 8 by
# default) commands are pending at once, so 16 covers all of them plus recent history while
# costing ~1.2 KB of heap (measured in bench/bench_device.py).
_DEFAULT_CACHE_SIZE = const(16)
MAX_RESULT_BYTES = 32768  # a result must fit one DeviceMessage on a small heap
_MAX_MESSAGE_CHARS = const(200)
_MAX_RESULT_DEPTH = const(16)
# The CommandResult error codes, one string split when used (`code in CODES.split()`): with
# the code in ROMFS a tuple and its strings longer than 10 characters are heap objects.
CODES = "INVALID_ARGUMENT NOT_FOUND DEADLINE_EXCEEDED RESOURCE_EXHAUSTED INTERNAL UNAVAILABLE"


def error_result(command_id, code, message, duration_us=0):
    """A failed CommandResult dict (an unknown code becomes INTERNAL)."""
    return {
        "command_id": command_id,
        "success": False,
        "result": b"",
        "error_code": code if code in CODES.split() else "INTERNAL",
        "error_message": message[:_MAX_MESSAGE_CHARS],
        "duration_us": duration_us,
    }


def check_json(value, where, depth=0):
    """Raises ToolError unless `value` is plain JSON data.

    MicroPython's json.dumps writes `<object>` and `nan` instead of failing, so results are
    checked here rather than trusting the encoder.
    """
    if value is None or isinstance(value, (bool, str)):
        return
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not (value == value and value - value == 0):
            raise ToolError("%s: result holds a non-finite number" % where)
        return
    if depth >= _MAX_RESULT_DEPTH:
        raise ToolError("%s: result nested deeper than %d" % (where, _MAX_RESULT_DEPTH))
    if isinstance(value, (list, tuple)):
        for item in value:
            check_json(item, where, depth + 1)
        return
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise ToolError("%s: result has a non-string key %r" % (where, key))
            check_json(value[key], where, depth + 1)
        return
    raise ToolError("%s: result is not JSON data (%s)" % (where, type(value).__name__))


# --- The idempotency cache: the last `cache_size` CommandResults by command id, least
# recently used dropped first. All entries live in one bytearray (CommandHandler._buf), least
# recently used first, each a record [record length, varint][id length, varint][id][code
# index][duration_us, varint][payload or message]. A dict per result cost ~250 B on the
# 64-bit unix port and one bytes object per result in a list ~64 B; a record here costs its
# own bytes (~30 for a typical result). Lookups scan at most `cache_size` records (16 by
# default): no dict beside them. Varints (LEB128): ids under 128 bytes and durations under
# ~2 s take 1 and 3 bytes, which keeps a typical entry inside a 32-byte heap block. The
# handler's own state and methods (cached, remember), not a class of its own: a class and its
# instance cost ~0.35 KB of heap even with the code in ROMFS.


def _find(buf, cid):
    # -> (record start, record end, id prefix, where the prefix ends in the record); a
    # start of -1 when cid has no record.
    raw = cid.encode()
    key = bytearray()
    put_varint(key, len(raw))
    key.extend(raw)
    at = 0
    while at < len(buf):
        rlen, body = read_varint(buf, at, len(buf))
        end = body + rlen
        if rlen >= len(key) and buf[body : body + len(key)] == key:
            return at, end, key, body - at + len(key)
        at = end
    return -1, 0, key, 0


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
        self._buf = bytearray()  # the cached results' records (see _find above)
        if cache_size != _DEFAULT_CACHE_SIZE:
            self.cache_size = max(1, cache_size)
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
    cache_size = _DEFAULT_CACHE_SIZE  # results remembered for idempotency
    _n = 0  # records in _buf
    active = 0  # tools running now (heartbeat active_tools)
    executed = 0  # tool runs started, for tests and stats
    # command id -> [done event, result] while a command runs; a dict only while one is in
    # flight (an emptied dict keeps its hash table allocated). The event is made by a
    # duplicate only (rare): an Event and its task queue would be live on every command.
    _inflight = None

    async def handle(self, command):
        """Validates and runs one Command dict; always returns a CommandResult dict."""
        cid = command.get("command_id") if isinstance(command, dict) else None
        if not isinstance(cid, str) or not cid:
            return error_result("", "INVALID_ARGUMENT", "command_id: expected a non-empty string")
        hit = self.cached(cid)
        if hit is not None:
            return hit
        inflight = self._inflight
        if inflight is None:
            inflight = self._inflight = {}
        pending = inflight.get(cid)
        if pending is not None:  # a duplicate while the first run is going: share its result
            if pending[0] is None:
                pending[0] = asyncio.Event()
            await pending[0].wait()
            return pending[1]
        pending = inflight[cid] = [None, None]
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
            pending[1] = result
            if pending[0] is not None:
                pending[0].set()
            # A full heap must lose neither the result (it still goes to the hub) nor the
            # id: after a collection the record usually fits; failing that the id is kept
            # with a short error, so that a repeat still does not run the tool again.
            attempt = 0  # a counter, not a tuple to loop over: nothing to allocate here
            while attempt < 3:
                try:
                    if attempt < 2:
                        self.remember(cid, result)
                    else:
                        self.remember(cid, error_result(cid, "RESOURCE_EXHAUSTED", "no memory"))
                    break
                except MemoryError:
                    gc.collect()
                    attempt += 1
        return result

    def cached(self, cid):
        """The CommandResult dict cached for `cid` (made most recent), or None."""
        buf = self._buf
        start, end, _, skip = _find(buf, cid)
        if start < 0:
            return None
        record = buf[start:end]
        if end != len(buf):  # most recently used last
            buf[start:end] = b""
            buf.extend(record)
        code = record[skip]
        took, at = read_varint(record, skip + 1, len(record))
        body = bytes(record[at:])
        return {
            "command_id": cid,
            "success": code == 0,
            "result": body if code == 0 else b"",
            "error_code": "" if code == 0 else CODES.split()[code - 1],
            "error_message": "" if code == 0 else body.decode(),
            "duration_us": took,
        }

    def remember(self, cid, result):
        """Caches `result` as cid's record (replacing one it had), dropping the least
        recently used record when `cache_size` are cached."""
        buf = self._buf
        start, end, entry, _ = _find(buf, cid)
        if start < 0 and self._n >= self.cache_size:  # full: cut the oldest, at the front
            rlen, end = read_varint(buf, 0, len(buf))
            start, end = 0, end + rlen
        if start >= 0:
            buf[start:end] = b""
            self._n -= 1
        ok = result["success"]
        entry.append(0 if ok else CODES.split().index(result["error_code"]) + 1)
        put_varint(entry, max(0, result["duration_us"]))
        entry.extend(result["result"] if ok else result["error_message"].encode())
        record = bytearray()
        put_varint(record, len(entry))
        record.extend(entry)
        buf.extend(record)  # one append: a MemoryError leaves no half record behind
        self._n += 1

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
        started = []  # the tool's body ran (else the scheduler held it back until the deadline)
        start = ticks_us()
        start_ms = ticks_ms()  # for the deadline: 32-bit ticks_us wrap after ~9 minutes
        error = None
        try:
            # The deadline bounds the wait for a slot (the scheduler's wait_ms) and an async
            # tool's run (_run_tool): no asyncio.wait_for task pair around a command the
            # scheduler admits at once, live while it checks memory (~0.4 KB).
            value = await self.limiter.run(
                _run_tool, self, tool, params, started, deadline, start_ms,
                priority="user", wait_ms=deadline,
            )  # fmt: skip
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


async def _run_tool(handler, tool, params, started, deadline, start_ms):
    # What the scheduler admits for execute(): a module function given arguments, not a
    # closure, whose cells would be live on every command while the scheduler checks memory.
    # An async tool gets what is left of the deadline (`start_ms`: ticks_ms() at the command's
    # start); a plain function cannot be interrupted anyway.
    started.append(True)
    handler.active += 1
    handler.executed += 1
    try:
        value = tool.handler(params)
        if hasattr(value, "send"):  # coroutine: async handler
            left = deadline - ticks_diff(ticks_ms(), start_ms)
            value = await asyncio.wait_for(value, max(0, left) / 1000)
        return value
    finally:
        handler.active -= 1


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
