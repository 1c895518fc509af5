"""Tool config (JSON): validation into ScriptDefs, and hot reload by polling modification times."""

import json
import logging
import os
import threading

from jotunheim.loki.errors import ConfigError
from jotunheim.loki.registry import make_definition, parse_parameters, read_script_file
from jotunheim.loki.settings import Limits

log = logging.getLogger("jotunheim.loki.toolconfig")

MAX_CONFIG_BYTES = 4 * 1024 * 1024
_TOP_KEYS = {"version", "defaults", "children", "tools"}
_TOOL_KEYS = {
    "name",
    "description",
    "language",
    "parameters",
    "return_type",
    "script",
    "script_path",
    "system",
    "limits",
    "keywords",
}


class ToolConfig:
    """A validated tool config: default limits, children settings and the tool definitions."""

    def __init__(self, path, defaults, children, tools, watched):
        self.path = path
        self.defaults = defaults
        self.children = children
        self.tools = tools
        self.watched = watched  # files whose change triggers a reload


def read_children_config(path: str) -> dict:
    """Only the "children" section (read once at start; children are not hot-reloaded)."""
    try:
        with open(path, "rb") as fh:
            data = json.loads(fh.read(MAX_CONFIG_BYTES).decode("utf-8"))
    except OSError as exc:
        raise ConfigError("%s: cannot read: %s" % (path, exc.strerror)) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError("%s: not valid JSON: %s" % (path, exc)) from None
    children = data.get("children", {}) if isinstance(data, dict) else {}
    if not isinstance(children, dict):
        raise ConfigError(path + ": children: expected an object")
    return children


def load_tool_config(path: str, base_limits: Limits, compile_check=None) -> ToolConfig:
    """Reads and validates `path`; ConfigError names the file and the bad entry."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError("%s: cannot read: %s" % (path, exc.strerror)) from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError("%s: larger than %d bytes" % (path, MAX_CONFIG_BYTES))
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError("%s: not valid JSON: %s" % (path, exc)) from None
    if not isinstance(data, dict):
        raise ConfigError(path + ": expected a JSON object at the top level")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ConfigError("%s: unknown key(s) %s" % (path, sorted(unknown)))
    if data.get("version", 1) != 1:
        raise ConfigError("%s: version: only 1 is supported" % path)
    defaults = base_limits.merged(data.get("defaults"), "defaults")
    children = data.get("children", {})
    if not isinstance(children, dict):
        raise ConfigError(path + ": children: expected an object")
    tools_raw = data.get("tools", [])
    if not isinstance(tools_raw, list):
        raise ConfigError(path + ": tools: expected an array")
    base_dir = os.path.dirname(os.path.abspath(path))
    tools, names, watched = [], set(), [path]
    for i, item in enumerate(tools_raw):
        where = "tools[%d]" % i
        if not isinstance(item, dict):
            raise ConfigError("%s: %s: expected an object" % (path, where))
        if isinstance(item.get("name"), str):
            where = "tools[%d] (%s)" % (i, item["name"])
        try:
            tools.append(_tool(item, where, base_dir, defaults, watched, compile_check))
        except ConfigError as exc:
            raise ConfigError("%s: %s" % (path, exc)) from None
        if tools[-1].name in names:
            raise ConfigError("%s: %s: duplicate tool name" % (path, where))
        names.add(tools[-1].name)
    return ToolConfig(path, defaults, children, tools, watched)


def _tool(item, where, base_dir, defaults, watched, compile_check):
    unknown = set(item) - _TOOL_KEYS
    if unknown:
        raise ConfigError("%s: unknown key(s) %s" % (where, sorted(unknown)))
    has_inline, has_path = "script" in item, "script_path" in item
    if has_inline == has_path:
        raise ConfigError(where + ': give exactly one of "script" (inline) or "script_path"')
    if has_inline:
        source = item["script"]
        if not isinstance(source, str):
            raise ConfigError(where + ".script: expected a string")
    else:
        source = read_script_file(base_dir, item["script_path"], where + ".script_path")
        watched.append(os.path.join(base_dir, item["script_path"]))
    system = item.get("system", False)
    if not isinstance(system, bool):
        raise ConfigError(where + ".system: expected true or false")
    keywords = item.get("keywords", [])
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
        raise ConfigError(where + ".keywords: expected an array of strings")
    definition = make_definition(
        item.get("name"),
        source,
        description=item.get("description", ""),
        language=item.get("language", "lua"),
        parameters=parse_parameters(item.get("parameters"), where + ".parameters"),
        return_type=item.get("return_type", ""),
        script_path=item.get("script_path", ""),
        origin="config",
        system=system,
        limits=defaults.merged(item.get("limits"), where + ".limits"),
        keywords=keywords,
        where=where,
    )
    if compile_check is not None:
        try:
            compile_check(definition)
        except ConfigError as exc:
            raise ConfigError("%s: %s" % (where, exc)) from None
    return definition


def _mtimes(paths):
    stamps = []
    for p in paths:
        try:
            st = os.stat(p)
            stamps.append((p, st.st_mtime_ns, st.st_size))
        except OSError:
            stamps.append((p, None, None))
    return stamps


class ToolConfigWatcher:
    """Polls the config file and its script files; on change validates all, then swaps at once.
    A broken file keeps the last good tools and records why in `last_error`."""

    def __init__(self, path, base_limits, compile_check, apply, interval_s=1.0):
        self.path = path
        self.base_limits = base_limits
        self.compile_check = compile_check
        self.apply = apply
        self.interval_s = interval_s
        self.last_error = None
        self.generation = 0
        self._stamps = None
        self._stop = threading.Event()
        self._thread = None

    def load_initial(self) -> ToolConfig:
        """First load: an invalid file is fatal here (raises ConfigError)."""
        config = load_tool_config(self.path, self.base_limits, self.compile_check)
        self._stamps = _mtimes(config.watched)
        self.apply(config)
        self.generation = 1
        return config

    def poll(self) -> bool:
        """Reloads when a watched file changed; True when a new config was applied."""
        watched = [s[0] for s in self._stamps] if self._stamps else [self.path]
        stamps = _mtimes(watched)
        if stamps == self._stamps:
            return False
        self._stamps = stamps
        try:
            config = load_tool_config(self.path, self.base_limits, self.compile_check)
        except ConfigError as exc:
            self.last_error = str(exc)
            log.error("tool config not reloaded, keeping the last good one: %s", exc)
            return False
        self._stamps = _mtimes(config.watched)
        self.apply(config)
        self.last_error = None
        self.generation += 1
        log.info("tool config reloaded: %d tools", len(config.tools))
        return True

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="loki-toolconfig", daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(self.interval_s):
            try:
                self.poll()
            except Exception:  # noqa: BLE001 - the watcher must survive anything a file does
                log.exception("tool config poll failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
