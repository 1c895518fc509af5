"""Settings file I/O and document changes, off the device's steady path: reading and parsing
the file (load, reload), applying a new document, saving atomically, JSON text and redacted
copies. Settings imports this module for each call and drops it again on MicroPython
(settings._run), as it does the validator."""

import json
import os

from jotunheim.device.settings import (
    MAX_SETTINGS_BYTES,
    REDACTED,
    SECRET_PATHS,
    TEMP_SUFFIX,
    SettingsError,
    validate,
)
from jotunheim.device.settings_encode import compact, encode
from jotunheim.device.settings_store import SECTIONS, text_of

_MISSING = object()  # "section not open" (None is a valid value)


def load(cls, path, strict, logger):
    """Settings.load: read, parse and validate `path`, finishing an interrupted save."""
    text, from_temp = read_settings_file(path)
    settings = cls(parse(text), path, strict, logger)
    if from_temp:
        finish_rename(path + TEMP_SUFFIX, path)
        settings._log.warn("settings: finished an interrupted save of %s", path)
    return settings


def reload(settings):
    """Settings.reload: re-read the file and apply it (the old settings stay on error)."""
    if settings.path is None:
        raise SettingsError("(file): these settings were not loaded from a file")
    text, _ = read_settings_file(settings.path, recover=False)
    return apply(settings, parse(text))


def parse(text):
    """Parse settings JSON text (str or bytes) within MAX_SETTINGS_BYTES; SettingsError if bad."""
    if len(text) > MAX_SETTINGS_BYTES:
        raise SettingsError("(file): larger than %d bytes" % MAX_SETTINGS_BYTES)
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        if text[:1] == "\ufeff":
            text = text[1:]  # a byte-order mark some editors write before the JSON
        raw = json.loads(text)
    except Exception as exc:  # ValueError, UnicodeError, RecursionError on CPython
        # The parser's message may quote the file (and so a secret): report only its type.
        raise SettingsError("(file): not valid JSON (%s)" % type(exc).__name__) from None
    if not isinstance(raw, dict):
        raise SettingsError("(top level): expected a JSON object")
    return raw


def compact_valid(settings, raw):
    """`raw` validated (unknown keys logged, or refused when strict) in the compact form."""
    data, unknown = validate(raw, settings.strict)
    for key in unknown:
        settings._log.warn("settings: ignoring unknown key %s", key)
    return compact(data)


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


def save(settings, path):
    """Settings.save: validate the current data, write it to a temp file (flushed), rename."""
    path = path or settings.path
    if path is None:
        raise SettingsError("(file): no path to save to")
    data, _ = validate(current(settings), settings.strict)
    text = to_json(data)
    if len(text) > MAX_SETTINGS_BYTES:
        raise SettingsError("(file): larger than %d bytes" % MAX_SETTINGS_BYTES)
    tmp = path + TEMP_SUFFIX
    settings._write_temp(tmp, text.encode("utf-8"))
    finish_rename(tmp, path)
    settings.path = path
    settings._docs = compact(data)


def settings_json(settings):
    """Settings.to_json: the current settings as to_json text."""
    return to_json(current(settings))


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
    first = [key for key in SECTIONS if key in d]
    for key in ("device_id", "type", "name", "driver", "id"):
        if key in d and key not in first:
            first.append(key)
    return first + sorted(k for k in d if k not in first)


def redacted(settings):
    """Settings.redacted: a deep copy with every secret that is set replaced by "***"."""
    out = _deep_copy(current(settings))
    for path in SECRET_PATHS:
        parts = path.split(".")
        node = out
        for part in parts[:-1]:
            node = node[part]
        if node.get(parts[-1]) is not None:
            node[parts[-1]] = REDACTED
    return out


def _deep_copy(v):
    if isinstance(v, dict):
        return {k: _deep_copy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_deep_copy(x) for x in v]
    return v


def read_settings_file(path, recover=True):
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
    # Ask the size first: read(MAX + 1) would make MicroPython allocate the whole limit up
    # front, and a 16 KB contiguous block is not always there on a fragmented heap.
    size = os.stat(path)[6]
    if size > MAX_SETTINGS_BYTES:
        raise SettingsError("(file): larger than %d bytes" % MAX_SETTINGS_BYTES)
    with open(path, "rb") as f:
        data = f.read(size + 1)  # +1 notices a file that grew since the stat
    if len(data) > MAX_SETTINGS_BYTES:
        raise SettingsError("(file): larger than %d bytes" % MAX_SETTINGS_BYTES)
    return data


def write_temp(tmp, payload):
    """Write `payload` to the temp file and flush it to the medium."""
    from jotunheim.device import durable

    with open(tmp, "wb") as f:
        f.write(payload)
        durable.flush(f)
    _sync_fs()


def finish_rename(tmp, path):
    """Rename `tmp` over `path` and make the rename durable."""
    from jotunheim.device import durable

    durable.replace(tmp, path)
    _sync_fs()


def _sync_fs():
    if hasattr(os, "sync"):
        os.sync()
