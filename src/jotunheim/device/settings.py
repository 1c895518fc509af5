"""Device settings (CONTRACTS.md §4): one JSON file, validated on load with defaults filled,
saved atomically, reloadable at runtime with change listeners, redactable for logs.

Secrets (SECRET_PATHS) never appear in errors, repr() or redacted(); docs/settings.md is the
schema reference.
"""

import json
import os

from jotunheim.device.log import NullLogger
from jotunheim.device.settings_schema import (
    SCHEMA,
    SECRET_PATHS,
    SettingsError,
    check_object,
    fail,
)

# The largest settings file we read: parsing JSON costs several times its size in heap, and
# an ESP32 without PSRAM has ~110 KB free, so a bigger file is refused before it is parsed.
MAX_SETTINGS_BYTES = 16384
TEMP_SUFFIX = ".tmp"
REDACTED = "***"


def validate(raw, strict=True):
    """Validate a parsed settings document; returns (data, unknown_key_paths)."""
    ctx = {"strict": strict, "unknown": []}
    data = check_object(SCHEMA, raw, "", ctx)
    _check_rules(data)
    return data, ctx["unknown"]


def parse(text):
    """Parse settings JSON text (str or bytes) within MAX_SETTINGS_BYTES; SettingsError if bad."""
    if len(text) > MAX_SETTINGS_BYTES:
        fail("", "settings larger than %d bytes" % MAX_SETTINGS_BYTES)
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        raw = json.loads(text)
    except Exception as exc:  # ValueError, UnicodeError, RecursionError on CPython
        # The parser's message may quote the file (and so a secret): report only its type.
        raise SettingsError("(file): not valid JSON (%s)" % type(exc).__name__) from None
    if not isinstance(raw, dict):
        fail("", "expected a JSON object at the top level")
    return raw


class Settings:
    """Validated settings; `data` holds every section with defaults filled in."""

    def __init__(self, raw, path=None, strict=True, logger=None):
        self.path = path
        self.strict = strict
        self._log = logger if logger is not None else NullLogger()
        self._listeners = []
        self.data = self._validated(raw)

    @classmethod
    def load(cls, path, strict=True, logger=None):
        """Read, validate and return the settings at `path` (recovering an interrupted save)."""
        text, from_temp = _read_settings_file(path)
        settings = cls(parse(text), path, strict, logger)
        if from_temp:
            _rename(path + TEMP_SUFFIX, path)
        return settings

    @classmethod
    def from_json(cls, text, path=None, strict=True, logger=None):
        return cls(parse(text), path, strict, logger)

    def _validated(self, raw):
        data, unknown = validate(raw, self.strict)
        for key in unknown:
            self._log.warn("settings: ignoring unknown key %s", key)
        return data

    def __getitem__(self, section):
        return self.data[section]

    def get(self, section, default=None):
        return self.data.get(section, default)

    def __repr__(self):
        return "<Settings %s from %s>" % (self.data["identity"]["device_id"], self.path)

    def on_change(self, callback):
        """Call `callback(settings, changed_sections)` after each reload/apply that changes data."""
        self._listeners.append(callback)

    def remove_listener(self, callback):
        if callback in self._listeners:
            self._listeners.remove(callback)

    def reload(self):
        """Re-read the file; on error raise and keep the old settings. Returns changed sections."""
        if self.path is None:
            raise SettingsError("(file): these settings were not loaded from a file")
        text, _ = _read_settings_file(self.path, recover=False)
        return self.apply(parse(text))

    def apply(self, raw):
        """Validate `raw` and make it current; notifies listeners; returns changed sections."""
        new = self._validated(raw)
        changed = [key for key, _ in SCHEMA if new[key] != self.data[key]]
        if changed:
            self.data = new
            for callback in list(self._listeners):
                try:
                    callback(self, changed)
                except Exception as exc:
                    # One broken listener must not stop the others or the reload itself.
                    self._log.error("settings listener failed: %s", type(exc).__name__)
        return changed

    def save(self, path=None):
        """Validate `data` and write it atomically: temp file, flush, sync, rename."""
        path = path or self.path
        if path is None:
            raise SettingsError("(file): no path to save to")
        data, _ = validate(self.data, self.strict)
        text = to_json(data)
        if len(text) > MAX_SETTINGS_BYTES:
            fail("", "settings larger than %d bytes" % MAX_SETTINGS_BYTES)
        tmp = path + TEMP_SUFFIX
        self._write_temp(tmp, text.encode("utf-8"))
        _rename(tmp, path)
        _sync_fs()
        self.path = path

    def _write_temp(self, tmp, payload):
        with open(tmp, "wb") as f:
            f.write(payload)
            f.flush()
            if hasattr(os, "fsync"):  # CPython; MicroPython files have no fileno-level fsync
                os.fsync(f.fileno())
        _sync_fs()

    def redacted(self):
        """A deep copy of `data` with every secret that is set replaced by "***"."""
        out = _deep_copy(self.data)
        for path in SECRET_PATHS:
            parts = path.split(".")
            node = out
            for part in parts[:-1]:
                node = node[part]
            if node.get(parts[-1]) is not None:
                node[parts[-1]] = REDACTED
        return out

    def to_json(self):
        return to_json(self.data)


