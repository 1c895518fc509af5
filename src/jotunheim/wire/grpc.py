"""gRPC over HTTP/2, the sans-IO part: status codes, GrpcError, message framing, request
headers, metadata and response status, per the gRPC spec (doc/PROTOCOL-HTTP2.md)."""

from jotunheim.compat import IS_MICROPYTHON, const, unload
from jotunheim.errors import JotunheimError

# The status codes' names in code order, for error texts. The Status class (grpc_status) is
# served on first use by __getattr__ below: the device's wire modules compare codes as const
# ints, so a class of 17 names (~0.6 KB of heap, plus their qstrs in .mpy) is not kept.
_NAMES = const(
    "OK CANCELLED UNKNOWN INVALID_ARGUMENT DEADLINE_EXCEEDED NOT_FOUND ALREADY_EXISTS"
    " PERMISSION_DENIED RESOURCE_EXHAUSTED FAILED_PRECONDITION ABORTED OUT_OF_RANGE"
    " UNIMPLEMENTED INTERNAL UNAVAILABLE DATA_LOSS UNAUTHENTICATED"
)


def status_name(code):
    """'UNAVAILABLE' for 14; 'STATUS_<n>' for codes outside the spec."""
    if isinstance(code, int) and 0 <= code <= 16:
        return _NAMES.split(" ")[code]
    return "STATUS_%s" % code


class GrpcError(JotunheimError):
    """A call ended with a non-OK status: .status (int), .message (str), .details (bytes|None)."""

    def __init__(self, status, message="", details=None):
        super().__init__("%s: %s" % (status_name(status), message))
        self.status = status
        self.message = message
        self.details = details


def failure(status, code, *args):
    """GrpcError(status, text number `code` of grpc_texts formatted with args). The texts load
    per error and are dropped again on MicroPython: long str constants are heap objects for as
    long as their module is loaded, and calls that end normally never need them."""
    try:
        from jotunheim.wire.grpc_texts import TEXTS

        text = TEXTS[code]
        if IS_MICROPYTHON:
            unload("jotunheim.wire.grpc_texts")
        return GrpcError(status, text % args if args else text)
    except MemoryError:
        # Often the very error being reported (a full heap): the text module needs ~1.5 KB
        # to load, and a failure here must still fail the calls (channel_io's catch-all),
        # so the status goes out with a fixed text rather than not at all.
        return GrpcError(status, "out of memory")


# Largest message we accept from the peer (grpc's default receive limit); a bigger length
# prefix fails the call with RESOURCE_EXHAUSTED before anything is allocated.
MAX_RECEIVE_MESSAGE_SIZE = 4 * 1024 * 1024


def message_prefix(n):
    """The one place that builds the 5-byte prefix: flag 0 (uncompressed), 4-byte length."""
    return b"\x00" + n.to_bytes(4, "big")


# bytes values at least this long are kept by reference when a message is encoded for
# sending (grpc_gather.Gather, used only for a message holding one): a large payload is then
# never copied into an encoding buffer.
GATHER_MIN = 512


# On MicroPython, a collection right before a large allocation (a whole message) lets it
# reuse the space of what was freed since the last one (earlier messages, frames), instead
# of landing past the garbage: the heap fragments less, so smaller heaps suffice.
_BIG_ALLOC = const(8192)


def make_room(n):
    """Collects garbage before allocating n bytes when n is large (MicroPython only: the
    runtime otherwise collects only once an allocation fails)."""
    if IS_MICROPYTHON and n >= _BIG_ALLOC:
        import gc

        gc.collect()


# -- request and response headers ----------------------------------------------------------
def encode_timeout(seconds):
    """grpc-timeout value: at most 8 digits and a unit, rounded up (never shorter)."""
    exact = seconds * 1000000
    us = int(exact)
    if us < exact:
        us += 1
    if us < 1:
        us = 1
    # Units from the finest up (micro-, milliseconds, seconds, minutes, hours) and their
    # sizes in microseconds: the first whose count fits in 8 digits is used; hours are
    # capped at 99999999.
    for i, size in enumerate((1, 1000, 1000000, 60000000, 3600000000)):
        count = (us + size - 1) // size
        if count < 100000000 or i == 4:
            # str constants this short are qstrs (bytes constants are heap objects in ROMFS)
            return ("%d%s" % (min(count, 99999999), "umSMH"[i : i + 1])).encode()


