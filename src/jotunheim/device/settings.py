"""Device settings (CONTRACTS.md §4): one JSON file, validated on load with defaults filled,
saved atomically, reloadable at runtime with change listeners, redactable for logs.

Secrets (settings_check.SECRET_PATHS) never appear in errors, repr() or redacted();
docs/settings.md is the schema reference. The compact in-memory form is read back here
(SECTIONS, DEFAULTS, decode); settings_io makes it (load, reload and save only).
"""

import json
import sys

from jotunheim.compat import IS_MICROPYTHON, const, unload
from jotunheim.device.log import NullLogger
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
# Loaded only for a validation, reload or save, and dropped after it on MicroPython (_run).
# Name lists are one string each, split when used: with the code in ROMFS each string constant
# longer than 10 characters is a heap object while the module is loaded, and so is a tuple.
_CHECK_MODULES = const("settings_check settings_schema settings_io settings_save")
_MISSING = object()  # "no such section" (None is a valid value)
# Settings methods served from settings_save (Settings.__getattr__).
_SAVE_OPERATIONS = const("reload apply save _write_temp redacted to_json remove_listener")

# --- The compact form of validated settings: each section as canonical compact JSON of its
# difference from the schema defaults, all sections in one string. The defaults below are
# code, not state (on a board they are frozen into flash with the module);
# tests/device/test_settings_compact.py checks them against the schema's.

# The top-level sections in file order (the schema's order).
SECTIONS = (
    "schema_version",
    "identity",
    "hub",
    "loki",
    "network",
    "capability_configuration",
    "network_resilience_settings",
    "resource_limits",
    "ota_update_settings",
    "logging",
)
# Canonical compact JSON of each section's defaults, in SECTIONS order, one line each: what
# validation fills in for a minimal file. identity.device_id/key/name have no fixed default:
# always stored. One string rather than a tuple of ten: with the code in ROMFS each string
# constant is a heap object while the module is loaded (default_text() finds a line).
DEFAULTS = (
    "1\n"
    '{"firmware_version":"0.0.0","type":"generic"}\n'
    '{"addresses":["127.0.0.1:50051"],"ca_cert":null,"server_hostname":null,"tls":false}\n'
    '{"address":"127.0.0.1:50052","fallback":"error","idle_close_ms":30000,"mode":"off",'
    '"retries":2,"timeout_ms":2000}\n'
    '{"ip":{"address":null,"dns":null,"gateway":null,"mode":"dhcp","netmask":null},'
    '"wifi":{"connect_timeout_ms":15000,"password":null,"ssid":null}}\n'
    '{"actuators":[],"gpio":{"analog":false,"digital":true,"pins":[],"pwm":false},'
    '"interfaces":[],"sensors":[],"tools":[]}\n'
    '{"backoff_base_ms":500,"backoff_cap_ms":30000,"dead_peer_timeout_ms":45000,'
    '"heartbeat_interval_ms":15000,"jitter":"full","max_retries":0,"retry_delay_ms":1000}\n'
    '{"bandwidth_bps":0,"max_concurrent_tools":2,"max_cpu_percent":80,"max_memory_kb":0,'
    '"memory_floor_kb":16,"memory_warning_kb":32,"user_queue_size":8}\n'
    '{"allow_downgrade":false,"chunk_size":4096,"confirm_timeout_ms":120000,"enabled":true,'
    '"max_boot_attempts":3,"slot_dir":"ota","trusted_keys":[]}\n'
    '{"level":"WARN"}\n'
)
FULL_MARK = "="  # prefix of a section stored whole (it lacks a key the defaults have)


def decode(i, text):
    """The value of section `i` from its stored text (a fresh object)."""
    if text[:1] == FULL_MARK:
        return json.loads(text[1:])
    value = json.loads(default_text(i))
    return _merge(value, json.loads(text)) if text else value


def default_text(i):
    """Section `i`'s line of DEFAULTS (its defaults as canonical compact JSON)."""
    start = 0
    for _ in range(i):
        start = DEFAULTS.index("\n", start) + 1
    return DEFAULTS[start : DEFAULTS.index("\n", start)]


def _merge(base, diff):
    if not isinstance(base, dict) or not isinstance(diff, dict):
        return diff
    for key in diff:
        base[key] = _merge(base.get(key), diff[key])
    return base


def text_of(docs, i):
    text, ends = docs
    return text[ends[i - 1] if i else 0 : ends[i]]


def validate(raw, strict=True):
    """Validate a parsed settings document; returns (data, unknown_key_paths)."""
    return _run("settings_check", "validate_document", raw, strict)


def _run(module, name, *args, **kw):
    # settings_check holds the validator, settings_io reading documents and the compact
    # form's encoder, settings_save applying and saving them: all needed only
    # at boot, reload and save, so the module is imported for the call and dropped again on
    # MicroPython.
    full = "jotunheim.device." + module
    __import__(full)
    try:
        return getattr(sys.modules[full], name)(*args, **kw)
    finally:
        if IS_MICROPYTHON:
            # The schema table, checker and encoder cost ~20 KB of heap and are needed only
            # while validating (boot, reload, save): the steady-state runtime drops them.
            unload(*["jotunheim.device." + name for name in _CHECK_MODULES.split()])


class Settings:
    """Validated settings. Each section is kept as compact text (DEFAULTS above: its
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
        self._docs = _run("settings_io", "compact_valid", self, raw)

    # Reading documents lives in settings_io, applying and writing them in settings_save,
    # each loaded for the call (_run).

    @classmethod
    def load(cls, path, strict=True, logger=None):
        """Read, validate and return the settings at `path` (recovering an interrupted save)."""
        return _run("settings_io", "load", cls, path, strict, logger)

    @classmethod
    def from_json(cls, text, path=None, strict=True, logger=None):
        return cls(_run("settings_io", "parse", text), path, strict, logger)

    @property
    def data(self):
        """Every section as one dict (opens them all; edits persist on save())."""
        for key in SECTIONS:
            self[key]
        return self._open

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
            return decode(i, text_of(self._docs, i))
        return default

    def get(self, section, default=None):
        """`s[section]` (opened, as []) for a known or open section, else `default`."""
        return self[section] if section in self._open or section in SECTIONS else default

    def __repr__(self):
        return "<Settings %s from %s>" % (self.section("identity")["device_id"], self.path)

    def on_change(self, callback):
        """Call `callback(settings, changed_sections)` after each reload/apply that changes data."""
        self._listeners.append(callback)

    # Changing and writing settings is settings_save's, loaded for the call (_run). Its
    # operations are served by name here instead of one forwarding method each (a method
    # costs its function object in the heap, also on a board with the code in ROMFS):
    #   reload() -> changed sections   re-read the file; on error raise, keep the old settings
    #   apply(raw) -> changed sections  validate `raw`, make it current, notify listeners
    #   save(path=None)                 validate the current data and write it atomically
    #                                   (temp file, flush, sync, rename), via _write_temp
    #   redacted()                      a deep copy with every secret that is set as "***"
    #   to_json()                       human-readable JSON (what save() writes)
    #   remove_listener(callback)
    def __getattr__(self, name):
        if name in _SAVE_OPERATIONS.split():
            return lambda *args, **kw: _run("settings_save", name, self, *args, **kw)
        raise AttributeError(name)
