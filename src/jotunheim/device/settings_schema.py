"""The device settings schema (CONTRACTS.md §4, docs/settings.md) and its structural validator.

A spec is a tuple `(kind, default, arg)`; `REQUIRED` as default means the key must be present,
`None` as default means the key may also be null. Cross-field rules live in settings.py.
"""

from jotunheim.errors import DecodeError


class SettingsError(DecodeError):
    """Invalid settings: the message starts with the key path; `key` holds that path."""

    def __init__(self, message, key=None):
        super().__init__(message)
        self.key = key


REQUIRED = "<required>"
SCHEMA_VERSION = 1
# Any list in the file holds at most this many items; strings have per-key limits below.
MAX_LIST_ITEMS = 64
# Values of these key paths are secrets: never echoed in errors, "***" in redacted().
SECRET_PATHS = ("identity.key", "network.wifi.password")
PARAM_TYPES = ("String", "Number", "Integer", "Boolean", "Object", "Array")

_NAME = ("str", REQUIRED, (1, 32, "name"))
_PIN = ("int", REQUIRED, (0, 255))
_DESC = ("str", "", (0, 256, None))
_INTERFACE_REF = ("str", REQUIRED, (1, 32, "name"))

_IDENTITY = (
    ("device_id", ("str", REQUIRED, (1, 64, "id"))),
    ("name", ("str", None, (1, 64, None))),
    ("type", ("str", "generic", (1, 32, None))),
    ("key", ("str", REQUIRED, (32, 128, "hex"))),
    ("firmware_version", ("str", "0.0.0", (1, 32, None))),
)
_HUB = (
    ("addresses", ("list", ["127.0.0.1:50051"], (("addr", REQUIRED, None), 8, 1))),
    ("tls", ("bool", False, None)),
    ("ca_cert", ("str", None, (1, 128, None))),
    ("server_hostname", ("str", None, (1, 253, None))),
)
_LOKI = (
    ("mode", ("enum", "off", ("remote", "local", "off"))),
    ("address", ("addr", "127.0.0.1:50052", None)),
    ("timeout_ms", ("int", 2000, (1, 600000))),
    ("retries", ("int", 2, (0, 100))),
    ("fallback", ("enum", "error", ("local", "error"))),
)
_WIFI = (
    ("ssid", ("str", None, (1, 32, None))),
    ("password", ("str", None, (0, 64, None))),
    ("connect_timeout_ms", ("int", 15000, (100, 600000))),
)
_IP = (
    ("mode", ("enum", "dhcp", ("dhcp", "static"))),
    ("address", ("ipv4", None, None)),
    ("netmask", ("ipv4", None, None)),
    ("gateway", ("ipv4", None, None)),
    ("dns", ("ipv4", None, None)),
)
_NETWORK = (("wifi", ("obj", {}, _WIFI)), ("ip", ("obj", {}, _IP)))
_GPIO = (
    ("pins", ("list", [], (_PIN, MAX_LIST_ITEMS, 0))),
    ("digital", ("bool", True, None)),
    ("analog", ("bool", False, None)),
    ("pwm", ("bool", False, None)),
)
_INTERFACE_KINDS = (
    (
        "i2c",
        (
            ("sda", _PIN),
            ("scl", _PIN),
            ("freq", ("int", 400000, (1000, 3400000))),
            ("bus_id", ("int", None, (0, 7))),
        ),
    ),
    ("onewire", (("pin", _PIN),)),
)
_SENSOR_KINDS = (
    ("dht22", (("pin", _PIN),)),
    ("ds18b20", (("interface", _INTERFACE_REF), ("rom", ("str", None, (16, 16, "hex"))))),
    ("bmp280", (("interface", _INTERFACE_REF), ("address", ("int", 0x76, (0x08, 0x77))))),
)
_ACTUATOR_KINDS = (
    (
        "led",
        (
            ("pin", _PIN),
            ("pwm", ("bool", False, None)),
            ("freq", ("int", 1000, (1, 40000000))),
            ("active_low", ("bool", False, None)),
        ),
    ),
    ("relay", (("pin", _PIN), ("active_low", ("bool", False, None)))),
)
_PARAM = (
    ("name", _NAME),
    ("type", ("enum", "String", PARAM_TYPES)),
    ("required", ("bool", False, None)),
    ("min", ("num", None, (None, None))),
    ("max", ("num", None, (None, None))),
    ("description", _DESC),
)
_TOOL = (
    ("name", _NAME),
    ("description", _DESC),
    ("kind", ("enum", "script", ("script", "loki"))),
    ("script", ("str", None, (1, 128, None))),
    ("loki_script", ("str", None, (1, 64, "name"))),
    ("parameters", ("list", [], (("obj", REQUIRED, _PARAM), 16, 0))),
    ("return_type", ("enum", "Object", PARAM_TYPES)),
)
_CAPS = (
    ("gpio", ("obj", {}, _GPIO)),
    ("interfaces", ("list", [], (("variant", REQUIRED, ("type", _INTERFACE_KINDS)), 8, 0))),
    ("sensors", ("list", [], (("variant", REQUIRED, ("driver", _SENSOR_KINDS)), 32, 0))),
    ("actuators", ("list", [], (("variant", REQUIRED, ("driver", _ACTUATOR_KINDS)), 32, 0))),
    ("tools", ("list", [], (("obj", REQUIRED, _TOOL), MAX_LIST_ITEMS, 0))),
)
_RESILIENCE = (
    ("backoff_base_ms", ("int", 500, (1, 3600000))),
    ("backoff_cap_ms", ("int", 30000, (1, 3600000))),
    ("jitter", ("enum", "full", ("full", "none"))),
    ("heartbeat_interval_ms", ("int", 15000, (100, 3600000))),
    ("dead_peer_timeout_ms", ("int", 45000, (100, 3600000))),
    ("max_retries", ("int", 0, (0, 1000000))),
    ("retry_delay_ms", ("int", 1000, (0, 3600000))),
)
_RESOURCES = (
    ("memory_floor_kb", ("int", 16, (0, 1048576))),
    ("memory_warning_kb", ("int", 32, (0, 1048576))),
    ("max_concurrent_tools", ("int", 2, (1, 64))),
    ("bandwidth_bps", ("int", 0, (0, 1 << 31))),
    ("max_memory_kb", ("int", 0, (0, 1048576))),
    ("max_cpu_percent", ("int", 80, (1, 100))),
    ("user_queue_size", ("int", 8, (0, 1024))),
)
_TRUSTED_KEY = (
    ("id", ("str", REQUIRED, (1, 32, "id"))),
    ("scheme", ("enum", "rsa-pkcs1v15-sha256", ("rsa-pkcs1v15-sha256",))),
    ("n", ("str", REQUIRED, (128, 1024, "hex"))),
    ("e", ("int", 65537, (3, (1 << 31) - 1))),
)
_OTA = (
    ("enabled", ("bool", True, None)),
    ("trusted_keys", ("list", [], (("obj", REQUIRED, _TRUSTED_KEY), 8, 0))),
    ("slot_dir", ("str", "ota", (1, 64, None))),
    ("max_boot_attempts", ("int", 3, (1, 100))),
    ("confirm_timeout_ms", ("int", 120000, (1000, 86400000))),
    ("allow_downgrade", ("bool", False, None)),
    ("chunk_size", ("int", 4096, (256, 65536))),
)
SCHEMA = (
    ("schema_version", ("int", SCHEMA_VERSION, (SCHEMA_VERSION, SCHEMA_VERSION))),
    ("identity", ("obj", REQUIRED, _IDENTITY)),
    ("hub", ("obj", {}, _HUB)),
    ("loki", ("obj", {}, _LOKI)),
    ("network", ("obj", {}, _NETWORK)),
    ("capability_configuration", ("obj", {}, _CAPS)),
    ("network_resilience_settings", ("obj", {}, _RESILIENCE)),
    ("resource_limits", ("obj", {}, _RESOURCES)),
    ("ota_update_settings", ("obj", {}, _OTA)),
    ("logging", ("obj", {}, (("level", ("enum", "WARN", ("ERROR", "WARN", "INFO", "DEBUG"))),))),
)

