"""Rare paths of the HTTP/2 client, imported on first use: frame kinds a gRPC client seldom
meets (PRIORITY, PUSH_PROMISE, CONTINUATION, padding) and the naming of every violation.

Why a module of its own: on the MicroPython unix port a loaded module's code, names and
strings live in the heap (DESIGN section 4). The connection's hot path only tests whether a
rule holds; when one breaks, the functions here work out which rule it was and build the
error with its RFC 9113 code and message. A device that never meets these paths never loads
them.
"""

import struct

from jotunheim.wire import h2events as ev
from jotunheim.wire import h2frames as f
from jotunheim.wire.h2frames import H2Error, H2ProtocolError, H2StreamError
from jotunheim.wire.h2recv import headers_complete
from jotunheim.wire.h2streams import (
    CLOSED,
    CONNECTION_HEADERS,
    HALF_CLOSED_REMOTE,
    RECV_HEADERS,
    RESET_RECV,
    RESET_SENT,
)
from jotunheim.wire.hpack import HpackError

# Raw HEADERS+CONTINUATION bytes we buffer before decoding: our max header list size plus
# this slack. A peer honouring SETTINGS_MAX_HEADER_LIST_SIZE never needs more (each field
# costs 32 bytes in the list but at most a few bytes of framing in the block).
HEADER_BLOCK_SLACK = 1024

# The frame types and error codes (RFC 9113 sections 6, 7) the connection's hot path does not
# use; h2frames (and h2conn for the two errors below) hands them out from here on first use.
PRIORITY = 0x2
PUSH_PROMISE = 0x5
INTERNAL_ERROR = 0x2
FLOW_CONTROL_ERROR = 0x3
SETTINGS_TIMEOUT = 0x4
STREAM_CLOSED = 0x5
CONNECT_ERROR = 0xA
ENHANCE_YOUR_CALM = 0xB
INADEQUATE_SECURITY = 0xC
HTTP_1_1_REQUIRED = 0xD


class FlowControlError(H2Error):
    """send_data was given more bytes than the flow-control window allows."""


class StreamClosedError(H2Error):
    """The stream cannot take this action in its current state (e.g. send after end)."""


def serialize_frame(ftype, flags, stream_id, payload=b""):
    """A complete frame as bytes."""
    return f.frame_header(len(payload), ftype, flags, stream_id) + payload


ERROR_NAMES = (
    "NO_ERROR",
    "PROTOCOL_ERROR",
    "INTERNAL_ERROR",
    "FLOW_CONTROL_ERROR",
    "SETTINGS_TIMEOUT",
    "STREAM_CLOSED",
    "FRAME_SIZE_ERROR",
    "REFUSED_STREAM",
    "CANCEL",
    "COMPRESSION_ERROR",
    "CONNECT_ERROR",
    "ENHANCE_YOUR_CALM",
    "INADEQUATE_SECURITY",
    "HTTP_1_1_REQUIRED",
)
FRAME_NAMES = (
    "DATA",
    "HEADERS",
    "PRIORITY",
    "RST_STREAM",
    "SETTINGS",
    "PUSH_PROMISE",
    "PING",
    "GOAWAY",
    "WINDOW_UPDATE",
    "CONTINUATION",
)
STATE_NAMES = ("idle", "open", "half-closed(local)", "half-closed(remote)", "closed")
INPUT_NAMES = (
    "send HEADERS",
    "send DATA",
    "send END_STREAM",
    "send RST_STREAM",
    "receive HEADERS",
    "receive DATA",
    "receive END_STREAM",
    "receive RST_STREAM",
)


def error_name(code):
    """Name of an HTTP/2 error code, or its hex value when unknown (codes are extensible)."""
    if 0 <= code < len(ERROR_NAMES):
        return ERROR_NAMES[code]
    return "0x%x" % code


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
    if isinstance(exc, HpackError):
        exc = H2ProtocolError(f.COMPRESSION_ERROR, str(exc))
    conn.close_connection(exc.code, 0, exc.message.encode())
    exc.events = events
    conn._dead = exc
    conn._header_block = None
    raise exc


