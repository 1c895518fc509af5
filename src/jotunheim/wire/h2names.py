"""HTTP/2 numbers by name (RFC 9113): frame types, flags, error codes, settings, limits, the
stream table's codes, and frame helpers for tests. Loaded by tests, host code and the error
paths (h2errors, h2rare), or on the first `h2frames.<NAME>` lookup (h2frames.__getattr__).

Why not in h2frames: a public module-level name costs the device a qstr and a globals slot.
The modules the device flow loads (h2frames, h2recv, h2conn, h2control) use the few numbers
they need as private `_NAME = const(...)`s, which mpy-cross folds into the bytecode (no qstr,
no global). tests/unit/h2/test_h2_names.py checks those copies against the names here.
"""

import struct

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

# Frame types (section 6).
DATA = 0x0
HEADERS = 0x1
PRIORITY = 0x2
RST_STREAM = 0x3
SETTINGS = 0x4
PUSH_PROMISE = 0x5
PING = 0x6
GOAWAY = 0x7
WINDOW_UPDATE = 0x8
CONTINUATION = 0x9

# Flags (section 6).
FLAG_END_STREAM = 0x1
FLAG_ACK = 0x1
FLAG_END_HEADERS = 0x4
FLAG_PADDED = 0x8
FLAG_PRIORITY = 0x20

# Error codes (section 7).
NO_ERROR = 0x0
PROTOCOL_ERROR = 0x1
INTERNAL_ERROR = 0x2
FLOW_CONTROL_ERROR = 0x3
SETTINGS_TIMEOUT = 0x4
STREAM_CLOSED = 0x5
FRAME_SIZE_ERROR = 0x6
REFUSED_STREAM = 0x7
CANCEL = 0x8
COMPRESSION_ERROR = 0x9
CONNECT_ERROR = 0xA
ENHANCE_YOUR_CALM = 0xB
INADEQUATE_SECURITY = 0xC
HTTP_1_1_REQUIRED = 0xD

# Setting identifiers (section 6.5.2).
SETTINGS_HEADER_TABLE_SIZE = 0x1
SETTINGS_ENABLE_PUSH = 0x2
SETTINGS_MAX_CONCURRENT_STREAMS = 0x3
SETTINGS_INITIAL_WINDOW_SIZE = 0x4
SETTINGS_MAX_FRAME_SIZE = 0x5
SETTINGS_MAX_HEADER_LIST_SIZE = 0x6

DEFAULT_MAX_FRAME_SIZE = 16384  # also the smallest value a peer may advertise
MAX_FRAME_SIZE_LIMIT = 16777215  # 2**24 - 1, the largest value allowed
DEFAULT_WINDOW_SIZE = 65535
DEFAULT_HEADER_TABLE_SIZE = 4096  # RFC 7541 section 4.2; SETTINGS_HEADER_TABLE_SIZE default
DEFAULT_MAX_HEADER_LIST_SIZE = 8192  # our SETTINGS_MAX_HEADER_LIST_SIZE unless told (gRPC's too)
MAX_WINDOW_SIZE = 2147483647  # 2**31 - 1 (section 6.9.1)

# The stream state table of h2recv (section 5.1). States: client streams never enter the
# reserved states (we advertise ENABLE_PUSH = 0).
IDLE = 0
OPEN = 1
HALF_CLOSED_LOCAL = 2
HALF_CLOSED_REMOTE = 3
CLOSED = 4
# Why a stream closed; decides how late frames on it are treated (section 5.1).
ENDED = 0  # END_STREAM both ways: later DATA/HEADERS are a connection error STREAM_CLOSED
RESET_SENT = 1  # we reset it: frames the peer had in flight are ignored
RESET_RECV = 2  # the peer reset it: later DATA/HEADERS are a stream error STREAM_CLOSED
# Inputs, the table's columns: what we send, then what we receive.
SEND_HEADERS = 0
SEND_DATA = 1
SEND_END_STREAM = 2
SEND_RST = 3
RECV_HEADERS = 4
RECV_DATA = 5
RECV_END_STREAM = 6
RECV_RST = 7

# Event kinds: the first item of each event tuple receive_data() returns (h2frames lists
# what follows it). A call's events come first, so `kind <= STREAM_ENDED` picks them.
DATA_RECEIVED = 0
HEADERS_RECEIVED = 1
TRAILERS_RECEIVED = 2
STREAM_ENDED = 3
WINDOW_UPDATED = 4
REMOTE_SETTINGS_CHANGED = 5
SETTINGS_ACKNOWLEDGED = 6
PING_RECEIVED = 7
PING_ACK_RECEIVED = 8
CONNECTION_TERMINATED = 9
STREAM_RESET = 10

# Each kind's name (the class each was before) and the names of its items after the kind.
EVENT_FIELDS = (
    ("DataReceived", ("stream_id", "data", "flow_controlled_length", "end_stream")),
    ("HeadersReceived", ("stream_id", "headers", "end_stream")),
    ("TrailersReceived", ("stream_id", "headers")),
    ("StreamEnded", ("stream_id",)),
    ("WindowUpdated", ("stream_id", "delta")),
    ("RemoteSettingsChanged", ("changed",)),
    ("SettingsAcknowledged", ()),
    ("PingReceived", ("data",)),
    ("PingAckReceived", ("data",)),
    ("ConnectionTerminated", ("error_code", "last_stream_id", "additional_data")),
    ("StreamReset", ("stream_id", "error_code", "remote_reset")),
)

# Connection-specific header fields are malformed in HTTP/2 (section 8.2.2).
CONNECTION_HEADERS = (
    b"connection",
    b"keep-alive",
    b"proxy-connection",
    b"transfer-encoding",
    b"upgrade",
)

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

# Names for messages (h2errors).
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


def event_name(event):
    """The name of an event tuple's kind ("HeadersReceived" ...), for logs and tests."""
    return EVENT_FIELDS[event[0]][0]


def event_field(event, name):
    """An event tuple's item by the name it had as an attribute (tests, logs)."""
    return event[1 + EVENT_FIELDS[event[0]][1].index(name)]


def frame_header(length, ftype, flags, stream_id):
    """The 9-byte frame header (H2Connection._frame packs the same)."""
    return struct.pack(">HBBBI", length >> 8, length & 0xFF, ftype, flags, stream_id)


def settings_payload(settings):
    """SETTINGS payload for a {id: value} dict, ids in ascending order (as H2Connection sends)."""
    return b"".join(struct.pack(">HI", key, settings[key]) for key in sorted(settings))


def serialize_frame(ftype, flags, stream_id, payload=b""):
    """A complete frame as bytes."""
    return frame_header(len(payload), ftype, flags, stream_id) + payload


def parse_settings(payload):
    """List of (id, value) pairs of a SETTINGS payload (length already checked)."""
    return [struct.unpack_from(">HI", payload, pos) for pos in range(0, len(payload), 6)]
