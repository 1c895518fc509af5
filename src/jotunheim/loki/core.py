"""Loki's core, independent of gRPC: registry, tool config, children, admission and execution."""

import logging
import os
import time

from jotunheim.loki.children import build_children
from jotunheim.loki.engine import CallContext, EnginePool, LuaEngine
from jotunheim.loki.errors import ConfigError, InvalidArgument, LokiError, ScriptNotFound
from jotunheim.loki.params import check_return, convert_params
from jotunheim.loki.registry import (
    Registry,
    ScriptStore,
    make_definition,
    parse_parameters,
    read_script_file,
)
from jotunheim.loki.scheduler import Admission, StuckCallWatchdog
from jotunheim.loki.settings import LokiSettings
from jotunheim.loki.toolconfig import ToolConfigWatcher, read_children_config

log = logging.getLogger("jotunheim.loki")


class RunResult:
    """The outcome of one successful execution (failures raise LokiError)."""

    def __init__(self, value, failure, ctx, elapsed_s):
        self.value = value  # JSON-like result (checked against the declared return type)
        self.failure = failure  # message when the script returned nil, "message"
        self.output = ctx.output
        self.truncated = ctx.truncated
        self.elapsed_s = elapsed_s


class LokiCore:
    def __init__(self, settings: LokiSettings):
        self.settings = settings
        os.makedirs(settings.data_dir, exist_ok=True)
        children_config = dict(settings.children)
        if settings.tools_path and not children_config:
            children_config = read_children_config(settings.tools_path)
        for name, section in children_config.items():
            if name not in ("fenrir", "jormungandr", "hel") or not isinstance(section, dict):
                raise ConfigError(
                    "children.%s: expected one of fenrir, jormungandr, hel "
                    "with an object as value" % name
                )
        try:
            self.children = build_children(settings.data_dir, children_config)
        except (LokiError, ValueError, TypeError, AttributeError) as exc:
            raise ConfigError("children: %s" % exc) from None
        functions = {c.name: c.functions() for c in self.children}
        self.pool = EnginePool(lambda: LuaEngine(functions, settings.hook_interval), warm=2)
        self.admission = Admission(
            settings.max_running, settings.system_reserved, settings.queue_size
        )
        self.watchdog = StuckCallWatchdog(self.admission, settings.stuck_grace_ms / 1000.0, log=log)
        self.store = ScriptStore(settings.data_dir)
        self.registry = Registry(self.store)
        defs, errors = self.store.load(settings.limits)
        good = []
        for d in defs:
            try:
                self.compile_check(d)
                good.append(d)
            except ConfigError as exc:
                errors.append(str(exc))
        for message in errors:
            log.error("persisted script skipped: %s", message)
        self.registry.load_registered(good)
        self.watcher = None
        if settings.tools_path:
            self.watcher = ToolConfigWatcher(
                settings.tools_path,
                settings.limits,
                self.compile_check,
                lambda cfg: self.registry.replace_config(cfg.tools),
                settings.reload_interval_s,
            )
            self.watcher.load_initial()

    def start(self):
        self.watchdog.start()
        if self.watcher is not None:
            self.watcher.start()

    def close(self):
        self.watchdog.stop()
        if self.watcher is not None:
            self.watcher.stop()
        for child in self.children:
            child.close()

    def compile_check(self, definition) -> None:
        """Compiles (never runs) the script in a sandboxed runtime; ConfigError if it fails."""
        engine = self.pool.acquire()
        try:
            engine.compile(definition.source, definition.name)
        finally:
            self.pool.release(engine)

    def register(self, name, description, language, parameters, return_type, inline, path):
        """RegisterScript: validate, compile, persist, expose; ConfigError with the reason."""
        if inline is None and path is None:
            raise ConfigError("give inline_script or script_path")
        source = inline
        if path is not None:
            source = read_script_file(self.settings.data_dir, path, "script_path")
        definition = make_definition(
            name,
            source,
            description=description,
            language=language,
            parameters=parse_parameters(parameters, "parameters"),
            return_type=return_type,
            script_path=path or "",
            limits=self.settings.limits,
            where="script %r" % (name,),
        )
        self.compile_check(definition)
        self.registry.register(definition)
        return definition

    def lookup(self, name):
        definition = self.registry.get(name)
        if definition is None:
            raise ScriptNotFound("no script named %r is registered" % (name,))
        return definition

    def run(self, definition, raw_params: dict, client_timeout=None, on_output=None) -> RunResult:
        """Converts parameters, waits for a slot, runs the script; LokiError on failure."""
        params = convert_params(definition.parameters, raw_params)
        return self.run_typed(definition, params, client_timeout, on_output)

    def run_typed(self, definition, params, client_timeout=None, on_output=None) -> RunResult:
        limits = definition.limits
        start = time.monotonic()
        wait = self.settings.queue_timeout_ms / 1000.0
        if client_timeout is not None:
            wait = min(wait, client_timeout)
        self.admission.acquire(definition.name, limits.max_concurrent, definition.system, wait)
        budget = limits.timeout_ms / 1000.0
        if client_timeout is not None:
            budget = min(budget, client_timeout - (time.monotonic() - start))
        deadline = time.monotonic() + budget
        ticket = self.watchdog.begin(definition.name, deadline)  # releases the slot at end()
        try:
            ctx = CallContext(definition.name, deadline, on_output, self.settings.max_output_bytes)
            engine = self.pool.acquire()
            try:
                value, failure = engine.run(definition.name, definition.source, params, limits, ctx)
            finally:
                self.pool.release(engine)
        finally:
            self.watchdog.end(ticket)
        if failure is None:
            value = check_return(value, definition.return_type)
        return RunResult(value, failure, ctx, time.monotonic() - start)

    def run_inline(self, source, raw_params: dict, client_timeout=None) -> RunResult:
        """ExecuteScript with script_content: a one-off script, parameters passed as strings."""
        for key in raw_params:
            if not isinstance(key, str) or not key:
                raise InvalidArgument("parameter names must be non-empty strings")
        try:
            definition = make_definition("inline", source, limits=self.settings.limits)
            self.compile_check(definition)
        except ConfigError as exc:
            raise InvalidArgument(str(exc)) from None
        return self.run_typed(definition, dict(raw_params), client_timeout)

    def children_status(self):
        now_ms = int(time.time() * 1000)
        result = []
        for child in self.children:
            try:
                available, message = child.status()
            except Exception as exc:  # noqa: BLE001 - a failing check means unavailable
                available, message = False, "health check failed: %s" % exc
            result.append((child, bool(available), message, now_ms))
        return result
