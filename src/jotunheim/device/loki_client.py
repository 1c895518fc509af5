"""Device-side client of loki.LokiService: dynamic `Script_<name>` calls plus the fixed RPCs.

Retries follow settings.loki.retries and errors_policy; when Loki is down, `fallback`
"local" runs the on-device script of the same name, "error" reports UNAVAILABLE. Only the
success path of a script call lives here: the wire channel and descriptors load on first
use, failure handling and retries (loki_failures) on the first failure, and the fixed RPCs
(loki_admin) when called, so a device that calls scripts holds as little code as it can.
"""

import asyncio
import json

from jotunheim.compat import const, ticks_diff, ticks_ms
from jotunheim.device.tools import ToolError

_SERVICE = const("/loki.LokiService/")


class LokiError(ToolError):
    """A Loki call failed; `error_code` is the CommandResult code (UNAVAILABLE when down)."""

    unreachable = False  # True for the client's own "cannot reach Loki": nothing was sent

    def __init__(self, code, message):
        super().__init__(message)
        self.error_code = code


class LokiClient:
    """LokiClient(settings.loki dict, channel_factory(host, port), local=ToolRegistry)."""

    def __init__(self, loki, channel_factory=None, local=None, logger=None, backoff_ms=(50, 1000)):
        loki = loki or {}
        self.mode = loki.get("mode", "off")
        self.address = loki.get("address", "127.0.0.1:50052")
        self.timeout_ms = loki.get("timeout_ms", 2000)
        self.retries = loki.get("retries", 2)
        self.fallback = loki.get("fallback", "error")
        # An open channel keeps ~6 KB of heap (buffers, HTTP/2 and HPACK state) on the
        # 64-bit unix port: closed after this long without a call, 0 keeps it open.
        self.idle_close_ms = loki.get("idle_close_ms", 30000)
        self.local = local
        self.log = logger
        self._factory = channel_factory
        self._backoff_ms = backoff_ms
        self._lock = asyncio.Lock()

    # Class defaults: an instance stores them once they change.
    _channel = None
    fallbacks = 0  # calls answered locally because Loki was down
    _calls = 0  # calls in flight on the open channel
    _used = 0  # ticks_ms() when the last call on it ended

    async def call(self, name, params=None):
        """Runs Script_<name>; returns its output (JSON decoded when it is JSON)."""
        params = params or {}
        if self.mode == "local":
            return await self._run_local(name, params)
        if self.mode != "remote":
            raise LokiError("UNAVAILABLE", "Loki is off on this device (script %s)" % name)
        from jotunheim._gen.device import loki_script as script_d

        # ScriptInput.parameters is map<string, string>: strings as-is, the rest as JSON.
        strings = {}
        for key in params:
            value = params[key]
            if value is not None:
                strings[key] = value if isinstance(value, str) else json.dumps(value)
        request = {"parameters": strings}
        try:
            result = await self._unary(
                "Script_" + name, script_d.ScriptInput, script_d.ScriptResult, request
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

    async def _unary(self, method, req_d, resp_d, request):
        # One call, retried as the settings allow: loki_failures.retry re-sends a Script_
        # call only when Loki looked down (no connection, a dropped one, UNAVAILABLE), never
        # after an answer or a deadline, when the script may have run.
        try:
            return await self._attempt(method, req_d, resp_d, request)
        except Exception as exc:
            from jotunheim.device import loki_failures

            return await loki_failures.retry(self, exc, method, req_d, resp_d, request)

    async def _attempt(self, method, req_d, resp_d, request):
        # One try: connect when no channel is open (one connect at a time), then call.
        async with self._lock:
            ch = self._channel
            if ch is None:
                host, _, port = self.address.rpartition(":")
                factory = self._factory
                if factory is None:  # lazy: gRPC/HTTP2 code loads only here
                    from jotunheim.wire.channel import Channel as factory
                ch = factory(host, int(port))
                try:
                    await asyncio.wait_for(ch.connect(), self.timeout_ms / 1000)
                except Exception as exc:
                    from jotunheim.device import loki_failures

                    await loki_failures.after_failed_attempt(self, ch, exc)  # closes it
                    # Nothing was sent: loki_failures retries it, even for a Script_ call.
                    err = LokiError(
                        "UNAVAILABLE", "cannot reach Loki at %s: %s" % (self.address, exc)
                    )
                    err.unreachable = True
                    raise err from None
                self._channel = ch
                if self.idle_close_ms:
                    asyncio.create_task(self._close_when_idle(ch))
            self._calls += 1
        try:
            return await ch.unary_unary(
                _SERVICE + method, req_d, resp_d, request, timeout=self.timeout_ms / 1000
            )
        except Exception as exc:
            from jotunheim.device import loki_failures

            await loki_failures.after_failed_attempt(self, ch, exc)
            raise
        finally:
            self._calls -= 1
            self._used = ticks_ms()

    async def _close_when_idle(self, ch):
        # One task per opened channel: it ends when the channel is closed, by itself or not.
        self._used = ticks_ms()
        while self._channel is ch:
            left = self.idle_close_ms - ticks_diff(ticks_ms(), self._used)
            if left <= 0 and not self._calls:
                await self.close()
                return
            await asyncio.sleep(max(left, 50) / 1000)

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

    # The fixed RPCs live in loki_admin (see there for their parameters): these wrappers
    # pass the arguments through, so their names are not repeated in this resident module.

    async def get_capabilities(self):
        """GetCapabilitiesResponse dict."""
        from jotunheim.device import loki_admin

        return await loki_admin.get_capabilities(self)

    async def list_scripts(self, name_pattern=""):
        """The ScriptInfo dicts of ListScriptsResponse."""
        from jotunheim.device import loki_admin

        return await loki_admin.list_scripts(self, name_pattern)

    async def register_script(self, *args, **kwargs):
        """RegisterScript with inline source; returns the response, raises on failure.
        register_script(name, inline_script, description="", parameters=None,
        return_type="", lang="lua")."""
        from jotunheim.device import loki_admin

        return await loki_admin.register_script(self, *args, **kwargs)

    async def close_if_idle(self):
        """Closes the channel unless a call is using it (the agent's answer to critical
        memory: the next call dials again)."""
        if not self._calls:
            await self.close()

    async def close(self):
        ch = self._channel
        self._channel = None
        if ch is not None:
            try:
                await ch.close()
            except Exception:  # closing a broken connection may fail again; nothing to report
                pass
