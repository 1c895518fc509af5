"""Sans-IO HTTP/2 client connection (RFC 9113): bytes in -> events, API calls -> bytes out."""

import struct

from jotunheim.compat import const
from jotunheim.errors import DecodeError

# __getattr__ (h2frames'): every name this module does not define — the RFC numbers by name
# (h2conn.DATA), H2StreamError, FlowControlError and the other error-path names — loads on
# first use from h2errors / h2names, as h2frames' rare names do: one function serves both.
from jotunheim.wire.h2frames import (  # noqa: F401  (re-exported: the public error names)
    H2Error,
    H2ProtocolError,
    __getattr__,
)
from jotunheim.wire.h2recv import HANDLERS, H2Stream, control

# RFC 9113 numbers and h2recv's table codes, as private const()s: folded into the bytecode,
# no qstr or global on the device (h2names has them by name).
_DATA = const(0x0)
_HEADERS = const(0x1)
_SETTINGS = const(0x4)
_WINDOW_UPDATE = const(0x8)
_CONTINUATION = const(0x9)
_FLAG_END_STREAM = const(0x1)
_FLAG_ACK = const(0x1)
_FLAG_END_HEADERS = const(0x4)
# the stream table (h2names): states, a close reason, sent inputs
_CLOSED = const(4)
_HALF_CLOSED_REMOTE = const(3)
_ENDED = const(0)
_SEND_HEADERS = const(0)
_SEND_DATA = const(1)
_SEND_END_STREAM = const(2)
# How many closed streams we remember the close reason of: the peer's frames in flight on a
# stream arrive within a round trip, and a device has few streams at a time. A forgotten
# stream's frames are ignored (RFC 9113 5.1 lets an endpoint stop treating them as errors);
# 8 entries hold ~0.2 KB of dict, 32 held ~0.7 KB per connection on a long run.
_MAX_CLOSED_STREAMS = const(8)
# Errors by number (h2errors.error): the builders' names never load as qstrs.
_E_SEQUENCE = const(1)
_E_STREAM_ID = const(12)
_E_NEW_STREAM = const(13)
_E_HEADER_LIST = const(14)
_E_DEAD_CONNECTION = const(15)
_E_IDS_EXHAUSTED = const(16)
_E_NEGATIVE_ACK = const(18)
_E_SEND_WINDOW = const(19)
# Rare paths by number (h2rare.run), like the errors.
_RARE_SEND_CONTINUED = const(3)
_RARE_FAIL_CONNECTION = const(4)
_RARE_RESET_BROKEN_STREAM = const(5)


class H2Connection:
    """Client side of one HTTP/2 connection; see CONTRACTS.md section 2 for the API."""

    def __init__(self, local_settings=None):
        # The attributes are set in h2control.setup, imported for the construction and
        # dropped: code a connection runs once is heap only while it runs (DESIGN section 4).
        control().setup(self, local_settings)

    def __getattr__(self, name):
        # initiate_connection, lend_data_buffers, update_settings, end_stream, reset_stream,
        # ping and close_connection (CONTRACTS.md 2) live in h2control, imported per use: a
        # device calls them when a connection or stream starts or ends, if ever.
        return control().method(self, name)

    # -- sending ----------------------------------------------------------------------------

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
        if end_stream and stream.transition(_SEND_END_STREAM) == _CLOSED:
            self._close(stream, _ENDED)

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
        if end_stream and stream.transition(_SEND_END_STREAM) == _CLOSED:
            self._close(stream, _ENDED)

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

    def _return_connection_window(self, size):
        """Credit consumed bytes, or bytes nobody will consume (closed/reset streams), back to
        the connection window. Batch WINDOW_UPDATEs: one once half the window is consumed."""
        self._inbound_unacked += size
        if self._inbound_unacked and self._inbound_unacked >= self._inbound_target // 2:
            delta = self._inbound_unacked
            self._inbound_unacked = 0
            self._inbound_window += delta
            self._frame(_WINDOW_UPDATE, 0, 0, delta.to_bytes(4, "big"))

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
                ftype, flags, sid, payload = frame
                # Section 3.4: the server's preface is a SETTINGS frame, first. Section 4.3:
                # nothing may come between a HEADERS frame and the CONTINUATIONs ending it.
                if (not self._preface_received and (ftype != _SETTINGS or flags & _FLAG_ACK)) or (
                    self._header_block is not None and ftype != _CONTINUATION
                ):
                    from jotunheim.wire.h2errors import error

                    raise error(_E_SEQUENCE, self)
                self._preface_received = True
                if ftype > _CONTINUATION:
                    continue  # unknown frame types are ignored (section 5.5)
                try:
                    HANDLERS[ftype](self, ftype, flags, sid, payload, events)
                except H2ProtocolError as exc:
                    if exc.stream_id is None:  # a connection error: handled below
                        raise
                    from jotunheim.wire.h2rare import run

                    run(_RARE_RESET_BROKEN_STREAM, self, exc, events)
        except DecodeError as exc:  # H2ProtocolError, or HpackError from the decoder
            from jotunheim.wire.h2rare import run

            run(_RARE_FAIL_CONNECTION, self, exc, events)  # raises
        return events
