"""Device tools: what a command can call, with declared parameters checked before anything runs.

A `Tool` pairs a capability definition (name, description, typed parameters, return type)
with a handler; `ToolRegistry` holds them by name and tells listeners when the set changes.
"""

import sys

from jotunheim.compat import IS_MICROPYTHON, unload
from jotunheim.errors import JotunheimError


class ToolError(JotunheimError):
    """A command cannot run; `error_code` is the CommandResult code it maps to."""

    error_code = "INTERNAL"


class InvalidArgument(ToolError):
    """Arguments do not match the tool's declared parameters."""

    error_code = "INVALID_ARGUMENT"


# Three more errors are made on first use by the module __getattr__ below and kept as module
# globals (so each class is made once): a class costs ~0.25 KB of heap even with the code in
# ROMFS, and a device whose tools are well formed, found and reachable never raises them.
#   ToolNotFound(ToolError), error_code NOT_FOUND: no tool of that name is registered;
#   Unavailable(ToolError), error_code UNAVAILABLE: a dependency of the tool (Loki, a bus)
#     cannot be reached;
#   ToolDefinitionError(JotunheimError): a tool definition (name, parameter list) is itself
#     malformed.
def __getattr__(name):
    # Attribute access and `from tools import X` call this for a missing name only; the raise
    # site below calls it directly, so a class already made is returned as it is.
    made = globals().get(name)
    if made is not None:
        return made
    if name == "ToolNotFound":
        made = type(name, (ToolError,), {"error_code": "NOT_FOUND"})
    elif name == "Unavailable":
        made = type(name, (ToolError,), {"error_code": "UNAVAILABLE"})
    elif name == "ToolDefinitionError":
        made = type(name, (JotunheimError,), {})
    else:
        raise AttributeError(name)
    globals()[name] = made
    return made


def run_dropped(module, name, *args, **kw):
    """jotunheim.device.<module>.<name>(*args, **kw) with the module imported for the call. On
    MicroPython the outermost such call drops it again afterwards (as settings.py does with
    its validator), also when build_call loaded it meanwhile, but not when a plain import did
    (tests preload that way): code needed now and then (building capabilities, loading a
    script) stays out of the heap in between. A function of it still running (a coroutine)
    keeps that module's globals alive until it ends."""
    full = "jotunheim.device." + module
    drop = module not in _RUNNING and (full not in sys.modules or module in _CALL_LOADED)
    _RUNNING.append(module)
    __import__(full)
    try:
        return getattr(sys.modules[full], name)(*args, **kw)
    finally:
        _RUNNING.remove(module)
        if IS_MICROPYTHON and drop:
            if module in _CALL_LOADED:
                _CALL_LOADED.remove(module)
            unload(full)


_RUNNING = []  # modules with a run_dropped() call in progress: nested calls keep them
_CALL_LOADED = []  # modules build_call loaded: the next outermost run_dropped drops them


def build_call(name, *args, **kw):
    """capability_build.<name>(*args): definition checks and the capabilities' wire form live
    there. Imported on first use and left loaded; the next configure()/build() (through
    run_dropped) drops it on MicroPython, so a device does not carry it between builds."""
    full = "jotunheim.device.capability_build"
    if full not in sys.modules:
        __import__(full)
        _CALL_LOADED.append("capability_build")
    return getattr(sys.modules[full], name)(*args, **kw)


