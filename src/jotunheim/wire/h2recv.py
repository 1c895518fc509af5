"""Receive side of the HTTP/2 client connection (RFC 9113 section 6): one handler per frame
type, `_on_<frame>(conn, flags, stream_id, payload, events)`, found through HANDLERS, and the
SETTINGS they apply.

Only the frame kinds a gRPC client meets every day are here; PRIORITY, PUSH_PROMISE,
CONTINUATION and padding load from h2rare on first use. Each handler checks its frame's rules
in as few conditions as it can; h2errors names the rule that broke. Plain functions rather
than methods of a mixin: one table serves every connection and costs less heap than a class
(DESIGN section 4)."""

import struct

from jotunheim.wire import h2events as ev
from jotunheim.wire import h2frames as f
from jotunheim.wire.h2frames import H2ProtocolError, H2StreamError
from jotunheim.wire.h2streams import (
    CLOSED,
    ENDED,
    RECV_DATA,
    RECV_END_STREAM,
    RECV_HEADERS,
    RECV_RST,
    RESET_RECV,
    RESET_SENT,
    check_received_headers,
)


def _unknown_stream(conn, sid, ftype):
    """A frame for a stream not open: ignored when we reset the stream or it is not
    DATA/HEADERS; otherwise an error (idle stream, ended or peer-reset stream)."""
    if sid % 2 and sid <= conn._highest_stream_id:
        if ftype > f.HEADERS or conn._closed.get(sid, RESET_SENT) == RESET_SENT:
            return
    from jotunheim.wire.h2errors import unknown_stream_error

    raise unknown_stream_error(conn, sid, ftype)


def _on_headers(conn, flags, sid, payload, events):
    if not sid:
        from jotunheim.wire.h2errors import frame_error

        raise frame_error(f.HEADERS, flags, sid, payload)
    if flags & (f.FLAG_PADDED | f.FLAG_PRIORITY):
        from jotunheim.wire.h2rare import headers_payload

        payload = headers_payload(flags, sid, payload)
    end_stream = bool(flags & f.FLAG_END_STREAM)
    if flags & f.FLAG_END_HEADERS:
        headers_complete(conn, sid, end_stream, payload, events)
    else:  # CONTINUATION frames follow (h2rare.on_continuation)
        conn._header_block = [sid, end_stream, bytearray(payload)]


def headers_complete(conn, sid, end_stream, block, events):
    # Always decode, even for streams we dropped: the HPACK table is connection state.
    headers = conn._decoder.decode(block)
    stream = conn._streams.get(sid)
    if stream is None:
        return _unknown_stream(conn, sid, f.HEADERS)
    stream.transition(RECV_HEADERS)
    if not stream.headers_received:
        status = check_received_headers(sid, headers, False)
        if status[0] == 0x31:  # 1xx informational: the real response follows
            if end_stream:
                _order_error(stream, f.HEADERS)
            return
        stream.headers_received = True
        events.append(ev.HeadersReceived(sid, headers, end_stream))
    else:
        if not end_stream:  # trailers end the stream
            _order_error(stream, f.HEADERS)
        check_received_headers(sid, headers, True)
        events.append(ev.TrailersReceived(sid, headers))
    if end_stream:
        _remote_end(conn, stream, events)


def _order_error(stream, ftype):
    from jotunheim.wire.h2errors import response_order_error

    raise response_order_error(stream, ftype)


def _remote_end(conn, stream, events):
    events.append(ev.StreamEnded(stream.stream_id))
    if stream.transition(RECV_END_STREAM) == CLOSED:
        conn._close(stream, ENDED)


def _on_data(conn, flags, sid, payload, events):
    size = len(payload)  # padding counts against flow control (section 6.1)
    if not sid or size > conn._inbound_window:
        from jotunheim.wire.h2errors import data_window_error, frame_error

        if not sid:
            raise frame_error(f.DATA, flags, sid, payload)
        raise data_window_error(None, size, conn._inbound_window)
    conn._inbound_window -= size
    try:
        data = payload
        if flags & f.FLAG_PADDED:
            from jotunheim.wire.h2rare import strip_padding

            data = strip_padding(payload)
        stream = conn._streams.get(sid)
        if stream is None:
            _unknown_stream(conn, sid, f.DATA)
            conn._return_connection_window(size)
            return
        if size > stream.inbound_window:
            from jotunheim.wire.h2errors import data_window_error

            raise data_window_error(stream, size, stream.inbound_window)
        stream.inbound_window -= size
        stream.transition(RECV_DATA)
        if not stream.headers_received:
            _order_error(stream, f.DATA)
    except H2StreamError:
        conn._return_connection_window(size)  # nobody will consume these bytes
        raise
    end_stream = bool(flags & f.FLAG_END_STREAM)
    events.append(ev.DataReceived(sid, data, size, end_stream))
    if end_stream:
        _remote_end(conn, stream, events)


def _on_rst_stream(conn, flags, sid, payload, events):
    if not sid or len(payload) != 4:
        from jotunheim.wire.h2errors import frame_error

        raise frame_error(f.RST_STREAM, flags, sid, payload)
    stream = conn._streams.get(sid)
    if stream is None:
        return _unknown_stream(conn, sid, f.RST_STREAM)
    code = struct.unpack(">I", payload)[0]
    stream.transition(RECV_RST)
    conn._close(stream, RESET_RECV)
    events.append(ev.StreamReset(sid, code, True))


