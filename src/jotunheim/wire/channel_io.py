"""A Channel's I/O side: the read loop and how it reacts to each HTTP/2 event (dispatch by
event kind; stream events go to their call), and the send side: one message at a time onto
its stream, within the peer's flow-control windows, never holding a second copy of a large
message (Channel.send_message). PING liveness: channel_ping. (One module: the channel always
loads both halves.)"""

import asyncio

from jotunheim.compat import const, ticks_ms
from jotunheim.wire.grpc import GrpcError, failure, message_prefix
from jotunheim.wire.h2conn import H2Error, H2ProtocolError

# gRPC status codes (grpc.Status, not loaded by the device's flow)
_OK = const(0)
_INTERNAL = const(13)
_UNAVAILABLE = const(14)
# HTTP/2 event kinds (h2names; h2frames lists the event tuples).
_DATA_RECEIVED = const(0)
_HEADERS_RECEIVED = const(1)
_TRAILERS_RECEIVED = const(2)
_STREAM_ENDED = const(3)
_WINDOW_UPDATED = const(4)
_REMOTE_SETTINGS_CHANGED = const(5)
_PING_ACK_RECEIVED = const(8)
_CONNECTION_TERMINATED = const(9)
_STREAM_RESET = const(10)


def dispatch(ch, conn, transport, data):
    """Feeds one received chunk to the connection and hands each event to its handler. A
    plain function, not inline in read_loop: the events (and the DATA payloads they hold)
    must not stay reachable from the reader coroutine's frame while it waits for the next
    chunk (MicroPython's GC scans a suspended coroutine's whole frame). Dispatch by event
    kind in one chain rather than a dict of one-line handlers: each function costs ~0.1 KB
    of the device's heap. Events are tuples (h2frames lists them)."""
    try:
        events = conn.receive_data(data)
    except H2ProtocolError as exc:
        transport.send(conn.data_to_send())  # our GOAWAY, best effort
        raise failure(_UNAVAILABLE, 14, exc) from None  # HTTP/2 protocol error
    for e in events:
        kind = e[0]
        if kind <= _STREAM_ENDED:
            # A stream's event goes to its call (a finished call's DATA is still acknowledged).
            call = ch._calls.get(e[1])
            if call is None:
                if kind == _DATA_RECEIVED:  # (kind, stream_id, data, flow_len, end_stream)
                    ch.ack(e[3], e[1])
            elif kind == _DATA_RECEIVED:
                call.on_data(e[2], e[3])
            elif kind == _HEADERS_RECEIVED:  # (kind, stream_id, headers, end_stream)
                call.on_headers(e[2], e[3])
            elif kind == _TRAILERS_RECEIVED:  # (kind, stream_id, headers)
                call.on_trailers(e[2])
            else:
                call.on_end()
        elif kind == _WINDOW_UPDATED:
            ch._changed.set()  # a sender waiting for window may go on
        elif kind == _REMOTE_SETTINGS_CHANGED:
            if ch._settings is not None:  # connect() waits for it
                ch._settings.set()
            ch._changed.set()
        elif kind == _CONNECTION_TERMINATED:  # (kind, error_code, last_stream_id, data)
            # RFC 9113 6.8: streams above last_stream_id were not processed; the rest finish.
            ch._goaway = True
            err = failure(_UNAVAILABLE, 18, e[1])  # server sent GOAWAY
            for sid in list(ch._calls):
                if sid > e[2]:
                    ch._calls[sid].finish(err)
            if not ch._calls:
                ch._fail(err)
            ch._changed.set()
        elif kind == _PING_ACK_RECEIVED:
            if ch._ping_ack is not None:
                ch._ping_ack.set()
        elif kind == _STREAM_RESET:  # (kind, stream_id, error_code, remote_reset)
            call = ch._calls.get(e[1])
            if call is not None:
                call.on_reset(e[2])
        # SETTINGS_ACKNOWLEDGED, PING_RECEIVED (its ACK is already queued): nothing to do


