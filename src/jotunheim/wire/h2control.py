"""Connection control of the HTTP/2 client (RFC 9113 sections 6.4, 6.5, 6.7, 6.8): SETTINGS
sent and received, RST_STREAM and GOAWAY both ways, PING sent. A connection meets these at
its start and its end and seldom between, so this module is imported for each use and
dropped at once (h2recv.control()): on the MicroPython unix port, where code lives in the
heap, it holds heap only while it runs. No classes here: each import would make new ones."""

from jotunheim.compat import const
from jotunheim.wire.h2frames import FrameBuffer
from jotunheim.wire.h2recv import unknown_stream
from jotunheim.wire.hpack import HpackDecoder, HpackEncoder

# RFC 9113 numbers and the stream table's codes, as private const()s (named in h2names).
_PREFACE = const(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
_RST_STREAM = const(0x3)
_SETTINGS = const(0x4)
_PING = const(0x6)
_GOAWAY = const(0x7)
_WINDOW_UPDATE = const(0x8)
_FLAG_ACK = const(0x1)
_NO_ERROR = const(0x0)
_REFUSED_STREAM = const(0x7)
_CANCEL = const(0x8)
_DEFAULT_WINDOW_SIZE = const(65535)
_SETTINGS_HEADER_TABLE_SIZE = const(0x1)
_SETTINGS_ENABLE_PUSH = const(0x2)
_SETTINGS_MAX_CONCURRENT_STREAMS = const(0x3)
_SETTINGS_INITIAL_WINDOW_SIZE = const(0x4)
_SETTINGS_MAX_FRAME_SIZE = const(0x5)
_SETTINGS_MAX_HEADER_LIST_SIZE = const(0x6)
_DEFAULT_MAX_FRAME_SIZE = const(16384)
_DEFAULT_HEADER_TABLE_SIZE = const(4096)
_DEFAULT_MAX_HEADER_LIST_SIZE = const(8192)  # gRPC's default too (as in hpack)
_MAX_FRAME_SIZE_LIMIT = const(16777215)
_MAX_WINDOW_SIZE = const(2147483647)
_RESET_SENT = const(1)
_RESET_RECV = const(2)
_SEND_RST = const(3)
_RECV_RST = const(7)
# Event kinds (h2frames lists the event tuples).
_REMOTE_SETTINGS_CHANGED = const(5)
_SETTINGS_ACKNOWLEDGED = const(6)
_CONNECTION_TERMINATED = const(9)
_STREAM_RESET = const(10)
# Errors by number (h2errors.error): the builders' names never load as qstrs.
_E_FRAME = const(0)
_E_REMOTE_SETTING = const(8)
_E_SETTINGS_ACK = const(9)
_E_LOCAL_SETTINGS = const(11)
_E_STREAM_ID = const(12)
_E_PING_DATA = const(17)
_E_ARGUMENT = const(20)


def method(conn, name):
    """conn.<name> for the API methods defined here (H2Connection.__getattr__ asks)."""
    function = _METHODS.get(name)
    if function is None:
        raise AttributeError(name)

    def bound(*args, **kwargs):
        return function(conn, *args, **kwargs)

    return bound


# -- connection start ------------------------------------------------------------------------


def setup(conn, local_settings):
    """H2Connection's attributes (its __init__ calls this)."""
    # Settings we send unless overridden by local_settings. No server push: a client that
    # does not want it says so (section 8.4), and our stream table has no reserved states.
    settings = {
        _SETTINGS_ENABLE_PUSH: 0,
        _SETTINGS_INITIAL_WINDOW_SIZE: _DEFAULT_WINDOW_SIZE,
        _SETTINGS_MAX_HEADER_LIST_SIZE: _DEFAULT_MAX_HEADER_LIST_SIZE,
    }
    if local_settings:
        settings.update(local_settings)
    conn.local_settings = settings
    conn._pending_settings = ()  # sent, not yet acknowledged (they apply on ACK)
    conn._out = bytearray()
    conn._frames = FrameBuffer(_DEFAULT_MAX_FRAME_SIZE)
    # Our encoder keeps no larger HPACK table than we let the peer's make ours keep: a client
    # short of memory that sends SETTINGS_HEADER_TABLE_SIZE 0 keeps none at all.
    table = settings.get(_SETTINGS_HEADER_TABLE_SIZE)
    if type(table) is not int or table > _DEFAULT_HEADER_TABLE_SIZE:
        table = _DEFAULT_HEADER_TABLE_SIZE
    conn._encoder = HpackEncoder(table)
    conn._decoder = HpackDecoder(max_header_list_size=settings[_SETTINGS_MAX_HEADER_LIST_SIZE])
    conn._streams = {}
    conn._closed = {}  # stream id -> close reason, the newest _MAX_CLOSED_STREAMS (h2conn)
    conn._highest_stream_id = 0
    conn._header_block = None  # [stream id, end_stream, bytearray] while CONTINUATIONs due
    conn._preface_received = False
    conn._dead = None  # the H2ProtocolError that ended the connection
    conn._goaway = False  # GOAWAY sent or received: no new streams (section 6.8)
    conn.peer_max_concurrent_streams = 0x7FFFFFFF  # unlimited until the peer says so
    conn.max_outbound_frame_size = _DEFAULT_MAX_FRAME_SIZE
    conn.peer_max_header_list_size = None
    conn._peer_initial_window = _DEFAULT_WINDOW_SIZE
    conn._local_initial_window = _DEFAULT_WINDOW_SIZE
    # Flow control: connection windows, ours to send and the peer's to us.
    conn._outbound_window = _DEFAULT_WINDOW_SIZE
    conn._inbound_window = _DEFAULT_WINDOW_SIZE
    conn._inbound_unacked = 0  # consumed by the app, not yet returned by WINDOW_UPDATE
    conn._inbound_target = _DEFAULT_WINDOW_SIZE


def initiate_connection(conn):
    """Queue the client preface (section 3.4) and our SETTINGS."""
    conn._out += _PREFACE
    update_settings(conn, conn.local_settings)


def lend_data_buffers(conn):
    """From now on a DATA_RECEIVED event's data is a memoryview into the chunk given to
    receive_data(), valid only until that buffer is reused, and an unpadded DATA frame split
    over chunks is reported as it arrives, in several DATA_RECEIVED events (flow control per piece;
    end_stream on the last). No DATA payload is ever copied or assembled: for callers that
    copy DATA at once (the gRPC channel's message reader; its MicroPython transport reuses
    one small read buffer)."""
    conn._frames.data_views = True


def update_settings(conn, changes):
    """Queue our SETTINGS (they apply when the peer acknowledges them), then the connection
    window they need. Every id and value is checked before anything changes: a bad one
    leaves no state."""
    ok = isinstance(changes, dict)
    for key in changes if ok else ():
        value = changes[key]
        if (
            type(key) is not int
            or not 0 <= key <= 0xFFFF
            or not isinstance(value, (int, bool))  # MicroPython: a bool is no int
            or not 0 <= value <= 0xFFFFFFFF
        ):
            ok = False
    if ok:
        window = changes.get(_SETTINGS_INITIAL_WINDOW_SIZE, 0)
        frame_size = changes.get(_SETTINGS_MAX_FRAME_SIZE, _DEFAULT_MAX_FRAME_SIZE)
        ok = window <= _MAX_WINDOW_SIZE and (
            _DEFAULT_MAX_FRAME_SIZE <= frame_size <= _MAX_FRAME_SIZE_LIMIT
        )
    if not ok:
        from jotunheim.wire.h2errors import error

        raise error(_E_LOCAL_SETTINGS, changes)
    payload = bytearray()
    for key in sorted(changes):  # ascending ids: the same settings give the same bytes
        payload += key.to_bytes(2, "big")
        # int(): a bool is an int, but has no to_bytes on MicroPython
        payload += int(changes[key]).to_bytes(4, "big")
    conn.local_settings.update(changes)
    if _SETTINGS_MAX_HEADER_LIST_SIZE in changes:
        conn._decoder.max_header_list_size = changes[_SETTINGS_MAX_HEADER_LIST_SIZE]
    conn._pending_settings += (dict(changes),)  # a tuple: () when none, no list kept
    conn._frame(_SETTINGS, 0, 0, payload)
    # The connection window starts at 65535 whatever SETTINGS say (section 6.9.2); raise
    # it to match a larger stream window, or one stream could stall the connection.
    target = conn.local_settings.get(_SETTINGS_INITIAL_WINDOW_SIZE, _DEFAULT_WINDOW_SIZE)
    if target > conn._inbound_target:
        delta = target - conn._inbound_target
        conn._inbound_target = target
        conn._inbound_window += delta
        conn._frame(_WINDOW_UPDATE, 0, 0, delta.to_bytes(4, "big"))


def end_stream(conn, stream_id):
    """Close our side of the stream with an empty DATA frame carrying END_STREAM."""
    conn.send_data(stream_id, b"", end_stream=True)


def reset_stream(conn, stream_id, error_code=_CANCEL):
    """Send RST_STREAM and forget the stream; a no-op on an already closed stream."""
    conn._check_alive()
    stream = conn._streams.get(stream_id)
    if stream is None:
        if stream_id % 2 and stream_id <= conn._highest_stream_id:
            return  # already closed
        from jotunheim.wire.h2errors import error

        raise error(_E_STREAM_ID, conn, stream_id)
    _check_u32("error_code", error_code)
    stream.transition(_SEND_RST)
    conn._frame(_RST_STREAM, 0, stream_id, error_code.to_bytes(4, "big"))
    conn._close(stream, _RESET_SENT)


def ping(conn, opaque_data):
    """Send a PING with 8 bytes of opaque data; the peer's ACK becomes a PING_ACK_RECEIVED event."""
    conn._check_alive()
    if len(opaque_data) != 8:
        from jotunheim.wire.h2errors import error

        raise error(_E_PING_DATA, opaque_data)
    conn._frame(_PING, 0, 0, bytes(opaque_data))


def close_connection(conn, error_code=_NO_ERROR, last_stream_id=None, additional_data=b""):
    """Send GOAWAY; as a client we accept no streams, so last_stream_id defaults to 0.
    A no-op once a protocol error has already sent its GOAWAY."""
    if conn._dead is not None:
        return
    if last_stream_id is None:
        last_stream_id = 0
    _check_u32("error_code", error_code)
    _check_u32("last_stream_id", last_stream_id)
    payload = last_stream_id.to_bytes(4, "big") + error_code.to_bytes(4, "big") + additional_data
    conn._frame(_GOAWAY, 0, 0, payload)
    conn._goaway = True


def _check_u32(what, value):
    # An error code or stream id we are asked to send: a clear H2Error, not what to_bytes
    # raises (and bool has no to_bytes on MicroPython).
    if type(value) is not int or not 0 <= value <= 0xFFFFFFFF:
        from jotunheim.wire.h2errors import error

        raise error(_E_ARGUMENT, what, value, 0xFFFFFFFF)


_METHODS = {
    "initiate_connection": initiate_connection,
    "lend_data_buffers": lend_data_buffers,
    "update_settings": update_settings,
    "end_stream": end_stream,
    "reset_stream": reset_stream,
    "ping": ping,
    "close_connection": close_connection,
}


# -- received --------------------------------------------------------------------------------


def on_frame(conn, ftype, flags, sid, payload, events):
    """A received RST_STREAM, SETTINGS or GOAWAY frame (h2recv.HANDLERS sends them here)."""
    if ftype == _SETTINGS:
        _on_settings(conn, flags, sid, payload, events)
    elif ftype == _RST_STREAM:
        if not sid or len(payload) != 4:
            from jotunheim.wire.h2errors import error

            raise error(_E_FRAME, ftype, flags, sid, payload)
        stream = conn._streams.get(sid)
        if stream is None:
            return unknown_stream(conn, sid, ftype)
        code = int.from_bytes(payload, "big")
        stream.transition(_RECV_RST)
        conn._close(stream, _RESET_RECV)
        events.append((_STREAM_RESET, sid, code, True))
    else:  # GOAWAY
        if sid or len(payload) < 8:
            from jotunheim.wire.h2errors import error

            raise error(_E_FRAME, ftype, flags, sid, payload)
        last = int.from_bytes(payload[:4], "big") & 0x7FFFFFFF
        code = int.from_bytes(payload[4:8], "big")
        conn._goaway = True
        events.append((_CONNECTION_TERMINATED, code, last, payload[8:]))
        # Streams above last_stream_id were not processed; they may be retried elsewhere.
        for sid in sorted(conn._streams):
            if sid > last:
                conn._close(conn._streams[sid], _RESET_SENT)
                events.append((_STREAM_RESET, sid, _REFUSED_STREAM, False))


def _on_settings(conn, flags, sid, payload, events):
    ack = flags & _FLAG_ACK
    if sid or (payload if ack else len(payload) % 6):
        from jotunheim.wire.h2errors import error

        raise error(_E_FRAME, _SETTINGS, flags, sid, payload)
    if ack:
        pending = conn._pending_settings
        if not pending:
            from jotunheim.wire.h2errors import error

            raise error(_E_SETTINGS_ACK)
        conn._pending_settings = pending[1:]
        # Our oldest SETTINGS were acknowledged: the peer now obeys them (section 6.5.3).
        for key, value in pending[0].items():
            if key == _SETTINGS_HEADER_TABLE_SIZE:
                conn._decoder.max_allowed_table_size = value
            elif key == _SETTINGS_INITIAL_WINDOW_SIZE:
                delta = value - conn._local_initial_window
                conn._local_initial_window = value
                for stream in conn._streams.values():
                    stream.inbound_window += delta
            elif key == _SETTINGS_MAX_FRAME_SIZE:
                conn._frames.max_frame_size = value
        events.append((_SETTINGS_ACKNOWLEDGED,))
        return
    changed = {}
    # Fields are read with int.from_bytes rather than struct: each struct format string would
    # be one more qstr on the device.
    for pos in range(0, len(payload), 6):
        key = payload[pos] << 8 | payload[pos + 1]
        value = int.from_bytes(payload[pos + 2 : pos + 6], "big")
        if not _apply_remote_setting(conn, key, value):
            from jotunheim.wire.h2errors import error

            raise error(_E_REMOTE_SETTING, key, value)
        changed[key] = value
    conn._frame(_SETTINGS, _FLAG_ACK, 0)
    events.append((_REMOTE_SETTINGS_CHANGED, changed))


def _apply_remote_setting(conn, key, value):
    """Applies a setting from the peer's SETTINGS (section 6.5.2); False at once for a
    value the RFC forbids (the caller raises: a connection error)."""
    if key == _SETTINGS_HEADER_TABLE_SIZE:
        conn._encoder.header_table_size = value
    elif key == _SETTINGS_ENABLE_PUSH:
        # Section 6.5.2: a server MUST NOT send 1; anything but 0/1 is invalid anyway.
        if value != 0:
            return False
    elif key == _SETTINGS_MAX_CONCURRENT_STREAMS:
        conn.peer_max_concurrent_streams = value
    elif key == _SETTINGS_INITIAL_WINDOW_SIZE:
        if value > _MAX_WINDOW_SIZE:
            return False
        # Section 6.9.2: the change applies to every open stream's window, which may go
        # negative (then we wait) but must not exceed 2**31-1.
        delta = value - conn._peer_initial_window
        conn._peer_initial_window = value
        for stream in conn._streams.values():
            stream.outbound_window += delta
            if stream.outbound_window > _MAX_WINDOW_SIZE:
                return False
    elif key == _SETTINGS_MAX_FRAME_SIZE:
        if not _DEFAULT_MAX_FRAME_SIZE <= value <= _MAX_FRAME_SIZE_LIMIT:
            return False
        conn.max_outbound_frame_size = value
    elif key == _SETTINGS_MAX_HEADER_LIST_SIZE:
        conn.peer_max_header_list_size = value
    # Unknown settings are ignored (section 6.5.2).
    return True
