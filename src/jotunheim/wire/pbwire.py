"""Protobuf wire primitives for the protobuf-lite codec: varints, the scalar kinds Jotunheim's
messages use, UTF-8 text, descriptor field tables, and the encoder (dict -> canonical proto3
bytes; use it through protobuf.encode). MicroPython-safe; rarer kinds and unknown fields live
in pbrare and pbmaps, imported on first use."""

from jotunheim.compat import IS_MICROPYTHON, const
from jotunheim.errors import DecodeError, EncodeError

# Plain ints, not const(): both are above the small-int range of 32-bit boards (31 bits).
MASK32 = 0xFFFFFFFF
MASK64 = 0xFFFFFFFFFFFFFFFF

# Expected wire type per FieldDescriptorProto.Type (index 0 and GROUP=10 are unused, 7 = none):
# 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.
WIRE_TYPE = b"\x07\x01\x05\x00\x00\x00\x01\x05\x00\x02\x07\x02\x02\x00\x00\x05\x01\x00\x00"


# CPython keeps transient tables too (those of bare-string descriptors here, by their string):
# the heap they spare is a MicroPython board's, and rebuilding them costs a host ~0.1 ms a
# command.
_TABLES = None if IS_MICROPYTHON else {}


def fields_of(desc):
    """The flat field table of a message descriptor, two slots per field: its name and
    `kind | sub << 16 | number << 24` (sub: index of its descriptor in desc[3], the message
    fields' sub-descriptors, see sub_of), built from the generated "name,number,kind;..."
    string on first use (tools/devicegen.py explains why descriptors ship as strings) and
    kept in desc[1], unless the string is marked transient ("~": a message a connection uses
    once or rarely, whose table is rebuilt on each use rather than held; a transient message
    with no oneof and no message field is that string alone, no list). Two slots, not four:
    16 bytes less per field on a 64-bit heap. Errors name a message with message_name(desc)."""
    if type(desc) is str:
        spec = desc
        if _TABLES is not None and spec in _TABLES:
            return _TABLES[spec]
    else:
        spec = desc[1]
        if type(spec) is not str:
            return spec
    out = []
    k = 0
    transient = spec.startswith("~")
    keep = _TABLES is not None or not transient
    body = spec[1:] if transient else spec
    items = body.split(";") if body else []  # "~" alone: a transient message without fields
    if items and "," not in items[0]:  # a slice's nested message: its name leads (no qstr)
        name = items.pop(0)
        if type(desc) is not str:
            desc[0] = name
    for item in items:
        name, num, kind = item.split(",")
        kind = int(kind)
        if kind & 31 == 11:  # message or map entry: its descriptor is next in desc[3]
            kind |= k << 16
            k += 1
        out.append(name)
        out.append(kind | int(num) << 24)
    fields = tuple(out)
    if type(desc) is str:
        if _TABLES is not None:
            _TABLES[spec] = fields
    elif keep:
        desc[1] = fields
    return fields


