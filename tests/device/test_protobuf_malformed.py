"""protobuf-lite rejects malformed input with DecodeError naming the field, on both runtimes:
truncation, bad lengths, wrong wire types, long varints, deep nesting, size limits, bad UTF-8."""

from devtest import raises

from jotunheim._gen.device import testing_scalars as ts
from jotunheim.errors import DecodeError
from jotunheim.wire import protobuf as pb

S = ts.Scalars


def h(s):
    return bytes.fromhex(s)


def _rich_message():
    return {
        "f_int32": -5,
        "f_uint64": 1 << 40,
        "f_fixed64": 3,
        "f_float": 2.5,
        "f_string": "h\u00e9llo",
        "f_bytes": b"\x00\x01",
        "f_nested": {"id": 1, "child": {"f_string": "x", "r_int32": [1, 2]}},
        "r_int32": [1, -1, 1000],
        "r_fixed32": [7, 8],
        "r_string": ["a", "bc"],
        "r_nested": [{"label": "q"}],
        "m_string": {"k": "v", "k2": ""},
        "m_nested": {3: {"id": 4}},
        "o_nested": {"id": 9},
        "far_field": 3,
    }


def test_truncated_varint_is_rejected_naming_the_field():
    with raises(DecodeError, match="Scalars.f_int32: truncated varint"):
        pb.decode(S, h("0896"))
    with raises(DecodeError, match="truncated varint"):
        pb.decode(S, h("88"))  # the tag itself


def test_length_past_the_end_is_rejected_without_allocating():
    with raises(DecodeError, match="Scalars.f_string: length 5 runs past the end"):
        pb.decode(S, h("72056162"))
    # a length of 2**60 must fail on the bounds check, not on a huge allocation
    with raises(DecodeError, match="Scalars.f_bytes"):
        pb.decode(S, h("7a") + h("8080808080808080" + "10"))
    with raises(DecodeError, match="Scalars.r_int32"):
        pb.decode(S, h("a20105010203"))  # packed run longer than the message


def test_wrong_wire_type_is_rejected():
    cases = [
        (h("0a0100"), "Scalars.f_int32: wrong wire type 2"),
        (h("7001"), "Scalars.f_string: wrong wire type 0"),
        (h("8d0100000000"), "Scalars.f_nested: wrong wire type 5"),
        (h("0d00000000"), "Scalars.f_int32: wrong wire type 5"),
        (h("3801"), "Scalars.f_fixed32: wrong wire type 0"),
        (h("f00101"), "Scalars.m_string: wrong wire type 0"),
    ]
    for data, match in cases:
        with raises(DecodeError, match=match):
            pb.decode(S, data)


def test_varint_longer_than_ten_bytes_is_rejected():
    with raises(DecodeError, match="Scalars.f_int64: varint longer than 10 bytes"):
        pb.decode(S, h("10" + "ff" * 10 + "01"))
    # exactly ten bytes is the longest legal varint
    assert pb.decode(S, h("10" + "ff" * 9 + "01"))["f_int64"] == -1


def test_varint_continuing_forever_stops_at_ten_bytes():
    with raises(DecodeError, match="longer than 10 bytes"):
        pb.decode(S, h("08") + b"\x80" * 5000)


def _nested(levels):
    msg = {"f_int32": 1}
    for _ in range(levels):
        msg = {"f_nested": {"child": msg}}
    return msg


def test_nesting_deeper_than_the_limit_is_rejected():
    data = pb.encode(S, _nested(3))  # 6 nested levels: Nested, Scalars, ...
    assert pb.decode(S, data, max_depth=6)["f_nested"]["child"]["f_nested"] is not None
    with raises(DecodeError, match="nested deeper than the limit"):
        pb.decode(S, data, max_depth=5)


def test_hand_built_deep_nesting_cannot_exhaust_the_stack():
    # 500 levels Scalars.f_nested -> Nested.child -> Scalars.f_nested ... built on the wire
    levels = 500
    inner = b""
    for i in range(levels - 1, -1, -1):
        inner = (h("8a01") if i % 2 == 0 else h("1a")) + _varint(len(inner)) + inner
    with raises(DecodeError, match="nested deeper than the limit"):
        pb.decode(S, inner)
    with raises(DecodeError, match="nested deeper than the limit"):
        pb.decode(S, inner, max_depth=100)


def _varint(n):
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def test_message_over_the_size_limit_is_rejected():
    with raises(DecodeError, match="exceeds the 4-byte limit"):
        pb.decode(S, h("0896010800"), max_size=4)
    with raises(DecodeError, match="limit"):
        pb.decode(S, bytes(pb.MAX_MESSAGE_SIZE + 1))


