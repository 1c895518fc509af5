"""protobuf-lite: proto3 messages as plain dicts <-> bytes, driven by the compact descriptors
in jotunheim._gen.device (MicroPython-safe; the contract is CONTRACTS.md section 1)."""

from jotunheim.compat import const
from jotunheim.errors import DecodeError, EncodeError
from jotunheim.wire.pbwire import (
    WIRE_TYPE,
    encode_message,
    failure,
    fields_of,
    located,
    message_name,
    read_text,
    read_varint,
    sub_of,
    varint_scalar,
)

# Behaviour, beyond CONTRACTS.md section 1:
# - decode() fills in every field, skips unknown fields of every wire type (deprecated groups
#   to their end tag, nesting counted against max_depth), merges repeated occurrences of a
#   message field and lets the last oneof member on the wire win, as protobuf does.
# - A known field sent with the wrong wire type is malformed (protobuf would keep it as an
#   unknown field); groups are never a valid proto3 field value.
# - A map entry carrying fields other than key/value is dropped, as the protobuf (upb) library
#   does, so both decoders agree; an entry without a value gets the default (an empty message).
# - Every error is a DecodeError/EncodeError naming "Message.field"; encoding is canonical,
#   byte-identical to protobuf's SerializeToString(deterministic=True) (jotunheim.wire.pbwire).

# Largest message decode() accepts by default: bigger than any Jotunheim message (an OTA
# chunk is 4 KiB) yet small enough to stay clear of a microcontroller's heap.
MAX_MESSAGE_SIZE = 64 * 1024
# Message nesting levels below the top one; bounds recursion, which on MicroPython uses the
# C stack: ~1 KB per level measured on the 64-bit unix port, and an ESP32 task has 16 KB.
# Jotunheim's own messages nest at most 5 levels.
MAX_DEPTH = 16
# Decoded fields allowed per input byte (plus a fixed allowance): an empty sub-message costs
# two bytes on the wire but a dict entry for every field of its type, so without this cap a
# 64 KiB message of empty messages could expand to tens of megabytes.
_MAX_FIELDS_PER_BYTE = const(2)
_FIELD_ALLOWANCE = const(1024)

# Field kind bits, as tools/devicegen.py writes them.
_REPEATED = const(32)
_MAP = const(64)
_MESSAGE = const(11)
_STRING = const(9)
_BYTES = const(12)
# Default of an implicit-presence field by type number (messages: None = absent).
DEFAULTS = (None, 0.0, 0.0, 0, 0, 0, 0, 0, False, "", None, None, b"", 0, 0, 0, 0, 0, 0)


def decode(desc, data, max_size=MAX_MESSAGE_SIZE, max_depth=MAX_DEPTH):
    """bytes -> dict holding every field of desc; raises DecodeError on malformed input."""
    n = len(data)
    if n > max_size:
        # message of n bytes exceeds the limit
        raise failure(DecodeError, 20, message_name(desc), n, max_size)
    if not isinstance(data, bytes):
        data = memoryview(data)  # slices of values then copy once, from the caller's buffer
    budget = [_FIELD_ALLOWANCE + _MAX_FIELDS_PER_BYTE * n]  # shared by every nested level
    try:
        return decode_fields(desc, data, 0, n, max_depth, None, budget)
    except RuntimeError:  # recursion limit / stack check hit before max_depth (small stacks)
        # nesting exhausted the stack
        raise failure(DecodeError, 21, message_name(desc)) from None


def encode(desc, msg):
    """dict -> canonical bytes; a missing or None key is absent; raises EncodeError."""
    out = bytearray()
    encode_into(desc, msg, out)
    return bytes(out)


def encode_into(desc, msg, out):
    """Appends the encoding of msg to the bytearray out (e.g. after a reserved 5-byte gRPC
    prefix) -> number of bytes written; spares encode()'s final copy. On error out may hold
    a partial message: discard it."""
    start = len(out)
    try:
        encode_message(desc, msg, out, MAX_DEPTH)
    except RuntimeError:
        # nesting exhausted the stack
        raise failure(EncodeError, 21, message_name(desc)) from None
    return len(out) - start


def which_oneof(desc, msg, oneof):
    """Name of the member of oneof `oneof` set in the dict msg, or None."""
    fields = fields_of(desc)
    names = () if type(desc) is str else desc[2] or ()
    if oneof not in names:
        raise failure(ValueError, 22, message_name(desc), oneof)  # has no oneof
    k = names.index(oneof) + 1
    for i in range(0, len(fields), 2):
        if fields[i + 1] >> 9 & 0x7F == k and msg.get(fields[i]) is not None:
            return fields[i]
    return None


