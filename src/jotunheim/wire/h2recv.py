"""Receive side of the HTTP/2 client connection (RFC 9113 sections 5.1 and 6): the stream
state table (H2Stream), the response header checks, and one handler per frame type,
`_on_<frame>(conn, ftype, flags, stream_id, payload, events)`, found through HANDLERS.

Only the frame kinds a gRPC client meets on every call are here: SETTINGS, RST_STREAM and
GOAWAY are handled by h2control (imported for the frame and dropped, see control()), and
PRIORITY, PUSH_PROMISE, CONTINUATION and padding load from h2rare on first use. Each handler
checks its frame's rules in as few conditions as it can; h2errors names the rule that broke.
Plain functions rather than methods of a mixin: one table serves every connection and costs
less heap than a class (DESIGN section 4)."""

from jotunheim.compat import IS_MICROPYTHON, const, unload
from jotunheim.wire.h2frames import H2ProtocolError

# RFC 9113 numbers and the stream table's codes, as private const()s: folded into the
# bytecode, no qstr or global on the device (h2names has them by name). States, the rows of
# _TRANSITIONS: 0 idle, 1 open, 2 half-closed (local), 3 half-closed (remote), 4 closed.
# Inputs, its columns: what we send (0 HEADERS, 1 DATA, 2 END_STREAM, 3 RST_STREAM), then
# what we receive (4 HEADERS, 5 DATA, 6 END_STREAM, 7 RST_STREAM).
_DATA = const(0x0)
_HEADERS = const(0x1)
_RST_STREAM = const(0x3)
_SETTINGS = const(0x4)
_GOAWAY = const(0x7)
_FLAG_END_STREAM = const(0x1)
_FLAG_ACK = const(0x1)
_FLAG_END_HEADERS = const(0x4)
_FLAG_PADDED = const(0x8)
_FLAG_PRIORITY = const(0x20)
_MAX_WINDOW_SIZE = const(2147483647)
_IDLE = const(0)
_CLOSED = const(4)
_ENDED = const(0)
_RESET_SENT = const(1)
_RECV_HEADERS = const(4)
_RECV_DATA = const(5)
_RECV_END_STREAM = const(6)
# Errors by number (h2errors.error): the builders' names never load as qstrs.
_E_FRAME = const(0)
_E_RESPONSE_ORDER = const(2)
_E_UNKNOWN_STREAM = const(3)
_E_TRANSITION = const(4)
_E_HEADER = const(5)
_E_WINDOW = const(6)
_E_DATA_WINDOW = const(7)
# Event kinds (h2frames lists the event tuples).
_DATA_RECEIVED = const(0)
_HEADERS_RECEIVED = const(1)
_TRAILERS_RECEIVED = const(2)
_STREAM_ENDED = const(3)
_WINDOW_UPDATED = const(4)
_PING_RECEIVED = const(7)
_PING_ACK_RECEIVED = const(8)
# Rare paths by number (h2rare.run), like the errors.
_RARE_ON_FRAME = const(0)
_RARE_HEADERS_PAYLOAD = const(1)
_RARE_STRIP_PADDING = const(2)

# (state, input) -> next state: one row of 8 per state, one column per input; "-" is a
# violation (h2errors.transition_error names it). One string constant rather than a dict
# of tuples: this table is code every device loads into its heap.
#   inputs:     send: HDR DATA END RST  receive: HDR DATA END RST
_TRANSITIONS = (
    const(
        "1-------"  # idle
        "11241134"  # open
        "---42244"  # half-closed (local)
        "3344---4"  # half-closed (remote)
        "--------"
    )  # closed
)


class H2Stream:
    """One stream's state and flow-control windows (ours to send, theirs to send to us)."""

    def __init__(self, stream_id, outbound_window, inbound_window):
        self.stream_id = stream_id
        self.state = _IDLE
        self.outbound_window = outbound_window  # bytes we may still send
        self.inbound_window = inbound_window  # bytes the peer may still send
        self.inbound_unacked = 0  # consumed by the app, not yet returned by WINDOW_UPDATE
        self.headers_received = False

    def transition(self, event, apply=True):
        """Apply a local or received input (only check it if not apply); raises for what the
        table does not know: StreamClosedError for ours, H2ProtocolError for the peer's."""
        nxt = _TRANSITIONS[self.state * 8 + event]
        if nxt == "-":
            from jotunheim.wire.h2errors import error

            raise error(_E_TRANSITION, self, event)
        if apply:
            self.state = int(nxt)
        return self.state


# Connection-specific header fields are malformed in HTTP/2 (RFC 9113 section 8.2.2): the
# names of h2names.CONNECTION_HEADERS (which h2errors uses) as one bytes, b"\n" + name +
# b"\n" found in it (a tuple of five bytes objects cost the device ~0.2 KB more heap).
_CONNECTION_HEADERS = const(
    b"\nconnection\nkeep-alive\nproxy-connection\ntransfer-encoding\nupgrade\n"
)


def check_received_headers(stream_id, headers, trailers):
    """Reject a malformed response header/trailer list (RFC 9113 section 8.2, 8.3.2) with a
    stream error PROTOCOL_ERROR; returns the :status value (None for trailers)."""
    status = None
    regular_seen = False  # pseudo-headers must come before every regular field
    for name, value in headers:
        if name[:1] == b":":
            if name != b":status" or status is not None or trailers or regular_seen:
                break
            status = value
        elif not name or name.lower() != name or b"\n" + name + b"\n" in _CONNECTION_HEADERS:
            break
        else:
            regular_seen = True
    else:
        if trailers or (status is not None and len(status) == 3 and status.isdigit()):
            return status
    from jotunheim.wire.h2errors import error

    raise error(_E_HEADER, stream_id, headers, trailers)


