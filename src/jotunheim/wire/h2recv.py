"""Receive side of the HTTP/2 client connection (RFC 9113 section 6): one handler per frame
type, `_on_<frame>(conn, flags, stream_id, payload, events)`, found through HANDLERS (the
SETTINGS they carry are applied by h2streams.FlowMixin).

Only the frame kinds a gRPC client meets every day are here; PRIORITY, PUSH_PROMISE,
CONTINUATION and padding load from h2rare on first use. Each handler checks its frame's rules
in as few conditions as it can; h2errors names the rule that broke. Plain functions rather
than methods of a mixin: one table serves every connection and costs less heap than a class
(DESIGN section 4)."""

from jotunheim.compat import const
from jotunheim.wire import h2frames as ev
from jotunheim.wire.h2frames import H2StreamError
from jotunheim.wire.h2streams import check_received_headers

# RFC 9113 numbers and h2streams' table codes, as private const()s: folded into the bytecode,
# no qstr or global on the device (h2names has them by name).
_DATA = const(0x0)
_HEADERS = const(0x1)
_RST_STREAM = const(0x3)
_SETTINGS = const(0x4)
_PING = const(0x6)
_GOAWAY = const(0x7)
_WINDOW_UPDATE = const(0x8)
_FLAG_END_STREAM = const(0x1)
_FLAG_ACK = const(0x1)
_FLAG_END_HEADERS = const(0x4)
_FLAG_PADDED = const(0x8)
_FLAG_PRIORITY = const(0x20)
_REFUSED_STREAM = const(0x7)
_MAX_WINDOW_SIZE = const(2147483647)
# the stream table (h2names): closed state, close reasons, received inputs
_CLOSED = const(4)
_ENDED = const(0)
_RESET_SENT = const(1)
_RESET_RECV = const(2)
_RECV_HEADERS = const(4)
_RECV_DATA = const(5)
_RECV_END_STREAM = const(6)
_RECV_RST = const(7)
# Errors by number (h2errors.error): the builders' names never load as qstrs.
_E_FRAME = const(0)
_E_RESPONSE_ORDER = const(2)
_E_UNKNOWN_STREAM = const(3)
_E_WINDOW = const(6)
_E_DATA_WINDOW = const(7)
_E_REMOTE_SETTING = const(8)
_E_SETTINGS_ACK = const(9)
# Rare paths by number (h2rare.run), like the errors.
_RARE_HEADERS_PAYLOAD = const(1)
_RARE_STRIP_PADDING = const(2)


def _unknown_stream(conn, sid, ftype):
    """A frame for a stream not open: ignored when we reset the stream or it is not
    DATA/HEADERS; otherwise an error (idle stream, ended or peer-reset stream)."""
    if sid % 2 and sid <= conn._highest_stream_id:
        if ftype > _HEADERS or conn._closed.get(sid, _RESET_SENT) == _RESET_SENT:
            return
    from jotunheim.wire.h2errors import error

    raise error(_E_UNKNOWN_STREAM, conn, sid, ftype)


def _on_headers(conn, flags, sid, payload, events):
    if not sid:
        from jotunheim.wire.h2errors import error

        raise error(_E_FRAME, _HEADERS, flags, sid, payload)
    if flags & (_FLAG_PADDED | _FLAG_PRIORITY):
        from jotunheim.wire.h2rare import run

        payload = run(_RARE_HEADERS_PAYLOAD, flags, sid, payload)
    end_stream = bool(flags & _FLAG_END_STREAM)
    if flags & _FLAG_END_HEADERS:
        headers_complete(conn, sid, end_stream, payload, events)
    else:  # CONTINUATION frames follow (h2rare.on_continuation)
        conn._header_block = [sid, end_stream, bytearray(payload)]


def headers_complete(conn, sid, end_stream, block, events):
    # Always decode, even for streams we dropped: the HPACK table is connection state.
    headers = conn._decoder.decode(block)
    stream = conn._streams.get(sid)
    if stream is None:
        return _unknown_stream(conn, sid, _HEADERS)
    stream.transition(_RECV_HEADERS)
    if not stream.headers_received:
        status = check_received_headers(sid, headers, False)
        if status[0] == 0x31:  # 1xx informational: the real response follows
            if end_stream:
                from jotunheim.wire.h2errors import error

                raise error(_E_RESPONSE_ORDER, stream, _HEADERS)
            return
        stream.headers_received = True
        events.append(ev.HeadersReceived(sid, headers, end_stream))
    else:
        if not end_stream:  # trailers end the stream
            from jotunheim.wire.h2errors import error

            raise error(_E_RESPONSE_ORDER, stream, _HEADERS)
        check_received_headers(sid, headers, True)
        events.append(ev.TrailersReceived(sid, headers))
    if end_stream:
        _remote_end(conn, stream, events)


def _remote_end(conn, stream, events):
    events.append(ev.StreamEnded(stream.stream_id))
    if stream.transition(_RECV_END_STREAM) == _CLOSED:
        conn._close(stream, _ENDED)


