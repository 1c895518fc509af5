"""Settings changes and writing, off the device's steady path and its boot: reloading the
file, applying a new document, saving atomically, JSON text and redacted copies. Settings
imports this module for each call and drops it again on MicroPython (settings._run); each
public function here is served as a Settings method of the same name (Settings.__getattr__),
taking the settings first."""

import json

from jotunheim.device.settings import (
    MAX_SETTINGS_BYTES,
    SECTIONS,
    TEMP_SUFFIX,
    SettingsError,
    text_of,
    validate,
)
from jotunheim.device.settings_io import (
    compact,
    compact_valid,
    encode,
    finish_rename,
    parse,
    read_settings_file,
    sync_fs,
)

_MISSING = object()  # "section not open" (None is a valid value)
_REDACTED = "***"  # what redacted() shows instead of a secret that is set


def reload(settings):
    """Settings.reload: re-read the file and apply it (the old settings stay on error)."""
    if settings.path is None:
        raise SettingsError("(file): these settings were not loaded from a file")
    text, _ = read_settings_file(settings.path, recover=False)
    return apply(settings, parse(text))


def current(settings):
    """A full document from the open sections and the stored text, opening nothing."""
    return {key: settings.section(key) for key in SECTIONS}


def apply(settings, raw):
    """Settings.apply: validate `raw`, make it current, notify listeners; changed sections."""
    new = compact_valid(settings, raw)
    changed = []
    for i in range(len(SECTIONS)):
        key = SECTIONS[i]
        old = settings._open.get(key, _MISSING)
        old = text_of(settings._docs, i) if old is _MISSING else encode(i, old)
        if text_of(new, i) != old:
            changed.append(key)
    if changed:
        settings._docs = new
        settings._open = {}
        for callback in list(settings._listeners):
            try:
                callback(settings, changed)
            except Exception as exc:
                # One broken listener must not stop the others or the reload itself.
                settings._log.error("settings listener failed: %s", type(exc).__name__)
    return changed


def save(settings, path=None):
    """Settings.save: validate the current data, write it to a temp file (flushed), rename."""
    path = path or settings.path
    if path is None:
        raise SettingsError("(file): no path to save to")
    data, _ = validate(current(settings), settings.strict)
    text = json_text(data)
    if len(text) > MAX_SETTINGS_BYTES:
        raise SettingsError("(file): larger than %d bytes" % MAX_SETTINGS_BYTES)
    tmp = path + TEMP_SUFFIX
    settings._write_temp(tmp, text.encode("utf-8"))
    finish_rename(tmp, path)
    settings.path = path
    settings._docs = compact(data)


def to_json(settings):
    """Settings.to_json: the current settings as json_text."""
    return json_text(current(settings))


def remove_listener(settings, callback):
    """Settings.remove_listener: `callback` no longer hears of changes."""
    if callback in settings._listeners:
        settings._listeners.remove(callback)


def json_text(value, pad=""):
    """Human-readable JSON, 2-space indent, stable key order (MicroPython's json has no indent)."""
    if isinstance(value, dict) and value:
        inner = pad + "  "
        items = [
            inner + json.dumps(k) + ": " + json_text(value[k], inner) for k in _key_order(value)
        ]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and value and not _is_flat(value):
        inner = pad + "  "
        return "[\n" + ",\n".join(inner + json_text(x, inner) for x in value) + "\n" + pad + "]"
    return json.dumps(value)


def _is_flat(items):
    for x in items:
        if isinstance(x, (dict, list)):
            return False
    return True


def _key_order(d):
    # Top-level sections in schema order read best; inside a section, identifying keys first.
    first = [key for key in SECTIONS if key in d]
    for key in ("device_id", "type", "name", "driver", "id"):
        if key in d and key not in first:
            first.append(key)
    return first + sorted(k for k in d if k not in first)


def redacted(settings):
    """Settings.redacted: a deep copy with every secret that is set replaced by "***"."""
    from jotunheim.device.settings_check import SECRET_PATHS  # dropped again by settings._run

    out = _deep_copy(current(settings))
    for path in SECRET_PATHS:
        parts = path.split(".")
        node = out
        for part in parts[:-1]:
            node = node[part]
        if node.get(parts[-1]) is not None:
            node[parts[-1]] = _REDACTED
    return out


def _deep_copy(v):
    if isinstance(v, dict):
        return {k: _deep_copy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_deep_copy(x) for x in v]
    return v


def _write_temp(settings, tmp, payload):
    """Settings._write_temp (tests override it): write `payload` to the temp file and flush
    it to the medium."""
    from jotunheim.device import durable

    with open(tmp, "wb") as f:
        f.write(payload)
        durable.flush(f)
    sync_fs()
