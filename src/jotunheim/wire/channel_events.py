"""A Channel's background side: the read loop and how it reacts to each HTTP/2 event
(dispatch by event class; stream events go to their call). PING liveness: channel_ping."""

import asyncio

from jotunheim.compat import ticks_ms
from jotunheim.wire import h2frames as ev
from jotunheim.wire.grpc import GrpcError, Status
from jotunheim.wire.h2conn import H2ProtocolError


# Dispatch by event class in two small functions rather than a dict of nine one-line
# handlers: the same behaviour for ~0.8 KB less code on the device heap.
def _on_stream_event(ch, e, kind):
    """Hands a stream's event to its call (a finished call's DATA is still acknowledged)."""
    call = ch._calls.get(e.stream_id)
    if call is None:
        if kind is ev.DataReceived:
            ch.ack(e.flow_controlled_length, e.stream_id)
    elif kind is ev.DataReceived:
        call.on_data(e.data, e.flow_controlled_length)
    elif kind is ev.HeadersReceived:
        call.on_headers(e.headers, e.end_stream)
    elif kind is ev.TrailersReceived:
        call.on_trailers(e.headers)
    elif kind is ev.StreamEnded:
        call.on_end()
    else:
        call.on_reset(e.error_code)


def _on_goaway(ch, e):
    # RFC 9113 6.8: streams above last_stream_id were not processed; the rest finish.
    ch._goaway = True
    err = GrpcError(Status.UNAVAILABLE, "server sent GOAWAY (%d)" % e.error_code)
    for sid in list(ch._calls):
        if sid > e.last_stream_id:
            ch._calls[sid].finish(err)
    if not ch._calls:
        ch._fail(err)
    ch._changed.set()


def dispatch(ch, conn, transport, data):
    """Feeds one received chunk to the connection and hands each event to its handler. A
    plain function, not inline in read_loop: the events (and the DATA payloads they hold)
    must not stay reachable from the reader coroutine's frame while it waits for the next
    chunk (MicroPython's GC scans a suspended coroutine's whole frame)."""
    try:
        events = conn.receive_data(data)
    except H2ProtocolError as exc:
        transport.send(conn.data_to_send())  # our GOAWAY, best effort
        raise GrpcError(Status.UNAVAILABLE, "HTTP/2 protocol error: %s" % exc) from None
    for e in events:
        kind = type(e)
        if (
            kind is ev.DataReceived
            or kind is ev.HeadersReceived
            or kind is ev.TrailersReceived
            or kind is ev.StreamEnded
            or kind is ev.StreamReset
        ):
            _on_stream_event(ch, e, kind)
        elif kind is ev.WindowUpdated:
            ch._changed.set()  # a sender waiting for window may go on
        elif kind is ev.RemoteSettingsChanged:
            ch._settings.set()
            ch._changed.set()
        elif kind is ev.PingAckReceived:
            ch._ping_ack.set()
        elif kind is ev.ConnectionTerminated:
            _on_goaway(ch, e)


async def read_loop(ch, conn, transport):
    """Feeds received bytes to the HTTP/2 connection and dispatches its events until the
    connection fails; the failure ends every call (never leaves one hanging)."""
    try:
        # A GOAWAY or a protocol error handled in dispatch() fails the channel; stop reading
        # then, or this task would wait on a dead socket and keep the connection alive.
        while ch._error is None:
            data = await transport.read()
            if not data:
                raise GrpcError(Status.UNAVAILABLE, "connection closed by the server")
            ch._last_recv = ticks_ms()
            dispatch(ch, conn, transport, data)
            data = None
            await ch.flush()
    except GrpcError as exc:
        ch._fail(exc)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # noqa: BLE001 - never leave calls hanging on a bug
        ch._fail(GrpcError(Status.INTERNAL, "channel reader failed: %r" % exc))
