"""Encoder half of protobuf-lite: dict -> canonical proto3 bytes (fields in number order,
defaults omitted, repeated scalars packed, map entries in protobuf's deterministic order).
Use it through jotunheim.wire.protobuf.encode (MicroPython-safe)."""

from jotunheim.compat import const
from jotunheim.errors import EncodeError
from jotunheim.wire.pbwire import MASK64, WIRE_TYPE, fields_of, is_default, put_scalar, put_varint

_REPEATED = const(32)
_MAP = const(64)
_PACKED = const(128)
_MESSAGE = const(11)
_STRING = const(9)


class FieldEncodeError(EncodeError):
    """An EncodeError already located at "Message.field" (outer levels keep it as is)."""


def encode_message(desc, msg, out, depth):
    """Appends the encoding of the dict msg (message desc) to the bytearray out."""
    if not isinstance(msg, dict):
        raise FieldEncodeError("%s: expected a dict, got %s" % (desc[0], type(msg).__name__))
    fields = fields_of(desc)
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
                _put_map(out, num, fields[i + 3], v, depth)
            elif kind & _REPEATED:
                _put_repeated(out, num, kind, fields[i + 3], v, depth)
            elif typ == _MESSAGE:
                _put_message(out, num, fields[i + 3], v, depth)
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
            if _index_name(fields, key) < 0:
                raise FieldEncodeError("%s: unknown field %r" % (desc[0], key))


def _index_name(fields, key):
    for i in range(0, len(fields), 4):
        if fields[i] == key:
            return i
    return -1


def _open(out, num):
    """Writes a length-delimited tag and reserves one length byte -> its position. Nested
    messages are written straight into out (no buffer per level); _close fixes the length."""
    put_varint(out, num << 3 | 2)
    out.append(0)
    return len(out) - 1


def _close(out, start):
    n = len(out) - start - 1
    if n < 0x80:
        out[start] = n
    else:  # rare: widen the reserved byte (one memmove of the body, bytearray slice assign)
        length = bytearray()
        put_varint(length, n)
        out[start : start + 1] = length


def _put_message(out, num, sub, v, depth):
    if depth <= 0:
        raise EncodeError("messages nested deeper than the limit")
    start = _open(out, num)
    encode_message(sub, v, out, depth - 1)
    _close(out, start)


def _put_repeated(out, num, kind, sub, values, depth):
    if not isinstance(values, (list, tuple)):
        raise EncodeError("expected a list, got %s" % type(values).__name__)
    if not values:
        return
    typ = kind & 31
    if kind & _PACKED:
        start = _open(out, num)
        for v in values:
            put_scalar(out, typ, v)
        _close(out, start)
        return
    for v in values:
        if typ == _MESSAGE:
            if v is None:
                raise EncodeError("None in a repeated message field")
            _put_message(out, num, sub, v, depth)
        else:
            put_varint(out, num << 3 | WIRE_TYPE[typ])
            put_scalar(out, typ, v)


# Entry order of protobuf's deterministic serialization as the protobuf (upb) library that the
# host side runs writes it (measured; tests/unit/codec checks it): integer and bool keys
# descending as unsigned two's complement, string keys ascending by UTF-8 bytes with a longer
# key before its own prefix ("ab" before "a"). Matching it keeps our bytes identical to the
# hub's, e.g. for hashing or signing a message.
def _string_order(k):
    b = list(k.encode("utf-8"))
    b.append(256)  # end of key sorts after every byte
    return b


def _int_order(k):
    return k & MASK64


def _put_map(out, num, entry, values, depth):
    if not isinstance(values, dict):
        raise EncodeError("expected a dict for a map, got %s" % type(values).__name__)
    ef = fields_of(entry)
    ktyp = ef[2] & 31
    vtyp = ef[6] & 31
    try:
        if ktyp == _STRING:
            keys = sorted(values, key=_string_order)
        else:
            keys = sorted(values, key=_int_order, reverse=True)
    except (TypeError, AttributeError, UnicodeError):
        raise EncodeError("map keys must all be of the key type") from None
    for k in keys:
        v = values[k]
        start = _open(out, num)
        # Entries always carry key and value, defaults included (as protobuf writes them).
        out.append(8 | WIRE_TYPE[ktyp])
        put_scalar(out, ktyp, k)
        if vtyp == _MESSAGE:
            if v is None:
                raise EncodeError("None as the value of map key %r" % (k,))
            _put_message(out, 2, ef[7], v, depth)
        else:
            out.append(16 | WIRE_TYPE[vtyp])
            put_scalar(out, vtyp, v)
        _close(out, start)