def test_invalid_utf8_in_a_string_field_is_rejected():
    bad = [
        "c328",  # lead byte then a non-continuation
        "e282",  # truncated 3-byte sequence
        "c080",  # overlong NUL
        "e08080",  # overlong 3-byte
        "f0808080",  # overlong 4-byte
        "eda080",  # UTF-16 surrogate U+D800
        "f4908080",  # above U+10FFFF
        "f5808080",  # lead byte never valid
        "80",  # lone continuation byte
        "ff",
    ]
    for hexed in bad:
        data = h("72") + bytes([len(hexed) // 2]) + h(hexed)
        with raises(DecodeError, match="Scalars.f_string: invalid UTF-8"):
            pb.decode(S, data)
    # valid multi-byte text, including the largest code point, still decodes
    good = "\u00e9\u20ac\U0010ffff\U0001f600"
    assert pb.decode(S, pb.encode(S, {"f_string": good}))["f_string"] == good


def test_invalid_utf8_in_map_keys_and_repeated_strings_is_rejected():
    with raises(DecodeError, match="invalid UTF-8"):
        pb.decode(S, h("f201040a02c080"))
    with raises(DecodeError, match="Scalars.r_string: invalid UTF-8"):
        pb.decode(S, h("ca0101ff"))


def test_bytes_fields_accept_any_bytes():
    assert pb.decode(S, h("7a02c080"))["f_bytes"] == h("c080")


def test_field_number_zero_and_invalid_wire_types_are_rejected():
    with raises(DecodeError, match="field number 0"):
        pb.decode(S, h("0000"))
    with raises(DecodeError, match="invalid wire type 6"):
        pb.decode(S, h("a606"))
    with raises(DecodeError, match="invalid wire type 7"):
        pb.decode(S, h("a706"))


def test_malformed_groups_are_rejected():
    with raises(DecodeError, match="end-group tag"):
        pb.decode(S, h("ac06"))
    with raises(DecodeError, match="no end tag"):
        pb.decode(S, h("ab060801"))
    with raises(DecodeError, match="closed by end tag"):
        pb.decode(S, h("ab06b406"))
    deep = h("ab06") * 100
    with raises(DecodeError, match="groups nested deeper"):
        pb.decode(S, deep)


def test_packed_fixed_width_run_must_be_a_whole_number_of_values():
    with raises(DecodeError, match="Scalars.r_fixed32: packed length 3"):
        pb.decode(S, h("b20103010203"))
    with raises(DecodeError, match="Scalars.r_double"):
        pb.decode(S, h("ba010401020304"))


def test_truncated_fixed_width_values_are_rejected():
    with raises(DecodeError, match="Scalars.f_fixed64: truncated"):
        pb.decode(S, h("41010203"))
    with raises(DecodeError, match="Scalars.f_float: truncated"):
        pb.decode(S, h("5d0102"))


def test_error_inside_a_nested_message_names_the_inner_field():
    data = pb.encode(S, {"f_nested": {"label": "ok"}})
    broken = data[:-2] + h("c080")
    with raises(DecodeError, match="Scalars_Nested.label: invalid UTF-8"):
        pb.decode(S, broken)


def test_every_truncation_of_a_valid_message_decodes_or_raises_decode_error():
    data = pb.encode(S, _rich_message())
    assert pb.decode(S, data)["m_nested"][3]["id"] == 4
    errors = 0
    for cut in range(len(data)):
        try:
            pb.decode(S, data[:cut])
        except DecodeError:
            errors += 1
    assert errors > len(data) // 2


def test_every_single_byte_corruption_decodes_or_raises_decode_error():
    data = bytearray(pb.encode(S, _rich_message()))
    for i in range(len(data)):
        for value in (0x00, 0x80, 0xFF, data[i] ^ 0x07):
            mutated = bytearray(data)
            mutated[i] = value
            try:
                pb.decode(S, mutated)
            except DecodeError:
                pass


def test_empty_submessages_cannot_expand_past_the_field_budget():
    # each 5-byte element is a Nested holding an empty Scalars: 40 decoded fields
    element = h("e201021a00")
    assert len(pb.decode(S, element * 20)["r_nested"]) == 20  # small: within the allowance
    with raises(DecodeError, match="fields per input byte"):
        pb.decode(S, element * 120)
    # ordinary repeated content stays far below the budget
    many = pb.encode(S, {"r_nested": [{"id": i, "label": "n"} for i in range(300)]})
    assert len(pb.decode(S, many)["r_nested"]) == 300
