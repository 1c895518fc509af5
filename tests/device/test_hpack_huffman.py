"""HPACK Huffman code (RFC 7541 Appendix B): known encodings and every symbol both ways."""

from binascii import unhexlify

from devtest import raises

from jotunheim.errors import DecodeError
from jotunheim.wire.hpack_table import huffman_decode, huffman_encode

KNOWN = [
    (b"www.example.com", "f1e3c2e5f23a6ba0ab90f4ff"),  # RFC 7541 C.4.1
    (b"no-cache", "a8eb10649cbf"),  # C.4.2
    (b"custom-key", "25a849e95ba97d7f"),  # C.4.3
    (b"custom-value", "25a849e95bb8e8b4bf"),
    (b"302", "6402"),  # C.6.1
    (b"private", "aec3771a4b"),
    (b"Mon, 21 Oct 2013 20:13:21 GMT", "d07abe941054d444a8200595040b8166e082a62d1bff"),
    (b"https://www.example.com", "9d29ad171863c78f0b97c8e9ae82ae43d3"),
]


def test_known_encodings_from_rfc7541():
    for text, wire in KNOWN:
        data = unhexlify(wire)
        assert huffman_encode(text) == data
        assert huffman_decode(data, 100) == text


def test_every_symbol_round_trips_alone_and_together():
    for value in range(256):
        one = bytes([value])
        assert huffman_decode(huffman_encode(one), 1) == one
    everything = bytes(range(256)) + bytes(range(255, -1, -1))
    assert huffman_decode(huffman_encode(everything), 512) == everything


def test_long_codes_mixed_with_short_ones():
    # 21-, 6-, 22-, 5- and 10-bit codes: 64 bits, no padding (a case that once broke).
    data = b"\xb3\x33\x88\x32\x29"
    assert huffman_decode(huffman_encode(data), 10) == data


def test_empty_string():
    assert huffman_encode(b"") == b""
    assert huffman_decode(b"", 0) == b""


def test_decode_stops_at_max_length():
    with raises(DecodeError, match="longer than 3"):
        huffman_decode(huffman_encode(b"abcd"), 3)
    assert huffman_decode(huffman_encode(b"abc"), 3) == b"abc"
