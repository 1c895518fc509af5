"""A sandboxed PUC Lua 5.4 runtime (lupa) running scripts under memory, instruction, time limits."""

import json
import threading
import time

from lupa import lua54

from jotunheim.loki.errors import (
    ConfigError,
    DeadlineExceeded,
    LokiError,
    ResourceExhausted,
    ScriptRuntimeError,
)
from jotunheim.loki.params import lua_to_python, python_to_lua
from jotunheim.loki.sandbox import SANDBOX_LUA

# Garbage a runtime may keep between calls before we force a full collection; the
# per-call memory limit is relative to what is in use when a call starts.
GC_SLACK_BYTES = 4 * 1024 * 1024
MAX_CHUNK_CACHE = 512
_NOT_UTF8 = "%s: a string leaving Lua (result, print or child argument) is not valid UTF-8"


def _json_encode(ctx, value=None):
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except ValueError as exc:
        raise ScriptRuntimeError("json.encode: %s" % exc) from None


def _json_decode(ctx, text=None):
    if not isinstance(text, str):
        raise ScriptRuntimeError("json.decode: expected a string")
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ScriptRuntimeError("json.decode: %s" % exc) from None


# Modules every script gets besides the children.
BUILTIN_MODULES = {"json": {"encode": _json_encode, "decode": _json_decode}}


def _refuse_attribute(obj, name, is_setting):
    # No Python attribute is ever reachable from Lua, whatever object leaks in.
    raise AttributeError("access to Python attributes is not allowed from Lua")