async def read_loop(ch, conn, transport):
    """Feeds received bytes to the HTTP/2 connection and dispatches its events until the
    connection fails; the failure ends every call (never leaves one hanging)."""
    try:
        # A GOAWAY or a protocol error handled in dispatch() fails the channel; stop reading
        # then, or this task would wait on a dead socket and keep the connection alive.
        while ch._error is None:
            data = await transport.read()
            if not data:
                raise failure(_UNAVAILABLE, 17)  # connection closed by the server
            if ch._ping_ack is not None:  # only the PING loop reads it
                ch._last_recv = ticks_ms()
            dispatch(ch, conn, transport, data)
            data = None
            await ch.flush()
    except GrpcError as exc:
        ch._fail(exc)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # noqa: BLE001 - never leave calls hanging on a bug
        ch._fail(failure(_INTERNAL, 16, exc))  # channel reader failed


# -- the send side ------------------------------------------------------------------------
# Largest piece of a message queued for sending at once (memory bound, see send_message).
_SEND_CHUNK = const(16384)


# Channel.send_message (a plain function the Channel class binds: no mixin class, ~0.3 KB of
# the device's heap): one message onto its call's stream within the flow-control windows.
async def send_message(self, call, payload, end_stream):
    """Sends one message as the windows allow: payload is encoded bytes, what
    Call.encode returns (framed: a tuple of one buffer, or a list of parts), or None
    (just END_STREAM). Large messages go out in _SEND_CHUNK pieces, flushed one by one,
    so neither the 5-byte prefix nor the HTTP/2 output buffer ever holds a second copy
    of the whole message."""
    # The non-empty buffers that make up the framed message, in order.
    if payload is None:
        bufs = ()
    elif type(payload) is tuple:
        bufs = payload
    elif type(payload) is list:  # large bytes values by reference (grpc_gather)
        if sum(len(p) for p in payload) <= _SEND_CHUNK:
            bufs = (b"".join(payload),)  # a small message: one buffer, one DATA frame
        else:
            bufs = [p for p in payload if len(p)]
    elif len(payload) <= _SEND_CHUNK:
        bufs = (message_prefix(len(payload)) + payload,)
    else:
        bufs = (message_prefix(len(payload)), payload)
    sid = call.sid
    last = len(bufs) - 1
    queued = 0  # bytes queued since the last flush
    try:
        for i, buf in enumerate(bufs):
            view = memoryview(buf)
            pos = 0
            total = len(buf)
            while pos < total:
                conn = _sendable(self, call)
                if conn is None:
                    return
                room = min(conn.local_flow_control_window(sid), _SEND_CHUNK - queued, total - pos)
                if room <= 0:
                    await self.flush()
                    queued = 0
                    if conn.local_flow_control_window(sid) <= 0:
                        self._changed.clear()
                        await self._changed.wait()
                    continue
                fin = end_stream and i == last and pos + room >= total
                conn.send_data(sid, buf if room == total else view[pos : pos + room], fin)
                pos += room
                queued += room
                if queued >= _SEND_CHUNK:  # bound the HTTP/2 output buffer to one chunk
                    await self.flush()
                    queued = 0
        if not bufs and end_stream:
            conn = _sendable(self, call)
            if conn is None:
                return
            conn.end_stream(sid)
        await self.flush()
    except H2Error as exc:  # the stream closed under us: report the call's own end
        err = call.status or failure(_INTERNAL, 15, exc)  # cannot send
        if err.status != _OK:
            raise err from None


def _sendable(ch, call):
    """The connection, None if the call already ended OK; raises if it failed."""
    if call.status is not None:
        if call.status.status == _OK:
            return None  # the server already finished; extra requests are moot
        raise call.status
    if ch._error is not None:
        raise ch._error
    return ch._conn
