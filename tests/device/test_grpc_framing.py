"""gRPC sans-IO layer: message framing, timeouts, metadata, status and HTTP mapping."""

from devtest import raises

from jotunheim.wire.calls import Call
from jotunheim.wire.grpc import (
    GrpcError,
    Status,
    check_response_headers,
    decode_metadata,
    encode_timeout,
    message_prefix,
    request_headers,
    status_from_trailers,
    status_name,
)
from jotunheim.wire.grpc_failures import http_status_to_grpc, reset_to_grpc
from jotunheim.wire.grpc_metadata import encode_metadata, percent_decode


def _framed(payload):
    """A whole length-prefixed gRPC message."""
    return message_prefix(len(payload)) + payload


def test_message_prefix_has_flag_and_big_endian_length():
    assert _framed(b"abc") == b"\x00\x00\x00\x00\x03abc"
    assert _framed(b"") == b"\x00\x00\x00\x00\x00"


class _Changed:
    def set(self):
        pass


class _Channel:
    """What a Call uses of its channel while its stream receives: acks and resets."""

    _goaway = False

    def __init__(self, max_size=4 * 1024 * 1024):
        self.max_receive_message_size = max_size
        self._calls = {}
        self._changed = _Changed()
        self.acked = 0

    def ack(self, n, sid):
        self.acked += n

    def reset(self, sid):
        pass


def _receiving(max_size=4 * 1024 * 1024):
    """A started call whose response HEADERS arrived: DATA goes to its message reassembly."""
    call = Call(_Channel(max_size), "/s/m", None, None)
    call.sid = 1
    call.on_headers([(b":status", b"200"), (b"content-type", b"application/grpc")], False)
    return call


def _feed(call, data):
    """Feeds one DATA chunk; returns the messages it completed (and takes them)."""
    call.on_data(data, len(data))
    got = [bytes(m) for m in call._messages]
    call._messages = []
    return got


def test_call_reassembles_messages_fed_whole_and_byte_by_byte():
    msgs = [b"", b"x", bytes(range(200)) * 3]
    stream = b"".join(_framed(m) for m in msgs)
    assert _feed(_receiving(), stream) == msgs
    call = _receiving()
    got = []
    for i in range(len(stream)):
        got.extend(_feed(call, stream[i : i + 1]))
        if i < len(stream) - 1:
            assert len(got) < 3
    assert got == msgs
    assert call._ch.acked == len(stream)
    call.on_trailers([(b"grpc-status", b"0")])
    assert call.status.status == Status.OK


def test_stream_ending_inside_a_message_fails_the_call():
    call = _receiving()
    assert _feed(call, _framed(b"hello")[:7]) == []
    call.on_trailers([(b"grpc-status", b"0")])
    assert call.status.status == Status.INTERNAL
    assert "inside a message" in call.status.message


def test_oversized_length_fails_the_call_before_allocating():
    call = _receiving(max_size=10)
    assert _feed(call, b"\x00\x7f\xff\xff\xff") == []
    assert call.status.status == Status.RESOURCE_EXHAUSTED


def test_compressed_and_unknown_flags_fail_the_call():
    call = _receiving()
    _feed(call, b"\x01\x00\x00\x00\x00")
    assert call.status.status == Status.INTERNAL
    call = _receiving()
    _feed(call, b"\x07\x00\x00\x00\x00")
    assert call.status.status == Status.INTERNAL


def test_timeout_uses_at_most_eight_digits_and_rounds_up():
    assert encode_timeout(0.001) == b"1000u"
    assert encode_timeout(1.5) == b"1500000u"
    assert encode_timeout(0) == b"1u"
    assert encode_timeout(1000) == b"1000000m"
    assert encode_timeout(200000) == b"200000S"
    assert encode_timeout(10**9) == b"16666667M"
    for t in (0.000001, 0.5, 99.999, 12345.6, 10**7, 10**12):
        v = encode_timeout(t)
        assert len(v) <= 9 and v[:-1].isdigit()


def test_metadata_binary_values_are_unpadded_base64():
    assert encode_metadata([("Key-Bin", b"\xab\xab\xab\xab")]) == [(b"key-bin", b"q6urqw")]
    assert encode_metadata([("k", "v 1")]) == [(b"k", b"v 1")]


def test_metadata_rejects_reserved_and_malformed_keys():
    for key in ("grpc-timeout", "content-type", "te", ":path", "user-agent", "bad key", "ü"):
        with raises(GrpcError):
            encode_metadata([(key, "v")])
    with raises(GrpcError):
        encode_metadata([("k", "line\nbreak")])
    with raises(GrpcError):
        encode_metadata([("k", b"bytes-for-ascii-key")])


def test_decode_metadata_skips_grpc_headers_and_decodes_bin():
    headers = [
        (b":status", b"200"),
        (b"content-type", b"application/grpc"),
        (b"grpc-status", b"0"),
        (b"grpc-accept-encoding", b"identity, deflate, gzip"),  # reserved by the gRPC spec
        (b"grpc-encoding", b"identity"),
        (b"x-a", b"1"),
        (b"x-b-bin", b"q6ur"),
        (b"x-c-bin", b"q6urqw=="),
    ]
    assert decode_metadata(headers) == [
        ("x-a", "1"),
        ("x-b-bin", b"\xab\xab\xab"),
        ("x-c-bin", b"\xab\xab\xab\xab"),
    ]


