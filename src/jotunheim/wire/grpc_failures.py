"""What only a failing gRPC call needs, imported by grpc on first use: the
HTTP status and RST_STREAM code -> gRPC status mappings, the errors of malformed message
frames and response headers, and trailers that carry more than a bare status code."""

from jotunheim.wire.grpc import GrpcError, Status, header_value

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
_RST_TO_GRPC = {
    7: Status.UNAVAILABLE,  # REFUSED_STREAM
    8: Status.CANCELLED,  # CANCEL
    11: Status.RESOURCE_EXHAUSTED,  # ENHANCE_YOUR_CALM
    12: Status.PERMISSION_DENIED,  # INADEQUATE_SECURITY
}


def reset_to_grpc(error_code):
    """gRPC status of a call whose stream the peer reset with error_code."""
    return _RST_TO_GRPC.get(error_code, Status.INTERNAL)


def frame_error(flag, size, max_size):
    """The GrpcError for a message prefix with a bad flag or a length above max_size."""
    if flag == 1:
        # We never send grpc-accept-encoding, so a compressed message is a bug.
        return GrpcError(Status.INTERNAL, "compressed message without grpc-encoding")
    if flag:
        return GrpcError(Status.INTERNAL, "invalid message flag %d" % flag)
    return GrpcError(
        Status.RESOURCE_EXHAUSTED,
        "received message larger than max (%d vs. %d)" % (size, max_size),
    )


def response_headers_error(headers):
    """The GrpcError that response HEADERS other than a 200 with a gRPC content-type end
    the call with, or None."""
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


def trailers_status(raw, msg, det):
    """(status, message, details) from the raw grpc-status, grpc-message and
    grpc-status-details-bin values (None when absent)."""
    if raw is None:
        return Status.UNKNOWN, "missing grpc-status in trailers", None
    try:
        code = int(raw)
    except ValueError:
        return Status.UNKNOWN, "invalid grpc-status %r" % raw, None
    from jotunheim.wire.grpc_metadata import b64decode, percent_decode

    return code, percent_decode(msg) if msg else "", b64decode(det) if det else None
