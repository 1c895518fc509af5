"""The send side of a Channel: one message at a time onto its stream, within the peer's
flow-control windows, without ever holding a second copy of a large message."""

from jotunheim.compat import const
from jotunheim.wire.grpc import Gather, GrpcError, Status, frame_message, message_prefix
from jotunheim.wire.h2conn import H2Error

# Largest piece of a message queued for sending at once (memory bound, see send_message).
_SEND_CHUNK = const(16384)


class SendMixin:
    """Channel methods that send request messages (uses flush, _changed, _conn, _error)."""

    async def send_message(self, call, payload, end_stream):
        """Sends one message as the windows allow: payload is encoded bytes, a Gather from
        Call.encode (prefix included), or None (just END_STREAM). Large messages go out in
        _SEND_CHUNK pieces, flushed one by one, so neither the 5-byte prefix nor the HTTP/2
        output buffer ever holds a second copy of the whole message."""
        try:
            await self._send(call, payload, end_stream)
        except H2Error as exc:  # the stream closed under us: report the call's own end
            err = call.status or GrpcError(Status.INTERNAL, "cannot send: %s" % exc)
            if err.status != Status.OK:
                raise err from None

    async def _send(self, call, payload, end_stream):
        bufs = _buffers(payload)
        sid = call.sid
        last = len(bufs) - 1
        queued = 0  # bytes queued since the last flush
        for i, buf in enumerate(bufs):
            view = memoryview(buf)
            pos = 0
            total = len(buf)
            while pos < total:
                conn = self._check_sendable(call)
                if conn is None:
                    return
                room = min(conn.local_flow_control_window(sid), _SEND_CHUNK - queued, total - pos)
                if room <= 0:
                    await self.flush()
                    queued = 0
                    if conn.local_flow_control_window(sid) <= 0:
                        self._changed.clear()
                        await self._changed.wait()
                    continue
                fin = end_stream and i == last and pos + room >= total
                conn.send_data(sid, buf if room == total else view[pos : pos + room], fin)
                pos += room
                queued += room
                if queued >= _SEND_CHUNK:  # bound the HTTP/2 output buffer to one chunk
                    await self.flush()
                    queued = 0
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


def _buffers(payload):
    """The non-empty buffers that make up one framed message, in order."""
    if payload is None:
        return ()
    if isinstance(payload, Gather):
        parts = payload.parts
        if len(payload) <= _SEND_CHUNK and len(parts) > 1:
            return (b"".join(parts),)  # a small message: one buffer, one DATA frame
        return [p for p in parts if len(p)]
    if len(payload) <= _SEND_CHUNK:
        return (frame_message(payload),)
    return (message_prefix(len(payload)), payload)
