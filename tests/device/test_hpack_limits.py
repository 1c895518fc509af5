"""HPACK decoder limits and malformed input: every failure is an HpackError (a DecodeError)."""

from devtest import raises

from jotunheim.errors import DecodeError, EncodeError
from jotunheim.wire.hpack import HpackDecoder, HpackEncoder
from jotunheim.wire.hpack_errors import HpackError
from jotunheim.wire.hpack_table import huffman_decode


def test_hpack_error_is_a_decode_error():
    assert issubclass(HpackError, DecodeError)


def test_hpack_rejects_index_zero():
    with raises(HpackError, match="index 0"):
        HpackDecoder().decode(b"\x80")


def test_hpack_rejects_index_beyond_table():
    with raises(HpackError, match="beyond the table"):
        HpackDecoder().decode(b"\xbe")  # 62: the dynamic table is empty


def test_hpack_rejects_oversized_integer():
    # 7-bit prefix saturated, then six continuation octets: more than the limit allows.
    with raises(HpackError, match="integer longer"):
        HpackDecoder().decode(b"\xff\xff\xff\xff\xff\xff\x01")


def test_hpack_rejects_truncated_integer():
    with raises(HpackError, match="truncated"):
        HpackDecoder().decode(b"\xff\x80")


def test_hpack_rejects_string_running_past_block():
    with raises(HpackError, match="runs past"):
        HpackDecoder().decode(b"\x40\x0acustom")


def test_hpack_rejects_missing_value_string():
    with raises(HpackError, match="missing"):
        HpackDecoder().decode(b"\x40\x01a")


def test_hpack_bounds_string_length_before_allocating():
    dec = HpackDecoder(max_header_list_size=100)
    # A literal claiming 2**20 bytes is rejected on its length prefix alone.
    block = b"\x40\x7f\x81\xff\x3f"
    with raises(HpackError):
        dec.decode(block + b"x" * 10)
    dec = HpackDecoder(max_header_list_size=100)
    with raises(HpackError, match="exceeds the header list limit"):
        dec.decode(b"\x40\x01a\x7f\x30" + b"v" * 200)


def test_hpack_bounds_huffman_string_output():
    # 60 bytes of value against a 64-byte list budget: the Huffman decoder stops at the
    # budget (64 - 32 - len(name)) instead of building the whole string.
    block = HpackEncoder().encode([(b"a", b"a" * 60)])
    assert block[3] & 0x80  # the value is Huffman-coded
    with raises(HpackError, match="longer than"):
        HpackDecoder(max_header_list_size=64).decode(block)


def test_hpack_bounds_header_list_size():
    enc = HpackEncoder()
    headers = [(b"x-h%d" % i, b"v" * 40) for i in range(10)]
    block = enc.encode(headers)
    assert HpackDecoder(max_header_list_size=10000).decode(block) == headers
    # Over the limit: refused either on the list total or on the next string's budget.
    with raises(HpackError, match="hpack"):
        HpackDecoder(max_header_list_size=500).decode(block)


def test_hpack_indexed_fields_count_toward_header_list_size():
    # Indexed fields allocate nothing new but still count (RFC 9113 6.5.2 accounting).
    with raises(HpackError, match="header list larger"):
        HpackDecoder(max_header_list_size=100).decode(b"\x82" * 4)


def test_hpack_rejects_table_size_update_above_allowed():
    with raises(HpackError, match="above the allowed"):
        HpackDecoder(max_table_size=100).decode(b"\x3f\x46")  # 101


def test_hpack_rejects_table_size_update_after_field():
    with raises(HpackError, match="after a header field"):
        HpackDecoder().decode(b"\x82\x20")


def test_hpack_size_update_to_zero_then_index_fails():
    dec = HpackDecoder()
    dec.decode(b"\x40\x01a\x01b")
    assert dec.decode(b"\xbe") == [(b"a", b"b")]
    with raises(HpackError, match="beyond the table"):
        dec.decode(b"\x20\xbe")


def test_hpack_entry_larger_than_table_empties_it():
    dec = HpackDecoder(max_table_size=64)
    dec.decode(b"\x40\x01a\x01b")
    assert dec.size == 34
    dec.decode(b"\x40\x01c\x20" + b"d" * 32)  # 65 bytes > 64: not added, table emptied
    assert dec.size == 0
    assert not dec.entries


def test_huffman_rejects_eos_and_bad_padding():
    with raises(DecodeError, match="EOS"):
        huffman_decode(b"\xff\xff\xff\xff", 100)  # 30 ones = EOS, then 2 bits
    with raises(DecodeError, match="padding"):
        huffman_decode(b"\x00", 100)  # '0' padding bits are not the EOS prefix
    with raises(DecodeError, match="longer than 7"):
        huffman_decode(b"\xff", 100)  # 8 bits of EOS prefix: too much padding
    with raises(HpackError, match="Huffman"):
        HpackDecoder().decode(b"\x40\x81\x00\x01b")


def test_encoder_signals_table_size_changes_min_then_final():
    enc = HpackEncoder()
    dec = HpackDecoder()
    enc.header_table_size = 0
    enc.header_table_size = 1000
    block = enc.encode([(b"x-a", b"1")])
    assert block[:1] == b"\x20"  # size 0 first (RFC 7541 4.2) ...
    assert block[1:4] == b"\x3f\xc9\x07"  # ... then 1000
    assert dec.decode(block) == [(b"x-a", b"1")]
    assert dec.max_size == 1000
    # No pending change: no update on the next block.
    assert enc.encode([(b"x-a", b"1")]) == b"\xbe"


def test_encoder_caps_table_at_its_own_limit():
    enc = HpackEncoder(max_table_size=512)
    enc.header_table_size = 65536
    assert enc.encode([]) == b""
    assert enc.header_table_size == 512


def test_encoder_never_indexes_authorization():
    enc = HpackEncoder(huffman=False)
    block = enc.encode([(b"authorization", b"Bearer secret")])
    assert block[0] == 0x1F  # never indexed, name index 23 (>= 15, so continued)
    assert enc.size == 0
    assert HpackDecoder().decode(block) == [(b"authorization", b"Bearer secret")]


def test_encoder_accepts_str_and_reuses_dynamic_entries():
    enc = HpackEncoder()
    dec = HpackDecoder()
    headers = [("content-type", "application/grpc"), ("x-id", "42")]
    first = enc.encode(headers)
    second = enc.encode(headers)
    assert len(second) == 2
    expected = [(b"content-type", b"application/grpc"), (b"x-id", b"42")]
    assert dec.decode(first) == expected
    assert dec.decode(second) == expected


def test_encoder_rejects_bad_types_without_touching_its_table():
    enc = HpackEncoder()
    dec = HpackDecoder()
    with raises(EncodeError, match="value must be bytes or str"):
        enc.encode([(b"x-first", b"ok"), (b"x-count", 5)])
    with raises(EncodeError, match="pair"):
        enc.encode([(b"x-only",)])
    assert enc.size == 0
    # The peer never saw the failed block; the next one still decodes against its table.
    block = enc.encode([(b"x-first", b"ok")])
    assert dec.decode(block) == [(b"x-first", b"ok")]
    assert enc.encode([(b"x-first", bytearray(b"ok"))]) == b"\xbe"
