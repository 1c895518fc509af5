"""Device tools: what a command can call, with declared parameters checked before anything runs.

A `Tool` pairs a capability definition (name, description, typed parameters, return type)
with a handler; `ToolRegistry` holds them by name and tells listeners when the set changes.
"""

from jotunheim.errors import JotunheimError

# Parameter types shared with capability.proto / loki.proto ParameterDefinition.type.
TYPES = ("String", "Number", "Integer", "Boolean", "Object", "Array")
KINDS = ("builtin", "script", "loki")
MAX_TOOL_NAME = 64  # capability names travel in every CapabilityResponse: keep them short


class ToolError(JotunheimError):
    """A command cannot run; `error_code` is the CommandResult code it maps to."""

    error_code = "INTERNAL"


class InvalidArgument(ToolError):
    """Arguments do not match the tool's declared parameters."""

    error_code = "INVALID_ARGUMENT"


class ToolNotFound(ToolError):
    """No tool of that name is registered."""

    error_code = "NOT_FOUND"


class Unavailable(ToolError):
    """A dependency of the tool (Loki, a bus) cannot be reached."""

    error_code = "UNAVAILABLE"


class ToolDefinitionError(JotunheimError):
    """A tool definition (name, parameter list) is itself malformed."""


def _valid_name(name):
    if not isinstance(name, str) or not name or len(name) > MAX_TOOL_NAME:
        return False
    for ch in name:
        if not (ch == "_" or ch.isalpha() or ch.isdigit()):
            return False
    return not name[0].isdigit()


def _check_definition(tool_name, params):
    if not isinstance(params, list):
        raise ToolDefinitionError("tool %s: parameters must be a list" % tool_name)
    seen = {}
    for i, p in enumerate(params):
        where = "tool %s: parameters[%d]" % (tool_name, i)
        if not isinstance(p, dict):
            raise ToolDefinitionError(where + ": expected an object")
        name = p.get("name")
        if not _valid_name(name):
            raise ToolDefinitionError(where + ".name: expected an identifier")
        if name in seen:
            raise ToolDefinitionError(where + ".name: duplicate parameter %s" % name)
        seen[name] = True
        if p.get("type") not in TYPES:
            raise ToolDefinitionError(where + ".type: expected one of " + ", ".join(TYPES))
        for key in ("min", "max"):
            v = p.get(key)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
                raise ToolDefinitionError(where + "." + key + ": expected a number")
        if p.get("enum") is not None and not isinstance(p.get("enum"), list):
            raise ToolDefinitionError(where + ".enum: expected a list")


def check_name(name):
    """Raises ToolDefinitionError unless `name` can be a tool name."""
    if not _valid_name(name):
        raise ToolDefinitionError("tool name %r: expected an identifier" % (name,))


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
        check_name(name)
        if kind not in KINDS:
            raise ToolDefinitionError("tool %s: kind must be one of %s" % (name, ", ".join(KINDS)))
        params = [] if parameters is None else parameters
        _check_definition(name, params)
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
        out = []
        params = self.parameters  # read once: subclasses may derive it on access
        for p in params:
            out.append(
                {
                    "name": p["name"],
                    "type": p["type"],
                    "required": bool(p.get("required", False)),
                    "description": p.get("description", "") or "",
                }
            )
        return {
            "name": self.name,
            "description": self.description,
            "parameters": out,
            "return_type": self.return_type,
        }

    def validate(self, args):
        """Checks `args` against the declared parameters; returns the cleaned dict."""
        if not isinstance(args, dict):
            raise InvalidArgument("%s: arguments must be a JSON object" % self.name)
        params = self.parameters  # read once: subclasses may derive it on access
        declared = {}
        for p in params:
            declared[p["name"]] = p
        for key in args:
            if key not in declared:
                raise InvalidArgument("%s: unknown parameter %r" % (self.name, key))
        out = {}
        for p in params:
            name = p["name"]
            value = args.get(name)
            if value is None:
                if p.get("required"):
                    raise InvalidArgument("%s: missing required parameter %r" % (self.name, name))
                continue
            out[name] = _check_value(self.name, p, value)
        return out


def _check_value(tool, p, value):
    name = p["name"]
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
    elif kind == "Integer":
        # JSON has one number type: 3.0 is an acceptable spelling of the integer 3.
        if isinstance(value, float) and not is_bool and _finite(value) and value == int(value):
            value = int(value)
        ok = isinstance(value, int) and not is_bool
    else:  # Number
        ok = isinstance(value, (int, float)) and not is_bool and _finite(value)
    if not ok:
        raise InvalidArgument("%s: parameter %r must be of type %s" % (tool, name, kind))
    lo = p.get("min")
    hi = p.get("max")
    if lo is not None and value < lo:
        raise InvalidArgument("%s: parameter %r must be >= %s" % (tool, name, lo))
    if hi is not None and value > hi:
        raise InvalidArgument("%s: parameter %r must be <= %s" % (tool, name, hi))
    allowed = p.get("enum")
    if allowed is not None and value not in allowed:
        shown = ", ".join([str(a) for a in allowed])
        raise InvalidArgument("%s: parameter %r must be one of: %s" % (tool, name, shown))
    return value


def _finite(x):
    # NaN != NaN; inf - inf is NaN. CPython's json accepts NaN/Infinity literals.
    return x == x and (x - x) == 0


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
        self._changed(notify)

    def unregister(self, name, notify=True):
        """Removes a tool; returns True when it existed."""
        i = self._index(name)
        if i < 0:
            return False
        self._tools.pop(i)
        self._changed(notify)
        return True

    def get(self, name):
        """The tool called `name`; raises ToolNotFound."""
        tool = self.find(name) if isinstance(name, str) else None
        if tool is None:
            raise ToolNotFound("no tool named %r" % (name,))
        return tool

    def find(self, name):
        i = self._index(name)
        return None if i < 0 else self._tools[i]

    def names(self):
        return [t.name for t in self._tools]

    def tools(self):
        return list(self._tools)

    def definitions(self):
        return [t.definition() for t in self._tools]

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

    def _changed(self, notify):
        self.version += 1
        if notify:
            self.notify()
