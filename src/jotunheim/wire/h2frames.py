"""HTTP/2 frame layer (RFC 9113 sections 4 and 6): FrameBuffer, and what the connection
reports: its errors and its events (imported as `h2frames as ev`). Frames are serialized by
H2Connection._frame; h2names has helpers for tests."""

from jotunheim.compat import const
from jotunheim.errors import DecodeError, JotunheimError

# RFC 9113 numbers this module uses, as private const()s: folded into the bytecode, so no
# qstr or global on the device. The public names are in h2names (served by __getattr__ below).
_DATA = const(0x0)
_FLAG_END_STREAM = const(0x1)
_FLAG_PADDED = const(0x8)
_FRAME_HEADER_SIZE = const(9)
_DEFAULT_MAX_FRAME_SIZE = const(16384)
# Errors by number (h2errors.error): the builders' names never load as qstrs.
_E_FRAME_SIZE = const(10)


def __getattr__(name):
    """The RFC's numbers and the event kinds by name, frame helpers for tests (h2names) and
    the names only error paths use (h2errors: H2StreamError, FlowControlError ...), loaded on
    first use (PEP 562 module __getattr__; MicroPython has it too)."""
    if name.startswith("__"):  # import machinery probing (__path__ ...): not ours
        raise AttributeError(name)
    from jotunheim.wire import h2errors  # which serves h2names' names too

    try:
        return getattr(h2errors, name)
    except AttributeError:  # not "h2names has no ...": the name was asked of h2frames/h2conn
        raise AttributeError("no HTTP/2 name %r (h2frames, h2conn, h2names)" % name) from None


class H2Error(JotunheimError):
    """Local misuse of the connection API (bad stream id, closed stream, no stream ids left)."""


class H2ProtocolError(DecodeError):
    """The peer violated HTTP/2: a connection error; a GOAWAY with `code` is queued."""

    # A stream error (its subclass H2StreamError, in h2errors: only error paths build one)
    # names its stream; the connection tells the two apart by this, not by the class.
    stream_id = None

    def __init__(self, code, message):
        # super(): MicroPython exception classes have no __init__ to call by name.
        from jotunheim.wire.h2errors import error_name  # (from h2names)

        super().__init__("%s: %s" % (error_name(code), message))
        self.code = code
        self.error_code = code
        self.message = message
        self.events = []  # events parsed before the violation, for callers that want them


