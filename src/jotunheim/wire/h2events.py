"""The HTTP/2 events a connection meets late or never (GOAWAY, a reset stream, the answer to
our own PING), served as h2frames' own names (`ev.StreamReset`) and loaded when one happens:
a device connection's normal life never builds these classes. On MicroPython a channel
drops the module again once it has dispatched the chunk that needed it (channel_io): no event
outlives that, so `type(event) is ev.StreamReset` always meets the class its event was made
from."""


class ConnectionTerminated:
    """GOAWAY received: no new streams; streams above last_stream_id were refused."""

    def __init__(self, error_code, last_stream_id, additional_data):
        self.error_code = error_code
        self.last_stream_id = last_stream_id
        self.additional_data = additional_data


class StreamReset:
    """The stream ended abnormally: RST_STREAM received (remote_reset=True), or we reset it
    after the peer broke the stream's rules or a GOAWAY refused it (remote_reset=False)."""

    def __init__(self, stream_id, error_code, remote_reset=True):
        self.stream_id = stream_id
        self.error_code = error_code
        self.remote_reset = remote_reset


class PingAckReceived:
    """The peer answered one of our pings (liveness)."""

    def __init__(self, data):
        self.data = data