def reset_broken_stream(conn, exc, events):
    """A stream error: RST_STREAM the stream and report it as StreamReset (not remote)."""
    stream = conn._streams.get(exc.stream_id)
    conn._frame(f.RST_STREAM, 0, exc.stream_id, struct.pack(">I", exc.code))
    if stream is not None:
        conn._close(stream, RESET_SENT)
        events.append(ev.StreamReset(exc.stream_id, exc.code, False))


# -- naming what the peer broke ---------------------------------------------------------------


def frame_error(ftype, flags, sid, payload):
    """The error for a frame breaking its type's stream or length rule (RFC 9113 section 6)."""
    name = FRAME_NAMES[ftype]
    on_zero = ftype in (f.SETTINGS, f.PING, f.GOAWAY)  # connection-level frame types
    if on_zero == bool(sid) and ftype != f.WINDOW_UPDATE:
        return H2ProtocolError(f.PROTOCOL_ERROR, "%s on stream %d" % (name, sid))
    size = len(payload)
    if ftype == PRIORITY:  # section 6.3: a stream error
        return H2StreamError(sid, f.FRAME_SIZE_ERROR, "PRIORITY of %d bytes" % size)
    if ftype == f.SETTINGS and flags & f.FLAG_ACK:
        return H2ProtocolError(f.FRAME_SIZE_ERROR, "SETTINGS ACK with a payload")
    return H2ProtocolError(f.FRAME_SIZE_ERROR, "%s of %d bytes" % (name, size))


def unknown_stream_error(conn, sid, ftype):
    """A frame the rules forbid on a stream that is not open (section 5.1)."""
    if sid % 2 == 0 or sid > conn._highest_stream_id:
        return H2ProtocolError(f.PROTOCOL_ERROR, "frame type %d on idle stream %d" % (ftype, sid))
    if conn._closed.get(sid) == RESET_RECV:
        return H2StreamError(sid, STREAM_CLOSED, "frame on reset stream %d" % sid)
    return H2ProtocolError(STREAM_CLOSED, "frame type %d on closed stream %d" % (ftype, sid))


def transition_error(stream, event):
    """The error for an input the stream state table rejects. Section 5.1: frames other than
    WINDOW_UPDATE/PRIORITY/RST_STREAM on a half-closed(remote) or closed stream are a stream
    error STREAM_CLOSED; anything but HEADERS/PRIORITY on an idle stream is a connection
    error."""
    message = "%s on stream %d in state %s" % (
        INPUT_NAMES[event],
        stream.stream_id,
        STATE_NAMES[stream.state],
    )
    if event < RECV_HEADERS:
        return StreamClosedError("cannot " + message)
    if stream.state in (HALF_CLOSED_REMOTE, CLOSED):
        return H2StreamError(stream.stream_id, STREAM_CLOSED, message)
    return H2ProtocolError(f.PROTOCOL_ERROR, message)


def header_error(stream_id, headers, trailers):
    """The stream error PROTOCOL_ERROR for a malformed response header/trailer list (RFC
    9113 sections 8.2, 8.3.2), naming the first rule it breaks."""
    status = None
    regular_seen = False
    for name, value in headers:
        if not name:
            return H2StreamError(stream_id, f.PROTOCOL_ERROR, "empty header name")
        if name.lower() != name:
            return H2StreamError(stream_id, f.PROTOCOL_ERROR, "uppercase header name %r" % name)
        if name[0] == 0x3A:  # ':' pseudo-header
            if trailers:
                return H2StreamError(stream_id, f.PROTOCOL_ERROR, "pseudo-header in trailers")
            if regular_seen:
                return H2StreamError(stream_id, f.PROTOCOL_ERROR, "pseudo-header after fields")
            if name != b":status" or status is not None:
                return H2StreamError(
                    stream_id, f.PROTOCOL_ERROR, "unexpected response pseudo-header %r" % name
                )
            status = value
        else:
            regular_seen = True
            if name in CONNECTION_HEADERS:
                return H2StreamError(
                    stream_id, f.PROTOCOL_ERROR, "connection-specific header %r" % name
                )
    return H2StreamError(stream_id, f.PROTOCOL_ERROR, "response without a valid :status")