def new_message(desc):
    """The dict of an empty message: every field at its proto3 default."""
    fields = fields_of(desc)
    msg = {}
    for i in range(0, len(fields), 2):
        kind = fields[i + 1]
        if kind & _REPEATED:
            v = {} if kind & _MAP else []
        elif kind & 0xFF00:  # oneof member or proto3 `optional`: None unless present
            v = None
        else:
            v = DEFAULTS[kind & 31]
        msg[fields[i]] = v
    return msg


def decode_fields(desc, buf, pos, end, depth, msg, budget):
    """Decodes the fields in buf[pos:end] into msg (a new message dict when None) -> msg."""
    fields = fields_of(desc)
    if msg is None:
        msg = new_message(desc)
        spend(budget, len(msg), desc)
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
            i = (num - 1) << 1
            if i < 0 or i >= nf or fields[i + 1] >> 24 != num:
                i = 0
                while i < nf and fields[i + 1] >> 24 != num:
                    i += 2
                if i >= nf:
                    if num == 0:
                        raise failure(DecodeError, 19)  # field number 0 is invalid
                    from jotunheim.wire.pbrare import skip_field  # peers newer than us only

                    pos = skip_field(buf, pos, end, wt, num, depth)
                    continue
            name = fields[i]
            kind = fields[i + 1] & 0xFFFF
            typ = kind & 31
            if wt == 2:
                # Length prefix: one byte in the common case, read without a helper call
                # (each helper returns a tuple: one more allocation on MicroPython).
                n = buf[pos] if pos < end else 0x80
                if n < 0x80:
                    pos += 1
                else:
                    n, pos = read_varint(buf, pos, end)
                if n > end - pos:
                    raise failure(DecodeError, 16, n, end - pos)  # runs past the end
                stop = pos + n
                if typ == _MESSAGE:
                    if depth <= 0:
                        raise failure(DecodeError, 9)  # messages nested deeper than the limit
                    if kind & _MAP:
                        from jotunheim.wire.pbmaps import decode_entry

                        entry = sub_of(desc, fields[i + 1])
                        decode_entry(entry, buf, pos, stop, depth - 1, msg[name], budget)
                        pos = stop
                        continue
                    cur = None if kind & _REPEATED else msg[name]
                    sub = sub_of(desc, fields[i + 1])
                    v = decode_fields(sub, buf, pos, stop, depth - 1, cur, budget)  # merges
                elif typ == _STRING:
                    v = read_text(buf, pos, stop)
                elif typ == _BYTES:
                    v = bytes(buf[pos:stop])
                elif kind & _REPEATED:  # packed scalars: only the hub decodes any
                    from jotunheim.wire.pbrare import unpack

                    unpack(buf, pos, stop, typ, msg[name])
                    pos = stop
                    continue
                else:
                    raise failure(DecodeError, 17, 2)  # wrong wire type
                pos = stop
            elif wt != WIRE_TYPE[typ] or typ == _MESSAGE:
                raise failure(DecodeError, 17, wt)  # wrong wire type
            elif wt == 0:
                v = buf[pos] if pos < end else 0x80
                if v < 0x80:
                    pos += 1
                else:
                    v, pos = read_varint(buf, pos, end)
                v = varint_scalar(typ, v)
            else:
                size = 8 if wt == 1 else 4
                if pos + size > end:
                    raise failure(DecodeError, 18)  # truncated fixed-width value
                from jotunheim.wire.pbrare import fixed_scalar  # no Jotunheim message has one

                v = fixed_scalar(typ, buf, pos)
                pos += size
            if kind & _REPEATED:
                msg[name].append(v)
                continue
            oneof = kind >> 9
            if oneof:  # the last member on the wire wins; the others read as absent
                for j in range(1, nf, 2):
                    if fields[j] >> 9 & 0x7F == oneof:
                        msg[fields[j - 1]] = None
            msg[name] = v
    except DecodeError as e:
        if getattr(e, "located", False):  # a nested message's error, located there
            raise
        where = message_name(desc) + ("." + name if name else "")
        raise located(DecodeError("%s: %s" % (where, e))) from None
    return msg


def spend(budget, n, desc):
    """Charges n decoded fields to the shared budget (_MAX_FIELDS_PER_BYTE)."""
    budget[0] -= n
    if budget[0] < 0:
        # message expands to more than N fields per input byte
        raise located(failure(DecodeError, 23, message_name(desc), _MAX_FIELDS_PER_BYTE))