# Metadata encoding, -bin base64, percent-decoding and non-UTF-8 text live in grpc_metadata,
# imported where they are needed: the device's own calls send no metadata and get no -bin
# values or grpc-message on success, so that code stays off the heap.

# The header names and values read from responses, in one constant split when used (as the
# request's, _REQUEST below): with the code in ROMFS every bytes constant is a heap object
# (~48 B) for as long as the module is loaded, and these are read per call, not per message.
# Three functions unpack it by position (0 ":", 1 content-type, 2 application/grpc, 3
# "grpc-", 4 :status, 5 200, 6 grpc-status, 7 grpc-message, 8 grpc-status-details-bin):
# append, never insert (tests/unit/wire_grpc/test_grpc_response_words.py pins them).
_RESPONSE = const(
    b": content-type application/grpc grpc- :status 200 grpc-status grpc-message"
    b" grpc-status-details-bin"
)


def decode_metadata(headers):
    """Response header tuples -> [(str, str|bytes)], without pseudo and gRPC headers."""
    out = []
    pseudo, content_type, _, reserved = _RESPONSE.split()[:4]
    for name, value in headers:
        # HTTP/gRPC machinery, not metadata for the application: pseudo-headers,
        # content-type, and the "grpc-" names the gRPC spec reserves (grpc-status, ...,
        # grpc-accept-encoding, which grpcio sends with every response: a long-lived call
        # kept it as metadata, ~0.2 KB of the device's heap).
        if name.startswith(pseudo) or name.startswith(reserved) or name == content_type:
            continue
        key = _text(name)
        if key.endswith("-bin"):
            from jotunheim.wire.grpc_metadata import b64decode

            out.append((key, b64decode(value)))
        else:
            out.append((key, _text(value)))
    return out


def _text(raw):
    """UTF-8 text of a header; bytes that are not UTF-8 become '?' (never an exception)."""
    try:
        return raw.decode()
    except UnicodeError:
        from jotunheim.wire.grpc_metadata import ascii_text

        return ascii_text(raw)


# The request headers' own names and values in one constant, split per call: each bytes
# constant is an object of ~64 bytes on the device's heap for as long as the module is
# loaded, while the headers a call builds are garbage once HPACK has encoded them.
_REQUEST = const(
    b":method POST :scheme :path :authority te trailers content-type application/grpc"
    b" user-agent grpc-timeout"
)


def request_headers(path, authority, scheme=b"http", timeout=None, metadata=None, ua=None):
    """The HEADERS of a call, pseudo-headers first (RFC 9113 8.3)."""
    names = _REQUEST.split()
    method, post, scheme_name, path_name, authority_name, te, trailers = names[:7]
    content_type, grpc_type, ua_name, timeout_name = names[7:]
    headers = [
        (method, post),
        (scheme_name, scheme),
        (path_name, path if isinstance(path, bytes) else path.encode()),
        (authority_name, authority),
        (te, trailers),
        (content_type, grpc_type),
    ]
    if ua:
        headers.append((ua_name, ua))
    if timeout is not None:
        headers.append((timeout_name, encode_timeout(timeout)))
    if metadata:
        from jotunheim.wire.grpc_metadata import encode_metadata

        headers.extend(encode_metadata(metadata))
    return headers


def header_value(headers, name):
    """Value of the first header called name (bytes), or None."""
    for k, v in headers:
        if k == name:
            return v
    return None


def check_response_headers(headers):
    """Validates the first HEADERS; returns a GrpcError to end the call with, or None."""
    _, content_type, grpc_type, _, status, ok = _RESPONSE.split()[:6]
    ctype = header_value(headers, content_type)
    if header_value(headers, status) == ok and ctype and ctype.startswith(grpc_type):
        return None  # what every gRPC server sends; anything else is examined in grpc_failures
    from jotunheim.wire.grpc_failures import response_headers_error

    return response_headers_error(headers)


def status_from_trailers(headers):
    """(status, message, details) from trailers (or a trailers-only response)."""
    status, message, details = _RESPONSE.split()[6:]
    raw = header_value(headers, status)
    msg = header_value(headers, message)
    det = header_value(headers, details)
    if raw is not None and raw.isdigit() and not msg and not det:
        return int(raw), "", None  # the usual trailers: a status code and nothing else
    from jotunheim.wire.grpc_failures import trailers_status

    return trailers_status(raw, msg, det)


def __getattr__(name):
    if name == "Status":
        from jotunheim.wire.grpc_status import Status

        return Status
    raise AttributeError(name)