def control():
    """The h2control module, imported for one use. On MicroPython it is dropped at once (the
    caller's reference, then a running function's globals, keep it alive while it is used):
    its code is heap there (DESIGN section 4). CPython keeps it, as the import costs time."""
    from jotunheim.wire import h2control

    if IS_MICROPYTHON:
        unload(h2control.__name__)
    return h2control


def _on_other(conn, ftype, flags, sid, payload, events):
    if ftype == _RST_STREAM or ftype == _SETTINGS or ftype == _GOAWAY:
        # Met at a connection's start and end, seldom between: imported for the frame.
        control().on_frame(conn, ftype, flags, sid, payload, events)
    else:  # PRIORITY, PUSH_PROMISE and CONTINUATION: a gRPC client seldom receives them
        from jotunheim.wire.h2rare import run

        run(_RARE_ON_FRAME, conn, ftype, flags, sid, payload, events)


def unknown_stream(conn, sid, ftype):
    """A frame for a stream not open: ignored when we reset the stream or it is not
    DATA/HEADERS; otherwise an error (idle stream, ended or peer-reset stream)."""
    if sid % 2 and sid <= conn._highest_stream_id:
        if ftype > _HEADERS or conn._closed.get(sid, _RESET_SENT) == _RESET_SENT:
            return
    from jotunheim.wire.h2errors import error

    raise error(_E_UNKNOWN_STREAM, conn, sid, ftype)


def _on_headers(conn, ftype, flags, sid, payload, events):
    if not sid:
        from jotunheim.wire.h2errors import error

        raise error(_E_FRAME, ftype, flags, sid, payload)
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
        return unknown_stream(conn, sid, _HEADERS)
    stream.transition(_RECV_HEADERS)
    if not stream.headers_received:
        status = check_received_headers(sid, headers, False)
        if status[0] == 0x31:  # 1xx informational: the real response follows
            if end_stream:
                from jotunheim.wire.h2errors import error

                raise error(_E_RESPONSE_ORDER, stream, _HEADERS)
            return
        stream.headers_received = True
        events.append((_HEADERS_RECEIVED, sid, headers, end_stream))
    else:
        if not end_stream:  # trailers end the stream
            from jotunheim.wire.h2errors import error

            raise error(_E_RESPONSE_ORDER, stream, _HEADERS)
        check_received_headers(sid, headers, True)
        events.append((_TRAILERS_RECEIVED, sid, headers))
    if end_stream:
        events.append((_STREAM_ENDED, sid))
        if stream.transition(_RECV_END_STREAM) == _CLOSED:
            conn._close(stream, _ENDED)


def _on_data(conn, ftype, flags, sid, payload, events):
    size = len(payload)  # padding counts against flow control (section 6.1)
    if not sid or size > conn._inbound_window:
        from jotunheim.wire.h2errors import error

        if not sid:
            raise error(_E_FRAME, ftype, flags, sid, payload)
        raise error(_E_DATA_WINDOW, None, size, conn._inbound_window)
    conn._inbound_window -= size
    try:
        data = payload
        if flags & _FLAG_PADDED:
            from jotunheim.wire.h2rare import run

            data = run(_RARE_STRIP_PADDING, payload)
        stream = conn._streams.get(sid)
        if stream is None:
            unknown_stream(conn, sid, _DATA)
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
    except H2ProtocolError as exc:
        if exc.stream_id is not None:  # a stream error: the connection lives on, and
            conn._return_connection_window(size)  # nobody will consume these bytes
        raise
    end_stream = bool(flags & _FLAG_END_STREAM)
    events.append((_DATA_RECEIVED, sid, data, size, end_stream))
    if end_stream:
        events.append((_STREAM_ENDED, sid))
        if stream.transition(_RECV_END_STREAM) == _CLOSED:
            conn._close(stream, _ENDED)


def _on_ping(conn, ftype, flags, sid, payload, events):
    if sid or len(payload) != 8:
        from jotunheim.wire.h2errors import error

        raise error(_E_FRAME, ftype, flags, sid, payload)
    if flags & _FLAG_ACK:
        events.append((_PING_ACK_RECEIVED, payload))
    else:
        conn._frame(ftype, _FLAG_ACK, 0, payload)  # the ACK (section 6.7)
        events.append((_PING_RECEIVED, payload))


def _on_window_update(conn, ftype, flags, sid, payload, events):
    if len(payload) != 4:
        from jotunheim.wire.h2errors import error

        raise error(_E_FRAME, ftype, flags, sid, payload)
    delta = int.from_bytes(payload, "big") & 0x7FFFFFFF
    if sid == 0:
        conn._outbound_window += delta
        window = conn._outbound_window
    else:
        stream = conn._streams.get(sid)
        if stream is None:
            return unknown_stream(conn, sid, ftype)
        stream.outbound_window += delta
        window = stream.outbound_window
    # A delta of 0 is a PROTOCOL_ERROR, a window above 2**31-1 a FLOW_CONTROL_ERROR;
    # either is a stream error on a stream, a connection error on stream 0.
    if not delta or window > _MAX_WINDOW_SIZE:
        from jotunheim.wire.h2errors import error

        raise error(_E_WINDOW, sid, delta)
    events.append((_WINDOW_UPDATED, sid, delta))


# Handlers by frame type (RFC 9113 section 6), DATA (0) to CONTINUATION (9); unknown frame
# types are ignored (section 5.5).
HANDLERS = (
    _on_data,
    _on_headers,
    _on_other,  # PRIORITY
    _on_other,  # RST_STREAM
    _on_other,  # SETTINGS
    _on_other,  # PUSH_PROMISE
    _on_ping,
    _on_other,  # GOAWAY
    _on_window_update,
    _on_other,  # CONTINUATION
)