_HEX = "0123456789abcdefABCDEF"
_ID_EXTRA = "._-"


def fail(path, problem, value=REQUIRED):
    """Raise SettingsError "path: problem[, got <value>]"; secret values are never shown."""
    if value is not REQUIRED:
        if path in SECRET_PATHS:
            problem += " (value hidden: secret)"
        else:
            shown = repr(value)
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
    if chars == "hex":
        for c in value:
            if c not in _HEX:
                fail(path, "expected a hex string", value)
        if len(value) & 1:
            fail(path, "expected an even number of hex digits", value)
    elif chars is not None:
        for i in range(len(value)):
            c = value[i]
            ok = c.isalpha() or (i and (c.isdigit() or c == "_" or c == "-"))
            if chars == "id":
                ok = c.isalpha() or c.isdigit() or c in _ID_EXTRA
            if not ok or ord(c) > 127:
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
        return check_object(arg, value, path, ctx)
    if kind == "variant":
        key, variants = arg
        if not isinstance(value, dict):
            fail(path, "expected an object", value)
        names = [v[0] for v in variants]
        choice = value.get(key)
        if choice not in names:
            fail(_join(path, key), "expected one of " + ", ".join(names), choice)
        fields = ((key, ("str", REQUIRED, (1, 32, None))), ("name", _NAME), ("description", _DESC))
        return check_object(fields + variants[names.index(choice)][1], value, path, ctx)
    raise ValueError("bad schema kind " + kind)


def check_object(fields, value, path, ctx):
    """Validate a JSON object against (key, spec) fields; unknown keys per ctx["strict"]."""
    if not isinstance(value, dict):
        fail(path, "expected an object", value)
    out = {}
    for key, spec in fields:
        sub = _join(path, key)
        if key in value:
            out[key] = check(spec, value[key], sub, ctx)
        elif spec[1] is REQUIRED:
            fail(sub, "required key missing")
        elif spec[0] == "obj":
            out[key] = check_object(spec[2], {}, sub, ctx)
        else:
            d = spec[1]
            out[key] = list(d) if isinstance(d, list) else d
    unknown = sorted(key for key in value if key not in out)
    for key in unknown:
        if ctx["strict"]:
            fail(_join(path, key), "unknown key (check the spelling; see docs/settings.md)")
        ctx["unknown"].append(_join(path, key))
    return out
