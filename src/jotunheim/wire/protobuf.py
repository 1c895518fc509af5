"""protobuf-lite: proto3 messages as plain dicts <-> bytes, driven by the compact descriptors
in jotunheim._gen.device (MicroPython-safe; the contract is CONTRACTS.md section 1).

Decoding fills in every field (proto3 defaults), skips unknown fields, merges repeated
occurrences of a message field like protobuf does, and rejects malformed input with a
DecodeError naming the message and field. Encoding is canonical: fields in number order,
defaults omitted, repeated scalars packed, map entries sorted by key - byte-identical to
protobuf's SerializeToString(deterministic=True).
"""

from jotunheim.compat import const
from jotunheim.errors import DecodeError, EncodeError
from jotunheim.wire.pbwire import (
    MASK64,
    WIRE_TYPE,
    fixed_scalar,
    fixed_size,
    is_default,
    put_scalar,
    put_varint,
    read_text,
    read_varint,
    skip_field,
    varint_scalar,
)

# Largest message decode() accepts by default: bigger than any Jotunheim message (an OTA
# chunk is 4 KiB) yet small enough to stay clear of a microcontroller's heap.
MAX_MESSAGE_SIZE = 64 * 1024
# Message nesting levels below the top one; bounds recursion (C stack on a board).
MAX_DEPTH = 32

# Field kind bits, as tools/devicegen.py writes them.
_REPEATED = const(32)
_MAP = const(64)
_PACKED = const(128)
_MESSAGE = const(11)
_STRING = const(9)
_BYTES = const(12)
# Default of an implicit-presence field by type number (messages: None = absent).
_DEFAULTS = (None, 0.0, 0.0, 0, 0, 0, 0, 0, False, "", None, None, b"", 0, 0, 0, 0, 0, 0)


class FieldDecodeError(DecodeError):
    """A DecodeError already located at "Message.field" (so outer levels keep it as is)."""


class FieldEncodeError(EncodeError):
    """An EncodeError already located at "Message.field"."""


def decode(desc, data, max_size=MAX_MESSAGE_SIZE, max_depth=MAX_DEPTH):
    """bytes -> dict holding every field of desc; raises DecodeError on malformed input."""
    n = len(data)
    if n > max_size:
        raise DecodeError(
            "%s: message of %d bytes exceeds the %d-byte limit" % (desc[0], n, max_size)
        )
    if not isinstance(data, bytes):
        data = memoryview(data)  # slices of values then copy once, from the caller's buffer
    return _decode(desc, data, 0, n, max_depth, None)


def encode(desc, msg):
    """dict -> canonical bytes; a missing or None key is absent; raises EncodeError."""
    out = bytearray()
    _encode(desc, msg, out, MAX_DEPTH)
    return bytes(out)


def which_oneof(desc, msg, oneof):
    """Name of the member of oneof `oneof` set in the dict msg, or None."""
    names = desc[2] or ()
    if oneof not in names:
        raise ValueError("%s has no oneof %r" % (desc[0], oneof))
    k = names.index(oneof) + 1
    fields = desc[1]
    for i in range(0, len(fields), 4):
        if fields[i + 2] >> 9 == k and msg.get(fields[i]) is not None:
            return fields[i]
    return None


def new_message(desc):
    """The dict of an empty message: every field at its proto3 default."""
    fields = desc[1]
    msg = {}
    for i in range(0, len(fields), 4):
        kind = fields[i + 2]
        if kind & _REPEATED:
            v = {} if kind & _MAP else []
        elif kind >> 8:  # oneof member or proto3 `optional`: None unless present
            v = None
        else:
            v = _DEFAULTS[kind & 31]
        msg[fields[i]] = v
    return msg


def _index(fields, num):
    for i in range(0, len(fields), 4):
        if fields[i + 1] == num:
            return i
    return -1


def _length(buf, pos, end):
    n, pos = read_varint(buf, pos, end)
    if n > end - pos:
        raise DecodeError("length %d runs past the end (%d bytes left)" % (n, end - pos))
    return n, pos


