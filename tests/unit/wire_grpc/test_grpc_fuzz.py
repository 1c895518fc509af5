"""Property tests of the gRPC sans-IO layer: message reassembly under any chunking, and
malformed peer input (frames, headers, metadata) ending only in GrpcError."""

from hypothesis import given, settings
from hypothesis import strategies as st

from jotunheim.wire.calls import Call
from jotunheim.wire.grpc import GrpcError, MessageReader, frame_message
from jotunheim.wire.grpc_headers import (
    check_response_headers,
    decode_metadata,
    percent_decode,
    status_from_trailers,
)


@given(
    st.lists(st.binary(max_size=300), max_size=8),
    st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=20),
)
def test_reader_reassembles_under_any_chunking(messages, cuts):
    stream = b"".join(frame_message(m) for m in messages)
    reader = MessageReader()
    got = []
    pos = 0
    i = 0
    while pos < len(stream):
        n = cuts[i % len(cuts)]
        got.extend(bytes(m) for m in reader.feed(stream[pos : pos + n]))
        pos += n
        i += 1
    assert got == messages
    assert not reader.pending()


@settings(max_examples=300)
@given(st.binary(max_size=64), st.integers(min_value=0, max_value=100))
def test_reader_garbage_only_raises_grpc_error(data, limit):
    reader = MessageReader(max_size=limit)
    try:
        for m in reader.feed(data):
            assert len(m) <= limit
    except GrpcError:
        pass


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


class _FakeChannel:
    max_receive_message_size = 1000

    def __init__(self):
        self.acked = 0
        self.done = []

    def ack(self, n, sid):
        self.acked += n

    def reset(self, sid):
        pass

    def call_done(self, call):
        self.done.append(call)


@settings(max_examples=200)
@given(_headers, st.binary(max_size=40), _headers)
def test_call_state_ends_with_a_status_on_any_response(head, body, trailers):
    ch = _FakeChannel()
    call = Call(ch, "/s/m", None, None)
    call.sid = 1
    call.on_headers(head, False)
    call.on_data(body, len(body))
    call.on_trailers(trailers)
    call.on_end()
    assert call.status is not None and isinstance(call.status.status, int)
    assert ch.done == [call]
    assert ch.acked == len(body) or call._unacked + ch.acked == len(body)