class CallContext:
    """What one execution knows: its deadline, where print() goes, resources to close after."""

    def __init__(self, script_name, deadline, on_output=None, max_output=1024 * 1024):
        self.script_name = script_name
        self.deadline = deadline  # time.monotonic() seconds
        self.on_output = on_output
        self.output = []
        self.output_bytes = 0
        self.max_output = max_output
        self.truncated = False
        self.cleanups = []

    def remaining(self) -> float:
        """Seconds left before the deadline; DeadlineExceeded when none."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise DeadlineExceeded("%s: time limit exceeded" % self.script_name)
        return left

    def emit(self, text: str) -> None:
        # Bounded for streams too: a script printing in a loop must not queue without end.
        self.output_bytes += len(text) + 1
        if self.output_bytes > self.max_output:
            self.truncated = True
            return
        if self.on_output is not None:
            self.on_output(text)
        else:
            self.output.append(text)

    def close(self) -> None:
        for fn in reversed(self.cleanups):
            try:
                fn()
            except Exception:  # noqa: BLE001 - closing a socket must never mask the result
                pass
        self.cleanups.clear()


class LuaEngine:
    """A LuaRuntime plus its trusted helpers; used by one thread at a time (the pool ensures it)."""

    def __init__(self, children=None, hook_interval=1000):
        self.rt = lua54.LuaRuntime(
            register_eval=False,
            register_builtins=False,
            unpack_returned_tuples=True,
            attribute_filter=_refuse_attribute,
            max_memory=0,  # enables lupa's allocator; the real limit is set per call
        )
        self.ctx = None
        self.hook_interval = hook_interval
        modules = {}
        for mod_name, funcs in {**BUILTIN_MODULES, **(children or {})}.items():
            modules[mod_name] = self.rt.table_from(
                {fname: self._bind(fn) for fname, fn in funcs.items()}
            )
        api = self.rt.execute(SANDBOX_LUA, time.monotonic, self._emit, self.rt.table_from(modules))
        self._state = api["state"]
        self._hook = api["hook"]
        self._sethook = api["sethook"]
        self._prepare = api["prepare"]
        self._compile = api["compile"]
        self._state["step"] = hook_interval
        self._chunks = {}
        self._baseline = self.rt.get_memory_used()

    def _emit(self, text):
        ctx = self.ctx
        if ctx is not None:
            ctx.emit(str(text))

    def _bind(self, fn):
        """Python child function as a Lua-callable returning (ok, value|message)."""

        def call(*args):
            ctx = self.ctx
            try:
                if ctx is None:
                    raise LokiError("child called outside a script execution")
                result = fn(ctx, *[lua_to_python(a) for a in args])
                return True, python_to_lua(self.rt, result)
            except LokiError as exc:
                return False, str(exc)
            except Exception as exc:  # noqa: BLE001 - a child failure is the script's error
                return False, "%s: %s" % (type(exc).__name__, exc)

        return call

    def compile(self, source: str, name: str):
        """Compiled main chunk (text mode, not run); ConfigError carrying Lua's syntax message."""
        key = (name, source)
        chunk = self._chunks.get(key)
        if chunk is not None:
            return chunk
        result = self._compile(source, "=" + name)
        chunk, message = result if isinstance(result, tuple) else (result, None)
        if chunk is None:
            raise ConfigError("%s: does not compile: %s" % (name, message))
        if len(self._chunks) >= MAX_CHUNK_CACHE:
            self._chunks.clear()
        self._chunks[key] = chunk
        return chunk

    def run(self, name, source, params: dict, limits, ctx: CallContext):
        """Runs the script once: (JSON-like first result, failure message or None); LokiError."""
        chunk = self.compile(source, name)
        rt = self.rt
        state = self._state
        self.ctx = ctx
        # lupa's total=False limit is relative to the runtime's size at creation, not to
        # what is in use now (compiled chunks, garbage): make it relative to now ourselves.
        rt.set_max_memory(rt.get_memory_used() + limits.memory_bytes, total=True)
        try:
            self._prepare(chunk, python_to_lua(rt, params), limits.max_instructions, ctx.deadline)
            values = chunk()
        except UnicodeDecodeError:
            # lupa converts every string that reaches Python (results, print, child
            # arguments) from UTF-8; binary strings cannot cross.
            raise ScriptRuntimeError(_NOT_UTF8 % name) from None
        except lua54.LuaMemoryError:
            raise ResourceExhausted(
                "%s: memory limit of %d bytes exceeded" % (name, limits.memory_bytes)
            ) from None
        except lua54.LuaError as exc:
            stopped = state["stopped"]
            if stopped:
                self._raise_stopped(name, stopped, limits)
            # lupa renders only string error values; error({...}) arrives as ""
            message = str(exc) or "script raised a non-string error value"
            if time.monotonic() > ctx.deadline:
                # e.g. a child call (sleep, network) ran into the deadline and raised
                raise DeadlineExceeded(
                    "%s: time limit of %d ms exceeded (%s)" % (name, limits.timeout_ms, message)
                ) from None
            if message.endswith("not enough memory"):
                raise ResourceExhausted(
                    "%s: memory limit of %d bytes exceeded" % (name, limits.memory_bytes)
                ) from None
            raise ScriptRuntimeError(message) from None
        finally:
            # debug.sethook is a C function: clearing the hook runs no VM instruction the
            # (possibly escalated) hook could stop.
            self._sethook()
            rt.set_max_memory(0)
            self.ctx = None
            ctx.close()
            if rt.get_memory_used() > self._baseline + GC_SLACK_BYTES:
                rt.gccollect()
        if state["stopped"]:
            self._raise_stopped(name, state["stopped"], limits)
        if time.monotonic() > ctx.deadline:
            raise DeadlineExceeded("%s: time limit of %d ms exceeded" % (name, limits.timeout_ms))
        try:
            if isinstance(values, tuple):
                if len(values) >= 2 and values[0] is None and values[1] is not None:
                    # Lua's idiom for failure: return nil, "message"
                    return None, str(lua_to_python(values[1]))
                values = values[0] if values else None
            return lua_to_python(values), None
        except UnicodeDecodeError:
            raise ScriptRuntimeError(_NOT_UTF8 % name) from None

    @staticmethod
    def _raise_stopped(name, stopped, limits):
        if "instruction" in stopped:
            raise ResourceExhausted(
                "%s: instruction limit of %d exceeded" % (name, limits.max_instructions)
            )
        raise DeadlineExceeded("%s: time limit of %d ms exceeded" % (name, limits.timeout_ms))


class EnginePool:
    """Idle LuaEngines handed to one caller at a time; grows on demand up to the admission limit."""

    def __init__(self, factory, warm=1):
        self._factory = factory
        self._idle = []
        self._lock = threading.Lock()
        for _ in range(warm):
            self._idle.append(factory())

    def acquire(self) -> LuaEngine:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return self._factory()

    def release(self, engine: LuaEngine) -> None:
        with self._lock:
            self._idle.append(engine)
