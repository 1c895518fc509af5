"""Sans-IO HTTP/2 client connection (RFC 9113): bytes in -> events, API calls -> bytes out."""

import struct

from jotunheim.compat import const

# __getattr__ (h2frames'): every name this module does not define — the RFC numbers by name
# (h2conn.DATA), FlowControlError, StreamClosedError and the other error-path names — loads on
# first use from h2errors / h2names, as h2frames' rare names do: one function serves both.
from jotunheim.wire.h2frames import (  # noqa: F401  (re-exported: the public error names)
    FrameBuffer,
    H2Error,
    H2ProtocolError,
    H2StreamError,
    __getattr__,
)
from jotunheim.wire.h2recv import HANDLERS
from jotunheim.wire.h2streams import FlowMixin, H2Stream
from jotunheim.wire.hpack import (
    DEFAULT_MAX_HEADER_LIST_SIZE,
    HpackDecoder,
    HpackEncoder,
    HpackError,
)

# RFC 9113 numbers and h2streams' table codes, as private const()s: folded into the bytecode,
# no qstr or global on the device (h2names has them by name).
_PREFACE = const(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
_HEADERS = const(0x1)
_RST_STREAM = const(0x3)
_SETTINGS = const(0x4)
_PING = const(0x6)
_GOAWAY = const(0x7)
_CONTINUATION = const(0x9)
_FLAG_END_STREAM = const(0x1)
_FLAG_ACK = const(0x1)
_FLAG_END_HEADERS = const(0x4)
_NO_ERROR = const(0x0)
_CANCEL = const(0x8)
_SETTINGS_ENABLE_PUSH = const(0x2)
_SETTINGS_INITIAL_WINDOW_SIZE = const(0x4)
_SETTINGS_MAX_HEADER_LIST_SIZE = const(0x6)
_DEFAULT_MAX_FRAME_SIZE = const(16384)
_DEFAULT_WINDOW_SIZE = const(65535)
# the stream table (h2names): closed state, close reasons, sent inputs
_CLOSED = const(4)
_ENDED = const(0)
_RESET_SENT = const(1)
_SEND_HEADERS = const(0)
_SEND_END_STREAM = const(2)
_SEND_RST = const(3)
_MAX_CLOSED_STREAMS = const(32)  # how many closed streams we remember the close reason of
# Errors by number (h2errors.error): the builders' names never load as qstrs.
_E_SEQUENCE = const(1)
_E_STREAM_ID = const(12)
_E_NEW_STREAM = const(13)
_E_HEADER_LIST = const(14)
_E_DEAD_CONNECTION = const(15)
_E_IDS_EXHAUSTED = const(16)
_E_PING_DATA = const(17)
_E_ARGUMENT = const(20)
# Rare paths by number (h2rare.run), like the errors.
_RARE_ON_FRAME = const(0)
_RARE_SEND_CONTINUED = const(3)
_RARE_FAIL_CONNECTION = const(4)
_RARE_RESET_BROKEN_STREAM = const(5)


class H2Connection(FlowMixin):
    """Client side of one HTTP/2 connection; see CONTRACTS.md section 2 for the API."""

    def __init__(self, local_settings=None):
        # Settings we send unless overridden by local_settings. No server push: a client that
        # does not want it says so (section 8.4), and our stream table has no reserved states.
        settings = {
            _SETTINGS_ENABLE_PUSH: 0,
            _SETTINGS_INITIAL_WINDOW_SIZE: _DEFAULT_WINDOW_SIZE,
            _SETTINGS_MAX_HEADER_LIST_SIZE: DEFAULT_MAX_HEADER_LIST_SIZE,
        }
        if local_settings:
            settings.update(local_settings)
        self.local_settings = settings
        self._pending_settings = []  # sent, not yet acknowledged (they apply on ACK)
        self._out = bytearray()
        self._frames = FrameBuffer(_DEFAULT_MAX_FRAME_SIZE)
        self._encoder = HpackEncoder()
        self._decoder = HpackDecoder(max_header_list_size=settings[_SETTINGS_MAX_HEADER_LIST_SIZE])
        self._streams = {}
        self._closed = {}  # stream id -> close reason, bounded by _MAX_CLOSED_STREAMS
        self._highest_stream_id = 0
        self._header_block = None  # [stream id, end_stream, bytearray] while CONTINUATIONs due
        self._preface_received = False
        self._dead = None  # the H2ProtocolError that ended the connection
        self._goaway = False  # GOAWAY sent or received: no new streams (section 6.8)
        self.peer_max_concurrent_streams = 0x7FFFFFFF  # unlimited until the peer says so
        self.max_outbound_frame_size = _DEFAULT_MAX_FRAME_SIZE
        self.peer_max_header_list_size = None
        self._peer_initial_window = _DEFAULT_WINDOW_SIZE
        self._local_initial_window = _DEFAULT_WINDOW_SIZE
        # Flow control (FlowMixin): connection windows, ours to send and the peer's to us.
        self._outbound_window = _DEFAULT_WINDOW_SIZE
        self._inbound_window = _DEFAULT_WINDOW_SIZE
        self._inbound_unacked = 0  # consumed by the app, not yet returned by WINDOW_UPDATE
        self._inbound_target = _DEFAULT_WINDOW_SIZE

    # -- sending ----------------------------------------------------------------------------

    def initiate_connection(self):
        """Queue the client preface (section 3.4) and our SETTINGS."""
        self._out += _PREFACE
        self._send_settings(self.local_settings)

    def lend_data_buffers(self):
        """From now on DataReceived.data is a memoryview into the chunk given to
        receive_data(), valid only until that buffer is reused, and an unpadded DATA frame
        split over chunks is reported as it arrives, in several DataReceived events (flow
        control per piece; end_stream on the last). No DATA payload is ever copied or
        assembled: for callers that copy DATA at once (the gRPC channel's message reader;
        its MicroPython transport reuses one 1 KB read buffer)."""
        self._frames.data_views = True

    def data_to_send(self):
        """All queued bytes (drains the buffer); b"" if none. The buffer itself is handed
        over (a bytearray, never touched again) rather than copied: half the peak memory."""
        out = self._out
        if not out:
            return b""
        self._out = bytearray()
        return out

    def _frame(self, ftype, flags, stream_id, payload=b""):
        size = len(payload)  # the 9-byte frame header (section 4.1), then the payload
        self._out += struct.pack(">HBBBI", size >> 8, size & 0xFF, ftype, flags, stream_id)
        self._out += payload

    def get_next_available_stream_id(self):
        """The next unused client (odd) stream id."""
        sid = self._highest_stream_id + 2 if self._highest_stream_id else 1
        if sid > 0x7FFFFFFF:
            from jotunheim.wire.h2errors import error

            raise error(_E_IDS_EXHAUSTED)
        return sid

    def open_stream_allowed(self):
        """False once GOAWAY was sent/received or MAX_CONCURRENT_STREAMS is reached."""
        if self._dead or self._goaway:
            return False
        return len(self._streams) < self.peer_max_concurrent_streams

    def send_headers(self, stream_id, headers, end_stream=False):
        """Send a header block (opening the stream if new), split into CONTINUATIONs if needed."""
        self._check_alive()
        stream = self._streams.get(stream_id)
        if stream is None:
            if (
                stream_id % 2 == 0
                or stream_id <= self._highest_stream_id
                or not self.open_stream_allowed()
            ):
                from jotunheim.wire.h2errors import error

                raise error(_E_NEW_STREAM, self, stream_id)
        else:
            stream.transition(_SEND_HEADERS, False)  # only checks the state
        size = 0
        for header in headers:
            name = header[0] if len(header) > 1 else None
            # Section 8.2.1: field names are lowercase; the peer would reset the stream.
            if not isinstance(name, (bytes, str)) or not name or name.lower() != name:
                size = None
                break
            size += len(name) + len(header[1]) + 32
        limit = self.peer_max_header_list_size
        if size is None or (limit is not None and size > limit):
            # The limit is advisory (section 6.5.2), but a peer that announced it will refuse
            # the request; h2errors.header_list_error says which rule the headers break.
            from jotunheim.wire.h2errors import error

            raise error(_E_HEADER_LIST, headers, limit)
        # Every check is done: encoding changes HPACK state the peer must see, so nothing
        # may fail between here and queuing the frames.
        block = self._encoder.encode(headers)
        if stream is None:
            stream = H2Stream(stream_id, self._peer_initial_window, self._local_initial_window)
            self._streams[stream_id] = stream
            self._highest_stream_id = stream_id
        stream.transition(_SEND_HEADERS)
        flags = _FLAG_END_STREAM if end_stream else 0
        if len(block) <= self.max_outbound_frame_size:
            self._frame(_HEADERS, flags | _FLAG_END_HEADERS, stream_id, block)
        else:  # over 16 KB of headers: rare enough to load on demand
            from jotunheim.wire.h2rare import run

            run(_RARE_SEND_CONTINUED, self, stream_id, flags, block)
        if end_stream:
            self._local_end(stream)

    def reset_stream(self, stream_id, error_code=_CANCEL):
        """Send RST_STREAM and forget the stream; a no-op on an already closed stream."""
        self._check_alive()
        stream = self._streams.get(stream_id)
        if stream is None:
            if stream_id % 2 and stream_id <= self._highest_stream_id:
                return  # already closed
            from jotunheim.wire.h2errors import error

            raise error(_E_STREAM_ID, self, stream_id)
        _check_u32("error_code", error_code)
        stream.transition(_SEND_RST)
        self._frame(_RST_STREAM, 0, stream_id, error_code.to_bytes(4, "big"))
        self._close(stream, _RESET_SENT)

    def ping(self, opaque_data):
        """Send a PING with 8 bytes of opaque data; the peer's ACK becomes PingAckReceived."""
        self._check_alive()
        if len(opaque_data) != 8:
            from jotunheim.wire.h2errors import error

            raise error(_E_PING_DATA, opaque_data)
        self._frame(_PING, 0, 0, bytes(opaque_data))

    def close_connection(self, error_code=_NO_ERROR, last_stream_id=None, additional_data=b""):
        """Send GOAWAY; as a client we accept no streams, so last_stream_id defaults to 0.
        A no-op once a protocol error has already sent its GOAWAY."""
        if self._dead is not None:
            return
        if last_stream_id is None:
            last_stream_id = 0
        _check_u32("error_code", error_code)
        _check_u32("last_stream_id", last_stream_id)
        payload = (
            last_stream_id.to_bytes(4, "big") + error_code.to_bytes(4, "big") + additional_data
        )
        self._frame(_GOAWAY, 0, 0, payload)
        self._goaway = True

    def _check_alive(self):
        if self._dead is not None:
            from jotunheim.wire.h2errors import error

            raise error(_E_DEAD_CONNECTION, self._dead)

    def _close(self, stream, reason):
        stream.state = _CLOSED
        self._streams.pop(stream.stream_id, None)
        closed = self._closed
        closed[stream.stream_id] = reason
        if len(closed) > _MAX_CLOSED_STREAMS:
            del closed[min(closed)]

    def _local_end(self, stream):
        if stream.transition(_SEND_END_STREAM) == _CLOSED:
            self._close(stream, _ENDED)

    # -- receiving --------------------------------------------------------------------------

    def receive_data(self, data):
        """Feed received bytes; returns events. A peer violation queues GOAWAY and raises
        H2ProtocolError (its .events holds what was parsed before it)."""
        if self._dead is not None:
            raise self._dead
        events = []
        self._frames.add(data)
        try:
            while True:
                frame = self._frames.next_frame()
                if frame is None:
                    break
                try:
                    self._dispatch(frame, events)
                except H2StreamError as exc:
                    from jotunheim.wire.h2rare import run

                    run(_RARE_RESET_BROKEN_STREAM, self, exc, events)
        except (HpackError, H2ProtocolError) as exc:
            from jotunheim.wire.h2rare import run

            run(_RARE_FAIL_CONNECTION, self, exc, events)  # raises
        return events

    def _dispatch(self, frame, events):
        ftype, flags, sid, payload = frame
        # Section 3.4: the server's preface is a SETTINGS frame, first. Section 4.3: nothing
        # may come between a HEADERS frame and the CONTINUATIONs that end its header block.
        if (not self._preface_received and (ftype != _SETTINGS or flags & _FLAG_ACK)) or (
            self._header_block is not None and ftype != _CONTINUATION
        ):
            from jotunheim.wire.h2errors import error

            raise error(_E_SEQUENCE, self)
        self._preface_received = True
        handler = HANDLERS[ftype] if ftype < len(HANDLERS) else None
        if handler is not None:
            handler(self, flags, sid, payload, events)
        elif ftype <= _CONTINUATION:  # unknown frame types are ignored (section 5.5)
            from jotunheim.wire.h2rare import run

            run(_RARE_ON_FRAME, self, ftype, flags, sid, payload, events)


def _check_u32(what, value):
    # An error code or stream id we are asked to send: a clear H2Error, not what to_bytes
    # raises (and bool has no to_bytes on MicroPython).
    if type(value) is not int or not 0 <= value <= 0xFFFFFFFF:
        from jotunheim.wire.h2errors import error

        raise error(_E_ARGUMENT, what, value, 0xFFFFFFFF)
