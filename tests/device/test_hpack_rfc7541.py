"""RFC 7541 Appendix C examples, byte-exact, through our HPACK encoder and decoder."""

from binascii import unhexlify

from jotunheim.wire.hpack import HpackDecoder, HpackEncoder


def _hex(text):
    return unhexlify(text.replace(" ", ""))


DATE1 = b"Mon, 21 Oct 2013 20:13:21 GMT"
DATE2 = b"Mon, 21 Oct 2013 20:13:22 GMT"
LOCATION = b"https://www.example.com"
COOKIE = b"foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"

REQUESTS = [
    [(b":method", b"GET"), (b":scheme", b"http"), (b":path", b"/"),
     (b":authority", b"www.example.com")],
    [(b":method", b"GET"), (b":scheme", b"http"), (b":path", b"/"),
     (b":authority", b"www.example.com"), (b"cache-control", b"no-cache")],
    [(b":method", b"GET"), (b":scheme", b"https"), (b":path", b"/index.html"),
     (b":authority", b"www.example.com"), (b"custom-key", b"custom-value")],
]  # fmt: skip

RESPONSES = [
    [(b":status", b"302"), (b"cache-control", b"private"), (b"date", DATE1),
     (b"location", LOCATION)],
    [(b":status", b"307"), (b"cache-control", b"private"), (b"date", DATE1),
     (b"location", LOCATION)],
    [(b":status", b"200"), (b"cache-control", b"private"), (b"date", DATE2),
     (b"location", LOCATION), (b"content-encoding", b"gzip"), (b"set-cookie", COOKIE)],
]  # fmt: skip

# C.3: requests without Huffman coding.
C3 = [
    "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
    "8286 84be 5808 6e6f 2d63 6163 6865",
    "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
]
# C.4: the same requests with Huffman coding.
C4 = [
    "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
    "8286 84be 5886 a8eb 1064 9cbf",
    "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
]
# C.5: responses without Huffman, 256-byte dynamic table (evictions happen).
C5 = [
    "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133"
    " 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70"
    " 6c65 2e63 6f6d",
    "4803 3330 37c1 c0bf",
    "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d"
    " 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049"
    " 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e"
    " 3d31",
]
# C.6: the same responses with Huffman coding.
C6 = [
    "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6"
    " 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
    "4883 640e ffc1 c0bf",
    "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab"
    " 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f"
    " 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
]


def test_hpack_c2_single_representations_decode():
    # C.2.1 literal with indexing, C.2.2 without indexing, C.2.3 never indexed, C.2.4 indexed.
    dec = HpackDecoder()
    block = _hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572")
    assert dec.decode(block) == [(b"custom-key", b"custom-header")]
    assert dec.max_size == 4096
    assert dec.size == 55
    dec = HpackDecoder()
    assert dec.decode(_hex("040c 2f73 616d 706c 652f 7061 7468")) == [(b":path", b"/sample/path")]
    assert dec.size == 0
    dec = HpackDecoder()
    block = _hex("1008 7061 7373 776f 7264 0673 6563 7265 74")
    assert dec.decode(block) == [(b"password", b"secret")]
    assert dec.size == 0
    assert HpackDecoder().decode(_hex("82")) == [(b":method", b"GET")]


def test_hpack_c2_encoder_choices_match_rfc():
    enc = HpackEncoder(huffman=False)
    block = enc.encode([(b"custom-key", b"custom-header")])
    assert block == _hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572")
    enc = HpackEncoder(huffman=False)
    # A third tuple item marks the field sensitive: never indexed (C.2.3).
    block = enc.encode([(b"password", b"secret", True)])
    assert block == _hex("1008 7061 7373 776f 7264 0673 6563 7265 74")
    assert enc.encode([(b":method", b"GET")]) == b"\x82"


def _run(blocks, lists, huffman, table_size):
    dec = HpackDecoder(max_table_size=table_size)
    enc = HpackEncoder(max_table_size=table_size, huffman=huffman)
    for i in range(len(blocks)):
        text, headers = blocks[i], lists[i]
        block = _hex(text)
        assert dec.decode(block) == headers
        assert enc.encode(headers) == block
    return dec, enc


def test_hpack_c3_requests_without_huffman():
    dec, enc = _run(C3, REQUESTS, False, 4096)
    assert dec.size == 164
    assert enc.size == 164
    assert dec.entries[0] == (b":authority", b"www.example.com")


def test_hpack_c4_requests_with_huffman():
    dec, enc = _run(C4, REQUESTS, True, 4096)
    assert dec.size == 164
    assert dec.entries[-1] == (b"custom-key", b"custom-value")


def test_hpack_c5_responses_without_huffman_evict():
    dec, enc = _run(C5, RESPONSES, False, 256)
    assert dec.size == 215
    assert len(dec.entries) == 3
    assert dec.entries[-1] == (b"set-cookie", COOKIE)


def test_hpack_c6_responses_with_huffman_evict():
    dec, enc = _run(C6, RESPONSES, True, 256)
    assert dec.size == 215
    assert enc.size == 215


def test_hpack_c1_integer_examples():
    # C.1.1: 10 in a 5-bit prefix; C.1.2: 1337 in a 5-bit prefix; C.1.3: 42 at an octet.
    from jotunheim.wire.hpack import _decode_int, _encode_int

    for value, prefix, wire in ((10, 5, "0a"), (1337, 5, "1f9a0a"), (42, 8, "2a")):
        out = bytearray()
        _encode_int(out, value, prefix, 0)
        assert bytes(out) == _hex(wire)
        assert _decode_int(_hex(wire), 0, prefix) == (value, len(out))


def test_a_field_repeated_in_one_block_is_indexed_once():
    # The first field fills an empty table; the repeat, in the same block, is sent as an index
    # to it (a fresh encoder's table starts as the shared empty tuple, replaced on first add).
    enc, dec = HpackEncoder(), HpackDecoder()
    headers = [(b"x-a", b"1"), (b"x-a", b"1"), (b"x-b", b"2")]
    block = enc.encode(headers)
    assert dec.decode(block) == headers
    assert enc.entries == [(b"x-a", b"1"), (b"x-b", b"2")] == dec.entries
    assert block[7:8] == b"\xbe"  # the repeat: indexed field 62, the newest dynamic entry
