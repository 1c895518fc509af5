"""Device-side client of loki.LokiService: dynamic `Script_<name>` calls plus the fixed RPCs.

Retries follow settings.loki.retries and errors_policy; when Loki is down, `fallback`
"local" runs the on-device script of the same name, "error" reports UNAVAILABLE. Only the
success path of a script call lives here: the wire channel and descriptors load on first
use, failure handling and retries (loki_failures) on the first failure, and the fixed RPCs
(loki_admin) when called, so a device that calls scripts holds as little code as it can.
"""

import asyncio
import json

from jotunheim.device.tools import ToolError

SERVICE = "/loki.LokiService/"


class LokiError(ToolError):
    """A Loki call failed; `error_code` is the CommandResult code (UNAVAILABLE when down)."""

    def __init__(self, code, message):
        super().__init__(message)
        self.error_code = code


class _Connect(Exception):
    """Connecting to Loki failed or timed out (internal marker: always worth a retry)."""


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

    async def call(self, name, params=None):
        """Runs Script_<name>; returns its output (JSON decoded when it is JSON)."""
        params = params or {}
        if self.mode == "local":
            return await self._run_local(name, params)
        if self.mode != "remote":
            raise LokiError("UNAVAILABLE", "Loki is off on this device (script %s)" % name)
        from jotunheim._gen.device import loki_script as script_d

        request = {"parameters": to_parameters(params)}
        try:
            result = await self._unary(
                "Script_" + name,
                script_d.ScriptInput,
                script_d.ScriptResult,
                request,
                idempotent=False,
            )
        except Exception as exc:
            from jotunheim.device import loki_failures

            return await loki_failures.script_call_failed(self, name, params, exc)
        output = result.get("output", "")
        if not result.get("success"):
            from jotunheim.device import loki_failures

            raise loki_failures.script_error(name, result)
        try:
            return json.loads(output)
        except ValueError:
            return output  # a plain string result

    async def _unary(self, method, req_d, resp_d, request, idempotent=True):
        try:
            return await self._attempt(method, req_d, resp_d, request)
        except Exception as exc:
            from jotunheim.device import loki_failures

            return await loki_failures.retry(self, exc, method, req_d, resp_d, request, idempotent)

    async def _attempt(self, method, req_d, resp_d, request):
        ch = await self._connected()
        try:
            return await ch.unary_unary(
                SERVICE + method, req_d, resp_d, request, timeout=self.timeout_ms / 1000
            )
        except Exception as exc:
            from jotunheim.device import loki_failures

            await loki_failures.after_failed_attempt(self, ch, exc)
            raise

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

    async def _drop(self, ch):
        if self._channel is ch:
            self._channel = None
        await _close_quietly(ch)

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

    async def get_capabilities(self):
        """GetCapabilitiesResponse dict."""
        from jotunheim.device import loki_admin

        return await loki_admin.get_capabilities(self)

    async def list_scripts(self, name_pattern=""):
        """The ScriptInfo dicts of ListScriptsResponse."""
        from jotunheim.device import loki_admin

        return await loki_admin.list_scripts(self, name_pattern)

    async def register_script(
        self, name, inline_script, description="", parameters=None, return_type="", lang="lua"
    ):
        """RegisterScript with inline source; returns the response, raises on failure."""
        from jotunheim.device import loki_admin

        return await loki_admin.register_script(
            self, name, inline_script, description, parameters, return_type, lang
        )

    async def close(self):
        ch = self._channel
        self._channel = None
        if ch is not None:
            await _close_quietly(ch)


async def _close_quietly(ch):
    try:
        await ch.close()
    except Exception:  # closing a broken connection may fail again; nothing to report
        pass
