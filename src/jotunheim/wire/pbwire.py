"""Protobuf wire primitives for the protobuf-lite codec: varints, fixed-width scalars, strict
UTF-8, descriptor field tables and skipping of unknown fields (MicroPython-safe)."""

import struct

from jotunheim.compat import IS_MICROPYTHON
from jotunheim.errors import DecodeError, EncodeError

# Plain ints, not const(): both are above the small-int range of 32-bit boards (31 bits).
MASK32 = 0xFFFFFFFF
MASK64 = 0xFFFFFFFFFFFFFFFF

# Expected wire type per FieldDescriptorProto.Type (index 0 and GROUP=10 are unused, 7 = none):
# 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.
WIRE_TYPE = b"\x07\x01\x05\x00\x00\x00\x01\x05\x00\x02\x07\x02\x02\x00\x00\x05\x01\x00\x00"
# struct formats of the fixed-width types, by type number.
_FIXED = {1: "<d", 2: "<f", 6: "<Q", 7: "<I", 15: "<i", 16: "<q"}
_INF = float("inf")
_ZERO = {1: bytes(8), 2: bytes(4)}
# Value ranges of the integer types (lo, hi), checked before encoding.
_RANGE = {
    3: (-(1 << 63), (1 << 63) - 1),
    4: (0, MASK64),
    5: (-(1 << 31), (1 << 31) - 1),
    6: (0, MASK64),
    7: (0, MASK32),
    13: (0, MASK32),
    14: (-(1 << 31), (1 << 31) - 1),
    15: (-(1 << 31), (1 << 31) - 1),
    16: (-(1 << 63), (1 << 63) - 1),
    17: (-(1 << 31), (1 << 31) - 1),
    18: (-(1 << 63), (1 << 63) - 1),
}


def fields_of(desc):
    """The flat field tuple of a message descriptor (name, number, kind, sub per field),
    built from its generated "name,number,kind;..." string on first use (tools/devicegen.py
    explains why descriptors ship as strings)."""
    spec = desc[1]
    if type(spec) is not str:
        return spec
    out = []
    subs = desc[3]
    k = 0
    for item in spec.split(";") if spec else ():
        name, num, kind = item.split(",")
        kind = int(kind)
        sub = None
        if kind & 31 == 11:  # message or map entry: its descriptor is next in subs
            sub = subs[k]
            k += 1
        out.append(name)
        out.append(int(num))
        out.append(kind)
        out.append(sub)
    fields = tuple(out)
    desc[1] = fields
    return fields


def read_varint(buf, pos, end):
    """Decodes a varint at pos -> (value, new pos); at most 10 bytes, never past end."""
    result = 0
    shift = 0
    while True:
        if pos >= end:
            raise DecodeError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise DecodeError("varint longer than 10 bytes")


def read_length(buf, pos, end):
    """Decodes a length prefix -> (length, new pos); the length must fit before end."""
    n, pos = read_varint(buf, pos, end)
    if n > end - pos:
        raise DecodeError("length %d runs past the end (%d bytes left)" % (n, end - pos))
    return n, pos


def read_value(buf, pos, end, typ, wt):
    """Decodes one non-message value of type typ sent with wire type wt -> (value, new pos)."""
    if typ == 9 or typ == 12:
        if wt != 2:
            raise DecodeError("wrong wire type %d for a string/bytes field" % wt)
        n, pos = read_length(buf, pos, end)
        if typ == 9:
            return read_text(buf, pos, pos + n), pos + n
        return bytes(buf[pos : pos + n]), pos + n
    if wt != WIRE_TYPE[typ]:
        raise DecodeError("wrong wire type %d" % wt)
    if wt == 0:
        v, pos = read_varint(buf, pos, end)
        return varint_scalar(typ, v), pos
    size = 8 if wt == 1 else 4
    if pos + size > end:
        raise DecodeError("truncated fixed-width value")
    return struct.unpack_from(_FIXED[typ], buf, pos)[0], pos + size


def put_varint(out, v):
    """Appends the varint of a non-negative int to a bytearray."""
    while v > 0x7F:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)