def window_error(sid, delta):
    """A WINDOW_UPDATE of 0, or one that lifts a window above 2**31-1 (section 6.9)."""
    if sid == 0:
        if not delta:
            return H2ProtocolError(f.PROTOCOL_ERROR, "WINDOW_UPDATE of 0 on the connection")
        return H2ProtocolError(FLOW_CONTROL_ERROR, "connection window above 2**31-1")
    if not delta:
        return H2StreamError(sid, f.PROTOCOL_ERROR, "WINDOW_UPDATE of 0 on stream %d" % sid)
    return H2StreamError(sid, FLOW_CONTROL_ERROR, "stream %d window above 2**31-1" % sid)


def data_window_error(stream, size, window):
    """DATA beyond the receive window of the connection (stream None) or of a stream."""
    if stream is None:
        return H2ProtocolError(
            FLOW_CONTROL_ERROR,
            "DATA of %d bytes exceeds the connection window %d" % (size, window),
        )
    return H2StreamError(
        stream.stream_id,
        FLOW_CONTROL_ERROR,
        "DATA of %d bytes exceeds stream %d window %d" % (size, stream.stream_id, window),
    )


def remote_setting_error(key, value):
    """A peer SETTINGS value the RFC forbids (section 6.5.2), or an initial window change
    that lifts an open stream's window above 2**31-1 (section 6.9.2)."""
    if key == f.SETTINGS_ENABLE_PUSH:
        return H2ProtocolError(f.PROTOCOL_ERROR, "server sent SETTINGS_ENABLE_PUSH=%d" % value)
    if key == f.SETTINGS_MAX_FRAME_SIZE:
        return H2ProtocolError(f.PROTOCOL_ERROR, "SETTINGS_MAX_FRAME_SIZE %d invalid" % value)
    if value > f.MAX_WINDOW_SIZE:
        return H2ProtocolError(FLOW_CONTROL_ERROR, "SETTINGS_INITIAL_WINDOW_SIZE too big")
    return H2ProtocolError(FLOW_CONTROL_ERROR, "stream window above 2**31-1")


# -- naming local misuse ---------------------------------------------------------------------


def local_settings_error(settings):
    """The H2Error for SETTINGS we were asked to send that the RFC forbids."""
    for key, value in settings.items():
        if not 0 <= value <= 0xFFFFFFFF:
            return H2Error("setting %d value %r out of range" % (key, value))
    return H2Error("invalid SETTINGS_INITIAL_WINDOW_SIZE or SETTINGS_MAX_FRAME_SIZE")


def stream_id_error(conn, stream_id):
    """The H2Error for a stream id that names no stream we may act on."""
    if stream_id % 2 and 0 < stream_id <= conn._highest_stream_id:
        return StreamClosedError("stream %d is closed" % stream_id)
    return H2Error("stream %d was never opened" % stream_id)


def new_stream_error(conn, stream_id):
    """send_headers on an id that cannot open a stream, or with no new streams allowed."""
    if stream_id % 2 == 0 or stream_id <= conn._highest_stream_id:
        return H2Error("stream %d is not a new client stream id" % stream_id)
    return H2Error("no new streams allowed (GOAWAY or MAX_CONCURRENT_STREAMS)")


def header_list_error(headers, limit):
    """The H2Error for request headers we must not send (section 8.2.1, 6.5.2)."""
    size = 0
    for header in headers:
        name = header[0] if len(header) > 1 else None
        if not isinstance(name, (bytes, str)) or not name or name.lower() != name:
            return H2Error("header name %r must be a non-empty lowercase string" % (name,))
        size += len(name) + len(header[1]) + 32
    # Advisory (section 6.5.2), but a peer that announced it will refuse the request.
    return H2Error("header list of %d bytes exceeds the peer's limit %d" % (size, limit))


def event_repr(event):
    """repr of an HTTP/2 event: its class and public attributes."""
    # DATA payloads may be bytes or bytearray (see FrameBuffer); both read as bytes.
    fields = ", ".join(
        "%s=%r" % (k, bytes(v) if isinstance(v, bytearray) else v)
        for k, v in sorted(event.__dict__.items())
    )
    return "%s(%s)" % (type(event).__name__, fields)
