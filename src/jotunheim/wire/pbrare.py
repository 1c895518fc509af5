"""Protobuf-lite paths the device's own messages never take, imported on first use so a device
does not hold their code: float/double and fixed-width scalars, packed-repeated decoding,
unknown fields (skip_field, deprecated groups too) and the strict UTF-8 check of non-ASCII
text on MicroPython."""

import struct
import sys

from jotunheim.compat import IS_MICROPYTHON, unload
from jotunheim.errors import DecodeError, EncodeError
from jotunheim.wire.pbwire import WIRE_TYPE, read_varint, varint_scalar

# struct formats of the fixed-width types, by type number (1 double, 2 float, 6 fixed64,
# 7 fixed32, 15 sfixed32, 16 sfixed64).
_FIXED = {1: "<d", 2: "<f", 6: "<Q", 7: "<I", 15: "<i", 16: "<q"}
_INF = float("inf")


def fixed_size(typ):
    """4 or 8 for fixed-width types."""
    return 8 if WIRE_TYPE[typ] == 1 else 4


def fixed_scalar(typ, buf, pos):
    """Unpacks a fixed-width value of type typ at pos (caller checked the bounds)."""
    return struct.unpack_from(_FIXED[typ], buf, pos)[0]


def put_fixed(out, typ, v):
    """Appends a float/double or fixed-width integer value (no tag); raises EncodeError."""
    if typ == 1 or typ == 2:
        if not isinstance(v, (float, int)) or isinstance(v, bool):
            raise EncodeError("expected float, got %s" % type(v).__name__)
        out.extend(pack_float(typ, v))
        return
    if not isinstance(v, int) or isinstance(v, bool):
        raise EncodeError("expected int, got %s" % type(v).__name__)
    bits = 64 if WIRE_TYPE[typ] == 1 else 32
    if typ == 6 or typ == 7:  # unsigned
        bad = v < 0 or v >> bits
    else:
        bad = v >> (bits - 1) not in (0, -1)
    if bad:
        raise EncodeError("%d out of range" % (v,))
    out.extend(struct.pack(_FIXED[typ], v))


def pack_float(typ, v):
    """Little-endian IEEE 754 bytes of a float (2) or double (1) field value. A value beyond
    float32's range becomes +-inf, as protobuf's C conversion stores it (CPython's struct
    would raise; MicroPython's already does this)."""
    if isinstance(v, int):
        try:
            f = float(v)
        except OverflowError:  # CPython; MicroPython returns inf
            f = _INF
        if f == _INF or f == -_INF:
            raise EncodeError("%d out of range for a float field" % v)
        v = f
    try:
        return struct.pack(_FIXED[typ], v)
    except OverflowError:
        return struct.pack(_FIXED[typ], _INF if v > 0 else -_INF)


def float_is_default(typ, v):
    """True when a float/double field holds +0.0 (implicit presence: omitted). Compares the
    stored bits, as protobuf does: -0.0 is written, while a double that rounds to +0.0 in a
    float field (1e-50) is omitted."""
    if not isinstance(v, (float, int)) or isinstance(v, bool):
        return False  # put_fixed reports the type error
    return pack_float(typ, v) == bytes(8 if typ == 1 else 4)


def unpack(buf, pos, stop, typ, out):
    """Decodes the packed run of scalars buf[pos:stop] into the list out."""
    if WIRE_TYPE[typ] == 0:
        while pos < stop:
            v, pos = read_varint(buf, pos, stop)
            out.append(varint_scalar(typ, v))
        return
    size = fixed_size(typ)
    if (stop - pos) % size:
        raise DecodeError("packed length %d is not a multiple of %d" % (stop - pos, size))
    while pos < stop:
        out.append(fixed_scalar(typ, buf, pos))
        pos += size


def check_utf8(buf, pos, end):
    """Strict UTF-8 validation (Unicode 15, table 3-7 well-formed byte sequences)."""
    while pos < end:
        b = buf[pos]
        if b < 0x80:
            pos += 1
            continue
        if 0xC2 <= b <= 0xDF:
            n, lo, hi = 1, 0x80, 0xBF
        elif 0xE0 <= b <= 0xEF:
            n = 2
            lo = 0xA0 if b == 0xE0 else 0x80
            hi = 0x9F if b == 0xED else 0xBF  # ED A0..BF would be a surrogate
        elif 0xF0 <= b <= 0xF4:
            n = 3
            lo = 0x90 if b == 0xF0 else 0x80
            hi = 0x8F if b == 0xF4 else 0xBF  # above U+10FFFF otherwise
        else:
            raise DecodeError("invalid UTF-8 in a string field")
        if pos + n >= end:
            raise DecodeError("invalid UTF-8 in a string field")
        c = buf[pos + 1]
        if c < lo or c > hi:
            raise DecodeError("invalid UTF-8 in a string field")
        for k in range(pos + 2, pos + n + 1):
            if buf[k] & 0xC0 != 0x80:
                raise DecodeError("invalid UTF-8 in a string field")
        pos += n + 1


def skip_field(buf, pos, end, wt, num, depth):
    """Skips one unknown field's value -> new pos (deprecated groups: skip_group)."""
    if wt == 0:
        return read_varint(buf, pos, end)[1]
    if wt == 2:
        n, pos = read_varint(buf, pos, end)
        if n > end - pos:
            raise DecodeError("length %d runs past the end" % n)
        return pos + n
    if wt == 1 or wt == 5:
        pos += 8 if wt == 1 else 4
        if pos > end:
            raise DecodeError("truncated fixed-width value")
        return pos
    if wt == 3 or wt == 4:
        return skip_group(buf, pos, end, wt, num, depth)
    raise DecodeError("invalid wire type %d (field %d)" % (wt, num))


def skip_group(buf, pos, end, wt, num, depth):
    """Skips a deprecated group (wire type 3) to its matching end tag -> new pos; each nested
    group counts against the depth limit. A lone end-group tag (4) is malformed."""
    if wt == 4:
        raise DecodeError("end-group tag %d without a start" % num)
    if depth <= 0:
        raise DecodeError("groups nested deeper than the limit")
    while True:
        if pos >= end:
            raise DecodeError("group %d has no end tag" % num)
        tag, pos = read_varint(buf, pos, end)
        if tag >> 3 == 0:
            raise DecodeError("field number 0 in a group")
        if tag & 7 == 4:
            if tag >> 3 != num:
                raise DecodeError("group %d closed by end tag %d" % (num, tag >> 3))
            return pos
        pos = skip_field(buf, pos, end, tag & 7, tag >> 3, depth - 1)


def lazy_sub(ref):
    """The descriptor a slice names "@<slice>.<root>" (tools/devicegen.py LAZY): a message the
    device sends as ready bytes (the capabilities), kept out of the slice it keeps loaded.
    Imported for this use; on MicroPython the slice is dropped again unless something else
    had loaded it, so the descriptor and the field tables the codec makes in it are garbage
    once the message is done."""
    module, _, root = ref[1:].partition(".")
    full = "jotunheim._gen.device." + module
    loaded = full in sys.modules
    __import__(full)
    desc = getattr(sys.modules[full], root)
    if IS_MICROPYTHON and not loaded:
        unload(full)
    return desc