def _on_data(conn, flags, sid, payload, events):
    size = len(payload)  # padding counts against flow control (section 6.1)
    if not sid or size > conn._inbound_window:
        from jotunheim.wire.h2errors import error

        if not sid:
            raise error(_E_FRAME, _DATA, flags, sid, payload)
        raise error(_E_DATA_WINDOW, None, size, conn._inbound_window)
    conn._inbound_window -= size
    try:
        data = payload
        if flags & _FLAG_PADDED:
            from jotunheim.wire.h2rare import run

            data = run(_RARE_STRIP_PADDING, payload)
        stream = conn._streams.get(sid)
        if stream is None:
            _unknown_stream(conn, sid, _DATA)
            conn._return_connection_window(size)
            return
        if size > stream.inbound_window:
            from jotunheim.wire.h2errors import error

            raise error(_E_DATA_WINDOW, stream, size, stream.inbound_window)
        stream.inbound_window -= size
        stream.transition(_RECV_DATA)
        if not stream.headers_received:
            from jotunheim.wire.h2errors import error

            raise error(_E_RESPONSE_ORDER, stream, _DATA)
    except H2StreamError:
        conn._return_connection_window(size)  # nobody will consume these bytes
        raise
    end_stream = bool(flags & _FLAG_END_STREAM)
    events.append(ev.DataReceived(sid, data, size, end_stream))
    if end_stream:
        _remote_end(conn, stream, events)


def _on_rst_stream(conn, flags, sid, payload, events):
    if not sid or len(payload) != 4:
        from jotunheim.wire.h2errors import error

        raise error(_E_FRAME, _RST_STREAM, flags, sid, payload)
    stream = conn._streams.get(sid)
    if stream is None:
        return _unknown_stream(conn, sid, _RST_STREAM)
    code = int.from_bytes(payload, "big")
    stream.transition(_RECV_RST)
    conn._close(stream, _RESET_RECV)
    events.append(ev.StreamReset(sid, code, True))


def _on_ping(conn, flags, sid, payload, events):
    if sid or len(payload) != 8:
        from jotunheim.wire.h2errors import error

        raise error(_E_FRAME, _PING, flags, sid, payload)
    if flags & _FLAG_ACK:
        events.append(ev.PingAckReceived(payload))
    else:
        conn._frame(_PING, _FLAG_ACK, 0, payload)
        events.append(ev.PingReceived(payload))


def _on_goaway(conn, flags, sid, payload, events):
    if sid or len(payload) < 8:
        from jotunheim.wire.h2errors import error

        raise error(_E_FRAME, _GOAWAY, flags, sid, payload)
    last = int.from_bytes(payload[:4], "big") & 0x7FFFFFFF
    code = int.from_bytes(payload[4:8], "big")
    conn._goaway = True
    events.append(ev.ConnectionTerminated(code, last, payload[8:]))
    # Streams above last_stream_id were not processed; they may be retried elsewhere.
    for sid in sorted(conn._streams):
        if sid > last:
            conn._close(conn._streams[sid], _RESET_SENT)
            events.append(ev.StreamReset(sid, _REFUSED_STREAM, False))


def _on_settings(conn, flags, sid, payload, events):
    ack = flags & _FLAG_ACK
    if sid or (payload if ack else len(payload) % 6):
        from jotunheim.wire.h2errors import error

        raise error(_E_FRAME, _SETTINGS, flags, sid, payload)
    if ack:
        if not conn._pending_settings:
            from jotunheim.wire.h2errors import error

            raise error(_E_SETTINGS_ACK)
        conn._apply_local_settings(conn._pending_settings.pop(0))
        events.append(ev.SettingsAcknowledged())
        return
    changed = {}
    # Fields are read with int.from_bytes rather than struct: each struct format string would
    # be one more qstr on the device.
    for pos in range(0, len(payload), 6):
        key = payload[pos] << 8 | payload[pos + 1]
        value = int.from_bytes(payload[pos + 2 : pos + 6], "big")
        if not conn._apply_remote_setting(key, value):
            from jotunheim.wire.h2errors import error

            raise error(_E_REMOTE_SETTING, key, value)
        changed[key] = value
    conn._frame(_SETTINGS, _FLAG_ACK, 0)
    events.append(ev.RemoteSettingsChanged(changed))


def _on_window_update(conn, flags, sid, payload, events):
    if len(payload) != 4:
        from jotunheim.wire.h2errors import error

        raise error(_E_FRAME, _WINDOW_UPDATE, flags, sid, payload)
    delta = int.from_bytes(payload, "big") & 0x7FFFFFFF
    if sid == 0:
        conn._outbound_window += delta
        window = conn._outbound_window
    else:
        stream = conn._streams.get(sid)
        if stream is None:
            return _unknown_stream(conn, sid, _WINDOW_UPDATE)
        stream.outbound_window += delta
        window = stream.outbound_window
    # A delta of 0 is a PROTOCOL_ERROR, a window above 2**31-1 a FLOW_CONTROL_ERROR;
    # either is a stream error on a stream, a connection error on stream 0.
    if not delta or window > _MAX_WINDOW_SIZE:
        from jotunheim.wire.h2errors import error

        raise error(_E_WINDOW, sid, delta)
    events.append(ev.WindowUpdated(sid, delta))


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