def _on_ping(conn, flags, sid, payload, events):
    if sid or len(payload) != 8:
        from jotunheim.wire.h2errors import frame_error

        raise frame_error(f.PING, flags, sid, payload)
    if flags & f.FLAG_ACK:
        events.append(ev.PingAckReceived(payload))
    else:
        conn._frame(f.PING, f.FLAG_ACK, 0, payload)
        events.append(ev.PingReceived(payload))


def _on_goaway(conn, flags, sid, payload, events):
    if sid or len(payload) < 8:
        from jotunheim.wire.h2errors import frame_error

        raise frame_error(f.GOAWAY, flags, sid, payload)
    last, code = struct.unpack_from(">II", payload, 0)
    last &= 0x7FFFFFFF
    conn.goaway_received = True
    events.append(ev.ConnectionTerminated(code, last, payload[8:]))
    # Streams above last_stream_id were not processed; they may be retried elsewhere.
    for sid in sorted(conn._streams):
        if sid > last:
            conn._close(conn._streams[sid], RESET_SENT)
            events.append(ev.StreamReset(sid, f.REFUSED_STREAM, False))


def _on_settings(conn, flags, sid, payload, events):
    ack = flags & f.FLAG_ACK
    if sid or (payload if ack else len(payload) % 6):
        from jotunheim.wire.h2errors import frame_error

        raise frame_error(f.SETTINGS, flags, sid, payload)
    if ack:
        if not conn._pending_settings:
            raise H2ProtocolError(f.PROTOCOL_ERROR, "SETTINGS ACK without pending SETTINGS")
        _apply_local_settings(conn, conn._pending_settings.pop(0))
        events.append(ev.SettingsAcknowledged())
        return
    changed = {}
    for key, value in f.parse_settings(payload):
        _apply_remote_setting(conn, key, value)
        changed[key] = value
    conn._frame(f.SETTINGS, f.FLAG_ACK, 0)
    events.append(ev.RemoteSettingsChanged(changed))


def _on_window_update(conn, flags, sid, payload, events):
    if len(payload) != 4:
        from jotunheim.wire.h2errors import frame_error

        raise frame_error(f.WINDOW_UPDATE, flags, sid, payload)
    delta = struct.unpack(">I", payload)[0] & 0x7FFFFFFF
    if sid == 0:
        conn._outbound_window += delta
        window = conn._outbound_window
    else:
        stream = conn._streams.get(sid)
        if stream is None:
            return _unknown_stream(conn, sid, f.WINDOW_UPDATE)
        stream.outbound_window += delta
        window = stream.outbound_window
    # A delta of 0 is a PROTOCOL_ERROR, a window above 2**31-1 a FLOW_CONTROL_ERROR;
    # either is a stream error on a stream, a connection error on stream 0.
    if not delta or window > f.MAX_WINDOW_SIZE:
        from jotunheim.wire.h2errors import window_error

        raise window_error(sid, delta)
    events.append(ev.WindowUpdated(sid, delta))


# -- settings ---------------------------------------------------------------------------------


def _apply_remote_setting(conn, key, value):
    if key == f.SETTINGS_HEADER_TABLE_SIZE:
        conn._encoder.header_table_size = value
    elif key == f.SETTINGS_ENABLE_PUSH:
        # Section 6.5.2: a server MUST NOT send 1; anything but 0/1 is invalid anyway.
        if value != 0:
            _setting_error(key, value)
    elif key == f.SETTINGS_MAX_CONCURRENT_STREAMS:
        conn.peer_max_concurrent_streams = value
    elif key == f.SETTINGS_INITIAL_WINDOW_SIZE:
        if value > f.MAX_WINDOW_SIZE:
            _setting_error(key, value)
        # Section 6.9.2: the change applies to every open stream's window, which may go
        # negative (then we wait) but must not exceed 2**31-1.
        delta = value - conn._peer_initial_window
        conn._peer_initial_window = value
        for stream in conn._streams.values():
            stream.outbound_window += delta
            if stream.outbound_window > f.MAX_WINDOW_SIZE:
                _setting_error(key, value)
    elif key == f.SETTINGS_MAX_FRAME_SIZE:
        if not f.DEFAULT_MAX_FRAME_SIZE <= value <= f.MAX_FRAME_SIZE_LIMIT:
            _setting_error(key, value)
        conn.max_outbound_frame_size = value
    elif key == f.SETTINGS_MAX_HEADER_LIST_SIZE:
        conn.peer_max_header_list_size = value
    # Unknown settings are ignored (section 6.5.2).


def _setting_error(key, value):
    from jotunheim.wire.h2errors import remote_setting_error

    raise remote_setting_error(key, value)


def _apply_local_settings(conn, settings):
    """Our SETTINGS were acknowledged: the peer now obeys them (section 6.5.3)."""
    for key, value in settings.items():
        if key == f.SETTINGS_HEADER_TABLE_SIZE:
            conn._decoder.max_allowed_table_size = value
        elif key == f.SETTINGS_INITIAL_WINDOW_SIZE:
            delta = value - conn._local_initial_window
            conn._local_initial_window = value
            for stream in conn._streams.values():
                stream.inbound_window += delta
        elif key == f.SETTINGS_MAX_FRAME_SIZE:
            conn._frames.max_frame_size = value


# Handlers by frame type (RFC 9113 section 6). None: PRIORITY, PUSH_PROMISE and CONTINUATION,
# which a gRPC client seldom receives, are handled by h2rare.on_frame.
HANDLERS = (
    _on_data,
    _on_headers,
    None,
    _on_rst_stream,
    _on_settings,
    None,
    _on_ping,
    _on_goaway,
    _on_window_update,
)
