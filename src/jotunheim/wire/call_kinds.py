"""The call kinds built on Call with one request or one response (Channel.unary_stream,
unary_unary_call, stream_unary, served through Channel.__getattr__), imported on first use:
the device's session stream is a plain Call and its unary calls go through
Channel.unary_unary."""

from jotunheim.wire.calls import Call, unary_result


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


# Channel method name -> the call class it returns; each takes the method's own arguments
# after the channel: (path, req_d, resp_d[, request], timeout=None, metadata=None).
_KINDS = {
    "unary_unary_call": UnaryUnaryCall,  # like unary_unary, keeps metadata: await response()
    "unary_stream": UnaryStreamCall,  # one request, a stream of responses: async for
    "stream_unary": StreamUnaryCall,  # send(), done_writing(), await response()
}


def channel_method(channel, name):
    """Channel.<name> for the call kinds above, bound to channel; AttributeError otherwise."""
    kind = _KINDS.get(name)
    if kind is None:
        raise AttributeError(name)

    def method(*args, **kwargs):
        return kind(channel, *args, **kwargs)

    return method
