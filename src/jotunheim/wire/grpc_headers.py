"""gRPC request and response headers (doc/PROTOCOL-HTTP2.md): request HEADERS with
grpc-timeout, response checks, metadata and grpc-status (rarer codecs: grpc_metadata)."""

from jotunheim.compat import const


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
            return b"%d%c" % (min(count, 99999999), b"umSMH"[i])


# Metadata encoding, -bin base64 and percent-decoding live in grpc_metadata, imported where
# they are needed: the device's own calls send no metadata and get no -bin values or
# grpc-message on success, so that code stays off the heap. Their names (encode_metadata,
# b64encode, b64decode, percent_decode) still import from here, through this hook.
def __getattr__(name):
    if name[0] == "_":  # dunder probes (__path__, ...) must not load the module
        raise AttributeError(name)
    from jotunheim.wire import grpc_metadata

    return getattr(grpc_metadata, name)


# Response headers that are gRPC/HTTP machinery, not metadata for the application.
_NOT_METADATA = const(
    (b"content-type", b"grpc-status", b"grpc-message", b"grpc-status-details-bin")
)


def decode_metadata(headers):
    """Response header tuples -> [(str, str|bytes)], without pseudo and gRPC headers."""
    out = []
    for name, value in headers:
        if name[:1] == b":" or name in _NOT_METADATA:
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
    ctype = header_value(headers, b"content-type")
    if (
        header_value(headers, b":status") == b"200"
        and ctype
        and ctype.startswith(b"application/grpc")
    ):
        return None  # what every gRPC server sends; anything else is examined in grpc_failures
    from jotunheim.wire.grpc_failures import response_headers_error

    return response_headers_error(headers)


def status_from_trailers(headers):
    """(status, message, details) from trailers (or a trailers-only response)."""
    raw = header_value(headers, b"grpc-status")
    msg = header_value(headers, b"grpc-message")
    det = header_value(headers, b"grpc-status-details-bin")
    if raw is not None and raw.isdigit() and not msg and not det:
        return int(raw), "", None  # the usual trailers: a status code and nothing else
    from jotunheim.wire.grpc_failures import trailers_status

    return trailers_status(raw, msg, det)
