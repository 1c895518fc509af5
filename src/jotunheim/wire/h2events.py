"""Events an HTTP/2 client connection reports from received bytes (small past-tense classes)."""


class Event:
    """Base class: repr lists the public attributes so logs and test failures read well."""

    def __repr__(self):
        # Built in h2rare: debug output, not worth heap on every device.
        from jotunheim.wire.h2rare import event_repr

        return event_repr(self)


class RemoteSettingsChanged(Event):
    """The peer's SETTINGS frame was applied (and acked); `changed` is {setting_id: value}.
    A changed SETTINGS_INITIAL_WINDOW_SIZE resizes every open stream's send window, so
    writers blocked on flow control should re-check their windows on this event too."""

    def __init__(self, changed):
        self.changed = changed


class SettingsAcknowledged(Event):
    """The peer acknowledged our SETTINGS; they apply from now on."""


class HeadersReceived(Event):
    """The response headers (first non-informational HEADERS) of a stream."""

    def __init__(self, stream_id, headers, end_stream):
        self.stream_id = stream_id
        self.headers = headers
        self.end_stream = end_stream


class TrailersReceived(Event):
    """A trailing HEADERS block; StreamEnded follows (trailers always end the stream)."""

    def __init__(self, stream_id, headers):
        self.stream_id = stream_id
        self.headers = headers


class DataReceived(Event):
    """Body bytes; pass `flow_controlled_length` to acknowledge_received_data once consumed."""

    def __init__(self, stream_id, data, flow_controlled_length, end_stream):
        self.stream_id = stream_id
        self.data = data
        self.flow_controlled_length = flow_controlled_length
        self.end_stream = end_stream


class StreamEnded(Event):
    """The peer closed its side of the stream (END_STREAM)."""

    def __init__(self, stream_id):
        self.stream_id = stream_id


class StreamReset(Event):
    """The stream ended abnormally: RST_STREAM received (remote_reset=True), or we reset it
    after the peer broke the stream's rules or a GOAWAY refused it (remote_reset=False)."""

    def __init__(self, stream_id, error_code, remote_reset=True):
        self.stream_id = stream_id
        self.error_code = error_code
        self.remote_reset = remote_reset


class WindowUpdated(Event):
    """The peer granted `delta` more bytes of send window; stream_id 0 is the connection."""

    def __init__(self, stream_id, delta):
        self.stream_id = stream_id
        self.delta = delta


class PingReceived(Event):
    """The peer pinged us; the ACK is already queued."""

    def __init__(self, data):
        self.data = data


class PingAckReceived(Event):
    """The peer answered one of our pings (liveness)."""

    def __init__(self, data):
        self.data = data


class ConnectionTerminated(Event):
    """GOAWAY received: no new streams; streams above last_stream_id were refused."""

    def __init__(self, error_code, last_stream_id, additional_data):
        self.error_code = error_code
        self.last_stream_id = last_stream_id
        self.additional_data = additional_data
