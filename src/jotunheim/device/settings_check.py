"""Validator for device settings: checks a parsed document against settings_schema and the
rules that span several keys; loaded only while validating (see settings._run).
"""

from jotunheim.compat import const
from jotunheim.device.settings import SettingsError
from jotunheim.device.settings_schema import REQUIRED, choices, fields

# Values of these key paths are secrets: never echoed in errors, "***" in redacted()
# (settings_save). Kept here, not in settings.py: only validating and redacting read them.
SECRET_PATHS = ("identity.key", "network.wifi.password")

_HEX = const(b"0123456789abcdefABCDEF")
_ID_EXTRA = const(b"._-")
_NAME_EXTRA = const(b"_-")


def fail(path, problem, value=REQUIRED):
    """Raise SettingsError "path: problem[, got <value>]"; secret values are never shown."""
    if value is not REQUIRED:
        if path in SECRET_PATHS:
            problem += " (value hidden: secret)"
        else:
            try:
                shown = repr(value)
            except (RuntimeError, MemoryError):  # nested too deep to print (recursion)
                shown = "a deeply nested " + type(value).__name__
            if len(shown) > 40:
                shown = shown[:37] + "..."
            problem += ", got " + shown
    raise SettingsError("%s: %s" % (path or "(top level)", problem), path)


def _join(path, key):
    return key if not path else path + "." + key


def _is_int(v):
    # bool is a subclass of int on CPython only; JSON true must never pass as 1.
    return isinstance(v, int) and v is not True and v is not False


def _check_str(value, path, arg):
    lo, hi, chars = arg
    if not isinstance(value, str):
        fail(path, "expected a string", value)
    # The checks walk the UTF-8 bytes as ints: a str's characters, iterated or indexed, are
    # made qstrs on MicroPython, which are never freed (a device key alone would leave 16).
    # Every allowed character is ASCII, so any byte above 127 fails.
    data = value.encode()
    if chars == "hex":
        for b in data:
            if b not in _HEX:
                fail(path, "expected a hex string", value)
        if len(value) & 1:
            fail(path, "expected an even number of hex digits", value)
    elif chars is not None:
        extra = _ID_EXTRA if chars == "id" else _NAME_EXTRA
        for i in range(len(data)):
            b = data[i]
            # an ASCII letter (b | 32 folds upper to lower case), or a digit or an extra
            # character except at the start of a name (an id may start with any of them)
            ok = 97 <= (b | 32) <= 122 or ((i or chars == "id") and (48 <= b <= 57 or b in extra))
            if not ok:
                fail(path, "expected letters, digits, '_' or '-' (starting with a letter)", value)
    if not lo <= len(value) <= hi:
        fail(path, "expected %d..%d characters" % (lo, hi), value)
    return value


def _check_ipv4(value, path):
    parts = value.split(".") if isinstance(value, str) else ()
    ok = len(parts) == 4
    for p in parts:
        ok = ok and 0 < len(p) <= 3 and p.isdigit() and int(p) <= 255
    if not ok:
        fail(path, "expected an IPv4 address like 192.168.1.10", value)
    return value


def _check_addr(value, path):
    if isinstance(value, str) and 0 < value.rfind(":") < len(value) - 1 and len(value) <= 260:
        port = value[value.rfind(":") + 1 :]
        if port.isdigit() and 0 < int(port) < 65536 and " " not in value:
            return value
    fail(path, "expected 'host:port' with a port in 1..65535", value)


def check(spec, value, path, ctx):
    """Validate `value` against `spec` at `path`; returns the normalised value (defaults filled)."""
    kind, default, arg = spec
    if value is None:
        if default is None:
            return None
        fail(path, "must not be null")
    if kind == "int":
        if not _is_int(value) or value < arg[0] or (arg[1] is not None and value > arg[1]):
            fail(path, "expected an integer in %d..%d" % (arg[0], arg[1]), value)
        return value
    if kind == "num":
        if not (_is_int(value) or isinstance(value, float)) or value != value:
            fail(path, "expected a number", value)
        if value in (float("inf"), float("-inf")):
            fail(path, "expected a finite number", value)
        return value
    if kind == "bool":
        if value is not True and value is not False:
            fail(path, "expected true or false", value)
        return value
    if kind == "str":
        return _check_str(value, path, arg)
    if kind == "enum":
        if not isinstance(value, str) or value not in arg:
            fail(path, "expected one of " + ", ".join(arg), value)
        return value
    if kind == "addr":
        return _check_addr(value, path)
    if kind == "ipv4":
        return _check_ipv4(value, path)
    if kind == "list":
        item, most, least = arg
        if not isinstance(value, list):
            fail(path, "expected a list", value)
        if not least <= len(value) <= most:
            fail(path, "expected %d..%d items, got %d" % (least, most, len(value)))
        return [check(item, value[i], "%s[%d]" % (path, i), ctx) for i in range(len(value))]
    if kind == "obj":
        return check_object(fields(arg), value, path, ctx)
    if kind == "variant":
        key, prefix = arg
        if not isinstance(value, dict):
            fail(path, "expected an object", value)
        names = choices(prefix)
        choice = value.get(key)
        if choice not in names:
            fail(_join(path, key), "expected one of " + ", ".join(names), choice)
        spec = [(key, ("str", REQUIRED, (1, 32, None)))] + fields("variant")
        return check_object(spec + fields(prefix + "=" + choice), value, path, ctx)
    raise ValueError("bad schema kind " + kind)


