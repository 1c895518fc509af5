"""Settings file reading, off the device's steady path: reading, parsing and validating the
file at boot (load), finishing an interrupted save, and the encoding side of the compact
settings form (canonical JSON, each section's difference from the defaults). Changing and
writing settings live in settings_save, which boot does not load (its names would stay in
the heap as qstrs). Settings imports this module for each call and drops it again on
MicroPython (settings._run), as it does the validator."""

import json
import os

from jotunheim.device.settings import (
    FULL_MARK,
    MAX_SETTINGS_BYTES,
    SECTIONS,
    TEMP_SUFFIX,
    SettingsError,
    decode,
    default_text,
    validate,
)


def load(cls, path, strict, logger):
    """Settings.load: read, parse and validate `path`, finishing an interrupted save."""
    text, from_temp = read_settings_file(path)
    settings = cls(parse(text), path, strict, logger)
    if from_temp:
        finish_rename(path + TEMP_SUFFIX, path)
        settings._log.warn("settings: finished an interrupted save of %s", path)
    return settings


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


def finish_rename(tmp, path):
    """Rename `tmp` over `path` and make the rename durable."""
    from jotunheim.device import durable

    durable.replace(tmp, path)
    sync_fs()


def sync_fs():
    if hasattr(os, "sync"):
        os.sync()


# --- The compact form's encoder (settings.decode reads it back).
_SAME = object()  # "equal to the default": nothing stored


def dump(value):
    """Canonical compact JSON (sorted keys): equal values give equal text on one runtime."""
    if isinstance(value, dict):
        parts = [json.dumps(k) + ":" + dump(value[k]) for k in sorted(value)]
        return "{" + ",".join(parts) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join([dump(x) for x in value]) + "]"
    return json.dumps(value)


def _diff(value, default):
    # What `value` adds to `default`; _SAME when nothing; None when a default key is missing
    # (a difference that merging cannot express).
    if isinstance(value, dict) and isinstance(default, dict):
        out = {}
        for key in default:
            if key not in value:
                return None
        for key in value:
            d = _diff(value[key], default.get(key, _SAME))
            if d is None:
                return None
            if d is not _SAME:
                out[key] = d
        return out if out else _SAME
    if type(value) is type(default) and value == default:  # 1 == True: compare types too
        return _SAME
    return [value]  # boxed, so a stored None is not mistaken for "cannot express"


def _unbox(d):
    if isinstance(d, dict):
        return {k: _unbox(v) for k, v in d.items()}
    return d[0]


def encode(i, value):
    """Section `i`'s value as stored text ("" when it equals the defaults)."""
    d = _diff(value, json.loads(default_text(i)))
    text = "" if d is _SAME else FULL_MARK if d is None else dump(_unbox(d))
    if text[:1] != FULL_MARK and dump(decode(i, text)) != dump(value):
        text = FULL_MARK  # belt and braces: never store what does not read back exactly
    return text + dump(value) if text == FULL_MARK else text


def compact(data):
    """All sections' stored texts in one string, with the end offset of each."""
    texts = [encode(i, data[SECTIONS[i]]) for i in range(len(SECTIONS))]
    ends = []
    end = 0
    for text in texts:
        end += len(text)
        ends.append(end)
    return "".join(texts), tuple(ends)
