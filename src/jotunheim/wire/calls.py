"""One gRPC call on an HTTP/2 stream: the state the channel's reader fills in (headers,
messages, trailers, status); a bidirectional stream is a Call itself, the other call kinds
live in call_kinds (loaded on first use: the device flow needs only Call)."""

import asyncio

from jotunheim.compat import const
from jotunheim.errors import DecodeError, EncodeError
from jotunheim.wire.grpc import (
    GATHER_MIN,
    GrpcError,
    check_response_headers,
    decode_metadata,
    failure,
    header_value,
    make_room,
    message_prefix,
    status_from_trailers,
)
from jotunheim.wire.protobuf import MAX_DEPTH, decode, encode_into

# gRPC status codes (grpc.Status, not loaded by the device's flow)
_OK = const(0)
_DEADLINE_EXCEEDED = const(4)
_INTERNAL = const(13)
_UNAVAILABLE = const(14)


class Call:
    """A call: opens its stream lazily on first use; send()/recv()/cancel() and metadata."""

    def __init__(self, channel, path, req_d, resp_d, timeout=None, metadata=None):
        self._ch = channel
        self.path = path
        self._req_d = req_d
        self._resp_d = resp_d
        self.timeout = timeout
        self.metadata = metadata
        self.sid = None
        self._started = False
        self._half_closed = False
        self._messages = []
        self._out = None  # the encoded request waiting for the stream (open_call sends it)
        self._unacked = 0  # flow-controlled bytes received but not yet acknowledged
        # Reassembly of length-prefixed messages from DATA chunks (here, not in a reader
        # object of its own: one class and one object per call fewer on the device's heap).
        self._head = b""  # the prefix bytes received so far
        self._buf = None  # preallocated body of the message being read
        self._got = 0
        # Metadata as lists, () while empty: an empty list costs 64 bytes of a 64-bit heap
        # for as long as the call lives (the device's session call: its whole connection).
        self._initial = None  # None until the response HEADERS arrive
        self._trailing = ()
        self.status = None  # GrpcError (status OK included) once the call is over
        self.event = asyncio.Event()
        self._timer = None

    # -- filled in by the channel's reader (synchronous, no I/O) --------------------------
    def on_headers(self, headers, end_stream):
        if self._initial is not None or end_stream:
            return self.on_trailers(headers)
        try:
            err = check_response_headers(headers)
            self._initial = decode_metadata(headers) or ()
        except GrpcError as exc:  # malformed -bin metadata: this call fails, not the channel
            self._initial = ()
            err = exc
        if err is not None:
            self.abort(err)
        self.event.set()

    def on_trailers(self, headers):
        if self.status is not None:
            return
        if self._initial is None:  # trailers-only response (no DATA, one HEADERS)
            self._initial = ()
            if header_value(headers, b"grpc-status") is None:  # an HTTP error, not gRPC?
                from jotunheim.wire.call_failures import http_failure

                err = http_failure(headers)
                if err is not None:
                    return self.finish(err)
        try:
            self._trailing = decode_metadata(headers) or ()
            code, message, details = status_from_trailers(headers)
        except GrpcError as exc:
            return self.finish(exc)
        if code == _OK and (self._head or self._buf is not None):
            return self.finish(failure(_INTERNAL, 12))  # stream ended inside a message
        self.finish(GrpcError(code, message, details))

    def on_data(self, data, flow_len):
        if self.status is not None:
            self._ch.ack(flow_len, self.sid)
            return
        msgs = []
        mv = memoryview(data)
        pos = 0
        end = len(data)
        try:
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
                    limit = self._ch.max_receive_message_size
                    if flag or size > limit:  # checked before anything is allocated
                        from jotunheim.wire.grpc_failures import frame_error

                        raise frame_error(flag, size, limit)
                    if size == 0:
                        msgs.append(b"")
                        continue
                    make_room(size)
                    self._buf = bytearray(size)
                    self._got = 0
                take = min(len(self._buf) - self._got, end - pos)
                self._buf[self._got : self._got + take] = mv[pos : pos + take]
                self._got += take
                pos += take
                if self._got == len(self._buf):
                    msgs.append(self._buf)
                    self._buf = None
        except GrpcError as exc:
            self._ch.ack(flow_len, self.sid)
            self.abort(exc)
            return
        # Acknowledge at once while the application keeps up; once messages queue up,
        # hold the window back until they are consumed, so a slow reader slows the peer.
        if self._messages:
            self._unacked += flow_len
        else:
            self._ch.ack(flow_len, self.sid)
        if msgs:
            self._messages.extend(msgs)
            self.event.set()

    def on_end(self):
        if self.status is None:
            self.finish(failure(_INTERNAL, 13))  # stream ended without grpc-status

    def finish(self, status):
        if self.status is None:
            self.status = status
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            ch = self._ch
            if ch._calls.pop(self.sid, None) is not None:
                ch._changed.set()
                if ch._goaway and not ch._calls:
                    # The last call a GOAWAY let finish is done: close, so connect() can redial.
                    ch._fail(failure(_UNAVAILABLE, 8))  # connection closed after GOAWAY
        self.event.set()

    def abort(self, status):
        """Ends the call locally and resets its stream (CANCEL) if it is still open."""
        if self.status is None:
            if self.sid is not None:
                self._ch.reset(self.sid)
            self.finish(status)

    # -- used by the application ----------------------------------------------------------
    async def start(self):
        """Opens the stream (idempotent); calls start themselves on first use."""
        if not self._started:
            self._started = True
            await self._ch.open_call(self)

    async def _expire(self, seconds):
        await asyncio.sleep(seconds)
        self._timer = None
        self.abort(failure(_DEADLINE_EXCEEDED, 9))  # deadline exceeded
        self._ch._changed.set()  # wakes open_call if the call still waits for a stream slot
        await self._ch.flush()

    def encode(self, message):
        """The framed request, as channel_io sends it: a tuple of one buffer, or for a
        message holding a large bytes value the list of its parts (grpc_gather.Gather), so
        such values are sent from the caller's objects, never copied into an encoding buffer
        (small heaps, large messages)."""
        if _holds_large_bytes(message, 0):
            from jotunheim.wire.grpc_gather import Gather

            out = Gather(5)
        else:
            out = bytearray(5)
        try:
            encode_into(self._req_d, message, out)
        except EncodeError as exc:
            raise failure(_INTERNAL, 7, exc) from None  # cannot encode request
        out[0:5] = message_prefix(len(out) - 5)
        return (out,) if type(out) is bytearray else out.parts

    async def send(self, message):
        """Sends one request message (waits for flow-control window)."""
        await self.send_encoded(self.encode(message))

    async def send_encoded(self, data):
        """Sends one request message that is already protobuf-encoded (cached messages)."""
        await self.start()
        if self._half_closed:
            raise failure(_INTERNAL, 11)  # send() after done_writing()
        await self._ch.send_message(self, data, False)

    async def recv(self):
        """Next response message as a dict; None at a clean end; GrpcError otherwise."""
        await self.start()
        while True:
            if self._messages:
                raw = self._messages.pop(0)
                if not self._messages and self._unacked:
                    n = self._unacked
                    self._unacked = 0
                    self._ch.ack(n, self.sid)
                    await self._ch.flush()
                make_room(len(raw))  # decoding copies its bytes fields out of raw
                try:
                    return decode(self._resp_d, raw, self._ch.max_receive_message_size)
                except DecodeError as exc:
                    from jotunheim.wire.call_failures import undecodable

                    await undecodable(self, exc)  # raises
            if self.status is not None:
                if self.status.status == _OK:
                    return None
                raise self.status
            self.event.clear()
            await self.event.wait()

    def __getattr__(self, name):
        # cancel, done_writing, initial_metadata, trailing_metadata (CONTRACTS.md 3) and
        # on_reset are served by call_kinds: the device's session stream uses them rarely or
        # never, so their code stays off its heap until first use.
        from jotunheim.wire.call_kinds import call_method

        return call_method(self, name)

    def __aiter__(self):
        return self

    async def __anext__(self):
        msg = await self.recv()
        if msg is None:
            raise StopAsyncIteration
        return msg


def _holds_large_bytes(value, depth):
    """True when a message (dict) holds a bytes value of GATHER_MIN bytes or more anywhere;
    a walk of the dicts and lists, bounded like the codec's nesting."""
    if type(value) is bytes:
        return len(value) >= GATHER_MIN
    if isinstance(value, dict):
        value = value.values()
    elif not isinstance(value, (list, tuple)) or depth > 2 * MAX_DEPTH:
        return False
    for item in value:
        if _holds_large_bytes(item, depth + 1):
            return True
    return False


async def unary_result(call):
    """Waits for the end of a call that must return exactly one message."""
    msg = await call.recv()
    if msg is None:
        raise failure(_INTERNAL, 6)  # call ended without a response message
    while call.status is None:
        call.event.clear()
        await call.event.wait()
    if call.status.status != _OK:
        raise call.status
    if call._messages:
        raise failure(_INTERNAL, 10)  # more than one response message in a unary call
    return msg
