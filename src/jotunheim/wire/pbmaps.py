"""Map fields of protobuf-lite, both directions, imported on first use: the device session's
messages have no map, only Loki's script parameters and results do (MicroPython-safe)."""

from jotunheim.compat import const
from jotunheim.errors import DecodeError, EncodeError
from jotunheim.wire import protobuf
from jotunheim.wire.pbwire import (
    MASK64,
    WIRE_TYPE,
    close_field,
    failure,
    fields_of,
    open_field,
    put_message,
    put_scalar,
    read_text,
    read_varint,
    varint_scalar,
)

_MESSAGE = const(11)
_STRING = const(9)


def _read_length(buf, pos, end):
    """Decodes a length prefix -> (length, new pos); the length must fit before end."""
    n, pos = read_varint(buf, pos, end)
    if n > end - pos:
        raise failure(DecodeError, 16, n, end - pos)  # runs past the end
    return n, pos


def _read_value(buf, pos, end, typ, wt):
    """Decodes one non-message value of type typ sent with wire type wt -> (value, new pos)."""
    if typ == 9 or typ == 12:
        if wt != 2:
            raise failure(DecodeError, 28, wt)  # wrong wire type for a string/bytes
        n, pos = _read_length(buf, pos, end)
        if typ == 9:
            return read_text(buf, pos, pos + n), pos + n
        return bytes(buf[pos : pos + n]), pos + n
    if wt != WIRE_TYPE[typ]:
        raise failure(DecodeError, 17, wt)  # wrong wire type
    if wt == 0:
        v, pos = read_varint(buf, pos, end)
        return varint_scalar(typ, v), pos
    size = 8 if wt == 1 else 4
    if pos + size > end:
        raise failure(DecodeError, 18)  # truncated fixed-width value
    from jotunheim.wire.pbrare import fixed_scalar

    return fixed_scalar(typ, buf, pos), pos + size


def decode_entry(entry, buf, pos, end, depth, target, budget):
    """Decodes one map entry (key = 1, value = 2) into the dict target. An absent key or value
    takes its default (an empty message for message values). An entry carrying any other
    field is dropped as unknown data, as the protobuf (upb) library does, so both agree."""
    ef = fields_of(entry)  # (key name, key info, value name, value info)
    ktyp = ef[1] & 31
    key = protobuf.DEFAULTS[ktyp]
    vtyp = ef[3] & 31
    value = None
    unknown = False
    while pos < end:
        tag, pos = read_varint(buf, pos, end)
        num = tag >> 3
        wt = tag & 7
        if num == 1:
            key, pos = _read_value(buf, pos, end, ktyp, wt)
        elif num == 2 and vtyp == _MESSAGE:
            if wt != 2:
                raise failure(DecodeError, 27, wt)  # wrong wire type for a message
            n, pos = _read_length(buf, pos, end)
            if depth <= 0:
                raise failure(DecodeError, 9)  # messages nested deeper than the limit
            value = protobuf.decode_fields(entry[3][0], buf, pos, pos + n, depth - 1, value, budget)
            pos += n
        elif num == 2:
            value, pos = _read_value(buf, pos, end, vtyp, wt)
        elif num == 0:
            raise failure(DecodeError, 19)  # field number 0 is invalid
        else:
            from jotunheim.wire.pbrare import skip_field

            pos = skip_field(buf, pos, end, wt, num, depth)
            unknown = True
    if unknown:
        return
    if value is None:
        if vtyp == _MESSAGE:
            value = protobuf.new_message(entry[3][0])
            protobuf.spend(budget, len(value), entry)
        else:
            value = protobuf.DEFAULTS[vtyp]
    target[key] = value


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


def put_map(out, num, entry, values, depth):
    """Appends the entries of the dict values (map field num, entry descriptor entry)."""
    if not isinstance(values, dict):
        raise failure(EncodeError, 25, type(values).__name__)  # expected a dict for a map
    ef = fields_of(entry)
    ktyp = ef[1] & 31
    vtyp = ef[3] & 31
    try:
        if ktyp == _STRING:
            keys = sorted(values, key=_string_order)
        else:
            keys = sorted(values, key=_int_order, reverse=True)
    except (TypeError, AttributeError, UnicodeError):
        raise failure(EncodeError, 26) from None  # map keys must all be of the key type
    for k in keys:
        v = values[k]
        start = open_field(out, num)
        # Entries always carry key and value, defaults included (as protobuf writes them).
        out.append(8 | WIRE_TYPE[ktyp])
        put_scalar(out, ktyp, k)
        if vtyp == _MESSAGE:
            if v is None:
                raise failure(EncodeError, 24, k)  # None as the value of map key
            put_message(out, 2, entry[3][0], v, depth)
        else:
            out.append(16 | WIRE_TYPE[vtyp])
            put_scalar(out, vtyp, v)
        close_field(out, start)