def read_varint(buf, pos, end):
    """Decodes a varint at pos -> (value, new pos); at most 10 bytes, never past end."""
    result = 0
    shift = 0
    while True:
        if pos >= end:
            raise failure(DecodeError, 0)  # truncated varint
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise failure(DecodeError, 1)  # varint longer than 10 bytes


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
            raise failure(EncodeError, 2, type(v).__name__)  # expected str
        try:
            v = v.encode("utf-8")
        except UnicodeError:
            raise failure(EncodeError, 3) from None  # not encodable as UTF-8
        put_varint(out, len(v))
        out.extend(v)
        return
    if typ == 12:
        if not isinstance(v, (bytes, bytearray, memoryview)):
            raise failure(EncodeError, 4, type(v).__name__)  # expected bytes
        put_varint(out, len(v))
        out.extend(v)
        return
    if typ == 8:
        if v is not True and v is not False:
            raise failure(EncodeError, 5, type(v).__name__)  # expected bool
        out.append(1 if v else 0)
        return
    if WIRE_TYPE[typ]:  # float, double and fixed-width ints: no Jotunheim message has one
        from jotunheim.wire.pbrare import put_fixed

        return put_fixed(out, typ, v)
    if not isinstance(v, int) or isinstance(v, bool):
        raise failure(EncodeError, 6, type(v).__name__)  # expected int
    # Range check by shifting (no per-call big-int bounds): 32-bit types are int32, uint32,
    # enum and sint32; unsigned ones are uint32 and uint64.
    bits = 32 if typ == 5 or typ == 13 or typ == 14 or typ == 17 else 64
    if typ == 4 or typ == 13:
        bad = v < 0 or v >> bits
    else:
        bad = v >> (bits - 1) not in (0, -1)
    if bad:
        raise failure(EncodeError, 7, v)  # out of range
    if typ == 17 or typ == 18:
        put_varint(out, (v << 1) ^ (v >> 63) if typ == 18 else ((v << 1) ^ (v >> 31)) & MASK32)
    else:
        # Negative int32/int64/enum are sign-extended to 64 bits: always 10 bytes (spec).
        put_varint(out, v & MASK64)


def read_text(buf, pos, end):
    """Decodes UTF-8 bytes buf[pos:end] strictly, as protobuf requires of string fields."""
    try:
        s = str(buf[pos:end], "utf-8")
    except UnicodeError:
        raise failure(DecodeError, 8) from None  # invalid UTF-8
    # MicroPython accepts overlong forms, surrogates and code points above U+10FFFF
    # (docs/micropython-notes.md); ASCII-only text (len == byte count) needs no second look.
    if IS_MICROPYTHON and len(s) != end - pos:
        from jotunheim.wire.pbrare import check_utf8

        check_utf8(buf, pos, end)
    return s


# -- the encoder: fields in number order, defaults omitted, repeated scalars packed, map
# fields in pbmaps (loaded on first use); byte-identical to protobuf's deterministic output
_REPEATED = const(32)
_MAP = const(64)
_PACKED = const(128)
_MESSAGE = const(11)
_STRING = const(9)


def message_name(desc):
    """The name of a message descriptor, for errors."""
    if type(desc) is str:  # a transient message's field string, led by "~Name;"
        end = desc.find(";")
        return desc[1:end] if end > 0 else desc[1:]
    fields_of(desc)  # a slice's nested message gets its name (desc[0]) from its string
    return desc[0]


def failure(cls, code, *args):
    """The exception cls with the codec's error text number `code` (pberrors.TEXTS, loaded on
    the first error) formatted with args."""
    from jotunheim.wire.pberrors import TEXTS

    text = TEXTS[code]
    return cls(text % args if args else text)


def located(err):
    """Marks a DecodeError/EncodeError that names its "Message.field" already: the outer
    levels of a nested message pass it on as is. An attribute, not a subclass per codec
    direction: each class costs ~0.3 KB of the device's heap."""
    err.located = True
    return err


def sub_of(desc, info):
    """The descriptor of a message field (`info`: its field table entry). desc[3] is a tuple,
    or one string of field strings, a line each (devicegen SUBS_TEXT: one str object kept
    instead of one per message, ~32 B each in ROMFS), cut out here; "@<slice>.<root>" is in
    another slice (pbrare.lazy_sub)."""
    subs = desc[3]
    k = info >> 16 & 0xFF
    if type(subs) is str:
        start = 0
        for _ in range(k):
            start = subs.find("\n", start) + 1
        end = subs.find("\n", start)
        sub = subs[start:] if end < 0 else subs[start:end]
    else:
        sub = subs[k]
    if type(sub) is str and sub.startswith("@"):  # in another slice (devicegen LAZY)
        from jotunheim.wire.pbrare import lazy_sub

        sub = lazy_sub(sub)
    return sub


