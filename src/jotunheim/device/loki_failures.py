"""What the Loki client does when a call fails: retries by errors_policy, the local
fallback when Loki is down, and the CommandResult error codes. Loaded on the first failure."""

import asyncio

from jotunheim.device import errors_policy
from jotunheim.device.loki_client import LokiError
from jotunheim.device.retry import RetryPolicy
from jotunheim.device.retry import retry as retry_with
from jotunheim.device.session_wire import Backoff

# ScriptError.error_type / ScriptResult.metadata["error_type"] -> CommandResult error_code
_SCRIPT_ERRORS = {
    "InvalidArgument": "INVALID_ARGUMENT",
    "NotFound": "NOT_FOUND",
    "ResourceExhausted": "RESOURCE_EXHAUSTED",
    "Timeout": "DEADLINE_EXCEEDED",
}
# gRPC status -> CommandResult error_code
_STATUS_CODES = {
    3: "INVALID_ARGUMENT",
    4: "DEADLINE_EXCEEDED",
    5: "NOT_FOUND",
    8: "RESOURCE_EXHAUSTED",
    14: "UNAVAILABLE",
}


def _status(exc):
    status = getattr(exc, "status", None)
    return status if isinstance(status, int) and not isinstance(status, bool) else None


def is_down(exc):
    # "Loki is down": no connection (an OSError, or the client's LokiError of a failed
    # connect), or the server said UNAVAILABLE. A deadline is not down: the script may have
    # run there, and running it again could apply it twice (asyncio.TimeoutError is an
    # OSError on CPython 3.11, not on MicroPython: checked first so both agree).
    if isinstance(exc, asyncio.TimeoutError):
        return False
    status = _status(exc)
    if status is not None:
        return status == 14
    if isinstance(exc, LokiError):
        return exc.unreachable
    return isinstance(exc, OSError)


async def after_failed_attempt(client, ch, exc):
    """A call on `ch` raised exc, or connecting `ch` did (then it is not the client's channel):
    close it when it never connected or Loki looks down (the next attempt reconnects)."""
    kept = client._channel is ch  # False: ch never connected (it is not the client's yet)
    if not kept or is_down(exc):
        if kept:
            from jotunheim.device.loki_link import take_channel

            take_channel(client)  # also ends its idle close
        try:
            await ch.close()
        except Exception:  # closing a broken connection may fail again; nothing to report
            pass


async def retry(client, exc, method, req_d, resp_d, request):
    """The first attempt failed with exc: retry it as the settings allow, or raise. The fixed
    RPCs are idempotent; a Script_ call is not (it runs a script with effects)."""
    from jotunheim.device import loki_link  # here: a module-level import would pin it

    first = [exc]
    idempotent = not method.startswith("Script_")

    async def attempt():
        if first:
            raise first.pop()
        return await loki_link.attempt(client, method, req_d, resp_d, request)

    def classify(failure):
        if isinstance(failure, LokiError) and failure.unreachable:  # nothing was sent
            return errors_policy.RETRY
        verdict = errors_policy.classify(failure)
        # A script call that may have started must not be re-sent (at most once).
        if verdict == errors_policy.RETRY and not idempotent and not is_down(failure):
            return errors_policy.GIVE_UP
        return verdict

    lo, hi = client._backoff_ms
    policy = RetryPolicy(max(0, int(client.retries)), lo, Backoff(lo, hi))
    return await retry_with(attempt, policy, classify=classify)


async def script_call_failed(client, name, params, exc):
    """Script_<name> failed after its retries: the local script when Loki is down and the
    settings allow it, else the LokiError for the command result."""
    if is_down(exc) and client.fallback == "local" and _local_tool(client, name) is not None:
        client.fallbacks += 1
        if client.log is not None:
            client.log.warn("Loki down, running script %s on the device", name)
        return await script_call(client, name, params)
    raise translate("Script_" + name, exc) from None


def _local_tool(client, name):
    local = client.local
    tool = local.find(name) if local is not None else None
    return tool if tool is not None and tool.kind == "script" else None


async def script_call(client, name, params):
    """Script_<name> without Loki: the on-device script of that name (settings.loki.mode
    "local", or Loki down with fallback "local"), UNAVAILABLE when Loki is off (rare paths:
    they live here, not in the resident client)."""
    if client.mode not in ("local", "remote"):
        raise LokiError("UNAVAILABLE", "Loki is off on this device (script %s)" % name)
    tool = _local_tool(client, name)
    if tool is None:
        raise LokiError("UNAVAILABLE", "no on-device script named %s" % name)
    value = tool.handler(tool.validate(params))
    if hasattr(value, "send"):
        value = await value
    return value


def script_error(name, result):
    """The LokiError of a ScriptResult with success false."""
    # ScriptResult.metadata (a map) comes as {"key", "value"} entry dicts (the device slice
    # has no map fields, tools/devicegen.py): the last entry of a key wins, as in a map.
    meta = {}
    for entry in result.get("metadata") or ():
        meta[entry.get("key", "")] = entry.get("value", "")
    code = _SCRIPT_ERRORS.get(meta.get("error_type", ""), "INTERNAL")
    output = result.get("output", "")
    return LokiError(code, "Script_%s failed: %s" % (name, output or meta.get("error", "")))


def translate(method, exc):
    """The LokiError for a call of `method` that raised exc."""
    if isinstance(exc, LokiError):
        return exc
    if isinstance(exc, asyncio.TimeoutError):  # before OSError: see is_down
        return LokiError("DEADLINE_EXCEEDED", "Loki %s: timed out" % method)
    if isinstance(exc, MemoryError):  # the device's heap, as for any tool
        return LokiError("RESOURCE_EXHAUSTED", "Loki %s: device out of memory: %s" % (method, exc))
    status = _status(exc)
    if status is not None:
        code = _STATUS_CODES.get(status, "INTERNAL")
        return LokiError(code, "Loki %s: %s" % (method, getattr(exc, "message", None) or exc))
    if isinstance(exc, OSError):
        return LokiError("UNAVAILABLE", "Loki %s: connection failed: %s" % (method, exc))
    return LokiError("INTERNAL", "Loki %s: %s: %s" % (method, type(exc).__name__, exc))
