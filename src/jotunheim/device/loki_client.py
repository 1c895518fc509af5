"""Device-side client of loki.LokiService: fixed RPCs plus dynamic `Script_<name>` calls.

Retries follow settings.loki.retries and errors_policy; when Loki is down, `fallback`
"local" runs the on-device script of the same name, "error" reports UNAVAILABLE. The wire
channel and descriptors are imported on first use, so a device without Loki never loads them.
"""

import asyncio
import json

from jotunheim.device.tools import ToolError

SERVICE = "/loki.LokiService/"
# ScriptError.error_type / ScriptResult.metadata["error_type"] -> CommandResult error_code
_SCRIPT_ERRORS = {
    "InvalidArgument": "INVALID_ARGUMENT",
    "NotFound": "NOT_FOUND",
    "ResourceExhausted": "RESOURCE_EXHAUSTED",
    "Timeout": "DEADLINE_EXCEEDED",
}
_STATUS_CODES = {3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED", 5: "NOT_FOUND"}
_STATUS_CODES[8] = "RESOURCE_EXHAUSTED"
_STATUS_CODES[14] = "UNAVAILABLE"


class LokiError(ToolError):
    """A Loki call failed; `error_code` is the CommandResult code (UNAVAILABLE when down)."""

    def __init__(self, code, message):
        super().__init__(message)
        self.error_code = code


def _default_channel(host, port):
    from jotunheim.wire.channel import Channel  # lazy: gRPC/HTTP2 code loads only here

    return Channel(host, port)


def to_parameters(params):
    """ScriptInput.parameters is map<string, string>: strings as-is, the rest as JSON."""
    out = {}
    for key in params:
        value = params[key]
        if value is None:
            continue
        out[key] = value if isinstance(value, str) else json.dumps(value)
    return out


def _status(exc):
    status = getattr(exc, "status", None)
    return status if isinstance(status, int) and not isinstance(status, bool) else None


def _is_down(exc):
    # "Loki is down": no connection, or the server said UNAVAILABLE. DEADLINE_EXCEEDED is not
    # down: the script may have run there, and running it again locally could apply it twice.
    status = _status(exc)
    if status is not None:
        return status == 14
    return isinstance(exc, OSError) or isinstance(exc, _Connect)


class _Connect(Exception):
    """Connecting to Loki failed or timed out (internal marker)."""


class LokiClient:
    """LokiClient(settings.loki dict, channel_factory(host, port), local=ToolRegistry)."""

    def __init__(self, loki, channel_factory=None, local=None, logger=None, backoff_ms=(50, 1000)):
        loki = loki or {}
        self.mode = loki.get("mode", "off")
        self.address = loki.get("address", "127.0.0.1:50052")
        self.timeout_ms = loki.get("timeout_ms", 2000)
        self.retries = loki.get("retries", 2)
        self.fallback = loki.get("fallback", "error")
        self.local = local
        self.log = logger
        self._factory = channel_factory or _default_channel
        self._backoff_ms = backoff_ms
        self._channel = None
        self._lock = asyncio.Lock()
        self.fallbacks = 0  # calls answered locally because Loki was down

    async def _connected(self):
        async with self._lock:
            if self._channel is None:
                host, _, port = self.address.rpartition(":")
                ch = self._factory(host, int(port))
                try:
                    await asyncio.wait_for(ch.connect(), self.timeout_ms / 1000)
                except Exception as exc:
                    await _close_quietly(ch)
                    raise _Connect("cannot reach Loki at %s: %s" % (self.address, exc)) from None
                self._channel = ch
            return self._channel

    async def _unary(self, method, req_name, resp_name, request, idempotent=True):
        from jotunheim._gen.device import loki as loki_d
        from jotunheim.device import errors_policy
        from jotunheim.device.backoff import Backoff
        from jotunheim.device.retry import RetryPolicy, retry

        req_d = getattr(loki_d, req_name)
        resp_d = getattr(loki_d, resp_name)

        async def attempt():
            ch = await self._connected()
            try:
                return await ch.unary_unary(
                    SERVICE + method, req_d, resp_d, request, timeout=self.timeout_ms / 1000
                )
            except Exception as exc:
                if _is_down(exc) or isinstance(exc, OSError):
                    await self._drop(ch)  # reconnect on the next attempt
                raise

        def classify(exc):
            if isinstance(exc, _Connect):
                return errors_policy.RETRY
            verdict = errors_policy.classify(exc)
            # A script call that may have started must not be re-sent (at most once).
            if verdict == errors_policy.RETRY and not idempotent and not _is_down(exc):
                return errors_policy.GIVE_UP
            return verdict

        lo, hi = self._backoff_ms
        policy = RetryPolicy(max(0, int(self.retries)), lo, Backoff(lo, hi))
        return await retry(attempt, policy, classify=classify)

    async def _drop(self, ch):
        if self._channel is ch:
            self._channel = None
        await _close_quietly(ch)

    async def get_capabilities(self):
        """GetCapabilitiesResponse dict."""
        return await self._fixed("GetCapabilities", "GetCapabilitiesRequest", {})

    async def list_scripts(self, name_pattern=""):
        """The ScriptInfo dicts of ListScriptsResponse."""
        req = {"name_pattern": name_pattern}
        resp = await self._fixed("ListScripts", "ListScriptsRequest", req)
        return resp.get("scripts") or []

    async def register_script(
        self, name, inline_script, description="", parameters=None, return_type="", lang="lua"
    ):
        """RegisterScript with inline source; returns the response, raises on failure."""
        req = {
            "name": name,
            "description": description,
            "language": lang,
            "parameters": _loki_params(parameters or []),
            "return_type": return_type,
            "inline_script": inline_script,
        }
        resp = await self._fixed("RegisterScript", "RegisterScriptRequest", req)
        if not resp.get("success"):
            raise LokiError(
                "INVALID_ARGUMENT", "RegisterScript %s: %s" % (name, resp.get("error_message"))
            )
        return resp

    async def _fixed(self, method, req_name, request):
        if self.mode != "remote":
            raise LokiError("UNAVAILABLE", "Loki %s: mode is %s, not remote" % (method, self.mode))
        resp_name = req_name[: -len("Request")] + "Response"
        try:
            return await self._unary(method, req_name, resp_name, request)
        except LokiError:
            raise
        except Exception as exc:
            raise _translate(method, exc) from None

    async def call(self, name, params=None):
        """Runs Script_<name>; returns its output (JSON decoded when it is JSON)."""
        params = params or {}
        if self.mode == "local":
            return await self._run_local(name, params)
        if self.mode != "remote":
            raise LokiError("UNAVAILABLE", "Loki is off on this device (script %s)" % name)
        request = {"parameters": to_parameters(params)}
        try:
            result = await self._unary(
                "Script_" + name, "ScriptInput", "ScriptResult", request, idempotent=False
            )
        except Exception as exc:
            if _is_down(exc) and self.fallback == "local" and self._local_tool(name) is not None:
                self.fallbacks += 1
                if self.log is not None:
                    self.log.warn("Loki down, running script %s on the device", name)
                return await self._run_local(name, params)
            raise _translate("Script_" + name, exc) from None
        return _script_output(name, result)

    def _local_tool(self, name):
        tool = self.local.find(name) if self.local is not None else None
        return tool if tool is not None and tool.kind == "script" else None

    async def _run_local(self, name, params):
        tool = self._local_tool(name)
        if tool is None:
            raise LokiError("UNAVAILABLE", "no on-device script named %s" % name)
        value = tool.handler(tool.validate(params))
        if hasattr(value, "send"):
            value = await value
        return value

    async def close(self):
        ch = self._channel
        self._channel = None
        if ch is not None:
            await _close_quietly(ch)


def _script_output(name, result):
    output = result.get("output", "")
    if not result.get("success"):
        meta = result.get("metadata") or {}
        code = _SCRIPT_ERRORS.get(meta.get("error_type", ""), "INTERNAL")
        raise LokiError(code, "Script_%s failed: %s" % (name, output or meta.get("error", "")))
    try:
        return json.loads(output)
    except ValueError:
        return output  # a plain string result


def _translate(method, exc):
    if isinstance(exc, _Connect):
        return LokiError("UNAVAILABLE", str(exc))
    status = _status(exc)
    if status is not None:
        code = _STATUS_CODES.get(status, "INTERNAL")
        return LokiError(code, "Loki %s: %s" % (method, getattr(exc, "message", None) or exc))
    if isinstance(exc, OSError):
        return LokiError("UNAVAILABLE", "Loki %s: connection failed: %s" % (method, exc))
    if isinstance(exc, asyncio.TimeoutError):
        return LokiError("DEADLINE_EXCEEDED", "Loki %s: timed out" % method)
    return LokiError("INTERNAL", "Loki %s: %s: %s" % (method, type(exc).__name__, exc))


def _loki_params(params):
    # loki.proto ParameterDefinition has no Integer: Lua numbers are all "Number".
    out = []
    for p in params:
        kind = p.get("type", "String")
        out.append(
            {
                "name": p.get("name", ""),
                "type": "Number" if kind == "Integer" else kind,
                "required": bool(p.get("required", False)),
                "description": p.get("description", "") or "",
            }
        )
    return out


async def _close_quietly(ch):
    try:
        await ch.close()
    except Exception:  # closing a broken connection may fail again; nothing to report
        pass
