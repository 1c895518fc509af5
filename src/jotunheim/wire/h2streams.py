"""HTTP/2 client stream state (RFC 9113 section 5.1) as a transition table, plus header checks."""

from jotunheim.compat import const

# States, the rows of _TRANSITIONS: 0 idle, 1 open, 2 half-closed (local), 3 half-closed
# (remote), 4 closed. Client streams never enter the reserved states: we advertise
# ENABLE_PUSH = 0. Only the states code tests by name have one (each name costs heap).
IDLE = 0
HALF_CLOSED_REMOTE = 3
CLOSED = 4
# Why a stream closed; decides how late frames on it are treated (section 5.1).
ENDED = 0  # END_STREAM both ways: later DATA/HEADERS are a connection error STREAM_CLOSED
RESET_SENT = 1  # we reset it: frames the peer had in flight are ignored
RESET_RECV = 2  # the peer reset it: later DATA/HEADERS are a stream error STREAM_CLOSED

# Inputs, the columns of _TRANSITIONS: what we send (0 HEADERS, 1 DATA, 2 END_STREAM,
# 3 RST_STREAM; h2conn and h2flow pass 1-3 as numbers), then what we receive.
SEND_HEADERS = 0
RECV_HEADERS = 4
RECV_DATA = 5
RECV_END_STREAM = 6
RECV_RST = 7

# (state, input) -> next state: one row of 8 per state, one column per input; "-" is a
# violation (h2errors.transition_error names it). One string constant rather than a dict
# of tuples: this table is code every device loads into its heap.
#   inputs:     send: HDR DATA END RST  receive: HDR DATA END RST
_TRANSITIONS = (
    const(
        "1-------"  # idle
        "11241134"  # open
        "---42244"  # half-closed (local)
        "3344---4"  # half-closed (remote)
        "--------"
    )  # closed
)


class H2Stream:
    """One stream's state and flow-control windows (ours to send, theirs to send to us)."""

    def __init__(self, stream_id, outbound_window, inbound_window):
        self.stream_id = stream_id
        self.state = IDLE
        self.outbound_window = outbound_window  # bytes we may still send
        self.inbound_window = inbound_window  # bytes the peer may still send
        self.inbound_unacked = 0  # consumed by the app, not yet returned by WINDOW_UPDATE
        self.headers_received = False

    def transition(self, event, apply=True):
        """Apply a local or received input (only check it if not apply); raises for what the
        table does not know: StreamClosedError for ours, H2ProtocolError for the peer's."""
        nxt = _TRANSITIONS[self.state * 8 + event]
        if nxt == "-":
            from jotunheim.wire.h2errors import transition_error

            raise transition_error(self, event)
        if apply:
            self.state = int(nxt)
        return self.state


# Connection-specific header fields are malformed in HTTP/2 (RFC 9113 section 8.2.2).
CONNECTION_HEADERS = (
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
    regular_seen = False  # pseudo-headers must come before every regular field
    for name, value in headers:
        if name[:1] == b":":
            if name != b":status" or status is not None or trailers or regular_seen:
                break
            status = value
        elif not name or name.lower() != name or name in CONNECTION_HEADERS:
            break
        else:
            regular_seen = True
    else:
        if trailers or (status is not None and len(status) == 3 and status.isdigit()):
            return status
    from jotunheim.wire.h2errors import header_error

    raise header_error(stream_id, headers, trailers)