class FrameBuffer:
    """Collects received bytes in arbitrary chunks and yields complete frames.

    A frame longer than `max_frame_size` is rejected as soon as its 9-byte header is seen.
    Memory: the header goes into a fixed 9-byte buffer; a payload that arrives whole within
    one chunk is copied out once; one split across chunks is copied piece by piece into a
    bytearray of exactly its length, allocated once its header is known. So the buffer never
    grows by concatenation (which fragments a small heap), and once next_frame() has
    returned None it keeps no reference to the caller's chunk (a transport may reuse it).
    """

    def __init__(self, max_frame_size=_DEFAULT_MAX_FRAME_SIZE):
        self.max_frame_size = max_frame_size
        self._head = bytearray(_FRAME_HEADER_SIZE)
        self._hlen = 0  # header bytes held in _head
        self._body = None  # payload being filled (bytearray of the frame length)
        self._blen = 0  # payload bytes held in _body
        self._data = b""  # the chunk being consumed (a memoryview), and how far
        self._pos = 0
        # data_views: DATA payloads are returned as memoryviews of the caller's chunks (valid
        # only until a chunk is reused), never copied; an unpadded DATA frame split over
        # chunks comes out as several pieces, END_STREAM on the last one only.
        self.data_views = False
        self._left = 0  # payload bytes still due of the DATA frame being passed on in pieces

    def add(self, data):
        """Queues a received chunk (bytes, bytearray or memoryview); read it with next_frame()
        until that returns None before the chunk's buffer is reused."""
        rest = len(self._data) - self._pos
        if rest:  # added again before draining (not the connection's way): keep both
            data = bytes(self._data[self._pos :]) + bytes(data)
        self._data = memoryview(data)
        self._pos = 0

    def next_frame(self):
        """(type, flags, stream_id, payload) of the next complete frame, or None. The payload
        is bytes, except DATA payloads: a bytearray when assembled from several chunks (not
        copied again; DATA consumers copy what they keep), memoryviews with data_views."""
        data = self._data
        pos = self._pos
        avail = len(data) - pos
        head = self._head
        if self._left:
            return self._piece(data, pos, avail)
        if self._body is None:
            if self._hlen < _FRAME_HEADER_SIZE:
                take = min(_FRAME_HEADER_SIZE - self._hlen, avail)
                head[self._hlen : self._hlen + take] = data[pos : pos + take]
                self._hlen += take
                pos += take
                avail -= take
                if self._hlen < _FRAME_HEADER_SIZE:
                    return self._consumed(pos)
            length = (head[0] << 16) | (head[1] << 8) | head[2]
            if length > self.max_frame_size:
                self._pos = pos
                from jotunheim.wire.h2errors import error

                raise error(_E_FRAME_SIZE, length, self.max_frame_size)
            lend = self.data_views and head[3] == _DATA
            if avail >= length:  # the whole payload is here: a view, or one copy
                self._consumed(pos + length)
                payload = data[pos : pos + length]
                return self._frame(payload if lend else bytes(payload))
            if lend and not head[4] & _FLAG_PADDED:
                self._left = length
                return self._piece(data, pos, avail)
            self._body = bytearray(length)
            self._blen = 0
        body = self._body
        take = min(len(body) - self._blen, avail)
        body[self._blen : self._blen + take] = data[pos : pos + take]
        self._blen += take
        self._consumed(pos + take)
        if self._blen < len(body):
            return None
        self._body = None
        if self._head[3] != _DATA:
            body = bytes(body)  # small control/header frames: consumers slice them as bytes
        return self._frame(body)

    def _piece(self, data, pos, avail):
        """The next piece of a DATA frame passed on as it arrives (data_views)."""
        take = min(self._left, avail)
        self._consumed(pos + take)
        if not take:
            return None
        self._left -= take
        flags = self._head[4]
        if self._left:
            flags &= ~_FLAG_END_STREAM
        return self._frame(data[pos : pos + take], flags)

    def _consumed(self, pos):
        if pos >= len(self._data):
            self._data = b""  # drop the caller's chunk (or view) as soon as it is read
            pos = 0
        self._pos = pos

    def _frame(self, payload, flags=None):
        head = self._head
        self._hlen = 0
        # The reserved high bit of the stream identifier is ignored on receipt (section 4.1).
        stream_id = (head[5] & 0x7F) << 24 | head[6] << 16 | head[7] << 8 | head[8]
        return head[3], head[4] if flags is None else flags, stream_id, payload


# -- events: what receive_data() reports ---------------------------------------------------

# Events are tuples, led by their kind (a number; the names are h2names', as are the RFC's
# numbers), then what the event's class took before, in that order. Eleven small classes were
# 2.1 KB of every device's heap even with the code in ROMFS (~0.25 KB a class); a tuple costs
# no code and less than an instance per event. h2names.event_name and h2rare.event_repr
# print them.
#   (DATA_RECEIVED, stream_id, data, flow_controlled_length, end_stream)  body bytes; pass
#       flow_controlled_length to acknowledge_received_data once consumed
#   (HEADERS_RECEIVED, stream_id, headers, end_stream)  a response's first non-1xx HEADERS
#   (TRAILERS_RECEIVED, stream_id, headers)  trailing HEADERS; STREAM_ENDED follows
#   (STREAM_ENDED, stream_id)  the peer closed its side of the stream (END_STREAM)
#   (WINDOW_UPDATED, stream_id, delta)  more send window; stream_id 0 is the connection
#   (REMOTE_SETTINGS_CHANGED, changed)  the peer's SETTINGS applied (and acked), {id: value};
#       a changed INITIAL_WINDOW_SIZE resizes every open stream's send window
#   (SETTINGS_ACKNOWLEDGED,)  the peer acknowledged our SETTINGS; they apply from now on
#   (PING_RECEIVED, data)  the peer pinged us; the ACK is already queued
#   (PING_ACK_RECEIVED, data)  the peer answered one of our pings (liveness)
#   (CONNECTION_TERMINATED, error_code, last_stream_id, additional_data)  GOAWAY received: no
#       new streams; streams above last_stream_id were refused
#   (STREAM_RESET, stream_id, error_code, remote_reset)  RST_STREAM received (remote_reset
#       True), or we reset it after the peer broke its rules or a GOAWAY refused it (False)
