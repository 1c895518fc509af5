"""gRPC request and response headers (doc/PROTOCOL-HTTP2.md): grpc-timeout, metadata
(ASCII and -bin base64, reserved names), grpc-status / percent-encoded grpc-message."""

import binascii

from jotunheim.wire.grpc import GrpcError, Status, http_status_to_grpc


def encode_timeout(seconds):
    """grpc-timeout value: at most 8 digits and a unit, rounded up (never shorter)."""
    exact = seconds * 1000000
    us = int(exact)
    if us < exact:
        us += 1
    if us < 1:
        us = 1
    for unit, div in ((b"u", 1), (b"m", 1000), (b"S", 1000000), (b"M", 60000000)):
        v = (us + div - 1) // div
        if v < 100000000:
            return str(v).encode() + unit
    return str(min((us + 3599999999) // 3600000000, 99999999)).encode() + b"H"


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


# Response headers that are gRPC/HTTP machinery, not metadata for the application.
_NOT_METADATA = (b"content-type", b"grpc-status", b"grpc-message", b"grpc-status-details-bin")


def decode_metadata(headers):
    """Response header tuples -> [(str, str|bytes)], without pseudo and gRPC headers."""
    out = []
    for name, value in headers:
        if name[:1] == b":" or name in _NOT_METADATA:
            continue
        key = _text(name)
        if key.endswith("-bin"):
            out.append((key, b64decode(value)))
        else:
            out.append((key, _text(value)))
    return out


def _text(raw):
    """UTF-8 text of a header; bytes that are not UTF-8 become '?' (never an exception)."""
    try:
        return raw.decode()
    except UnicodeError:
        return "".join(chr(b) if b < 128 else "?" for b in raw)


def request_headers(path, authority, scheme=b"http", timeout=None, metadata=None, ua=None):
    """The HEADERS of a call, pseudo-headers first (RFC 9113 8.3)."""
    headers = [
        (b":method", b"POST"),
        (b":scheme", scheme),
        (b":path", path if isinstance(path, bytes) else path.encode()),
        (b":authority", authority),
        (b"te", b"trailers"),
        (b"content-type", b"application/grpc"),
    ]
    if ua:
        headers.append((b"user-agent", ua))
    if timeout is not None:
        headers.append((b"grpc-timeout", encode_timeout(timeout)))
    headers.extend(encode_metadata(metadata))
    return headers


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


def header_value(headers, name):
    """Value of the first header called name (bytes), or None."""
    for k, v in headers:
        if k == name:
            return v
    return None


def check_response_headers(headers):
    """Validates the first HEADERS; returns a GrpcError to end the call with, or None."""
    raw = header_value(headers, b":status")
    try:
        code = int(raw)
    except (TypeError, ValueError):
        return GrpcError(Status.INTERNAL, "response without a valid :status")
    if code != 200:
        return GrpcError(http_status_to_grpc(code), "HTTP status %d" % code)
    ctype = header_value(headers, b"content-type")
    if ctype is None or not ctype.startswith(b"application/grpc"):
        return GrpcError(Status.UNKNOWN, "response content-type %r is not gRPC" % ctype)
    return None


def status_from_trailers(headers):
    """(status, message, details) from trailers (or a trailers-only response)."""
    raw = header_value(headers, b"grpc-status")
    if raw is None:
        return Status.UNKNOWN, "missing grpc-status in trailers", None
    try:
        code = int(raw)
    except ValueError:
        return Status.UNKNOWN, "invalid grpc-status %r" % raw, None
    msg = header_value(headers, b"grpc-message")
    message = percent_decode(msg) if msg else ""
    det = header_value(headers, b"grpc-status-details-bin")
    details = b64decode(det) if det else None
    return code, message, details
