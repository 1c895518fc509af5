"""A Channel's background side: the read loop and how it reacts to each HTTP/2 event
(dispatch by event class; stream events go to their call). PING liveness: channel_ping."""

import asyncio

from jotunheim.compat import ticks_ms
from jotunheim.wire import h2events as ev
from jotunheim.wire.grpc import GrpcError, Status
from jotunheim.wire.h2conn import H2ProtocolError


def on_headers(ch, e):
    call = ch._calls.get(e.stream_id)
    if call is not None:
        call.on_headers(e.headers, e.end_stream)


def on_trailers(ch, e):
    call = ch._calls.get(e.stream_id)
    if call is not None:
        call.on_trailers(e.headers)


def on_data(ch, e):
    call = ch._calls.get(e.stream_id)
    if call is not None:
        call.on_data(e.data, e.flow_controlled_length)
    else:
        ch.ack(e.flow_controlled_length, e.stream_id)


def on_ended(ch, e):
    call = ch._calls.get(e.stream_id)
    if call is not None:
        call.on_end()


def on_reset(ch, e):
    call = ch._calls.get(e.stream_id)
    if call is not None:
        call.on_reset(e.error_code)


def on_changed(ch, e):
    ch._changed.set()


def on_settings(ch, e):
    ch._settings.set()
    ch._changed.set()


def on_ping_ack(ch, e):
    ch._ping_ack.set()


def on_goaway(ch, e):
    # RFC 9113 6.8: streams above last_stream_id were not processed; the rest finish.
    ch._goaway = True
    err = GrpcError(Status.UNAVAILABLE, "server sent GOAWAY (%d)" % e.error_code)
    for sid in list(ch._calls):
        if sid > e.last_stream_id:
            ch._calls[sid].finish(err)
    if not ch._calls:
        ch._fail(err)
    ch._changed.set()


HANDLERS = {
    ev.HeadersReceived: on_headers,
    ev.TrailersReceived: on_trailers,
    ev.DataReceived: on_data,
    ev.StreamEnded: on_ended,
    ev.StreamReset: on_reset,
    ev.WindowUpdated: on_changed,
    ev.RemoteSettingsChanged: on_settings,
    ev.PingAckReceived: on_ping_ack,
    ev.ConnectionTerminated: on_goaway,
}


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
        handler = HANDLERS.get(type(e))
        if handler is not None:
            handler(ch, e)


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
