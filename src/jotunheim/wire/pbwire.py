"""Protobuf wire primitives for the protobuf-lite codec: varints, the scalar kinds Jotunheim's
messages use, UTF-8 text, descriptor field tables and skipping of unknown fields
(MicroPython-safe). Rarer kinds live in pbrare and pbmaps, imported on first use."""

from jotunheim.compat import IS_MICROPYTHON
from jotunheim.errors import DecodeError, EncodeError

# Plain ints, not const(): both are above the small-int range of 32-bit boards (31 bits).
MASK32 = 0xFFFFFFFF
MASK64 = 0xFFFFFFFFFFFFFFFF

# Expected wire type per FieldDescriptorProto.Type (index 0 and GROUP=10 are unused, 7 = none):
# 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.
WIRE_TYPE = b"\x07\x01\x05\x00\x00\x00\x01\x05\x00\x02\x07\x02\x02\x00\x00\x05\x01\x00\x00"


def fields_of(desc):
    """The flat field tuple of a message descriptor (name, number, kind, sub per field),
    built from its generated "name,number,kind;..." string on first use (tools/devicegen.py
    explains why descriptors ship as strings). Call it before reading a descriptor's name:
    a slice's nested messages get theirs (desc[0]) from the string then."""
    spec = desc[1]
    if type(spec) is not str:
        return spec
    out = []
    subs = desc[3]
    k = 0
    items = spec.split(";") if spec else []
    if desc[0] is None:  # a slice's nested message: its name leads the string (no qstr)
        desc[0] = items.pop(0)
    for item in items:
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
    if WIRE_TYPE[typ]:  # float, double and fixed-width ints: no Jotunheim message has one
        from jotunheim.wire.pbrare import put_fixed

        return put_fixed(out, typ, v)
    if not isinstance(v, int) or isinstance(v, bool):
        raise EncodeError("expected int, got %s" % type(v).__name__)
    # Range check by shifting (no per-call big-int bounds): 32-bit types are int32, uint32,
    # enum and sint32; unsigned ones are uint32 and uint64.
    bits = 32 if typ == 5 or typ == 13 or typ == 14 or typ == 17 else 64
    if typ == 4 or typ == 13:
        bad = v < 0 or v >> bits
    else:
        bad = v >> (bits - 1) not in (0, -1)
    if bad:
        raise EncodeError("%d out of range" % (v,))
    if typ == 17 or typ == 18:
        put_varint(out, (v << 1) ^ (v >> 63) if typ == 18 else ((v << 1) ^ (v >> 31)) & MASK32)
    else:
        # Negative int32/int64/enum are sign-extended to 64 bits: always 10 bytes (spec).
        put_varint(out, v & MASK64)


def is_default(typ, v):
    """True when a proto3 implicit-presence scalar holds its default and is omitted."""
    if typ == 1 or typ == 2:
        from jotunheim.wire.pbrare import float_is_default

        return float_is_default(typ, v)
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
        from jotunheim.wire.pbrare import check_utf8

        check_utf8(buf, pos, end)
    return s


def skip_field(buf, pos, end, wt, num, depth):
    """Skips one unknown field's value -> new pos (deprecated groups: pbrare.skip_group)."""
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
        from jotunheim.wire.pbrare import skip_group

        return skip_group(buf, pos, end, wt, num, depth)
    raise DecodeError("invalid wire type %d (field %d)" % (wt, num))