def varint_scalar(typ, v):
    """Interprets a raw varint as a value of type typ (proto3 truncation rules)."""
    if typ == 5 or typ == 14:  # int32, enum: low 32 bits, two's complement
        v &= MASK32
        return v - 0x100000000 if v & 0x80000000 else v
    if typ == 8:
        return v != 0
    if typ == 13:
        return v & MASK32
    if typ == 3:
        v &= MASK64
        return v - 0x10000000000000000 if v >> 63 else v
    if typ == 4:
        return v & MASK64
    if typ == 17:  # zigzag (encoding spec: (n << 1) ^ (n >> 31))
        v &= MASK32
        return (v >> 1) ^ -(v & 1)
    v &= MASK64  # 18, sint64
    return (v >> 1) ^ -(v & 1)


def fixed_scalar(typ, buf, pos):
    """Unpacks a fixed-width value of type typ at pos (caller checked the bounds)."""
    return struct.unpack_from(_FIXED[typ], buf, pos)[0]


def fixed_size(typ):
    """4 or 8 for fixed-width types."""
    return 8 if WIRE_TYPE[typ] == 1 else 4


def put_scalar(out, typ, v):
    """Appends the encoded value of a scalar field (no tag); raises EncodeError on bad values."""
    if typ == 9:
        if not isinstance(v, str):
            raise EncodeError("expected str, got %s" % type(v).__name__)
        try:
            v = v.encode("utf-8")
        except UnicodeError:
            raise EncodeError("string is not encodable as UTF-8") from None
        put_varint(out, len(v))
        out.extend(v)
        return
    if typ == 12:
        if not isinstance(v, (bytes, bytearray, memoryview)):
            raise EncodeError("expected bytes, got %s" % type(v).__name__)
        put_varint(out, len(v))
        out.extend(v)
        return
    if typ == 8:
        if v is not True and v is not False:
            raise EncodeError("expected bool, got %s" % type(v).__name__)
        out.append(1 if v else 0)
        return
    if typ == 1 or typ == 2:
        if not isinstance(v, (float, int)) or isinstance(v, bool):
            raise EncodeError("expected float, got %s" % type(v).__name__)
        out.extend(pack_float(typ, v))
        return
    if not isinstance(v, int) or isinstance(v, bool):
        raise EncodeError("expected int, got %s" % type(v).__name__)
    lo, hi = _RANGE[typ]
    if v < lo or v > hi:
        raise EncodeError("%d out of range" % (v,))
    if typ in _FIXED:
        out.extend(struct.pack(_FIXED[typ], v))
    elif typ == 17 or typ == 18:
        put_varint(out, (v << 1) ^ (v >> 63) if typ == 18 else ((v << 1) ^ (v >> 31)) & MASK32)
    else:
        # Negative int32/int64/enum are sign-extended to 64 bits: always 10 bytes (spec).
        put_varint(out, v & MASK64)


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


def is_default(typ, v):
    """True when a proto3 implicit-presence scalar holds its default and is omitted."""
    if typ == 1 or typ == 2:
        # Compare the stored bits, as protobuf does: -0.0 is written, while a double that
        # rounds to +0.0 in a float field (1e-50) is omitted.
        if not isinstance(v, (float, int)) or isinstance(v, bool):
            return False  # put_scalar reports the type error
        return pack_float(typ, v) == _ZERO[typ]
    if typ == 9 or typ == 12:
        return len(v) == 0 if isinstance(v, (str, bytes, bytearray, memoryview)) else False
    return v is False or (v == 0 and isinstance(v, int))


def read_text(buf, pos, end):
    """Decodes UTF-8 bytes buf[pos:end] strictly, as protobuf requires of string fields."""
    try:
        s = str(buf[pos:end], "utf-8")
    except UnicodeError:
        raise DecodeError("invalid UTF-8 in a string field") from None
    # MicroPython accepts overlong forms, surrogates and code points above U+10FFFF
    # (docs/micropython-notes.md); ASCII-only text (len == byte count) needs no second look.
    if IS_MICROPYTHON and len(s) != end - pos:
        check_utf8(buf, pos, end)
    return s


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
    """Skips one unknown field's value -> new pos. Groups (wire types 3/4, deprecated) are
    skipped to their matching end tag, each nested group counting against the depth limit."""
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
    if wt == 3:
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
    if wt == 4:
        raise DecodeError("end-group tag %d without a start" % num)
    raise DecodeError("invalid wire type %d (field %d)" % (wt, num))
