"""Receive side of the HTTP/2 client connection: one handler per frame type (RFC 9113 s6)."""

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

# Raw HEADERS+CONTINUATION bytes we buffer before decoding: our max header list size plus
# this slack. A peer honouring SETTINGS_MAX_HEADER_LIST_SIZE never needs more (each field
# costs 32 bytes in the list but at most a few bytes of framing in the block).
HEADER_BLOCK_SLACK = 1024


class ReceiveMixin:
    """Frame handlers `_on_<frame>(flags, stream_id, payload, events)` for H2Connection."""

    def _unknown_stream(self, sid, ftype):
        """A frame for a stream not open: idle -> connection error; closed -> per reason."""
        if sid % 2 == 0 or sid > self._highest_stream_id:
            raise H2ProtocolError(
                f.PROTOCOL_ERROR, "frame type %d on idle stream %d" % (ftype, sid)
            )
        reason = self._closed.get(sid, RESET_SENT)
        if reason == RESET_SENT or ftype not in (f.DATA, f.HEADERS):
            return
        if reason == RESET_RECV:
            raise H2StreamError(sid, f.STREAM_CLOSED, "frame on reset stream %d" % sid)
        raise H2ProtocolError(f.STREAM_CLOSED, "frame type %d on closed stream %d" % (ftype, sid))

    def _strip_padding(self, flags, payload):
        if not flags & f.FLAG_PADDED:
            return payload
        if not payload:
            raise H2ProtocolError(f.FRAME_SIZE_ERROR, "padded frame without pad length")
        pad = payload[0]
        if pad >= len(payload):
            raise H2ProtocolError(f.PROTOCOL_ERROR, "padding longer than the frame payload")
        return payload[1 : len(payload) - pad]

    def _on_headers(self, flags, sid, payload, events):
        if sid == 0:
            raise H2ProtocolError(f.PROTOCOL_ERROR, "HEADERS on stream 0")
        payload = self._strip_padding(flags, payload)
        if flags & f.FLAG_PRIORITY:
            if len(payload) < 5:
                raise H2ProtocolError(f.FRAME_SIZE_ERROR, "HEADERS too short for priority")
            self._check_dependency(sid, payload)
            payload = payload[5:]
        end_stream = bool(flags & f.FLAG_END_STREAM)
        if flags & f.FLAG_END_HEADERS:
            self._headers_complete(sid, end_stream, payload, events)
        else:
            self._header_block = [sid, end_stream, bytearray(payload)]

    def _on_continuation(self, flags, sid, payload, events):
        block = self._header_block
        if block is None or block[0] != sid:
            raise H2ProtocolError(f.PROTOCOL_ERROR, "CONTINUATION without an open header block")
        limit = self._decoder.max_header_list_size + HEADER_BLOCK_SLACK
        if len(block[2]) + len(payload) > limit:
            raise H2ProtocolError(f.ENHANCE_YOUR_CALM, "header block over %d bytes" % limit)
        block[2] += payload
        if flags & f.FLAG_END_HEADERS:
            self._header_block = None
            self._headers_complete(sid, block[1], bytes(block[2]), events)

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
        if sid == 0:
            raise H2ProtocolError(f.PROTOCOL_ERROR, "DATA on stream 0")
        size = len(payload)  # padding counts against flow control (section 6.1)
        self._consume_connection_window(size)
        try:
            data = self._strip_padding(flags, payload)
            stream = self._streams.get(sid)
            if stream is None:
                self._unknown_stream(sid, f.DATA)
                self._return_connection_window(size)
                return
            self._consume_stream_window(stream, size)
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

    def _on_priority(self, flags, sid, payload, events):
        # Deprecated signal (RFC 9113 section 5.3.2): validated, otherwise ignored.
        if sid == 0:
            raise H2ProtocolError(f.PROTOCOL_ERROR, "PRIORITY on stream 0")
        if len(payload) != 5:
            raise H2StreamError(sid, f.FRAME_SIZE_ERROR, "PRIORITY of %d bytes" % len(payload))
        self._check_dependency(sid, payload)

    def _check_dependency(self, sid, payload):
        # Section 5.3.1 of RFC 7540 (kept by RFC 9113 for the fields it still parses).
        if struct.unpack_from(">I", payload, 0)[0] & 0x7FFFFFFF == sid:
            raise H2StreamError(sid, f.PROTOCOL_ERROR, "stream %d depends on itself" % sid)

    def _on_rst_stream(self, flags, sid, payload, events):
        if sid == 0:
            raise H2ProtocolError(f.PROTOCOL_ERROR, "RST_STREAM on stream 0")
        if len(payload) != 4:
            raise H2ProtocolError(f.FRAME_SIZE_ERROR, "RST_STREAM of %d bytes" % len(payload))
        stream = self._streams.get(sid)
        if stream is None:
            return self._unknown_stream(sid, f.RST_STREAM)
        code = struct.unpack(">I", payload)[0]
        stream.transition(RECV_RST)
        self._close(stream, RESET_RECV)
        events.append(ev.StreamReset(sid, code, True))

    def _on_push_promise(self, flags, sid, payload, events):
        raise H2ProtocolError(f.PROTOCOL_ERROR, "PUSH_PROMISE received with push disabled")

    def _on_ping(self, flags, sid, payload, events):
        if sid != 0:
            raise H2ProtocolError(f.PROTOCOL_ERROR, "PING on stream %d" % sid)
        if len(payload) != 8:
            raise H2ProtocolError(f.FRAME_SIZE_ERROR, "PING of %d bytes" % len(payload))
        if flags & f.FLAG_ACK:
            events.append(ev.PingAckReceived(payload))
        else:
            self._frame(f.PING, f.FLAG_ACK, 0, payload)
            events.append(ev.PingReceived(payload))

    def _on_goaway(self, flags, sid, payload, events):
        if sid != 0:
            raise H2ProtocolError(f.PROTOCOL_ERROR, "GOAWAY on stream %d" % sid)
        if len(payload) < 8:
            raise H2ProtocolError(f.FRAME_SIZE_ERROR, "GOAWAY of %d bytes" % len(payload))
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
        if sid != 0:
            raise H2ProtocolError(f.PROTOCOL_ERROR, "SETTINGS on stream %d" % sid)
        if flags & f.FLAG_ACK:
            if payload:
                raise H2ProtocolError(f.FRAME_SIZE_ERROR, "SETTINGS ACK with a payload")
            if not self._pending_settings:
                raise H2ProtocolError(f.PROTOCOL_ERROR, "SETTINGS ACK without pending SETTINGS")
            self._apply_local_settings(self._pending_settings.pop(0))
            events.append(ev.SettingsAcknowledged())
            return
        if len(payload) % 6:
            raise H2ProtocolError(f.FRAME_SIZE_ERROR, "SETTINGS of %d bytes" % len(payload))
        changed = {}
        for key, value in f.parse_settings(payload):
            self._apply_remote_setting(key, value)
            changed[key] = value
        self._frame(f.SETTINGS, f.FLAG_ACK, 0)
        events.append(ev.RemoteSettingsChanged(changed))
