"""Tools declared in capability_configuration.tools: on-device MicroPython scripts and Loki calls.

A script file defines `run(params)` (plain or `async def`) returning a JSON-able value. It is
read and compiled on its first call, not at boot, so unused scripts cost no heap. The tool
for a settings entry is made by capability_build.config_tool; kind "loki" handlers are in
loki_call.
"""

from jotunheim.device.tools import Tool, run_dropped

MAX_SCRIPT_BYTES = 32768  # a script is compiled in RAM on the device: refuse bigger files


class ScriptRunner:
    """Loads a script file lazily and calls its `run(params)`."""

    def __init__(self, name, path, env=None):
        self.name = name
        self.path = path
        if env:
            self._env = env

    _env = {}  # read only (copied into the script's namespace): safe to share
    _run = None  # the script's run(), once loaded

    def __call__(self, params):
        if self._run is None:
            # Reading and compiling a script happens once per script: script_loader is
            # loaded for it and dropped again (tools.run_dropped).
            self._run = run_dropped("script_loader", "load", self)
        return self._run(params)


class ConfigTool(Tool):
    """A configured tool whose description and parameters stay in the settings.

    The settings keep every section as compact text (settings.py), so holding the entry's
    parsed dicts here would double them; a command to this tool re-reads them instead (a
    script or Loki call costs far more than that parse).
    """

    def __init__(self, name, kind, return_type, handler, source):
        self.name = name
        self.kind = kind
        if return_type != "Object":
            self.return_type = return_type
        self.handler = handler
        self._source = source

    def _entry(self):
        for cfg in self._source().get("tools") or ():
            if cfg.get("name") == self.name:
                return cfg
        return {}  # removed from the settings: the next configure() drops this tool

    @property
    def description(self):
        return self._entry().get("description") or ""

    @property
    def parameters(self):
        return self._entry().get("parameters") or []


def script_tool(name, path, parameters=None, description="", return_type="Object", env=None):
    """A Tool running the on-device script at `path` (for scripts registered at runtime)."""
    return Tool(name, description, parameters, return_type, ScriptRunner(name, path, env), "script")
