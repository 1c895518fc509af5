"""Settings file reading, off the device's steady path: reading, parsing and validating the
file at boot (load), finishing an interrupted save. Changing and writing settings live in
settings_save, which boot does not load (its names would stay in the heap as qstrs).
Settings imports this module for each call and drops it again on MicroPython
(settings._run), as it does the validator."""

import json
import os

from jotunheim.device.settings import MAX_SETTINGS_BYTES, TEMP_SUFFIX, SettingsError, validate
from jotunheim.device.settings_encode import compact


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
