"""Device settings (CONTRACTS.md §4): one JSON file, validated on load with defaults filled,
saved atomically, reloadable at runtime with change listeners, redactable for logs.

Secrets (SECRET_PATHS) never appear in errors, repr() or redacted(); docs/settings.md is the
schema reference.
"""

import json
import os
import sys

from jotunheim.compat import IS_MICROPYTHON
from jotunheim.device import settings_store as store
from jotunheim.device.log import NullLogger
from jotunheim.device.settings_store import SECTIONS  # noqa: F401  (part of this API)
from jotunheim.errors import DecodeError


class SettingsError(DecodeError):
    """Invalid settings: the message starts with the key path; `key` holds that path."""

    def __init__(self, message, key=None):
        super().__init__(message)
        self.key = key


# The largest settings file we read: parsing JSON costs several times its size in heap, and
# an ESP32 without PSRAM has ~110 KB free, so a bigger file is refused before it is parsed.
MAX_SETTINGS_BYTES = 16384
TEMP_SUFFIX = ".tmp"
REDACTED = "***"
# Values of these key paths are secrets: never echoed in errors, "***" in redacted().
SECRET_PATHS = ("identity.key", "network.wifi.password")
_CHECK_MODULES = ("settings_check", "settings_schema")
_MISSING = object()  # "no such section" (None is a valid value)


def validate(raw, strict=True):
    """Validate a parsed settings document; returns (data, unknown_key_paths)."""
    return _with_checker("validate_document", raw, strict)


def to_json(value):
    """Human-readable JSON, 2-space indent, stable key order (MicroPython's json has no indent)."""
    return _with_checker("pretty_json", value)


def _with_checker(name, *args):
    # settings_check holds the validator and the file writer, needed only at boot, reload
    # and save: it is imported for the call and dropped again on MicroPython.
    import jotunheim.device.settings_check as checker

    try:
        return getattr(checker, name)(*args)
    finally:
        if IS_MICROPYTHON:
            _unload_checker()


def _unload_checker():
    # The schema table and checker cost ~15 KB of heap and are needed only while validating
    # (boot, reload, save): drop them so the steady-state runtime does not carry them.
    pkg = sys.modules.get("jotunheim.device")
    for name in _CHECK_MODULES:
        sys.modules.pop("jotunheim.device." + name, None)
        if pkg is not None and hasattr(pkg, name):
            delattr(pkg, name)


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


class Settings:
    """Validated settings. Each section is kept as compact text (settings_store: its
    difference from the schema defaults) and parsed when read.

    `s[section]` (and `s.data`, which opens every section) parses a section once and keeps that
    dict, so in-place edits followed by `save()` persist. `section(name)` reads a section
    without keeping it open: the runtime's own long-lived parts use it, so a device does not
    hold ~11 KB of dicts for a document that is ~2.3 KB of text (bench/bench_device.py).
    """

    def __init__(self, raw, path=None, strict=True, logger=None):
        self.path = path
        self.strict = strict
        self._log = logger if logger is not None else NullLogger()
        self._listeners = []
        self._open = {}  # section -> dict handed out by [] / data (the truth while open)
        self._docs = store.compact(self._validated(raw))

    @classmethod
    def load(cls, path, strict=True, logger=None):
        """Read, validate and return the settings at `path` (recovering an interrupted save)."""
        text, from_temp = _read_settings_file(path)
        settings = cls(parse(text), path, strict, logger)
        if from_temp:
            _with_checker("finish_rename", path + TEMP_SUFFIX, path)
            settings._log.warn("settings: finished an interrupted save of %s", path)
        return settings

    @classmethod
    def from_json(cls, text, path=None, strict=True, logger=None):
        return cls(parse(text), path, strict, logger)

    def _validated(self, raw):
        data, unknown = validate(raw, self.strict)
        for key in unknown:
            self._log.warn("settings: ignoring unknown key %s", key)
        return data

    @property
    def data(self):
        """Every section as one dict (opens them all; edits persist on save())."""
        for key in SECTIONS:
            self[key]
        return self._open

    @data.setter
    def data(self, value):
        self._open = value

    def __getitem__(self, section):
        value = self._open.get(section, _MISSING)
        if value is _MISSING:
            value = self.section(section)
            if value is _MISSING:
                raise KeyError(section)
            self._open[section] = value
        return value

    def section(self, name, default=_MISSING):
        """A section's current value without keeping it open (a fresh dict when closed)."""
        value = self._open.get(name, _MISSING)
        if value is not _MISSING:
            return value
        if name in SECTIONS:
            i = SECTIONS.index(name)
            return store.decode(i, store.text_of(self._docs, i))
        return default

    def get(self, section, default=None):
        value = self._open.get(section, _MISSING)
        if value is _MISSING:
            return self[section] if section in SECTIONS else default
        return value

    def _current(self):
        # A full document from the open sections and the stored text, opening nothing.
        return {key: self.section(key) for key in SECTIONS}

    def __repr__(self):
        return "<Settings %s from %s>" % (self.section("identity")["device_id"], self.path)

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
        new = store.compact(self._validated(raw))
        changed = []
        for i in range(len(SECTIONS)):
            key = SECTIONS[i]
            old = self._open.get(key, _MISSING)
            old = store.text_of(self._docs, i) if old is _MISSING else store.encode(i, old)
            if store.text_of(new, i) != old:
                changed.append(key)
        if changed:
            self._docs = new
            self._open = {}
            for callback in list(self._listeners):
                try:
                    callback(self, changed)
                except Exception as exc:
                    # One broken listener must not stop the others or the reload itself.
                    self._log.error("settings listener failed: %s", type(exc).__name__)
        return changed

    def save(self, path=None):
        """Validate the current data and write it atomically: temp file, flush, sync, rename."""
        path = path or self.path
        if path is None:
            raise SettingsError("(file): no path to save to")
        data, _ = validate(self._current(), self.strict)
        text = to_json(data)
        if len(text) > MAX_SETTINGS_BYTES:
            raise SettingsError("(file): larger than %d bytes" % MAX_SETTINGS_BYTES)
        tmp = path + TEMP_SUFFIX
        self._write_temp(tmp, text.encode("utf-8"))
        _with_checker("finish_rename", tmp, path)
        self.path = path
        self._docs = store.compact(data)

    def _write_temp(self, tmp, payload):
        _with_checker("write_temp", tmp, payload)

    def redacted(self):
        """A deep copy of the data with every secret that is set replaced by "***"."""
        out = _deep_copy(self._current())
        for path in SECRET_PATHS:
            parts = path.split(".")
            node = out
            for part in parts[:-1]:
                node = node[part]
            if node.get(parts[-1]) is not None:
                node[parts[-1]] = REDACTED
        return out

    def to_json(self):
        return to_json(self._current())


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


def _deep_copy(v):
    if isinstance(v, dict):
        return {k: _deep_copy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_deep_copy(x) for x in v]
    return v
