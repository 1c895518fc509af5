"""Encoder half of protobuf-lite: dict -> canonical proto3 bytes (fields in number order,
defaults omitted, repeated scalars packed; map fields are in pbmaps, loaded on first use).
Use it through jotunheim.wire.protobuf.encode (MicroPython-safe)."""

from jotunheim.compat import const
from jotunheim.errors import EncodeError
from jotunheim.wire.pbwire import WIRE_TYPE, fields_of, is_default, put_scalar, put_varint

_REPEATED = const(32)
_MAP = const(64)
_PACKED = const(128)
_MESSAGE = const(11)
_STRING = const(9)


class FieldEncodeError(EncodeError):
    """An EncodeError already located at "Message.field" (outer levels keep it as is)."""


def encode_message(desc, msg, out, depth):
    """Appends the encoding of the dict msg (message desc) to the bytearray out."""
    fields = fields_of(desc)  # first: it also names the message (desc[0]) for errors
    if not isinstance(msg, dict):
        raise FieldEncodeError("%s: expected a dict, got %s" % (desc[0], type(msg).__name__))
    seen = 0
    oneofs = 0  # bit k set once a member of oneof k was written
    name = None
    try:
        for i in range(0, len(fields), 4):
            name = fields[i]
            if name not in msg:
                continue
            seen += 1
            v = msg[name]
            if v is None:
                continue
            num = fields[i + 1]
            kind = fields[i + 2]
            typ = kind & 31
            if kind & _MAP:
                from jotunheim.wire.pbmaps import put_map  # only Loki's messages have maps

                put_map(out, num, fields[i + 3], v, depth)
            elif kind & _REPEATED:
                _put_repeated(out, num, kind, fields[i + 3], v, depth)
            elif typ == _MESSAGE:
                put_message(out, num, fields[i + 3], v, depth)
            elif typ == _STRING and type(v) is str:  # the common case, inline
                if v or kind >> 8:
                    v = v.encode("utf-8")
                    put_varint(out, num << 3 | 2)
                    put_varint(out, len(v))
                    out.extend(v)
            elif kind >> 8 or not is_default(typ, v):
                put_varint(out, num << 3 | WIRE_TYPE[typ])
                put_scalar(out, typ, v)
            oneof = kind >> 9
            if oneof:
                if oneofs & (1 << oneof):
                    raise EncodeError("more than one member of oneof %r set" % desc[2][oneof - 1])
                oneofs |= 1 << oneof
    except FieldEncodeError:
        raise
    except EncodeError as e:
        raise FieldEncodeError("%s.%s: %s" % (desc[0], name, e)) from None
    except UnicodeError:  # lone surrogates (CPython str can hold them)
        raise FieldEncodeError(
            "%s.%s: string is not encodable as UTF-8" % (desc[0], name)
        ) from None
    if seen != len(msg):
        for key in msg:
            # The only strings in the flat field tuple are the names (numbers and kinds are
            # ints, subs are descriptor lists), so `in` finds exactly the known names.
            if key not in fields:
                raise FieldEncodeError("%s: unknown field %r" % (desc[0], key))


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
        raise EncodeError("messages nested deeper than the limit")
    start = open_field(out, num)
    encode_message(sub, v, out, depth - 1)
    close_field(out, start)


def _put_repeated(out, num, kind, sub, values, depth):
    if not isinstance(values, (list, tuple)):
        raise EncodeError("expected a list, got %s" % type(values).__name__)
    if not values:
        return
    typ = kind & 31
    if kind & _PACKED:
        start = open_field(out, num)
        for v in values:
            put_scalar(out, typ, v)
        close_field(out, start)
        return
    for v in values:
        if typ == _MESSAGE:
            if v is None:
                raise EncodeError("None in a repeated message field")
            put_message(out, num, sub, v, depth)
        else:
            put_varint(out, num << 3 | WIRE_TYPE[typ])
            put_scalar(out, typ, v)
