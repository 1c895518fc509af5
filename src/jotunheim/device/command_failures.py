"""How a command that did not succeed becomes a CommandResult: the full args_json checks with
their messages, the error code of an exception and the failure messages. Loaded on the first
failure only, so a device whose commands succeed never holds this code (heap)."""

import asyncio
import json

from jotunheim.device.commands import CODES, MAX_RESULT_BYTES, error_result
from jotunheim.device.tools import InvalidArgument, ToolError

# gRPC status (int) -> CommandResult error_code, for tools that call over gRPC (Loki).
_GRPC_CODES = {3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED", 5: "NOT_FOUND"}
_GRPC_CODES[8] = "RESOURCE_EXHAUSTED"
_GRPC_CODES[14] = "UNAVAILABLE"


def parse_args(text, max_bytes):
    """The args_json parameters as a dict; raises InvalidArgument naming what is wrong."""
    if text is None or (isinstance(text, (str, bytes, bytearray)) and not text):
        return {}
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode()
        except Exception:  # UnicodeError differs between runtimes
            raise InvalidArgument("args_json: not valid UTF-8") from None
    if not isinstance(text, str):
        raise InvalidArgument("args_json: expected a JSON string")
    if len(text) > max_bytes:
        raise InvalidArgument("args_json: longer than %d bytes" % max_bytes)
    try:
        args = json.loads(text)
    except ValueError:
        raise InvalidArgument("args_json: not valid JSON") from None
    if not isinstance(args, dict):
        raise InvalidArgument("args_json: expected a JSON object")
    return args


def error_code_of(exc):
    """The CommandResult error_code for an exception raised by a tool."""
    code = getattr(exc, "error_code", None)
    if code in CODES.split():
        return code
    if isinstance(exc, asyncio.TimeoutError):
        return "DEADLINE_EXCEEDED"
    if isinstance(exc, MemoryError) or type(exc).__name__ == "ResourceExhausted":
        return "RESOURCE_EXHAUSTED"
    status = getattr(exc, "status", None)
    if isinstance(status, int) and status in _GRPC_CODES:
        return _GRPC_CODES[status]
    return "INTERNAL"


def failed(cid, tool_name, exc, deadline_ms, took_us, log, held=None):
    """The CommandResult of a tool run that raised `exc` (or ran past its deadline); `held`:
    the scheduler that held the command back until its deadline (it never started)."""
    if isinstance(exc, asyncio.TimeoutError):
        if held is not None:
            return not_run(cid, tool_name, deadline_ms, took_us, log, held)
        msg = "%s did not finish within %d ms" % (tool_name, deadline_ms)
        return error_result(cid, "DEADLINE_EXCEEDED", msg, took_us)
    msg = str(exc) if isinstance(exc, ToolError) else "%s: %s" % (type(exc).__name__, exc)
    if log is not None:
        log.info("command %s (%s) failed: %s", cid, tool_name, msg)
    return error_result(cid, error_code_of(exc), msg, took_us)


def not_run(cid, tool_name, deadline_ms, took_us, log, scheduler):
    """RESOURCE_EXHAUSTED for a command the scheduler held back until its deadline passed,
    saying what held it: memory below the floor at the scheduler's last check, or every tool
    slot busy. Read without side effects (no new memory check, no collection)."""
    from jotunheim.device.memory import CRITICAL

    memory = getattr(scheduler, "memory", None)  # a plain ConcurrencyLimiter has none
    slots = getattr(scheduler, "max_concurrent", None) or scheduler.limit
    if memory is not None and memory.last_level == CRITICAL:
        why = "device memory below the %d KB floor at the last check (%d KB free now)" % (
            memory.critical_bytes // 1024,
            memory.free() // 1024,
        )
    elif scheduler.active >= slots:
        why = "every tool slot busy (%d of %d)" % (scheduler.active, slots)
    else:
        why = "queued behind other work"
    msg = "%s not run within %d ms: %s" % (tool_name, deadline_ms, why)
    if log is not None:
        log.warn("command %s: %s", cid, msg)
    return error_result(cid, "RESOURCE_EXHAUSTED", msg, took_us)


def oversized(cid, tool_name, size, took_us):
    """The CommandResult of a tool whose JSON result is too large to send."""
    msg = "%s: result of %d bytes exceeds %d" % (tool_name, size, MAX_RESULT_BYTES)
    return error_result(cid, "RESOURCE_EXHAUSTED", msg, took_us)
