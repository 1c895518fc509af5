"""Rare ways a call fails, imported on first use: an answer that is not gRPC at all (an HTTP
error from a proxy) and a response message that does not decode."""

from jotunheim.compat import const
from jotunheim.wire.grpc import GrpcError, header_value
from jotunheim.wire.grpc_failures import http_status_to_grpc

# gRPC status codes (grpc.Status, not loaded by the device's flow)
_INTERNAL = const(13)


def http_failure(headers):
    """The status of a trailers-only answer without grpc-status whose HTTP :status is not
    200, mapped as the gRPC spec says (http-grpc-status-mapping.md); None otherwise."""
    raw = header_value(headers, b":status")
    if raw is None or raw == b"200":
        return None
    try:
        http = int(raw)
    except ValueError:
        return GrpcError(_INTERNAL, "invalid HTTP :status")
    return GrpcError(http_status_to_grpc(http), "HTTP status %d" % http)


async def undecodable(call, exc):
    """Ends call whose response message did not decode (resets its stream); raises INTERNAL."""
    err = GrpcError(_INTERNAL, "cannot decode response: %s" % exc)
    call._messages = []
    call.abort(err)
    await call._ch.flush()
    raise err from None
