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

_ADMIN_CALLS = const("get_capabilities list_scripts register_script")


def __getattr__(name):
    # LokiError is made the first time it is imported (by a failure path, loki_admin or a
    # test; a successful call never does) and kept here, so there is only one such class:
    # an exception class costs ~0.3 KB of heap even with the code in ROMFS.
    if name != "LokiError":
        raise AttributeError(name)
    global LokiError

    class LokiError(ToolError):
        """A Loki call failed; `error_code` is the CommandResult code (UNAVAILABLE when
        down)."""

        unreachable = False  # True for the client's own "cannot reach Loki": nothing sent

        def __init__(self, code, message):
            super().__init__(message)
            self.error_code = code

    return LokiError


class LokiClient:
    """LokiClient(settings.loki dict, channel_factory(host, port), local=ToolRegistry)."""

    def __init__(self, loki, channel_factory=None, local=None, logger=None, backoff_ms=None):
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
        self._lock = asyncio.Lock()
        # Only what was given takes an instance slot: the agent's client has 12 attributes
        # once a call ran (an attribute map of up to 12 costs ~100 B less than 13-17).
        if logger is not None:
            self.log = logger
        if channel_factory is not None:
            self._factory = channel_factory
        if backoff_ms is not None:
            self._backoff_ms = backoff_ms

    # Class defaults: an instance stores them once they change.
    log = None
    _factory = None  # channel_factory(host, port); None: wire.channel.Channel
    _backoff_ms = (50, 1000)  # retry backoff bounds (loki_failures)
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
        if self.mode == "remote":
            from jotunheim.device import loki_link as run
        else:  # "local": the on-device script; "off": UNAVAILABLE (loki_failures.script_call)
            from jotunheim.device import loki_failures as run
        try:
            return await run.script_call(self, name, params)
        finally:
            if not self._calls and self._channel is not None:
                free = self.free_heap()
                if 0 <= free < self.close_below:
                    gc.collect()  # garbage counts as allocated until a collection
                    if self.free_heap() < self.close_below:
                        await self.close()
            self._release()

    def __getattr__(self, name):
        # The fixed RPCs live in loki_admin, loaded when one is asked for (see there for
        # their parameters): get_capabilities(), list_scripts(name_pattern=""),
        # register_script(name, inline_script, description="", parameters=None,
        # return_type="", lang="lua"). One lookup here instead of three resident wrappers.
        if name in _ADMIN_CALLS.split():
            from jotunheim.device import loki_admin

            call = getattr(loki_admin, name)
            return lambda *args, **kwargs: call(self, *args, **kwargs)
        raise AttributeError(name)

    async def close(self, idle_only=False):
        """Closes the channel to Loki (the next call dials again) and drops the call code;
        `idle_only`: not while a call is using it (the agent's answer to critical memory)."""
        if idle_only and self._calls:
            return
        if self._channel is not None:
            from jotunheim.device import loki_link  # loaded while a channel is open

            ch = loki_link.take_channel(self)
            try:
                await ch.close()
            except Exception:  # closing a broken connection may fail again; nothing to report
                pass
        self._release()

    def _release(self):
        # No channel and no call in flight: drop the call code (MicroPython only; CPython
        # keeps its modules, and a re-imported class there would be a new class). A call
        # still running keeps its module's globals; the next call imports a fresh copy.
        if IS_MICROPYTHON and self._channel is None and not self._calls:
            unload(*_CALL_MODULES.split())
