"""HTTP/2 client streams (RFC 9113 sections 5.1, 5.2, 6.5, 6.9): the stream state table, the
response header checks, and the connection's flow control and settings (FlowMixin: the send
side, the receive windows we return, SETTINGS applied; WINDOW_UPDATE is applied in h2recv)."""

from jotunheim.compat import const

# Numbers as private const()s (no qstr or global on the device; named in h2names). States,
# the rows of _TRANSITIONS: 0 idle, 1 open, 2 half-closed (local), 3 half-closed (remote),
# 4 closed. Inputs, its columns: what we send (0 HEADERS, 1 DATA, 2 END_STREAM, 3
# RST_STREAM), then what we receive (4 HEADERS, 5 DATA, 6 END_STREAM, 7 RST_STREAM).
_IDLE = const(0)
_HALF_CLOSED_REMOTE = const(3)
_SEND_DATA = const(1)
_DATA = const(0x0)
_WINDOW_UPDATE = const(0x8)
_FLAG_END_STREAM = const(0x1)
_DEFAULT_WINDOW_SIZE = const(65535)
_SETTINGS_HEADER_TABLE_SIZE = const(0x1)
_SETTINGS_ENABLE_PUSH = const(0x2)
_SETTINGS_MAX_CONCURRENT_STREAMS = const(0x3)
_SETTINGS_INITIAL_WINDOW_SIZE = const(0x4)
_SETTINGS_MAX_FRAME_SIZE = const(0x5)
_SETTINGS_MAX_HEADER_LIST_SIZE = const(0x6)
_DEFAULT_MAX_FRAME_SIZE = const(16384)
_MAX_FRAME_SIZE_LIMIT = const(16777215)
_MAX_WINDOW_SIZE = const(2147483647)
_SETTINGS = const(0x4)
# Errors by number (h2errors.error): the builders' names never load as qstrs.
_E_TRANSITION = const(4)
_E_HEADER = const(5)
_E_LOCAL_SETTINGS = const(11)
_E_STREAM_ID = const(12)
_E_NEGATIVE_ACK = const(18)
_E_SEND_WINDOW = const(19)

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