def _read_settings_file(path, recover=True):
    """Text of the settings file; (text, True) when only an interrupted save's temp exists."""
    tmp = path + TEMP_SUFFIX
    try:
        text = _read_limited(path)
    except OSError:
        # VfsFat's rename removes the target before renaming, so a power cut in between
        # leaves only the (complete, flushed) temp file: load it and finish the rename.
        if recover:
            try:
                return _read_limited(tmp), True
            except OSError:
                pass
        raise SettingsError("(file): cannot read settings file %s" % path) from None
    if recover:
        try:
            os.remove(tmp)  # a leftover from a save interrupted before its rename
        except OSError:
            pass
    return text, False


def _read_limited(path):
    with open(path, "rb") as f:
        data = f.read(MAX_SETTINGS_BYTES + 1)
    if len(data) > MAX_SETTINGS_BYTES:
        fail("", "settings file larger than %d bytes" % MAX_SETTINGS_BYTES)
    return data


def _rename(src, dst):
    try:
        os.rename(src, dst)  # atomic replace on POSIX and LittleFS
    except OSError:
        # Some filesystems refuse to rename over an existing file; the window this opens is
        # covered by _read_settings_file's temp-file recovery.
        os.remove(dst)
        os.rename(src, dst)


def _sync_fs():
    if hasattr(os, "sync"):
        os.sync()


def _deep_copy(v):
    if isinstance(v, dict):
        return {k: _deep_copy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_deep_copy(x) for x in v]
    return v


def to_json(value, pad=""):
    """Human-readable JSON, 2-space indent, stable key order (MicroPython's json has no indent)."""
    if isinstance(value, dict) and value:
        inner = pad + "  "
        items = [inner + json.dumps(k) + ": " + to_json(value[k], inner) for k in _key_order(value)]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and value and not _is_flat(value):
        inner = pad + "  "
        return "[\n" + ",\n".join(inner + to_json(x, inner) for x in value) + "\n" + pad + "]"
    return json.dumps(value)


def _is_flat(items):
    for x in items:
        if isinstance(x, (dict, list)):
            return False
    return True


def _key_order(d):
    # Top-level sections in schema order read best; inside a section, identifying keys first.
    first = [key for key, _ in SCHEMA if key in d]
    for key in ("type", "driver", "name", "id"):
        if key in d and key not in first:
            first.append(key)
    return first + sorted(k for k in d if k not in first)


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
    _unique(caps["sensors"] + caps["actuators"], "name", path + ".sensors+actuators")
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