class Tool:
    """A callable tool: `handler(params)` returns a JSON-able value (or a coroutine of one).

    Subclasses (the generated hardware tools) may define `handler` as a method and
    `description` as a property instead of storing them: that saves heap per tool.
    """

    description = ""
    return_type = "Object"
    kind = "builtin"
    handler = None

    def __init__(
        self,
        name,
        description="",
        parameters=None,
        return_type="Object",
        handler=None,
        kind="builtin",
    ):
        params = [] if parameters is None else parameters
        build_call("check_tool", name, params, kind)  # name, kind, parameter definitions
        self.name = name
        self.parameters = params
        # Only values that differ from the class defaults take a slot in the instance.
        if description:
            self.description = description
        if return_type and return_type != "Object":
            self.return_type = return_type
        if handler is not None:
            self.handler = handler
        if kind != "builtin":
            self.kind = kind

    def definition(self):
        """The capability.proto Tool dict (only the fields the wire carries)."""
        return build_call("definition", self)

    def validate(self, args):
        """Checks `args` against the declared parameters; returns the cleaned dict."""
        params = self.parameters  # read once: subclasses may derive it on access
        if not isinstance(args, dict):
            self._reject("object", None, args)
        known = 0
        for p in params:
            if p["name"] in args:
                known += 1
        if known != len(args):
            self._reject("unknown", params, args)
        out = {}
        for p in params:
            value = args.get(p["name"])
            if value is None:
                if p.get("required"):
                    self._reject("missing", p, None)
                continue
            kind = p["type"]
            is_bool = isinstance(value, bool)
            if kind == "String":
                ok = isinstance(value, str)
            elif kind == "Boolean":
                ok = is_bool
            elif kind == "Object":
                ok = isinstance(value, dict)
            elif kind == "Array":
                ok = isinstance(value, list)
            else:
                # Integer or Number, and finite (CPython's json accepts NaN and Infinity):
                # NaN - NaN and inf - inf are NaN, which is not equal to 0.
                ok = isinstance(value, (int, float)) and not is_bool and value - value == 0
                if ok and kind == "Integer" and isinstance(value, float):
                    # JSON has one number type: 3.0 is an acceptable spelling of 3.
                    ok = value == int(value)
                    if ok:
                        value = int(value)
            if not ok:
                self._reject("type", p, value)
            if p.get("min") is not None and value < p["min"]:
                self._reject("min", p, value)
            if p.get("max") is not None and value > p["max"]:
                self._reject("max", p, value)
            allowed = p.get("enum")
            if allowed is not None and value not in allowed:
                self._reject("enum", p, value)
            out[p["name"]] = value
        return out

    def _reject(self, problem, about, value):
        # The messages are built on the first bad call only: tool_args is not loaded on a
        # device whose commands are well formed.
        from jotunheim.device.tool_args import rejection

        raise rejection(self.name, problem, about, value)


class ToolRegistry:
    """Tools by name; listeners (`callback(registry)`) hear about every change.

    One list in registration order (the order tools appear in the capabilities): a device
    has tens of tools, so a scan by name is quick, and it saves the heap of a dict beside
    the list (~300 B for 12 tools on the 64-bit unix port).
    """

    def __init__(self):
        self._tools = []

    version = 0  # an instance attribute from the first change on
    _listeners = ()  # a list from the first on_change()

    def _index(self, name):
        tools = self._tools
        for i in range(len(tools)):
            if tools[i].name == name:
                return i
        return -1

    def register(self, tool, notify=True):
        """Adds or replaces `tool` (a replacement keeps its place)."""
        i = self._index(tool.name)
        if i < 0:
            self._tools.append(tool)
        else:
            self._tools[i] = tool
        self.version += 1
        if notify:
            self.notify()

    def get(self, name):
        """The tool called `name`; raises ToolNotFound."""
        tool = self.find(name) if isinstance(name, str) else None
        if tool is None:
            raise __getattr__("ToolNotFound")("no tool named %r" % (name,))
        return tool

    def find(self, name):
        i = self._index(name)
        return None if i < 0 else self._tools[i]

    def __len__(self):
        return len(self._tools)

    def __contains__(self, name):
        return self._index(name) >= 0

    def on_change(self, callback):
        if not self._listeners:
            self._listeners = []
        self._listeners.append(callback)

    def notify(self):
        """Tells listeners about changes made with notify=False."""
        for cb in list(self._listeners):
            cb(self)

    # unregister(name, notify=True) -> True when the tool existed; names(); definitions()
    # (each tool's capability.proto dict). Used when capabilities are (re)built and by tests:
    # served from capability_build (build_call) rather than kept as methods in the heap.
    def __getattr__(self, name):
        if name in ("unregister", "names", "definitions"):
            return lambda *args, **kw: build_call(name, self, *args, **kw)
        raise AttributeError(name)
