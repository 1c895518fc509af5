"""Rare paths of the HTTP/2 client, imported on first use: frame kinds a gRPC client seldom
meets (PRIORITY, PUSH_PROMISE, CONTINUATION, padding, HEADERS priority fields), header blocks
too large for one frame, what a connection or stream error does, and events as text.
Kept out of h2conn/h2recv because on the MicroPython unix port every loaded module's code
lives in the heap (DESIGN section 4); a device that never meets these never loads them."""

import struct

from jotunheim.wire import h2names as f
from jotunheim.wire.h2errors import H2StreamError, frame_error
from jotunheim.wire.h2frames import H2ProtocolError
from jotunheim.wire.h2names import ENHANCE_YOUR_CALM, PRIORITY, PUSH_PROMISE, RESET_SENT
from jotunheim.wire.h2recv import headers_complete

# Rare paths by number: the modules the device flow loads call `run(RARE_..., *args)` with
# private const() copies of these (checked by tests/unit/h2/test_h2_names.py), so the
# functions' names never become qstrs on the device. Each number is the function of that name.
RARE_ON_FRAME = 0
RARE_HEADERS_PAYLOAD = 1
RARE_STRIP_PADDING = 2
RARE_SEND_CONTINUED = 3
RARE_FAIL_CONNECTION = 4
RARE_RESET_BROKEN_STREAM = 5


def run(number, *args):
    """Runs rare path `number` (RARE_...) with `args`; returns what it returns."""
    return _PATHS[number](*args)


# Raw HEADERS+CONTINUATION bytes we buffer before decoding: our max header list size plus
# this slack. A peer honouring SETTINGS_MAX_HEADER_LIST_SIZE never needs more (each field
# costs 32 bytes in the list but at most a few bytes of framing in the block).
HEADER_BLOCK_SLACK = 1024


# -- frame kinds a client seldom receives ----------------------------------------------------


def on_frame(conn, ftype, flags, sid, payload, events):
    """PRIORITY, PUSH_PROMISE and CONTINUATION frames (the connection's handler table has
    only the frequent kinds)."""
    if ftype == PRIORITY:
        # Deprecated signal (RFC 9113 section 5.3.2): validated, otherwise ignored.
        if not sid or len(payload) != 5:
            raise frame_error(ftype, flags, sid, payload)
        check_dependency(sid, payload)
    elif ftype == PUSH_PROMISE:
        raise H2ProtocolError(f.PROTOCOL_ERROR, "PUSH_PROMISE received with push disabled")
    else:
        on_continuation(conn, flags, sid, payload, events)


def on_continuation(conn, flags, sid, payload, events):
    block = conn._header_block
    if block is None or block[0] != sid:
        raise H2ProtocolError(f.PROTOCOL_ERROR, "CONTINUATION without an open header block")
    limit = conn._decoder.max_header_list_size + HEADER_BLOCK_SLACK
    if len(block[2]) + len(payload) > limit:
        raise H2ProtocolError(ENHANCE_YOUR_CALM, "header block over %d bytes" % limit)
    block[2] += payload
    if flags & f.FLAG_END_HEADERS:
        conn._header_block = None
        headers_complete(conn, sid, block[1], bytes(block[2]), events)


def check_dependency(sid, payload):
    # Section 5.3.1 of RFC 7540 (kept by RFC 9113 for the fields it still parses).
    if struct.unpack_from(">I", payload, 0)[0] & 0x7FFFFFFF == sid:
        raise H2StreamError(sid, f.PROTOCOL_ERROR, "stream %d depends on itself" % sid)


def strip_padding(payload):
    """The payload of a PADDED frame without its pad length byte and padding."""
    if not payload:
        raise H2ProtocolError(f.FRAME_SIZE_ERROR, "padded frame without pad length")
    pad = payload[0]
    if pad >= len(payload):
        raise H2ProtocolError(f.PROTOCOL_ERROR, "padding longer than the frame payload")
    return payload[1 : len(payload) - pad]


def headers_payload(flags, sid, payload):
    """A HEADERS payload without its padding and priority fields (PADDED/PRIORITY flags)."""
    if flags & f.FLAG_PADDED:
        payload = strip_padding(payload)
    if flags & f.FLAG_PRIORITY:
        if len(payload) < 5:
            raise H2ProtocolError(f.FRAME_SIZE_ERROR, "HEADERS too short for priority")
        check_dependency(sid, payload)
        payload = payload[5:]
    return payload


def send_continued(conn, stream_id, flags, block):
    """Queue a header block larger than the peer's max frame size as HEADERS followed by
    CONTINUATION frames (section 6.10); only the last carries END_HEADERS."""
    view = memoryview(block)  # frame pieces without copying the block again
    size = conn.max_outbound_frame_size
    ftype = f.HEADERS
    pos = 0
    while True:
        last = pos + size >= len(block)
        if last:
            flags |= f.FLAG_END_HEADERS
        conn._frame(ftype, flags, stream_id, view[pos : pos + size])
        if last:
            break
        pos += size
        ftype = f.CONTINUATION
        flags = 0


# -- connection and stream errors --------------------------------------------------------------


def fail_connection(conn, exc, events):
    """A connection error: queue GOAWAY, mark the connection dead and raise the
    H2ProtocolError (an HPACK failure becomes COMPRESSION_ERROR), carrying `events`."""
    if not isinstance(exc, H2ProtocolError):  # an HpackError: the block cannot be decoded
        exc = H2ProtocolError(f.COMPRESSION_ERROR, str(exc))
    conn.close_connection(exc.code, 0, exc.message.encode())
    exc.events = events
    conn._dead = exc
    conn._header_block = None
    raise exc


def reset_broken_stream(conn, exc, events):
    """A stream error: RST_STREAM the stream and report it as STREAM_RESET (not remote)."""
    stream = conn._streams.get(exc.stream_id)
    conn._frame(f.RST_STREAM, 0, exc.stream_id, struct.pack(">I", exc.code))
    if stream is not None:
        conn._close(stream, RESET_SENT)
        events.append((f.STREAM_RESET, exc.stream_id, exc.code, False))


def event_repr(event):
    """An HTTP/2 event tuple as text, its kind's name and its items by name (sorted), for
    logs and tests: `HeadersReceived(end_stream=True, headers=[...], stream_id=1)`."""
    name, fields = f.EVENT_FIELDS[event[0]]
    # DATA payloads may be bytes, bytearray or memoryview (see FrameBuffer); all read as bytes.
    items = ", ".join(
        "%s=%r" % (k, bytes(v) if isinstance(v, (bytearray, memoryview)) else v)
        for k, v in sorted((k, event[1 + i]) for i, k in enumerate(fields))
    )
    return "%s(%s)" % (name, items)


# In RARE_... order.
_PATHS = (
    on_frame,
    headers_payload,
    strip_padding,
    send_continued,
    fail_connection,
    reset_broken_stream,
)