def encode_message(desc, msg, out, depth):
    """Appends the encoding of the dict msg (message desc) to the bytearray out."""
    fields = fields_of(desc)
    if not isinstance(msg, dict):
        # expected a dict
        raise located(failure(EncodeError, 13, message_name(desc), type(msg).__name__))
    seen = 0
    oneofs = 0  # bit k set once a member of oneof k was written
    name = None
    try:
        for i in range(0, len(fields), 2):
            name = fields[i]
            if name not in msg:
                continue
            seen += 1
            v = msg[name]
            if v is None:
                continue
            num = fields[i + 1]
            kind = num & 0xFFFF
            sub = sub_of(desc, num) if kind & 31 == _MESSAGE else None
            num >>= 24
            typ = kind & 31
            if kind & _MAP:
                from jotunheim.wire.pbmaps import put_map  # only Loki's messages have maps

                put_map(out, num, sub, v, depth)
            elif kind & _REPEATED:
                if not isinstance(v, (list, tuple)):
                    raise failure(EncodeError, 10, type(v).__name__)  # expected a list
                if v and kind & _PACKED:
                    start = open_field(out, num)
                    for item in v:
                        put_scalar(out, typ, item)
                    close_field(out, start)
                elif typ == _MESSAGE:
                    for item in v:
                        if item is None:
                            raise failure(EncodeError, 11)  # None in a repeated message field
                        put_message(out, num, sub, item, depth)
                else:
                    for item in v:
                        put_varint(out, num << 3 | WIRE_TYPE[typ])
                        put_scalar(out, typ, item)
            elif typ == _MESSAGE:
                put_message(out, num, sub, v, depth)
            elif typ == _STRING and type(v) is str:  # the common case, inline
                if v or kind >> 8:
                    v = v.encode("utf-8")
                    put_varint(out, num << 3 | 2)
                    put_varint(out, len(v))
                    out.extend(v)
            else:
                # An implicit-presence scalar at its default is omitted (proto3).
                if kind >> 8:
                    default = False
                elif typ == 1 or typ == 2:
                    from jotunheim.wire.pbrare import float_is_default

                    default = float_is_default(typ, v)
                elif typ == 9 or typ == 12:
                    default = isinstance(v, (str, bytes, bytearray, memoryview)) and not len(v)
                else:
                    default = v is False or (v == 0 and isinstance(v, int))
                if not default:
                    put_varint(out, num << 3 | WIRE_TYPE[typ])
                    put_scalar(out, typ, v)
            oneof = kind >> 9
            if oneof:
                if oneofs & (1 << oneof):
                    raise failure(EncodeError, 12, desc[2][oneof - 1])  # more than one member
                oneofs |= 1 << oneof
    except EncodeError as e:
        if getattr(e, "located", False):
            raise
        raise located(EncodeError("%s.%s: %s" % (message_name(desc), name, e))) from None
    except UnicodeError:  # lone surrogates (CPython str can hold them)
        # string is not encodable as UTF-8
        raise located(failure(EncodeError, 15, message_name(desc), name)) from None
    if seen != len(msg):
        for key in msg:
            # The only strings in the flat field tuple are the names (the other slots are
            # ints), so `in` finds exactly the known names.
            if key not in fields:
                # unknown field
                raise located(failure(EncodeError, 14, message_name(desc), key))


def open_field(out, num):
    """Writes a length-delimited tag and reserves one length byte -> its position. Nested
    messages are written straight into out (no buffer per level); close_field fixes the length."""
    put_varint(out, num << 3 | 2)
    out.append(0)
    return len(out) - 1


def close_field(out, start):
    """Writes the length of the field open_field started at start."""
    n = len(out) - start - 1
    if n < 0x80:
        out[start] = n
    else:  # rare: widen the reserved byte (one memmove of the body, bytearray slice assign)
        length = bytearray()
        put_varint(length, n)
        out[start : start + 1] = length


def put_message(out, num, sub, v, depth):
    """Appends the message field num (descriptor sub) holding the dict v."""
    if depth <= 0:
        raise failure(EncodeError, 9)  # messages nested deeper than the limit
    start = open_field(out, num)
    encode_message(sub, v, out, depth - 1)
    close_field(out, start)