def test_request_headers_put_pseudo_headers_first():
    hs = request_headers("/s/M", b"h:1", timeout=2, metadata=[("a", "b")], ua=b"ua")
    names = [h[0] for h in hs]
    assert names[:4] == [b":method", b":scheme", b":path", b":authority"]
    assert (b"te", b"trailers") in hs and (b"content-type", b"application/grpc") in hs
    assert (b"grpc-timeout", b"2000000u") in hs and (b"a", b"b") in hs


def test_percent_decode_utf8_and_passes_malformed_escapes():
    assert percent_decode(b"a%20b%E2%98%BA") == "a b\u263a"
    assert percent_decode(b"100%") == "100%"
    assert percent_decode(b"%zz%4") == "%zz%4"
    assert percent_decode(b"%FF") == "?"


def test_http_status_maps_per_grpc_spec():
    table = {400: 13, 401: 16, 403: 7, 404: 12, 429: 14, 502: 14, 503: 14, 504: 14}
    for http, code in table.items():
        assert http_status_to_grpc(http) == code
    assert http_status_to_grpc(500) == Status.UNKNOWN
    assert http_status_to_grpc(302) == Status.UNKNOWN


def test_reset_codes_map_to_status():
    assert reset_to_grpc(8) == Status.CANCELLED
    assert reset_to_grpc(7) == Status.UNAVAILABLE
    assert reset_to_grpc(2) == Status.INTERNAL
    assert reset_to_grpc(11) == Status.RESOURCE_EXHAUSTED


def test_response_headers_checked():
    ok = [(b":status", b"200"), (b"content-type", b"application/grpc+proto")]
    assert check_response_headers(ok) is None
    err = check_response_headers([(b":status", b"503")])
    assert err.status == Status.UNAVAILABLE
    err = check_response_headers([(b":status", b"200"), (b"content-type", b"text/html")])
    assert err.status == Status.UNKNOWN
    assert check_response_headers([(b":status", b"x")]).status == Status.INTERNAL


def test_status_from_trailers_decodes_message_and_details():
    code, msg, det = status_from_trailers(
        [
            (b"grpc-status", b"5"),
            (b"grpc-message", b"no%20such"),
            (b"grpc-status-details-bin", b"AAE"),
        ]
    )
    assert (code, msg, det) == (5, "no such", b"\x00\x01")
    assert status_from_trailers([])[0] == Status.UNKNOWN
    assert status_from_trailers([(b"grpc-status", b"x")])[0] == Status.UNKNOWN


def test_grpc_error_carries_status_message_details():
    e = GrpcError(Status.NOT_FOUND, "gone", b"\x01")
    assert (e.status, e.message, e.details) == (5, "gone", b"\x01")
    assert "NOT_FOUND" in str(e)
    assert status_name(99) == "STATUS_99"
    assert status_name(-1) == "STATUS_-1"


def test_status_names_match_the_status_class():
    # status_name reads a names string, not the Status class (kept off the device's heap):
    # the two must agree code for code.
    names = [n for n in dir(Status) if n[0] != "_"]
    assert len(names) == 17
    for name in names:
        assert status_name(getattr(Status, name)) == name


def test_gather_keeps_large_bytes_by_reference_and_frames_exactly():
    from jotunheim._gen.device import grpc_testing_messages as msg_d
    from jotunheim.wire import protobuf as pb
    from jotunheim.wire.grpc_gather import Gather

    for size in (0, 10, 511, 512, 5000, 20000):
        body = bytes(size)
        msg = {"response_size": 3, "payload": {"body": body}, "fill_username": True}
        out = Gather(5)
        pb.encode_into(msg_d.SimpleRequest, msg, out)
        out[0:5] = message_prefix(len(out) - 5)
        assert b"".join(out.parts) == _framed(pb.encode(msg_d.SimpleRequest, msg))
        assert len(out) == len(b"".join(out.parts))
        kept = [p for p in out.parts if p is body]
        assert len(kept) == (1 if size >= 512 else 0)


def test_call_encodes_into_one_buffer_unless_a_large_bytes_value_is_held():
    from jotunheim._gen.device import grpc_testing_messages as msg_d
    from jotunheim.wire import protobuf as pb

    call = Call(_Channel(), "/s/m", msg_d.SimpleRequest, None)
    for size in (0, 511, 512, 5000):
        body = bytes(size)
        msg = {"response_size": 3, "payload": {"body": body}, "fill_username": True}
        framed = _framed(pb.encode(msg_d.SimpleRequest, msg))
        out = call.encode(msg)
        assert b"".join(out) == framed
        if size < 512:  # the device's case: one buffer, the Gather code never loaded
            assert type(out) is tuple and len(out) == 1
        else:
            assert type(out) is list and [p for p in out if p is body] == [body]
