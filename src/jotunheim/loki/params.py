"""Typed parameters: ScriptInput strings -> typed values, Lua values <-> JSON-like Python values."""

import json
import math
import re

from lupa import lua54

from jotunheim.loki.errors import ConfigError, InvalidArgument, ScriptRuntimeError

PARAM_TYPES = ("String", "Number", "Integer", "Boolean", "Object", "Array")
RETURN_TYPES = PARAM_TYPES + ("Nil", "Any")
# JSON Schema names (Einherjar) for each Loki type; "Any" has no JSON Schema type.
JSON_SCHEMA_TYPES = {
    "String": "string",
    "Number": "number",
    "Integer": "integer",
    "Boolean": "boolean",
    "Object": "object",
    "Array": "array",
    "Nil": "null",
    "Any": "any",
}
_BY_LOWER = {t.lower(): t for t in RETURN_TYPES}
_BY_LOWER["null"] = "Nil"
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")

# Converting a Lua result walks its tables: both limits stop cyclic or huge results.
MAX_DEPTH = 32
MAX_ITEMS = 100_000
MAX_PARAM_BYTES = 1024 * 1024
_INT_MIN, _INT_MAX = lua54.LUA_MININTEGER, lua54.LUA_MAXINTEGER


def normalize_type(name: str, allowed=PARAM_TYPES, where="type") -> str:
    """Canonical type name for `name` (case-insensitive; JSON Schema spellings accepted)."""
    canonical = _BY_LOWER.get(str(name).strip().lower())
    if canonical is None or canonical not in allowed:
        raise ConfigError("%s: unknown type %r (expected one of %s)" % (where, name, list(allowed)))
    return canonical


def _parse_json(name, raw, want):
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise InvalidArgument(
            "parameter %r: expected %s as JSON (%s)" % (name, want, exc)
        ) from None
    return value


def convert_value(name: str, type_name: str, raw: str):
    """Converts one ScriptInput string to the declared type, or raises InvalidArgument naming it."""
    if len(raw) > MAX_PARAM_BYTES:
        raise InvalidArgument("parameter %r: longer than %d bytes" % (name, MAX_PARAM_BYTES))
    if type_name == "String":
        return raw
    text = raw.strip()
    if type_name == "Integer":
        if not re.fullmatch(r"[+-]?\d+", text):
            raise InvalidArgument("parameter %r: expected an Integer, got %r" % (name, raw))
        value = int(text)
        if not _INT_MIN <= value <= _INT_MAX:
            raise InvalidArgument("parameter %r: Integer out of 64-bit range" % name)
        return value
    if type_name == "Number":
        if re.fullmatch(r"[+-]?\d+", text):
            value = int(text)  # integers stay integers (Lua 5.4 has an integer subtype)
            if _INT_MIN <= value <= _INT_MAX:
                return value
        try:
            value = float(text)
        except ValueError:
            raise InvalidArgument("parameter %r: expected a Number, got %r" % (name, raw)) from None
        if not math.isfinite(value):
            raise InvalidArgument("parameter %r: expected a finite Number, got %r" % (name, raw))
        return value
    if type_name == "Boolean":
        lowered = text.lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise InvalidArgument("parameter %r: expected a Boolean (true/false), got %r" % (name, raw))
    if type_name == "Object":
        value = _parse_json(name, raw, "an Object")
        if not isinstance(value, dict):
            raise InvalidArgument("parameter %r: expected a JSON object" % name)
        return value
    if type_name == "Array":
        value = _parse_json(name, raw, "an Array")
        if not isinstance(value, list):
            raise InvalidArgument("parameter %r: expected a JSON array" % name)
        return value
    raise InvalidArgument("parameter %r: unsupported type %r" % (name, type_name))


def convert_params(definitions, raw: dict) -> dict:
    """Typed values for declared parameters; unknown or missing required -> InvalidArgument."""
    declared = {d.name: d for d in definitions}
    for name in raw:
        if name not in declared:
            raise InvalidArgument(
                "parameter %r: not declared by this script (declared: %s)"
                % (name, sorted(declared))
            )
    typed = {}
    for d in definitions:
        if d.name in raw:
            typed[d.name] = convert_value(d.name, d.type, raw[d.name])
        elif d.required:
            raise InvalidArgument("parameter %r: required but missing" % d.name)
    return typed


def lua_to_python(value, depth=0, budget=None):
    """JSON-like Python value for a Lua value; tables with keys 1..n become lists."""
    if budget is None:
        budget = [MAX_ITEMS]
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ScriptRuntimeError("value %r cannot be represented in JSON" % value)
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if lua54.lua_type(value) != "table":
        raise ScriptRuntimeError("a %s cannot be converted to JSON" % (lua54.lua_type(value),))
    if depth >= MAX_DEPTH:
        raise ScriptRuntimeError("table nested deeper than %d levels (cycle?)" % MAX_DEPTH)
    items = []
    for key, item in value.items():
        budget[0] -= 1
        if budget[0] < 0:
            raise ScriptRuntimeError("table has more than %d entries in total" % MAX_ITEMS)
        items.append((key, item))
    if items and all(isinstance(k, int) and not isinstance(k, bool) for k, _ in items):
        keys = sorted(k for k, _ in items)
        if keys[0] == 1 and keys[-1] == len(keys):
            ordered = dict(items)
            return [lua_to_python(ordered[i], depth + 1, budget) for i in range(1, len(keys) + 1)]
    result = {}
    for key, item in items:
        if isinstance(key, bytes):
            key = key.decode("utf-8", "replace")
        elif isinstance(key, bool) or not isinstance(key, (str, int, float)):
            raise ScriptRuntimeError(
                "table key of type %s cannot be a JSON key" % type(key).__name__
            )
        result[str(key)] = lua_to_python(item, depth + 1, budget)
    return result


def python_to_lua(runtime, value):
    """Lua value for a JSON-like Python value (dicts and lists become tables; None is nil)."""
    if isinstance(value, (dict, list, tuple)):
        return runtime.table_from(value, recursive=True)
    return value


def type_of(value) -> str:
    """Loki type name of a converted (JSON-like) value."""
    if value is None:
        return "Nil"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Number"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    return "Object"


def check_return(value, declared: str):
    """Coerces an empty table to the declared container type; raises on a type mismatch."""
    actual = type_of(value)
    if declared in ("Any", actual):
        return value
    if declared == "Number" and actual == "Integer":
        return value
    if declared == "Array" and value == {}:
        return []
    if declared == "Object" and value == []:
        return {}
    raise ScriptRuntimeError("script returned %s but declares return type %s" % (actual, declared))


def render_output(value) -> str:
    """ScriptResult.output text: tables as JSON, strings as-is, nil as ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