def check_object(spec_fields, value, path, ctx):
    """Validate a JSON object against (key, spec) fields; unknown keys per ctx["strict"]."""
    if not isinstance(value, dict):
        fail(path, "expected an object", value)
    out = {}
    for key, spec in spec_fields:
        sub = _join(path, key)
        if key in value:
            out[key] = check(spec, value[key], sub, ctx)
        elif spec[1] is REQUIRED:
            fail(sub, "required key missing")
        elif spec[0] == "obj":
            out[key] = check_object(fields(spec[2]), {}, sub, ctx)
        else:
            d = spec[1]
            out[key] = list(d) if isinstance(d, list) else d
    unknown = sorted(key for key in value if key not in out)
    for key in unknown:
        if ctx["strict"]:
            fail(_join(path, key), "unknown key (check the spelling; see docs/settings.md)")
        ctx["unknown"].append(_join(path, key))
    return out


def validate_document(raw, strict):
    """(data, unknown_key_paths) for a parsed document; SettingsError when invalid."""
    ctx = {"strict": strict, "unknown": []}
    data = check_object(fields("root"), raw, "", ctx)
    _check_rules(data)
    return data, ctx["unknown"]


def _unique(items, key, path):
    seen = []
    for i in range(len(items)):
        value = items[i][key] if key else items[i]
        if value in seen:
            fail("%s[%d]%s" % (path, i, "." + key if key else ""), "duplicate", value)
        seen.append(value)


def _check_rules(d):
    """Rules that span several keys (the schema checks each key on its own)."""
    ident = d["identity"]
    if ident["name"] is None:
        ident["name"] = ident["device_id"]
    ip = d["network"]["ip"]
    if ip["mode"] == "static":
        for key in ("address", "netmask", "gateway"):
            if ip[key] is None:
                fail("network.ip." + key, "required when network.ip.mode is 'static'")
    res = d["network_resilience_settings"]
    if res["backoff_cap_ms"] < res["backoff_base_ms"]:
        fail("network_resilience_settings.backoff_cap_ms", "must be >= backoff_base_ms")
    if res["dead_peer_timeout_ms"] <= res["heartbeat_interval_ms"]:
        fail("network_resilience_settings.dead_peer_timeout_ms", "must be > heartbeat_interval_ms")
    lim = d["resource_limits"]
    if lim["memory_warning_kb"] < lim["memory_floor_kb"]:
        fail("resource_limits.memory_warning_kb", "must be >= memory_floor_kb")
    _unique(d["ota_update_settings"]["trusted_keys"], "id", "ota_update_settings.trusted_keys")
    _check_capabilities(d["capability_configuration"], "capability_configuration")


def _check_capabilities(caps, path):
    _unique(caps["gpio"]["pins"], None, path + ".gpio.pins")
    interfaces = caps["interfaces"]
    _unique(interfaces, "name", path + ".interfaces")
    _unique(caps["sensors"], "name", path + ".sensors")
    _unique(caps["actuators"], "name", path + ".actuators")
    sensor_names = [x["name"] for x in caps["sensors"]]
    for i in range(len(caps["actuators"])):
        name = caps["actuators"][i]["name"]
        if name in sensor_names:  # one namespace: drivers and tools are looked up by name
            fail("%s.actuators[%d].name" % (path, i), "duplicate of a sensor name", name)
    kinds = {i["name"]: i["type"] for i in interfaces}
    used = {}  # pin -> who uses it; two parts on one pin is a wiring mistake
    for section in ("interfaces", "sensors", "actuators"):
        items = caps[section]
        for i in range(len(items)):
            item = items[i]
            where = "%s.%s[%d]" % (path, section, i)
            for key in ("pin", "sda", "scl"):
                pin = item.get(key)
                if pin is not None:
                    if pin in used:
                        fail(where + "." + key, "pin %d already used by %s" % (pin, used[pin]))
                    used[pin] = item["name"]
            need = {"ds18b20": "onewire", "bmp280": "i2c"}.get(item.get("driver"))
            if need and kinds.get(item["interface"]) != need:
                fail(
                    where + ".interface",
                    "expected the name of a %s interface" % need,
                    item["interface"],
                )
    tools = caps["tools"]
    _unique(tools, "name", path + ".tools")
    for i in range(len(tools)):
        tool = tools[i]
        where = "%s.tools[%d]" % (path, i)
        src = "script" if tool["kind"] == "script" else "loki_script"
        if tool[src] is None:
            fail(where + "." + src, "required when kind is '%s'" % tool["kind"])
        _unique(tool["parameters"], "name", where + ".parameters")
        for j in range(len(tool["parameters"])):
            p = tool["parameters"][j]
            at = "%s.parameters[%d]" % (where, j)
            for key in ("min", "max"):
                if p[key] is not None and p["type"] not in ("Number", "Integer"):
                    fail(at + "." + key, "only allowed for Number and Integer parameters")
            if p["min"] is not None and p["max"] is not None and p["min"] > p["max"]:
                fail(at + ".max", "must be >= min")
