"""gRPC header codecs that only some calls need, loaded on first use by grpc: user
metadata checks and encoding, -bin base64, grpc-message percent-decoding, non-UTF-8 text
(gRPC spec, doc/PROTOCOL-HTTP2.md)."""

import binascii

from jotunheim.wire.grpc import GrpcError, Status, _text

# Headers the gRPC layer owns; user metadata may not set them (gRPC spec: "grpc-" prefix
# is reserved, and the transport headers would corrupt the call).
_RESERVED = ("content-type", "te", "user-agent", "host", "connection", "transfer-encoding")
_KEY_CHARS = b"0123456789abcdefghijklmnopqrstuvwxyz-_."


def _check_key(key):
    if not key or key[0] == ":" or key.startswith("grpc-") or key in _RESERVED:
        raise GrpcError(Status.INTERNAL, "metadata key %r is reserved" % key)
    for c in key.encode():
        if c not in _KEY_CHARS:
            raise GrpcError(Status.INTERNAL, "metadata key %r has an invalid character" % key)


def b64encode(data):
    """Unpadded base64 (gRPC implementations SHOULD emit unpadded -bin values)."""
    return binascii.b2a_base64(data)[:-1].rstrip(b"=")


def b64decode(text):
    """Base64 with or without padding (gRPC implementations MUST accept both)."""
    text = text.strip()
    text = text + b"=" * (-len(text) % 4)
    try:
        return binascii.a2b_base64(text)
    except (ValueError, binascii.Error):
        raise GrpcError(Status.INTERNAL, "invalid base64 in -bin metadata") from None


def encode_metadata(metadata):
    """[(key, value)] user metadata -> header tuples; -bin values are bytes, base64-encoded."""
    out = []
    if not metadata:
        return out
    for key, value in metadata:
        key = key.lower()
        _check_key(key)
        if key.endswith("-bin"):
            if isinstance(value, str):
                value = value.encode()
            out.append((key.encode(), b64encode(bytes(value))))
        else:
            if not isinstance(value, str):
                raise GrpcError(Status.INTERNAL, "metadata %r: value must be str" % key)
            raw = value.encode()
            for c in raw:
                if c < 0x20 or c > 0x7E:
                    raise GrpcError(Status.INTERNAL, "metadata %r: value not printable ASCII" % key)
            out.append((key.encode(), raw))
    return out


def ascii_text(raw):
    """Header bytes that are not UTF-8 as text: ASCII kept, every other byte '?'."""
    return "".join(chr(b) if b < 128 else "?" for b in raw)


def _hex(c):
    if 48 <= c <= 57:
        return c - 48
    c |= 0x20
    if 97 <= c <= 102:
        return c - 87
    return -1


def percent_decode(raw):
    """grpc-message is percent-encoded UTF-8; malformed escapes pass through (gRPC spec)."""
    if b"%" not in raw:
        out = raw
    else:
        out = bytearray()
        i = 0
        n = len(raw)
        while i < n:
            c = raw[i]
            if c == 37 and i + 2 < n:
                hi = _hex(raw[i + 1])
                lo = _hex(raw[i + 2])
                if hi >= 0 and lo >= 0:
                    out.append(hi * 16 + lo)
                    i += 3
                    continue
            out.append(c)
            i += 1
        out = bytes(out)
    return _text(out)
