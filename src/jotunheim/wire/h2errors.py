"""HTTP/2 error vocabulary, imported on the first error: H2StreamError, the two local misuse
errors, and builders that say which RFC 9113 rule broke (each returns the exception for its
caller to raise), reached by number through error() from the modules the device flow loads.

Why a module of its own: on the MicroPython unix port a loaded module's code, names and
strings live in the heap (DESIGN section 4). The connection's hot path only tests whether its
rules hold, in as few conditions as it can; when one breaks, a function here works out which
rule it was and builds the error with its code and message. A device whose peer keeps the
rules never loads this module.
"""

from jotunheim.wire import h2names as f
from jotunheim.wire.h2frames import H2Error, H2ProtocolError
from jotunheim.wire.h2names import (
    CLOSED,
    CONNECTION_HEADERS,
    FLOW_CONTROL_ERROR,
    FRAME_NAMES,
    HALF_CLOSED_REMOTE,
    INPUT_NAMES,
    PRIORITY,
    RECV_HEADERS,
    RESET_RECV,
    STATE_NAMES,
    STREAM_CLOSED,
)

# Errors by number: the modules the device flow loads raise `error(E_..., *args)` with private
# const() copies of these numbers (tests/unit/h2/test_h2_names.py checks them), so no
# builder's name becomes a qstr on the device. Each number is the builder of the same name.
E_FRAME = 0
E_SEQUENCE = 1
E_RESPONSE_ORDER = 2
E_UNKNOWN_STREAM = 3
E_TRANSITION = 4
E_HEADER = 5
E_WINDOW = 6
E_DATA_WINDOW = 7
E_REMOTE_SETTING = 8
E_SETTINGS_ACK = 9
E_FRAME_SIZE = 10
E_LOCAL_SETTINGS = 11
E_STREAM_ID = 12
E_NEW_STREAM = 13
E_HEADER_LIST = 14
E_DEAD_CONNECTION = 15
E_IDS_EXHAUSTED = 16
E_PING_DATA = 17
E_NEGATIVE_ACK = 18
E_SEND_WINDOW = 19
E_ARGUMENT = 20


def error(number, *args):
    """The exception error `number` (E_...) describes, built by its builder from `args`."""
    return _BUILDERS[number](*args)


def __getattr__(name):
    """h2names' numbers and helpers, served from here too: h2frames.__getattr__ (the public
    names of h2frames and h2conn) asks this module only, so the flow never names h2names."""
    return getattr(f, name)


class H2StreamError(H2ProtocolError):
    """The peer broke one stream's rules: that stream is reset, the connection lives on."""

    def __init__(self, stream_id, code, message):
        super().__init__(code, message)
        self.stream_id = stream_id


class FlowControlError(H2Error):
    """send_data was given more bytes than the flow-control window allows."""


class StreamClosedError(H2Error):
    """The stream cannot take this action in its current state (e.g. send after end)."""


# -- what the peer broke ---------------------------------------------------------------


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


def sequence_error(conn):
    """A frame out of the connection's order: the server's preface is not SETTINGS (RFC 9113
    section 3.4), or a frame interleaves a header block (section 4.3)."""
    if not conn._preface_received:
        return H2ProtocolError(f.PROTOCOL_ERROR, "server preface is not SETTINGS")
    return H2ProtocolError(f.PROTOCOL_ERROR, "frame interleaved in a header block")


def response_order_error(stream, ftype):
    """A response part out of order (section 8.1): DATA before the response HEADERS, an
    informational (1xx) response that ends the stream, or trailers without END_STREAM."""
    if ftype == f.DATA:
        message = "DATA before response HEADERS"
    elif stream.headers_received:
        message = "trailers without END_STREAM"
    else:
        message = "informational response ends stream"
    return H2StreamError(stream.stream_id, f.PROTOCOL_ERROR, message)


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


def frame_size_error(length, limit):
    """A frame longer than our SETTINGS_MAX_FRAME_SIZE, seen from its header (section 4.2)."""
    return H2ProtocolError(
        f.FRAME_SIZE_ERROR, "frame of %d bytes exceeds SETTINGS_MAX_FRAME_SIZE %d" % (length, limit)
    )


def settings_ack_error():
    """A SETTINGS ACK when none of ours is waiting for one (section 6.5.3)."""
    return H2ProtocolError(f.PROTOCOL_ERROR, "SETTINGS ACK without pending SETTINGS")


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


# -- local misuse ---------------------------------------------------------------------


def local_settings_error(settings):
    """The H2Error for SETTINGS we were asked to send that the RFC forbids (or that are not
    16-bit ids with 32-bit unsigned integer values)."""
    if not isinstance(settings, dict):
        return H2Error("settings: expected a dict of id -> value, got %s" % type(settings).__name__)
    for key, value in settings.items():
        if type(key) is not int or not 0 <= key <= 0xFFFF:
            return H2Error("setting id %r: expected an integer 0..65535" % (key,))
        if not isinstance(value, (int, bool)) or not 0 <= value <= 0xFFFFFFFF:
            return H2Error("setting %d value %r out of range" % (key, value))
    return H2Error("invalid SETTINGS_INITIAL_WINDOW_SIZE or SETTINGS_MAX_FRAME_SIZE")


def dead_connection_error(dead):
    """Any API call after a connection error (`dead`, the H2ProtocolError that ended it)."""
    return H2Error("connection closed after %s" % dead)


def ids_exhausted_error():
    """No client stream id is left below 2**31 (section 5.1.1)."""
    return H2Error("stream ids exhausted; open a new connection")


def ping_data_error(data):
    """PING carries exactly 8 bytes of opaque data (section 6.7)."""
    return H2Error("PING data must be 8 bytes, got %d" % len(data))


def negative_ack_error():
    return H2Error("cannot acknowledge a negative amount")


def send_window_error(size, window, stream_id):
    """send_data given more than local_flow_control_window(stream_id) allows."""
    return FlowControlError(
        "%d bytes exceed the flow-control window %d of stream %d" % (size, window, stream_id)
    )


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


def argument_error(what, value, limit):
    """An API argument that must be an integer 0..limit (an error code, a stream id)."""
    return H2Error("%s: expected an integer 0..%d, got %r" % (what, limit, value))


# In E_... order.
_BUILDERS = (
    frame_error,
    sequence_error,
    response_order_error,
    unknown_stream_error,
    transition_error,
    header_error,
    window_error,
    data_window_error,
    remote_setting_error,
    settings_ack_error,
    frame_size_error,
    local_settings_error,
    stream_id_error,
    new_stream_error,
    header_list_error,
    dead_connection_error,
    ids_exhausted_error,
    ping_data_error,
    negative_ack_error,
    send_window_error,
    argument_error,
)
