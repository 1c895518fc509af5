"""HTTP/2 client stream state (RFC 9113 section 5.1) as a transition table, plus header checks."""

from jotunheim.wire.h2frames import (
    PROTOCOL_ERROR,
    STREAM_CLOSED,
    H2ProtocolError,
    H2StreamError,
    StreamClosedError,
)

# States. Client streams never enter the reserved states: we advertise ENABLE_PUSH = 0.
IDLE = 0
OPEN = 1
HALF_CLOSED_LOCAL = 2
HALF_CLOSED_REMOTE = 3
CLOSED = 4
# Why a stream closed; decides how late frames on it are treated (section 5.1).
ENDED = 0  # END_STREAM both ways: later DATA/HEADERS are a connection error STREAM_CLOSED
RESET_SENT = 1  # we reset it: frames the peer had in flight are ignored
RESET_RECV = 2  # the peer reset it: later DATA/HEADERS are a stream error STREAM_CLOSED
STATE_NAMES = ("idle", "open", "half-closed(local)", "half-closed(remote)", "closed")

# Inputs: what we send, then what we receive.
SEND_HEADERS = 0
SEND_DATA = 1
SEND_END_STREAM = 2
SEND_RST = 3
RECV_HEADERS = 4
RECV_DATA = 5
RECV_END_STREAM = 6
RECV_RST = 7
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

# (state, input) -> next state. Anything absent is a violation (see transition()).
_TRANSITIONS = {
    (IDLE, SEND_HEADERS): OPEN,
    (OPEN, SEND_HEADERS): OPEN,
    (OPEN, SEND_DATA): OPEN,
    (OPEN, SEND_END_STREAM): HALF_CLOSED_LOCAL,
    (OPEN, SEND_RST): CLOSED,
    (OPEN, RECV_HEADERS): OPEN,
    (OPEN, RECV_DATA): OPEN,
    (OPEN, RECV_END_STREAM): HALF_CLOSED_REMOTE,
    (OPEN, RECV_RST): CLOSED,
    (HALF_CLOSED_LOCAL, SEND_RST): CLOSED,
    (HALF_CLOSED_LOCAL, RECV_HEADERS): HALF_CLOSED_LOCAL,
    (HALF_CLOSED_LOCAL, RECV_DATA): HALF_CLOSED_LOCAL,
    (HALF_CLOSED_LOCAL, RECV_END_STREAM): CLOSED,
    (HALF_CLOSED_LOCAL, RECV_RST): CLOSED,
    (HALF_CLOSED_REMOTE, SEND_HEADERS): HALF_CLOSED_REMOTE,
    (HALF_CLOSED_REMOTE, SEND_DATA): HALF_CLOSED_REMOTE,
    (HALF_CLOSED_REMOTE, SEND_END_STREAM): CLOSED,
    (HALF_CLOSED_REMOTE, SEND_RST): CLOSED,
    (HALF_CLOSED_REMOTE, RECV_RST): CLOSED,
}

# Error code for a received input the table rejects, by state. Section 5.1: frames other
# than WINDOW_UPDATE/PRIORITY/RST_STREAM on a half-closed(remote) stream are a stream error
# STREAM_CLOSED; anything but HEADERS/PRIORITY on an idle stream is a connection error.
_RECV_STREAM_ERRORS = {HALF_CLOSED_REMOTE: STREAM_CLOSED, CLOSED: STREAM_CLOSED}


class H2Stream:
    """One stream's state and flow-control windows (ours to send, theirs to send to us)."""

    def __init__(self, stream_id, outbound_window, inbound_window):
        self.stream_id = stream_id
        self.state = IDLE
        self.outbound_window = outbound_window  # bytes we may still send
        self.inbound_window = inbound_window  # bytes the peer may still send
        self.inbound_unacked = 0  # consumed by the app, not yet returned by WINDOW_UPDATE
        self.headers_received = False

    def check(self, event):
        """Raise as transition() would, without changing state."""
        if (self.state, event) not in _TRANSITIONS:
            self.transition(event)

    def transition(self, event):
        """Apply a local or received input; rejects what the table does not know."""
        nxt = _TRANSITIONS.get((self.state, event))
        if nxt is not None:
            self.state = nxt
            return nxt
        message = "%s on stream %d in state %s" % (
            INPUT_NAMES[event],
            self.stream_id,
            STATE_NAMES[self.state],
        )
        if event < RECV_HEADERS:
            raise StreamClosedError("cannot " + message)
        code = _RECV_STREAM_ERRORS.get(self.state)
        if code is None:
            raise H2ProtocolError(PROTOCOL_ERROR, message)
        raise H2StreamError(self.stream_id, code, message)

    @property
    def open_for_receiving(self):
        return self.state == OPEN or self.state == HALF_CLOSED_LOCAL


# Connection-specific header fields are malformed in HTTP/2 (RFC 9113 section 8.2.2).
_CONNECTION_HEADERS = (
    b"connection",
    b"keep-alive",
    b"proxy-connection",
    b"transfer-encoding",
    b"upgrade",
)


def check_received_headers(stream_id, headers, trailers):
    """Reject a malformed response header/trailer list (RFC 9113 section 8.2, 8.3.2) with a
    stream error PROTOCOL_ERROR; returns the :status value (None for trailers)."""
    status = None
    regular_seen = False
    for name, value in headers:
        if not name:
            raise H2StreamError(stream_id, PROTOCOL_ERROR, "empty header name")
        if name.lower() != name:
            raise H2StreamError(stream_id, PROTOCOL_ERROR, "uppercase header name %r" % name)
        if name[0] == 0x3A:  # ':' pseudo-header
            if trailers:
                raise H2StreamError(stream_id, PROTOCOL_ERROR, "pseudo-header in trailers")
            if regular_seen:
                raise H2StreamError(stream_id, PROTOCOL_ERROR, "pseudo-header after fields")
            if name != b":status" or status is not None:
                raise H2StreamError(
                    stream_id, PROTOCOL_ERROR, "unexpected response pseudo-header %r" % name
                )
            status = value
        else:
            regular_seen = True
            if name in _CONNECTION_HEADERS:
                raise H2StreamError(
                    stream_id, PROTOCOL_ERROR, "connection-specific header %r" % name
                )
    if not trailers:
        if status is None or len(status) != 3 or not status.isdigit():
            raise H2StreamError(stream_id, PROTOCOL_ERROR, "response without a valid :status")
    return status