def _decode(desc, buf, pos, end, depth, msg):
    if msg is None:
        msg = new_message(desc)
    fields = desc[1]
    nf = len(fields)
    name = None
    try:
        while pos < end:
            name = None
            tag = buf[pos]
            if tag < 0x80:
                pos += 1
            else:
                tag, pos = read_varint(buf, pos, end)
            num = tag >> 3
            wt = tag & 7
            # Generated fields are sorted by number, usually dense from 1: try the slot first.
            i = (num - 1) << 2
            if i < 0 or i >= nf or fields[i + 1] != num:
                i = _index(fields, num)
                if i < 0:
                    if num == 0:
                        raise DecodeError("field number 0 is invalid")
                    pos = skip_field(buf, pos, end, wt, num, depth)
                    continue
            name = fields[i]
            kind = fields[i + 2]
            typ = kind & 31
            if typ == _MESSAGE:
                if wt != 2:
                    raise DecodeError("wrong wire type %d for a message" % wt)
                n, pos = _length(buf, pos, end)
                if depth <= 0:
                    raise DecodeError("messages nested deeper than the limit")
                sub = fields[i + 3]
                if kind & _MAP:
                    entry = _decode(sub, buf, pos, pos + n, depth - 1, None)
                    v = entry["value"]
                    if v is None:  # absent message value: an empty message (protobuf does so)
                        v = new_message(sub[1][7])
                    msg[name][entry["key"]] = v
                    pos += n
                    continue
                cur = None if kind & _REPEATED else msg[name]
                v = _decode(sub, buf, pos, pos + n, depth - 1, cur)  # merges into cur
                pos += n
            elif typ == _STRING or typ == _BYTES:
                if wt != 2:
                    raise DecodeError("wrong wire type %d for a string/bytes field" % wt)
                n, pos = _length(buf, pos, end)
                v = read_text(buf, pos, pos + n) if typ == _STRING else bytes(buf[pos : pos + n])
                pos += n
            elif wt == WIRE_TYPE[typ]:
                if wt == 0:
                    v, pos = read_varint(buf, pos, end)
                    v = varint_scalar(typ, v)
                else:
                    size = 8 if wt == 1 else 4
                    if pos + size > end:
                        raise DecodeError("truncated fixed-width value")
                    v = fixed_scalar(typ, buf, pos)
                    pos += size
            elif wt == 2 and kind & _REPEATED:
                pos = _unpack(buf, pos, end, typ, msg[name])
                continue
            else:
                raise DecodeError("wrong wire type %d" % wt)
            if kind & _REPEATED:
                msg[name].append(v)
                continue
            oneof = kind >> 9
            if oneof:  # the last member on the wire wins; the others read as absent
                for j in range(0, nf, 4):
                    if fields[j + 2] >> 9 == oneof:
                        msg[fields[j]] = None
            msg[name] = v
    except FieldDecodeError:
        raise
    except DecodeError as e:
        where = desc[0] + ("." + name if name else "")
        raise FieldDecodeError("%s: %s" % (where, e)) from None
    return msg


def _unpack(buf, pos, end, typ, out):
    """Decodes a packed run of scalars into the list out -> new pos."""
    n, pos = _length(buf, pos, end)
    stop = pos + n
    if WIRE_TYPE[typ] == 0:
        while pos < stop:
            v, pos = read_varint(buf, pos, stop)
            out.append(varint_scalar(typ, v))
        return stop
    size = fixed_size(typ)
    if n % size:
        raise DecodeError("packed length %d is not a multiple of %d" % (n, size))
    while pos < stop:
        out.append(fixed_scalar(typ, buf, pos))
        pos += size
    return stop


def _encode(desc, msg, out, depth):
    if not isinstance(msg, dict):
        raise FieldEncodeError("%s: expected a dict, got %s" % (desc[0], type(msg).__name__))
    fields = desc[1]
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
    if seen != len(msg):
        for key in msg:
            if _index_name(fields, key) < 0:
                raise FieldEncodeError("%s: unknown field %r" % (desc[0], key))


def _index_name(fields, key):
    for i in range(0, len(fields), 4):
        if fields[i] == key:
            return i
    return -1


def _put_message(out, num, sub, v, depth):
    if depth <= 0:
        raise EncodeError("messages nested deeper than the limit")
    body = bytearray()
    _encode(sub, v, body, depth - 1)
    put_varint(out, num << 3 | 2)
    put_varint(out, len(body))
    out.extend(body)


def _put_repeated(out, num, kind, sub, values, depth):
    if not isinstance(values, (list, tuple)):
        raise EncodeError("expected a list, got %s" % type(values).__name__)
    if not values:
        return
    typ = kind & 31
    if kind & _PACKED:
        body = bytearray()
        for v in values:
            put_scalar(body, typ, v)
        put_varint(out, num << 3 | 2)
        put_varint(out, len(body))
        out.extend(body)
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
    ef = entry[1]
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
        body = bytearray()
        # Entries always carry key and value, defaults included (as protobuf writes them).
        put_varint(body, 8 | WIRE_TYPE[ktyp])
        put_scalar(body, ktyp, k)
        if vtyp == _MESSAGE:
            if v is None:
                raise EncodeError("None as the value of map key %r" % (k,))
            _put_message(body, 2, ef[7], v, depth)
        else:
            put_varint(body, 16 | WIRE_TYPE[vtyp])
            put_scalar(body, vtyp, v)
        put_varint(out, num << 3 | 2)
        put_varint(out, len(body))
        out.extend(body)