# Connection-specific header fields are malformed in HTTP/2 (RFC 9113 section 8.2.2); the
# same tuple as h2names.CONNECTION_HEADERS, which h2errors uses.
_CONNECTION_HEADERS = const(
    (b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding", b"upgrade")
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
        elif not name or name.lower() != name or name in _CONNECTION_HEADERS:
            break
        else:
            regular_seen = True
    else:
        if trailers or (status is not None and len(status) == 3 and status.isdigit()):
            return status
    from jotunheim.wire.h2errors import error

    raise error(_E_HEADER, stream_id, headers, trailers)


class FlowMixin:
    """Window bookkeeping and SETTINGS for H2Connection (which supplies _frame/_streams)."""

    # -- sending ----------------------------------------------------------------------------

    def local_flow_control_window(self, stream_id):
        """Bytes we may send on stream_id now (the smaller of stream and connection window)."""
        stream = self._streams.get(stream_id)
        if stream is None:
            from jotunheim.wire.h2errors import error

            raise error(_E_STREAM_ID, self, stream_id)
        return max(0, min(self._outbound_window, stream.outbound_window))

    def send_data(self, stream_id, data, end_stream=False):
        """Send body bytes (split to the peer's max frame size); raises FlowControlError when
        len(data) exceeds local_flow_control_window(stream_id)."""
        self._check_alive()
        window = self.local_flow_control_window(stream_id)  # raises if the stream is not open
        stream = self._streams[stream_id]
        size = len(data)
        if size > window:
            from jotunheim.wire.h2errors import error

            raise error(_E_SEND_WINDOW, size, window, stream_id)
        stream.transition(_SEND_DATA)  # checks the state before anything is queued
        chunk = self.max_outbound_frame_size
        view = memoryview(data)
        pos = 0
        while True:
            piece = view[pos : pos + chunk]
            pos += chunk
            last = pos >= size
            self._frame(_DATA, _FLAG_END_STREAM if last and end_stream else 0, stream_id, piece)
            if last:
                break
        self._outbound_window -= size
        stream.outbound_window -= size
        if end_stream:
            self._local_end(stream)

    def end_stream(self, stream_id):
        """Close our side of the stream with an empty DATA frame carrying END_STREAM."""
        self.send_data(stream_id, b"", end_stream=True)

    # -- receiving --------------------------------------------------------------------------

    def _return_connection_window(self, size):
        """Credit consumed bytes, or bytes nobody will consume (closed/reset streams), back to
        the connection window. Batch WINDOW_UPDATEs: one once half the window is consumed."""
        self._inbound_unacked += size
        if self._inbound_unacked and self._inbound_unacked >= self._inbound_target // 2:
            delta = self._inbound_unacked
            self._inbound_unacked = 0
            self._inbound_window += delta
            self._frame(_WINDOW_UPDATE, 0, 0, delta.to_bytes(4, "big"))

    def acknowledge_received_data(self, acknowledged_size, stream_id):
        """The application consumed acknowledged_size flow-controlled bytes of stream_id;
        queues WINDOW_UPDATEs once half a window is consumed."""
        if acknowledged_size < 0:
            from jotunheim.wire.h2errors import error

            raise error(_E_NEGATIVE_ACK)
        if self._dead is not None or not acknowledged_size:
            return
        self._return_connection_window(acknowledged_size)
        stream = self._streams.get(stream_id)
        if stream is None or stream.state >= _HALF_CLOSED_REMOTE:
            return  # the peer sends no more on it: no stream window to restore
        stream.inbound_unacked += acknowledged_size
        if stream.inbound_unacked >= self._local_initial_window // 2:
            delta = stream.inbound_unacked
            stream.inbound_unacked = 0
            stream.inbound_window += delta
            self._frame(_WINDOW_UPDATE, 0, stream_id, delta.to_bytes(4, "big"))

    # -- settings ----------------------------------------------------------------------------

    def update_settings(self, changes):
        """Send changed local settings; they take effect when the peer acknowledges them."""
        self._send_settings(changes)

    def _send_settings(self, settings):
        """Queue our SETTINGS (they apply on ACK), then the connection window they need.
        Every id and value is checked before anything changes: a bad one leaves no state."""
        ok = isinstance(settings, dict)
        for key in settings if ok else ():
            value = settings[key]
            if (
                type(key) is not int
                or not 0 <= key <= 0xFFFF
                or not isinstance(value, (int, bool))  # MicroPython: a bool is no int
                or not 0 <= value <= 0xFFFFFFFF
            ):
                ok = False
        if ok:
            window = settings.get(_SETTINGS_INITIAL_WINDOW_SIZE, 0)
            frame_size = settings.get(_SETTINGS_MAX_FRAME_SIZE, _DEFAULT_MAX_FRAME_SIZE)
            ok = window <= _MAX_WINDOW_SIZE and (
                _DEFAULT_MAX_FRAME_SIZE <= frame_size <= _MAX_FRAME_SIZE_LIMIT
            )
        if not ok:
            from jotunheim.wire.h2errors import error

            raise error(_E_LOCAL_SETTINGS, settings)
        payload = bytearray()
        for key in sorted(settings):  # ascending ids: the same settings give the same bytes
            payload += key.to_bytes(2, "big")
            # int(): a bool is an int, but has no to_bytes on MicroPython
            payload += int(settings[key]).to_bytes(4, "big")
        self.local_settings.update(settings)
        if _SETTINGS_MAX_HEADER_LIST_SIZE in settings:
            self._decoder.max_header_list_size = settings[_SETTINGS_MAX_HEADER_LIST_SIZE]
        self._pending_settings.append(dict(settings))
        self._frame(_SETTINGS, 0, 0, payload)
        # The connection window starts at 65535 whatever SETTINGS say (section 6.9.2); raise
        # it to match a larger stream window, or one stream could stall the connection.
        target = self.local_settings.get(_SETTINGS_INITIAL_WINDOW_SIZE, _DEFAULT_WINDOW_SIZE)
        if target > self._inbound_target:
            delta = target - self._inbound_target
            self._inbound_target = target
            self._inbound_window += delta
            self._frame(_WINDOW_UPDATE, 0, 0, delta.to_bytes(4, "big"))

    def _apply_remote_setting(self, key, value):
        """Applies a setting from the peer's SETTINGS (section 6.5.2); False at once for a
        value the RFC forbids (the caller raises: a connection error)."""
        if key == _SETTINGS_HEADER_TABLE_SIZE:
            self._encoder.header_table_size = value
        elif key == _SETTINGS_ENABLE_PUSH:
            # Section 6.5.2: a server MUST NOT send 1; anything but 0/1 is invalid anyway.
            if value != 0:
                return False
        elif key == _SETTINGS_MAX_CONCURRENT_STREAMS:
            self.peer_max_concurrent_streams = value
        elif key == _SETTINGS_INITIAL_WINDOW_SIZE:
            if value > _MAX_WINDOW_SIZE:
                return False
            # Section 6.9.2: the change applies to every open stream's window, which may go
            # negative (then we wait) but must not exceed 2**31-1.
            delta = value - self._peer_initial_window
            self._peer_initial_window = value
            for stream in self._streams.values():
                stream.outbound_window += delta
                if stream.outbound_window > _MAX_WINDOW_SIZE:
                    return False
        elif key == _SETTINGS_MAX_FRAME_SIZE:
            if not _DEFAULT_MAX_FRAME_SIZE <= value <= _MAX_FRAME_SIZE_LIMIT:
                return False
            self.max_outbound_frame_size = value
        elif key == _SETTINGS_MAX_HEADER_LIST_SIZE:
            self.peer_max_header_list_size = value
        # Unknown settings are ignored (section 6.5.2).
        return True

    def _apply_local_settings(self, settings):
        """Our SETTINGS were acknowledged: the peer now obeys them (section 6.5.3)."""
        for key, value in settings.items():
            if key == _SETTINGS_HEADER_TABLE_SIZE:
                self._decoder.max_allowed_table_size = value
            elif key == _SETTINGS_INITIAL_WINDOW_SIZE:
                delta = value - self._local_initial_window
                self._local_initial_window = value
                for stream in self._streams.values():
                    stream.inbound_window += delta
            elif key == _SETTINGS_MAX_FRAME_SIZE:
                self._frames.max_frame_size = value
