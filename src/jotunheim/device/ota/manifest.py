"""Parsing and validation of the signed OTA manifest (canonical JSON, docs/ota.md); versions."""

import json

from jotunheim.errors import DecodeError

MAX_MANIFEST_SIZE = 8192  # bytes; checked before json.loads allocates anything
MAX_FILES = 64
MAX_NAME = 64
MAX_FILE_SIZE = 16 * 1024 * 1024
FORMAT = 1
MAX_DEPTH = 4  # object > files list > file object (+1 spare)

_KEYS = ("allow_downgrade", "files", "format", "min_version", "payload", "target", "version")
_NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
_HEX = "0123456789abcdef"


class ManifestError(DecodeError):
    """A manifest that is malformed, oversized, or does not apply to this device."""


class DowngradeError(ManifestError):
    """The update's version is not newer than the running one and downgrades are not allowed."""


class Manifest:
    """A validated manifest: target, version, min_version, allow_downgrade, files, payload."""

    def __init__(self, d):
        self.target = d["target"]
        self.version = d["version"]
        self.min_version = d["min_version"]
        self.allow_downgrade = d["allow_downgrade"]
        # files: list of (name, offset, size, sha256 bytes), in payload order
        self.files = [(f["name"], f["offset"], f["size"], _unhex(f["sha256"])) for f in d["files"]]
        self.payload_size = d["payload"]["size"]
        self.payload_sha256 = _unhex(d["payload"]["sha256"])


def _unhex(s):
    from binascii import unhexlify

    return unhexlify(s)


def parse_version(text, field="version"):
    """'1.2.3' -> (1, 2, 3); raise ManifestError naming `field` otherwise."""
    if not isinstance(text, str) or not 5 <= len(text) <= 32:
        raise ManifestError("%s: expected MAJOR.MINOR.PATCH" % field)
    parts = text.split(".")
    if len(parts) != 3:
        raise ManifestError("%s: expected MAJOR.MINOR.PATCH, got %r" % (field, text))
    out = []
    for p in parts:
        if (
            not p
            or len(p) > 9
            or not all("0" <= c <= "9" for c in p)
            or (len(p) > 1 and p[0] == "0")
        ):
            raise ManifestError("%s: expected MAJOR.MINOR.PATCH, got %r" % (field, text))
        out.append(int(p))
    return tuple(out)


def compare_versions(a, b):
    """-1, 0 or 1 as semantic version a is older than, equal to, or newer than b."""
    va, vb = parse_version(a), parse_version(b)
    return (va > vb) - (va < vb)


def _need(d, key, kind, where):
    if key not in d:
        raise ManifestError("%s%s: missing" % (where, key))
    v = d[key]
    if kind is int:
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise ManifestError("%s%s: expected a non-negative integer" % (where, key))
    elif kind is bool:
        if v is not True and v is not False:
            raise ManifestError("%s%s: expected true or false" % (where, key))
    elif not isinstance(v, kind):
        raise ManifestError("%s%s: expected %s" % (where, key, kind.__name__))
    return v


def _check_sha(d, where):
    v = _need(d, "sha256", str, where)
    if len(v) != 64 or not all(c in _HEX for c in v):
        raise ManifestError("%ssha256: expected 64 lowercase hex digits" % where)


def _check_name(name, where):
    if not 1 <= len(name) <= MAX_NAME or name[0] == "." or not all(c in _NAME_CHARS for c in name):
        # Names become file names in a slot directory: no separators, no dot files, no "..".
        raise ManifestError("%sname: invalid file name %r" % (where, name))


def _check_depth(data):
    # json.loads recurses per nesting level: "[[[[..." within 8 KB exhausts CPython's stack
    # (RecursionError) and MicroPython's heap. A manifest nests 3 deep; refuse more first.
    depth = 0
    in_str = False
    escaped = False
    for c in data:
        if in_str:
            if escaped:
                escaped = False
            elif c == 0x5C:  # backslash
                escaped = True
            elif c == 0x22:  # quote
                in_str = False
        elif c == 0x22:
            in_str = True
        elif c == 0x5B or c == 0x7B:  # [ {
            depth += 1
            if depth > MAX_DEPTH:
                raise ManifestError("manifest: nested deeper than %d levels" % MAX_DEPTH)
        elif c == 0x5D or c == 0x7D:
            depth -= 1


def parse(data):
    """Validate manifest bytes and return a Manifest; raise ManifestError with the field's name."""
    if not isinstance(data, (bytes, bytearray)):
        raise ManifestError("manifest: expected bytes")
    if len(data) > MAX_MANIFEST_SIZE:
        raise ManifestError(
            "manifest: %d bytes exceeds the limit of %d" % (len(data), MAX_MANIFEST_SIZE)
        )
    _check_depth(data)
    try:
        d = json.loads(bytes(data))
    except (ValueError, UnicodeError):
        raise ManifestError("manifest: not valid JSON") from None
    if not isinstance(d, dict):
        raise ManifestError("manifest: expected a JSON object")
    for key in d:
        if key not in _KEYS:
            raise ManifestError("manifest: unknown key %r" % key)
    if _need(d, "format", int, "") != FORMAT:
        raise ManifestError("format: unsupported manifest format %r" % d["format"])
    target = _need(d, "target", str, "")
    if not 1 <= len(target) <= 32:
        raise ManifestError("target: expected 1..32 characters")
    parse_version(_need(d, "version", str, ""), "version")
    if _need(d, "min_version", str, ""):
        parse_version(d["min_version"], "min_version")
    _need(d, "allow_downgrade", bool, "")
    files = _need(d, "files", list, "")
    if not 1 <= len(files) <= MAX_FILES:
        raise ManifestError("files: expected 1..%d entries" % MAX_FILES)
    offset = 0
    seen = set()
    for i, f in enumerate(files):
        where = "files[%d]." % i
        if not isinstance(f, dict):
            raise ManifestError("files[%d]: expected an object" % i)
        for key in f:
            if key not in ("name", "offset", "sha256", "size"):
                raise ManifestError("%s%s: unknown key" % (where, key))
        name = _need(f, "name", str, where)
        _check_name(name, where)
        if name in seen:
            raise ManifestError("%sname: duplicate %r" % (where, name))
        seen.add(name)
        if _need(f, "offset", int, where) != offset:
            raise ManifestError("%soffset: expected %d (files are contiguous)" % (where, offset))
        size = _need(f, "size", int, where)
        if size > MAX_FILE_SIZE:
            raise ManifestError("%ssize: %d exceeds the limit of %d" % (where, size, MAX_FILE_SIZE))
        _check_sha(f, where)
        offset += size
    payload = _need(d, "payload", dict, "")
    if _need(payload, "size", int, "payload.") != offset:
        raise ManifestError(
            "payload.size: %d is not the sum of file sizes %d" % (payload["size"], offset)
        )
    _check_sha(payload, "payload.")
    return Manifest(d)


def check_applicable(m, target, running_version, allow_downgrade=False):
    """Raise ManifestError (DowngradeError) unless `m` may replace `running_version`."""
    if m.target != target:
        raise ManifestError("target: update is for %r, this device is %r" % (m.target, target))
    if m.min_version and compare_versions(running_version, m.min_version) < 0:
        raise ManifestError(
            "min_version: update needs at least %s, running %s" % (m.min_version, running_version)
        )
    order = compare_versions(m.version, running_version)
    if order <= 0 and not (m.allow_downgrade or allow_downgrade):
        raise DowngradeError(
            "version: %s is not newer than running %s and downgrade is not allowed"
            % (m.version, running_version)
        )
