"""Differential HPACK tests against the `hpack` library: our encoder into their decoder and
theirs into ours, over several header blocks that share dynamic-table state, with table size
changes between blocks (hypothesis-generated)."""

import hpack
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jotunheim.wire.hpack import HpackDecoder, HpackEncoder

# Names drawn partly from the static table and gRPC so indexing paths get exercised.
COMMON_NAMES = [
    b":method",
    b":path",
    b":status",
    b"content-type",
    b"te",
    b"grpc-status",
    b"grpc-message",
    b"authorization",
    b"user-agent",
    b"x-custom",
]
COMMON_VALUES = [b"", b"POST", b"200", b"application/grpc", b"trailers", b"0", b"gzip, deflate"]

names = st.one_of(st.sampled_from(COMMON_NAMES), st.binary(min_size=1, max_size=40))
values = st.one_of(st.sampled_from(COMMON_VALUES), st.binary(max_size=120))
header_lists = st.lists(st.tuples(names, values), max_size=12)
table_sizes = st.one_of(st.none(), st.sampled_from([0, 1, 64, 256, 4096]), st.integers(0, 8192))
blocks = st.lists(st.tuples(table_sizes, header_lists), min_size=1, max_size=6)

BIG = 1 << 20
HYPO = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@HYPO
@given(blocks, st.booleans())
def test_our_encoder_into_hpack_decoder(sequence, huffman):
    ours = HpackEncoder(max_table_size=BIG, huffman=huffman)
    theirs = hpack.Decoder(max_header_list_size=BIG)
    for size, headers in sequence:
        if size is not None:
            # SETTINGS_HEADER_TABLE_SIZE from the decoder's side, applied by our encoder.
            theirs.max_allowed_table_size = size
            ours.header_table_size = size
        block = ours.encode(headers)
        assert theirs.decode(block, raw=True) == headers
        assert theirs.header_table_size == ours.header_table_size


@HYPO
@given(blocks, st.booleans())
def test_hpack_encoder_into_our_decoder(sequence, huffman):
    theirs = hpack.Encoder()
    ours = HpackDecoder(max_table_size=4096, max_header_list_size=BIG)
    for size, headers in sequence:
        if size is not None:
            ours.max_allowed_table_size = size
            theirs.header_table_size = size
        block = theirs.encode(headers, huffman=huffman)
        assert ours.decode(block) == headers
        assert ours.max_size == theirs.header_table_size


@HYPO
@given(blocks)
def test_our_encoder_into_our_decoder_matches_hpack_table(sequence):
    # Both decoders fed our blocks end with the same dynamic table contents.
    enc = HpackEncoder(max_table_size=BIG)
    ours = HpackDecoder(max_table_size=BIG, max_header_list_size=BIG)
    theirs = hpack.Decoder(max_header_list_size=BIG)
    for size, headers in sequence:
        if size is not None:
            ours.max_allowed_table_size = size
            theirs.max_allowed_table_size = size
            enc.header_table_size = size
        block = enc.encode(headers)
        assert ours.decode(block) == theirs.decode(block, raw=True) == headers
    assert list(reversed(ours.entries)) == list(theirs.header_table.dynamic_entries)


@HYPO
@given(st.binary(max_size=300))
def test_huffman_matches_hpack(data):
    from hpack.huffman import HuffmanEncoder
    from hpack.huffman_constants import REQUEST_CODES, REQUEST_CODES_LENGTH
    from hpack.huffman_table import decode_huffman

    from jotunheim.wire.hpack_table import huffman_decode, huffman_encode

    encoded = huffman_encode(data)
    assert encoded == HuffmanEncoder(REQUEST_CODES, REQUEST_CODES_LENGTH).encode(data)
    assert huffman_decode(encoded, 1000) == decode_huffman(encoded) == data


def test_typical_grpc_blocks_round_trip_both_ways():
    request = [
        (b":method", b"POST"),
        (b":scheme", b"http"),
        (b":path", b"/grpc.testing.TestService/UnaryCall"),
        (b":authority", b"127.0.0.1:50051"),
        (b"content-type", b"application/grpc"),
        (b"te", b"trailers"),
        (b"grpc-timeout", b"4999m"),
        (b"user-agent", b"jotunheim/0.1"),
    ]
    ours = HpackEncoder()
    theirs = hpack.Decoder()
    sizes = []
    for _ in range(3):
        block = ours.encode(request)
        sizes.append(len(block))
        assert theirs.decode(block, raw=True) == request
    assert sizes[1] < sizes[0] // 3  # the dynamic table pays off from the second call


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=24))
def test_huffman_decode_of_arbitrary_bytes_agrees_with_hpack(data):
    from hpack.exceptions import HPACKDecodingError
    from hpack.huffman_table import decode_huffman

    from jotunheim.errors import DecodeError
    from jotunheim.wire.hpack_table import huffman_decode

    try:
        expected = decode_huffman(data)
    except HPACKDecodingError:
        expected = None
    try:
        got = huffman_decode(data, 1000)
    except DecodeError:
        got = None
    assert got == expected


def test_a_capped_encoder_signals_when_the_peer_lowers_its_table_below_the_default():
    # Our encoder keeps 512 bytes of table; the peer (hpack's decoder, 4096 to start) lowers
    # SETTINGS_HEADER_TABLE_SIZE to 1024: it now refuses a block that does not first say a
    # size <= 1024, although our own table never grew past 512.
    enc = HpackEncoder(max_table_size=512)
    dec = hpack.Decoder()
    headers = [(b"x-a", b"1" * 40), (b"x-b", b"2" * 40)]
    assert dec.decode(bytes(enc.encode(headers)), raw=True) == headers
    dec.max_allowed_table_size = 1024
    enc.header_table_size = 1024
    block = bytes(enc.encode(headers))
    assert block[:1] == b"\x3f"  # a dynamic table size update (512) leads the block
    assert dec.decode(block, raw=True) == headers
    enc.header_table_size = 65536  # raised again: nothing to say, our table stays at 512
    assert dec.decode(bytes(enc.encode(headers)), raw=True) == headers
    assert enc.header_table_size == 512
