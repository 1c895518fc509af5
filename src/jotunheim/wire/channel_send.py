"""The send side of a Channel: one message at a time onto its stream, within the peer's
flow-control windows, without ever holding a second copy of a large message."""

from jotunheim.wire.grpc import GrpcError, Status, frame_message, message_prefix
from jotunheim.wire.h2conn import H2Error

# Largest piece of a message queued for sending at once (memory bound, see send_message).
SEND_CHUNK = 16384


class SendMixin:
    """Channel methods that send request messages (uses flush, _changed, _conn, _error)."""

    async def send_message(self, call, payload, end_stream):
        """Sends one message (None: just END_STREAM) as the windows allow. Large messages go
        out in SEND_CHUNK pieces, flushed one by one, so neither the 5-byte prefix nor the
        HTTP/2 output buffer ever holds a second copy of the whole message."""
        try:
            await self._send(call, payload, end_stream)
        except H2Error as exc:  # the stream closed under us: report the call's own end
            err = call.status or GrpcError(Status.INTERNAL, "cannot send: %s" % exc)
            if err.status != Status.OK:
                raise err from None

    async def _send(self, call, payload, end_stream):
        if payload is None:
            bufs = ()
        elif len(payload) <= SEND_CHUNK:
            bufs = (frame_message(payload),)
        else:
            bufs = (message_prefix(len(payload)), memoryview(payload))
        sid = call.sid
        last = len(bufs) - 1
        for i, buf in enumerate(bufs):
            pos = 0
            total = len(buf)
            while pos < total:
                conn = self._check_sendable(call)
                if conn is None:
                    return
                room = min(conn.local_flow_control_window(sid), SEND_CHUNK, total - pos)
                if room <= 0:
                    await self.flush()
                    self._changed.clear()
                    await self._changed.wait()
                    continue
                pos += room
                fin = end_stream and i == last and pos >= total
                conn.send_data(sid, buf if room == total else buf[pos - room : pos], fin)
                if pos < total or i < last:
                    await self.flush()
        if not bufs and end_stream:
            conn = self._check_sendable(call)
            if conn is None:
                return
            conn.end_stream(sid)
        await self.flush()

    def _check_sendable(self, call):
        """The connection, None if the call already ended OK; raises if it failed."""
        if call.status is not None:
            if call.status.status == Status.OK:
                return None  # the server already finished; extra requests are moot
            raise call.status
        if self._error is not None:
            raise self._error
        return self._conn
