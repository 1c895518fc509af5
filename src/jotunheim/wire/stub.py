"""Typed client stubs built from the generated service descriptors (CONTRACTS.md 3)."""


class Stub:
    """Typed client for one service: Stub(channel, desc.Service).Method(request, ...)."""

    def __init__(self, channel, service):
        for name, path, req_d, resp_d, client_streaming, server_streaming in service:
            setattr(
                self,
                name,
                _method(channel, path, req_d, resp_d, client_streaming, server_streaming),
            )


def _method(ch, path, req_d, resp_d, client_streaming, server_streaming):
    if client_streaming and server_streaming:
        return lambda timeout=None, metadata=None: ch.stream_stream(
            path, req_d, resp_d, timeout, metadata
        )
    if client_streaming:
        return lambda timeout=None, metadata=None: ch.stream_unary(
            path, req_d, resp_d, timeout, metadata
        )
    if server_streaming:
        return lambda request, timeout=None, metadata=None: ch.unary_stream(
            path, req_d, resp_d, request, timeout, metadata
        )

    def unary(request, timeout=None, metadata=None):
        # A plain function returning the coroutine: no frame of ours keeps the request
        # alive, so the channel can drop it once encoded (large messages on small heaps).
        return ch.unary_unary(path, req_d, resp_d, request, timeout, metadata)

    return unary
