"""HTTP/2 flow control for H2Connection (RFC 9113 sections 5.2, 6.9): the send side and the
receive windows we return. WINDOW_UPDATE and SETTINGS received are applied in h2recv."""

import struct

from jotunheim.wire import h2frames as f
from jotunheim.wire.h2frames import H2Error
from jotunheim.wire.h2streams import HALF_CLOSED_REMOTE


class FlowMixin:
    """Window bookkeeping shared by H2Connection; the connection supplies _frame/_streams."""

    def _init_connection_window(self):
        # The connection window starts at 65535 whatever SETTINGS say (section 6.9.2); raise
        # it to match a larger stream window, or one stream could stall the connection.
        target = self.local_settings.get(f.SETTINGS_INITIAL_WINDOW_SIZE, f.DEFAULT_WINDOW_SIZE)
        if target > self._inbound_target:
            delta = target - self._inbound_target
            self._inbound_target = target
            self._inbound_window += delta
            self._frame(f.WINDOW_UPDATE, 0, 0, struct.pack(">I", delta))

    # -- sending ----------------------------------------------------------------------------

    def local_flow_control_window(self, stream_id):
        """Bytes we may send on stream_id now (the smaller of stream and connection window)."""
        stream = self._open_stream(stream_id)
        return max(0, min(self._outbound_window, stream.outbound_window))

    def _open_stream(self, stream_id):
        stream = self._streams.get(stream_id)
        if stream is None:
            from jotunheim.wire.h2errors import stream_id_error

            raise stream_id_error(self, stream_id)
        return stream

    def send_data(self, stream_id, data, end_stream=False):
        """Send body bytes (split to the peer's max frame size); raises FlowControlError when
        len(data) exceeds local_flow_control_window(stream_id)."""
        self._check_alive()
        stream = self._open_stream(stream_id)
        size = len(data)
        window = self.local_flow_control_window(stream_id)
        if size > window:
            from jotunheim.wire.h2errors import FlowControlError

            raise FlowControlError(
                "%d bytes exceed the flow-control window %d of stream %d"
                % (size, window, stream_id)
            )
        stream.transition(1)  # input 1, send DATA: checks the state before anything is queued
        chunk = self.max_outbound_frame_size
        view = memoryview(data)
        pos = 0
        while True:
            piece = view[pos : pos + chunk]
            pos += chunk
            last = pos >= size
            self._frame(f.DATA, f.FLAG_END_STREAM if last and end_stream else 0, stream_id, piece)
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
            self._frame(f.WINDOW_UPDATE, 0, 0, struct.pack(">I", delta))

    def acknowledge_received_data(self, acknowledged_size, stream_id):
        """The application consumed acknowledged_size flow-controlled bytes of stream_id;
        queues WINDOW_UPDATEs once half a window is consumed."""
        if acknowledged_size < 0:
            raise H2Error("cannot acknowledge a negative amount")
        if self._dead is not None or not acknowledged_size:
            return
        self._return_connection_window(acknowledged_size)
        stream = self._streams.get(stream_id)
        if stream is None or stream.state >= HALF_CLOSED_REMOTE:
            return  # the peer sends no more on it: no stream window to restore
        stream.inbound_unacked += acknowledged_size
        if stream.inbound_unacked >= self._local_initial_window // 2:
            delta = stream.inbound_unacked
            stream.inbound_unacked = 0
            stream.inbound_window += delta
            self._frame(f.WINDOW_UPDATE, 0, stream_id, struct.pack(">I", delta))
