"""Property tests of the gRPC sans-IO layer: message reassembly under any chunking, and
malformed peer input (frames, headers, metadata) ending only in GrpcError."""

from hypothesis import given, settings
from hypothesis import strategies as st

from jotunheim.wire.calls import Call
from jotunheim.wire.grpc import (
    GrpcError,
    check_response_headers,
    decode_metadata,
    message_prefix,
    status_from_trailers,
)
from jotunheim.wire.grpc_metadata import percent_decode


def _framed(payload):
    """A whole length-prefixed gRPC message."""
    return message_prefix(len(payload)) + payload


def _receiving(max_size=4 * 1024 * 1024):
    """A call whose response HEADERS arrived: DATA goes to its message reassembly."""
    ch = _FakeChannel()
    ch.max_receive_message_size = max_size
    call = Call(ch, "/s/m", None, None)
    call.sid = 1
    ch._calls[1] = call
    call.on_headers([(b":status", b"200"), (b"content-type", b"application/grpc")], False)
    return call


@given(
    st.lists(st.binary(max_size=300), max_size=8),
    st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=20),
)
def test_call_reassembles_under_any_chunking(messages, cuts):
    stream = b"".join(_framed(m) for m in messages)
    call = _receiving()
    got = []
    pos = 0
    i = 0
    while pos < len(stream):
        n = cuts[i % len(cuts)]
        chunk = stream[pos : pos + n]
        call.on_data(chunk, len(chunk))
        got.extend(bytes(m) for m in call._messages)
        call._messages = []
        pos += n
        i += 1
    assert got == messages
    assert call.status is None and not call._head and call._buf is None  # nothing pending


@settings(max_examples=300)
@given(st.binary(max_size=64), st.integers(min_value=0, max_value=100))
def test_garbage_data_only_ends_the_call_with_a_grpc_error(data, limit):
    call = _receiving(limit)
    call.on_data(data, len(data))  # never raises: a bad frame ends the call
    assert call.status is None or isinstance(call.status, GrpcError)
    for m in call._messages:
        assert len(m) <= limit
    assert call._ch.acked + call._unacked == len(data)


_names = st.sampled_from(
    [
        b":status",
        b"content-type",
        b"grpc-status",
        b"grpc-message",
        b"grpc-status-details-bin",
        b"x-a",
        b"x-b-bin",
        b"te",
    ]
)
_headers = st.lists(st.tuples(_names, st.binary(max_size=20)), max_size=8)


@settings(max_examples=300)
@given(_headers)
def test_response_header_parsing_only_raises_grpc_error(headers):
    for fn in (check_response_headers, decode_metadata, status_from_trailers):
        try:
            fn(headers)
        except GrpcError:
            pass


@given(st.binary(max_size=60))
def test_percent_decode_never_fails(raw):
    assert isinstance(percent_decode(raw), str)


class _Flag:
    def __init__(self):
        self.times = 0

    def set(self):
        self.times += 1


class _FakeChannel:
    """What a Call uses of its channel: acks, resets, and the table of running calls it
    leaves when done (waking the channel's waiters through _changed)."""

    max_receive_message_size = 1000
    _goaway = False

    def __init__(self):
        self.acked = 0
        self._calls = {}
        self._changed = _Flag()

    def ack(self, n, sid):
        self.acked += n

    def reset(self, sid):
        pass


@settings(max_examples=200)
@given(_headers, st.binary(max_size=40), _headers)
def test_call_state_ends_with_a_status_on_any_response(head, body, trailers):
    ch = _FakeChannel()
    call = Call(ch, "/s/m", None, None)
    call.sid = 1
    ch._calls[1] = call
    call.on_headers(head, False)
    call.on_data(body, len(body))
    call.on_trailers(trailers)
    call.on_end()
    assert call.status is not None and isinstance(call.status.status, int)
    assert ch._calls == {} and ch._changed.times == 1  # done: left the channel once
    assert ch.acked == len(body) or call._unacked + ch.acked == len(body)


def test_response_that_does_not_decode_ends_the_call_with_internal():
    import asyncio

    from jotunheim._gen.device import hub as hub_d
    from jotunheim.wire.grpc import Status

    class Channel(_FakeChannel):
        resets = []

        def reset(self, sid):
            self.resets.append(sid)

        async def flush(self):
            pass

    ch = Channel()
    call = Call(ch, "/s/m", None, hub_d.Welcome)
    call._started = True
    call.sid = 7
    ch._calls[7] = call
    call.on_headers([(b":status", b"200"), (b"content-type", b"application/grpc")], False)
    body = _framed(b"\x0a\x05ab")  # session_id: 5 bytes announced, 2 present
    call.on_data(body, len(body))
    try:
        asyncio.run(call.recv())
        raise AssertionError("recv() decoded a truncated message")
    except GrpcError as exc:
        err = exc
    assert err.status == Status.INTERNAL and "cannot decode response" in err.message
    assert "Welcome.session_id" in err.message
    assert call.status is err and ch.resets == [7] and ch._calls == {}
