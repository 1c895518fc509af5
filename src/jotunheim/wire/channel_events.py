"""How a Channel reacts to each HTTP/2 event (dispatch by event class): routes stream
events to their call, wakes writers on window/settings changes, handles PING acks and GOAWAY."""

from jotunheim.wire import h2events as ev
from jotunheim.wire.grpc import GrpcError, Status


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
