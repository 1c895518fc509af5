"""Receive side of the HTTP/2 client connection: one handler per frame type (RFC 9113 s6).
Only the frame kinds a gRPC client meets every day are here; PRIORITY, PUSH_PROMISE,
CONTINUATION, padding and the naming of violations load from h2rare on first use."""

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


class ReceiveMixin:
    """Frame handlers `_on_<frame>(flags, stream_id, payload, events)` for H2Connection.
    Each checks its frame's rules in one condition; h2rare.frame_error names the broken one."""

    def _unknown_stream(self, sid, ftype):
        """A frame for a stream not open: ignored when we reset the stream or it is not
        DATA/HEADERS; otherwise an error (idle stream, ended or peer-reset stream)."""
        if sid % 2 and sid <= self._highest_stream_id:
            if ftype > f.HEADERS or self._closed.get(sid, RESET_SENT) == RESET_SENT:
                return
        from jotunheim.wire.h2rare import unknown_stream_error

        raise unknown_stream_error(self, sid, ftype)

    def _on_headers(self, flags, sid, payload, events):
        if not sid:
            from jotunheim.wire.h2rare import frame_error

            raise frame_error(f.HEADERS, flags, sid, payload)
        if flags & (f.FLAG_PADDED | f.FLAG_PRIORITY):
            from jotunheim.wire.h2rare import headers_payload

            payload = headers_payload(flags, sid, payload)
        end_stream = bool(flags & f.FLAG_END_STREAM)
        if flags & f.FLAG_END_HEADERS:
            self._headers_complete(sid, end_stream, payload, events)
        else:  # CONTINUATION frames follow (h2rare.on_continuation)
            self._header_block = [sid, end_stream, bytearray(payload)]

    def _headers_complete(self, sid, end_stream, block, events):
        # Always decode, even for streams we dropped: the HPACK table is connection state.
        headers = self._decoder.decode(block)
        stream = self._streams.get(sid)
        if stream is None:
            return self._unknown_stream(sid, f.HEADERS)
        stream.transition(RECV_HEADERS)
        if not stream.headers_received:
            status = check_received_headers(sid, headers, False)
            if status[0] == 0x31:  # 1xx informational: the real response follows
                if end_stream:
                    raise H2StreamError(sid, f.PROTOCOL_ERROR, "informational response ends stream")
                return
            stream.headers_received = True
            events.append(ev.HeadersReceived(sid, headers, end_stream))
        else:
            if not end_stream:
                raise H2StreamError(sid, f.PROTOCOL_ERROR, "trailers without END_STREAM")
            check_received_headers(sid, headers, True)
            events.append(ev.TrailersReceived(sid, headers))
        if end_stream:
            self._remote_end(stream, events)

    def _remote_end(self, stream, events):
        events.append(ev.StreamEnded(stream.stream_id))
        if stream.transition(RECV_END_STREAM) == CLOSED:
            self._close(stream, ENDED)

    def _on_data(self, flags, sid, payload, events):
        size = len(payload)  # padding counts against flow control (section 6.1)
        if not sid or size > self._inbound_window:
            from jotunheim.wire.h2rare import data_window_error, frame_error

            if not sid:
                raise frame_error(f.DATA, flags, sid, payload)
            raise data_window_error(None, size, self._inbound_window)
        self._inbound_window -= size
        try:
            data = payload
            if flags & f.FLAG_PADDED:
                from jotunheim.wire.h2rare import strip_padding

                data = strip_padding(payload)
            stream = self._streams.get(sid)
            if stream is None:
                self._unknown_stream(sid, f.DATA)
                self._return_connection_window(size)
                return
            if size > stream.inbound_window:
                from jotunheim.wire.h2rare import data_window_error

                raise data_window_error(stream, size, stream.inbound_window)
            stream.inbound_window -= size
            stream.transition(RECV_DATA)
            if not stream.headers_received:
                raise H2StreamError(sid, f.PROTOCOL_ERROR, "DATA before response HEADERS")
        except H2StreamError:
            self._return_connection_window(size)  # nobody will consume these bytes
            raise
        end_stream = bool(flags & f.FLAG_END_STREAM)
        events.append(ev.DataReceived(sid, data, size, end_stream))
        if end_stream:
            self._remote_end(stream, events)

    def _on_rst_stream(self, flags, sid, payload, events):
        if not sid or len(payload) != 4:
            from jotunheim.wire.h2rare import frame_error

            raise frame_error(f.RST_STREAM, flags, sid, payload)
        stream = self._streams.get(sid)
        if stream is None:
            return self._unknown_stream(sid, f.RST_STREAM)
        code = struct.unpack(">I", payload)[0]
        stream.transition(RECV_RST)
        self._close(stream, RESET_RECV)
        events.append(ev.StreamReset(sid, code, True))

    def _on_ping(self, flags, sid, payload, events):
        if sid or len(payload) != 8:
            from jotunheim.wire.h2rare import frame_error

            raise frame_error(f.PING, flags, sid, payload)
        if flags & f.FLAG_ACK:
            events.append(ev.PingAckReceived(payload))
        else:
            self._frame(f.PING, f.FLAG_ACK, 0, payload)
            events.append(ev.PingReceived(payload))

    def _on_goaway(self, flags, sid, payload, events):
        if sid or len(payload) < 8:
            from jotunheim.wire.h2rare import frame_error

            raise frame_error(f.GOAWAY, flags, sid, payload)
        last, code = struct.unpack_from(">II", payload, 0)
        last &= 0x7FFFFFFF
        self.goaway_received = True
        events.append(ev.ConnectionTerminated(code, last, payload[8:]))
        # Streams above last_stream_id were not processed; they may be retried elsewhere.
        for sid in sorted(self._streams):
            if sid > last:
                self._close(self._streams[sid], RESET_SENT)
                events.append(ev.StreamReset(sid, f.REFUSED_STREAM, False))

    def _on_settings(self, flags, sid, payload, events):
        ack = flags & f.FLAG_ACK
        if sid or (payload if ack else len(payload) % 6):
            from jotunheim.wire.h2rare import frame_error

            raise frame_error(f.SETTINGS, flags, sid, payload)
        if ack:
            if not self._pending_settings:
                raise H2ProtocolError(f.PROTOCOL_ERROR, "SETTINGS ACK without pending SETTINGS")
            self._apply_local_settings(self._pending_settings.pop(0))
            events.append(ev.SettingsAcknowledged())
            return
        changed = {}
        for key, value in f.parse_settings(payload):
            self._apply_remote_setting(key, value)
            changed[key] = value
        self._frame(f.SETTINGS, f.FLAG_ACK, 0)
        events.append(ev.RemoteSettingsChanged(changed))
