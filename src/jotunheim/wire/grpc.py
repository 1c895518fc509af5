"""gRPC over HTTP/2, the sans-IO part: status codes, GrpcError, message framing, request
headers, metadata and response status, per the gRPC spec (doc/PROTOCOL-HTTP2.md)."""

import binascii

from jotunheim.errors import JotunheimError


class Status:
    """gRPC status codes (ints on the wire and in the API)."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16


_NAMES = (
    "OK CANCELLED UNKNOWN INVALID_ARGUMENT DEADLINE_EXCEEDED NOT_FOUND ALREADY_EXISTS "
    "PERMISSION_DENIED RESOURCE_EXHAUSTED FAILED_PRECONDITION ABORTED OUT_OF_RANGE "
    "UNIMPLEMENTED INTERNAL UNAVAILABLE DATA_LOSS UNAUTHENTICATED"
)


def status_name(code):
    """'UNAVAILABLE' for 14; 'STATUS_<n>' for codes outside the spec."""
    names = _NAMES.split()
    if isinstance(code, int) and 0 <= code < len(names):
        return names[code]
    return "STATUS_%s" % code


class GrpcError(JotunheimError):
    """A call ended with a non-OK status: .status (int), .message (str), .details (bytes|None)."""

    def __init__(self, status, message="", details=None):
        super().__init__("%s: %s" % (status_name(status), message))
        self.status = status
        self.message = message
        self.details = details


# Largest message we accept from the peer (grpc's default receive limit); a bigger length
# prefix fails the call with RESOURCE_EXHAUSTED before anything is allocated.
MAX_RECEIVE_MESSAGE_SIZE = 4 * 1024 * 1024


def message_prefix(n):
    """The one place that builds the 5-byte prefix: flag 0 (uncompressed), 4-byte length."""
    return b"\x00" + n.to_bytes(4, "big")


def frame_message(payload):
    """A whole length-prefixed message (small messages: one buffer, one DATA frame)."""
    return message_prefix(len(payload)) + payload


class MessageReader:
    """Reassembles length-prefixed messages from DATA chunks; feed() -> complete messages."""

    def __init__(self, max_size=MAX_RECEIVE_MESSAGE_SIZE):
        self.max_size = max_size
        self._head = b""
        self._buf = None  # preallocated body of the message being read
        self._got = 0

    def pending(self):
        """True while a message is only partly received (end of stream here is an error)."""
        return bool(self._head) or self._buf is not None

    def feed(self, data):
        out = []
        mv = memoryview(data)
        pos = 0
        end = len(data)
        while pos < end:
            if self._buf is None:
                take = min(5 - len(self._head), end - pos)
                self._head += bytes(mv[pos : pos + take])
                pos += take
                if len(self._head) < 5:
                    break
                flag = self._head[0]
                size = int.from_bytes(self._head[1:5], "big")
                self._head = b""
                if flag == 1:
                    # We never send grpc-accept-encoding, so a compressed message is a bug.
                    raise GrpcError(Status.INTERNAL, "compressed message without grpc-encoding")
                if flag != 0:
                    raise GrpcError(Status.INTERNAL, "invalid message flag %d" % flag)
                if size > self.max_size:
                    raise GrpcError(
                        Status.RESOURCE_EXHAUSTED,
                        "received message larger than max (%d vs. %d)" % (size, self.max_size),
                    )
                if size == 0:
                    out.append(b"")
                    continue
                self._buf = bytearray(size)
                self._got = 0
            take = min(len(self._buf) - self._got, end - pos)
            self._buf[self._got : self._got + take] = mv[pos : pos + take]
            self._got += take
            pos += take
            if self._got == len(self._buf):
                out.append(self._buf)
                self._buf = None
        return out


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
        key = name.decode()
        if key.endswith("-bin"):
            out.append((key, b64decode(value)))
        else:
            out.append((key, value.decode()))
    return out


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
    try:
        return out.decode()
    except UnicodeError:
        return "".join(chr(b) if b < 128 else "?" for b in out)


# doc/http-grpc-status-mapping.md: HTTP status -> gRPC status when no grpc-status arrived.
_HTTP_TO_GRPC = {
    400: Status.INTERNAL,
    401: Status.UNAUTHENTICATED,
    403: Status.PERMISSION_DENIED,
    404: Status.UNIMPLEMENTED,
    429: Status.UNAVAILABLE,
    502: Status.UNAVAILABLE,
    503: Status.UNAVAILABLE,
    504: Status.UNAVAILABLE,
}


def http_status_to_grpc(http_status):
    """gRPC status for a non-200 HTTP response without grpc-status."""
    return _HTTP_TO_GRPC.get(http_status, Status.UNKNOWN)


# RST_STREAM error code -> gRPC status (doc/PROTOCOL-HTTP2.md, "Errors").
_RST_TO_GRPC = {7: Status.UNAVAILABLE, 8: Status.CANCELLED, 11: Status.RESOURCE_EXHAUSTED}


def reset_to_grpc(error_code):
    if error_code == 12:
        return Status.PERMISSION_DENIED
    return _RST_TO_GRPC.get(error_code, Status.INTERNAL)


def _get(headers, name):
    for k, v in headers:
        if k == name:
            return v
    return None


def check_response_headers(headers):
    """Validates the first HEADERS; returns a GrpcError to end the call with, or None."""
    raw = _get(headers, b":status")
    try:
        code = int(raw)
    except (TypeError, ValueError):
        return GrpcError(Status.INTERNAL, "response without a valid :status")
    if code != 200:
        return GrpcError(http_status_to_grpc(code), "HTTP status %d" % code)
    ctype = _get(headers, b"content-type")
    if ctype is None or not ctype.startswith(b"application/grpc"):
        return GrpcError(Status.UNKNOWN, "response content-type %r is not gRPC" % ctype)
    return None


def status_from_trailers(headers):
    """(status, message, details) from trailers (or a trailers-only response)."""
    raw = _get(headers, b"grpc-status")
    if raw is None:
        return Status.UNKNOWN, "missing grpc-status in trailers", None
    try:
        code = int(raw)
    except ValueError:
        return Status.UNKNOWN, "invalid grpc-status %r" % raw, None
    msg = _get(headers, b"grpc-message")
    message = percent_decode(msg) if msg else ""
    det = _get(headers, b"grpc-status-details-bin")
    details = b64decode(det) if det else None
    return code, message, details
