"""Device-side client of loki.LokiService: dynamic `Script_<name>` calls plus the fixed RPCs.

Retries follow settings.loki.retries and errors_policy; when Loki is down, `fallback`
"local" runs the on-device script of the same name, "error" reports UNAVAILABLE. Only the
client's settings and state live here: the gRPC side (loki_link, the ScriptInput/ScriptResult
descriptors) loads with a call and is dropped when the channel to Loki closes, failure
handling and retries (loki_failures) load on the first failure, and the fixed RPCs
(loki_admin) when called, so a device between Loki calls holds as little code as it can.
"""

import asyncio
import gc

from jotunheim.compat import IS_MICROPYTHON, const, mem_free, unload
from jotunheim.device.tools import ToolError

# What a burst of calls loads (code lives in the heap on MicroPython, ~9 KB): dropped when
# the channel closes, with the channel (~5 KB), so the heap goes back to what it was before
# the first call but for this client. The next call imports them again (~0.3 ms as .mpy).
# One string, split when used: module names are interned, so split() makes no new strs.
_CALL_MODULES = const(
    "jotunheim.device.loki_link jotunheim.device.loki_failures jotunheim.device.loki_admin "
    "jotunheim._gen.device.loki_script jotunheim._gen.device.loki jotunheim.wire.pbmaps"
)


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
        # An open channel keeps ~5 KB of heap (buffers, HTTP/2 and HPACK state) and the call
        # code ~9 KB on the 64-bit unix port: closed after this long without a call, 0 keeps it.
        self.idle_close_ms = loki.get("idle_close_ms", 30000)
        self.local = local
        self.log = logger
        self._factory = channel_factory
        self._backoff_ms = backoff_ms
        self._lock = asyncio.Lock()

    # Class defaults: an instance stores them once they change.
    _channel = None
    _idle = None  # the open channel's idle-close task (loki_link)
    fallbacks = 0  # calls answered locally because Loki was down
    _calls = 0  # calls in flight on the open channel
    _used = 0  # ticks_ms() when the last call on it ended
    # Under this much free heap after a call (twice the default 16 KB memory floor) the call
    # closes its channel at once instead of after idle_close_ms: on a small heap the channel
    # and the call code (~6 KB with the code in ROMFS, ~10 KB as .mpy) are what the next
    # command or a reconnect to the hub needs. A roomy device keeps it open, so that calls
    # in a burst do not dial again. 0 never closes early.
    close_below = 32768
    free_heap = staticmethod(mem_free)  # -1 where the runtime has no fixed heap (CPython)

    async def call(self, name, params=None):
        """Runs Script_<name>; returns its output (JSON decoded when it is JSON)."""
        params = params or {}
        if self.mode == "local":
            return await self._run_local(name, params)
        if self.mode != "remote":
            raise LokiError("UNAVAILABLE", "Loki is off on this device (script %s)" % name)
        from jotunheim.device import loki_link

        try:
            return await loki_link.script_call(self, name, params)
        finally:
            if not self._calls and self._channel is not None and self._short_of_heap():
                await self.close()
            self._release()

    def _short_of_heap(self):
        free = self.free_heap()
        if 0 <= free < self.close_below:
            gc.collect()  # garbage counts as allocated until a collection: ask again after
            free = self.free_heap()
        return 0 <= free < self.close_below

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
        """Closes the channel to Loki (the next call dials again) and drops the call code."""
        ch = self._take_channel()
        if ch is not None:
            try:
                await ch.close()
            except Exception:  # closing a broken connection may fail again; nothing to report
                pass
        self._release()

    def _take_channel(self):
        # The open channel, forgotten, and its idle-close task cancelled (unless that task
        # is the caller): a sleeping task would keep the closed channel and loki_link alive.
        ch = self._channel
        self._channel = None
        task = self._idle
        self._idle = None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
        return ch

    def _release(self):
        # No channel and no call in flight: drop the call code (MicroPython only; CPython
        # keeps its modules, and a re-imported class there would be a new class). A call
        # still running keeps its module's globals; the next call imports a fresh copy.
        if IS_MICROPYTHON and self._channel is None and not self._calls:
            unload(*_CALL_MODULES.split())
