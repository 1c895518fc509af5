"""The call kinds built on Call with one request or one response (Channel.unary_stream,
unary_unary_call, stream_unary, served through Channel.__getattr__), and the Call and Channel
methods the device rarely or never uses (Call.cancel, done_writing, on_reset, the metadata
getters; Channel.reset), imported on first use: the device's session stream is a plain Call
and its unary calls go through Channel.unary_unary."""

from jotunheim.compat import const
from jotunheim.wire.calls import Call, unary_result
from jotunheim.wire.grpc import GrpcError

# gRPC status codes (grpc.Status, not loaded by the device's flow)
_CANCELLED = const(1)


class UnaryStreamCall(Call):
    """One request, a stream of responses: `async for msg in call`."""

    def __init__(self, channel, path, req_d, resp_d, request, timeout=None, metadata=None):
        Call.__init__(self, channel, path, req_d, resp_d, timeout, metadata)
        self._request = request

    async def start(self):
        if not self._started:
            self._started = True
            # Kept in an attribute, not passed along: on MicroPython a coroutine's operand
            # stack keeps call arguments reachable (see Channel.unary_unary).
            self._out = self.encode(self._request)
            self._request = None
            self._half_closed = True
            await self._ch.open_call(self)


class UnaryUnaryCall(UnaryStreamCall):
    """A unary call that keeps its metadata: `resp = await call.response()`."""

    async def response(self):
        await self.start()
        return await unary_result(self)


class StreamUnaryCall(Call):
    """A stream of requests, one response: send(), done_writing(), await response()."""

    async def response(self):
        await self.done_writing()
        return await unary_result(self)


def _reset(channel, sid):
    # Channel.reset: RST_STREAM CANCEL for an aborted call (nothing if already closed).
    if channel._error is None:
        try:
            channel._conn.reset_stream(sid, 8)
        except Exception:  # noqa: BLE001 - already closed on the HTTP/2 side
            pass


# Channel method name -> the call class it returns (or the function it runs); each takes
# the method's own arguments after the channel: (path, req_d, resp_d[, request],
# timeout=None, metadata=None).
_CHANNEL_METHODS = {
    "unary_unary_call": UnaryUnaryCall,  # like unary_unary, keeps metadata: await response()
    "unary_stream": UnaryStreamCall,  # one request, a stream of responses: async for
    "stream_unary": StreamUnaryCall,  # send(), done_writing(), await response()
    "reset": _reset,
}


async def _cancel(call):
    """Cancels the call (RST_STREAM CANCEL); later recv() raises CANCELLED."""
    call._started = True
    if call.status is None:
        call.abort(GrpcError(_CANCELLED, "cancelled by the client"))
        await call._ch.flush()


async def _done_writing(call):
    """Half-closes: no more requests."""
    await call.start()
    if not call._half_closed:
        call._half_closed = True
        await call._ch.send_message(call, None, True)


def _on_reset(call, error_code):
    if call.status is None:
        from jotunheim.wire.grpc_failures import reset_to_grpc

        call.finish(GrpcError(reset_to_grpc(error_code), "stream reset (%d)" % error_code))


# Call method name -> the function it runs (the call first); served by Call.__getattr__.
_CALL_METHODS = {
    "cancel": _cancel,
    "done_writing": _done_writing,
    "initial_metadata": lambda call: list(call._initial or ()),
    "trailing_metadata": lambda call: list(call._trailing),
    "on_reset": _on_reset,
}


def _bound(table, obj, name):
    fn = table.get(name)
    if fn is None:
        raise AttributeError(name)

    def method(*args, **kwargs):
        return fn(obj, *args, **kwargs)

    return method


def channel_method(channel, name):
    """Channel.<name> for the names above, bound to channel; AttributeError otherwise."""
    return _bound(_CHANNEL_METHODS, channel, name)


def call_method(call, name):
    """Call.<name> for the names above, bound to call; AttributeError otherwise."""
    return _bound(_CALL_METHODS, call, name)
