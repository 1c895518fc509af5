"""protobuf-lite encode/decode on both runtimes: every scalar type against known encodings
(protobuf encoding spec), defaults, repeated, maps, oneof, presence and unknown fields."""

from devtest import raises

from jotunheim._gen.device import capability as cap_d
from jotunheim._gen.device import hub as hub_d
from jotunheim._gen.device import loki as loki_d
from jotunheim._gen.device import testing_scalars as ts
from jotunheim.errors import EncodeError
from jotunheim.wire import protobuf as pb

S = ts.Scalars

# (field, value, canonical encoding in hex) - varints, zigzag, fixed widths, little-endian
# IEEE 754, length-delimited; negative int32/int64/enum take 10 bytes.
VECTORS = [
    ("f_int32", 150, "089601"),
    ("f_int32", -1, "08ffffffffffffffffff01"),
    ("f_int32", 2147483647, "08ffffffff07"),
    ("f_int64", -2, "10feffffffffffffffff01"),
    ("f_int64", 9223372036854775807, "10ffffffffffffffff7f"),
    ("f_uint32", 4294967295, "18ffffffff0f"),
    ("f_uint64", 18446744073709551615, "20ffffffffffffffffff01"),
    ("f_sint32", -1, "2801"),
    ("f_sint32", 2147483647, "28feffffff0f"),
    ("f_sint32", -2147483648, "28ffffffff0f"),
    ("f_sint64", -9223372036854775808, "30ffffffffffffffffff01"),
    ("f_fixed32", 1, "3d01000000"),
    ("f_fixed64", 18446744073709551615, "41ffffffffffffffff"),
    ("f_sfixed32", -2, "4dfeffffff"),
    ("f_sfixed64", -2, "51feffffffffffffff"),
    ("f_float", 1.5, "5d0000c03f"),
    ("f_double", -2.25, "6100000000000002c0"),
    ("f_bool", True, "6801"),
    ("f_string", "h\u00e9", "720368c3a9"),
    ("f_bytes", b"\x00\xff", "7a0200ff"),
    ("f_enum", ts.Color_COLOR_BLUE, "8001fdffffffffffffffff01"),
    ("f_enum", ts.Color_COLOR_GREEN, "800102"),
    ("far_field", 1, "f8ffffff0f01"),
]


def h(s):
    return bytes.fromhex(s)


def test_every_scalar_type_encodes_to_its_known_bytes_and_back():
    for field, value, hexed in VECTORS:
        data = pb.encode(S, {field: value})
        assert data == h(hexed), (field, value, data)
        assert pb.decode(S, data)[field] == value, field


def test_decode_fills_every_field_with_its_proto3_default():
    msg = pb.decode(S, b"")
    assert msg["f_int32"] == 0 and msg["f_uint64"] == 0 and msg["f_sfixed64"] == 0
    assert msg["f_float"] == 0.0 and msg["f_double"] == 0.0
    assert msg["f_bool"] is False and msg["f_string"] == "" and msg["f_bytes"] == b""
    assert msg["f_enum"] == 0 and msg["f_nested"] is None
    assert msg["r_int32"] == [] and msg["r_nested"] == [] and msg["m_string"] == {}
    assert msg["o_string"] is None and msg["o_nested"] is None and msg["opt_int32"] is None
    assert len(msg) == 39


def test_default_values_are_omitted_and_none_means_absent():
    zeros = {
        "f_int32": 0,
        "f_uint64": 0,
        "f_float": 0.0,
        "f_bool": False,
        "f_string": "",
        "f_bytes": b"",
        "f_enum": 0,
        "r_int32": [],
        "m_string": {},
        "f_nested": None,
        "o_string": None,
        "opt_int32": None,
    }
    assert pb.encode(S, zeros) == b""
    # -0.0 is not the default: protobuf compares the bits.
    assert pb.encode(S, {"f_double": -0.0}) == h("610000000000000080")


def test_empty_message_dict_is_written_as_an_empty_message():
    assert pb.encode(S, {"f_nested": {}}) == h("8a0100")
    assert pb.decode(S, h("8a0100"))["f_nested"] == {"id": 0, "label": "", "child": None}


def test_nested_and_recursive_messages_round_trip():
    msg = {"f_nested": {"id": 7, "child": {"f_nested": {"label": "deep", "id": -1}}}}
    back = pb.decode(S, pb.encode(S, msg))
    assert back["f_nested"]["id"] == 7
    assert back["f_nested"]["child"]["f_nested"]["label"] == "deep"
    assert back["f_nested"]["child"]["f_nested"]["id"] == -1


def test_repeated_scalars_are_packed_on_encode():
    assert pb.encode(S, {"r_int32": [1, -1, 300]}) == h("a2010d01ffffffffffffffffff01ac02")
    assert pb.encode(S, {"r_fixed32": [1, 2]}) == h("b201080100000002000000")
    assert pb.encode(S, {"r_double": [0.5]}) == h("ba0108000000000000e03f")
    assert pb.encode(S, {"r_bool": [True, False]}) == h("c201020100")
    # [packed = false] in the .proto keeps one tag per element, like protobuf.
    assert pb.encode(S, {"r_uint64_unpacked": [0, 1]}) == h("e80100e80101")
    # strings and messages are never packed; empty strings inside a list are kept.
    assert pb.encode(S, {"r_string": ["a", ""]}) == h("ca010161ca0100")


def test_repeated_scalars_decode_packed_unpacked_and_mixed():
    packed = h("a20103010203")
    unpacked = h("a00101a00102a00103")
    mixed = h("a00101a201020203")
    for data in (packed, unpacked, mixed):
        assert pb.decode(S, data)["r_int32"] == [1, 2, 3]
    assert pb.decode(S, h("e80105ea01020607"))["r_uint64_unpacked"] == [5, 6, 7]
    assert pb.decode(S, h("b201080100000002000000"))["r_fixed32"] == [1, 2]
    assert pb.decode(S, h("b50109000000"))["r_fixed32"] == [9]


def test_repeated_messages_and_enums_round_trip():
    msg = {"r_nested": [{"id": 1}, {}, {"label": "x"}], "r_enum": [1, -3, 0, 99]}
    back = pb.decode(S, pb.encode(S, msg))
    assert [n["id"] for n in back["r_nested"]] == [1, 0, 0]
    assert back["r_nested"][2]["label"] == "x"
    assert back["r_enum"] == [1, -3, 0, 99]  # proto3 enums are open: unknown values kept


def test_maps_encode_key_and_value_even_when_default():
    assert pb.encode(S, {"m_string": {"a": "b"}}) == h("f201060a0161120162")
    assert pb.encode(S, {"m_uint64_bool": {5: False}}) == h("82020408051000")
    assert pb.encode(S, {"m_nested": {7: {}}}) == h("fa010408071200")


def _entry_keys(entry_desc, data):
    """Keys of the map entries in data, in wire order (2-byte tags, 1-byte lengths)."""
    keys = []
    pos = 0
    while pos < len(data):
        n = data[pos + 2]
        keys.append(pb.decode(entry_desc, data[pos + 3 : pos + 3 + n])["key"])
        pos += 3 + n
    return keys


def test_map_entry_order_matches_protobuf_deterministic_output():
    # protobuf's (upb) deterministic order: strings by bytes with a longer key before its
    # prefix; integers descending as unsigned two's complement.
    data = pb.encode(S, {"m_string": {"": "", "a": "", "ab": "", "b": ""}})
    assert _entry_keys(ts.Scalars_MStringEntry, data) == ["ab", "a", "b", ""]
    data = pb.encode(S, {"m_sint32_bytes": {1: b"", -1: b"", 3: b"", 0: b""}})
    assert _entry_keys(ts.Scalars_MSint32BytesEntry, data) == [-1, 3, 1, 0]
    data = pb.encode(S, {"m_uint64_bool": {1: True, (1 << 64) - 1: True, 7: True}})
    assert _entry_keys(ts.Scalars_MUint64BoolEntry, data) == [(1 << 64) - 1, 7, 1]


def test_maps_decode_missing_key_value_and_duplicates():
    # entry without a value, entry without a key, then a duplicate key: last one wins.
    data = h("f201030a0161") + h("f20103120178") + h("f201060a0161120179")
    assert pb.decode(S, data)["m_string"] == {"a": "y", "": "x"}
    assert pb.decode(S, h("fa01020807"))["m_nested"] == {7: {"id": 0, "label": "", "child": None}}


def test_oneof_member_is_written_even_when_default_and_others_read_none():
    assert pb.encode(S, {"o_string": ""}) == h("c20200")
    assert pb.encode(S, {"o_int64": 0}) == h("c80200")
    msg = pb.decode(S, h("c80200"))
    assert msg["o_int64"] == 0 and msg["o_string"] is None and msg["o_bool"] is None
    assert pb.which_oneof(S, msg, "choice") == "o_int64"
    assert pb.which_oneof(S, pb.decode(S, b""), "choice") is None


def test_oneof_last_member_on_the_wire_wins():
    msg = pb.decode(S, h("c2020161") + h("d80201"))
    assert msg["o_bool"] is True and msg["o_string"] is None
    assert pb.which_oneof(S, msg, "choice") == "o_bool"


def test_oneof_with_two_members_set_is_an_encode_error():
    with raises(EncodeError, match="choice"):
        pb.encode(S, {"o_string": "a", "o_bool": True})


def test_which_oneof_rejects_an_unknown_oneof_name():
    with raises(ValueError, match="nope"):
        pb.which_oneof(S, {}, "nope")


def test_optional_field_has_presence():
    assert pb.encode(S, {"opt_int32": 0}) == h("900300")
    assert pb.decode(S, h("900300"))["opt_int32"] == 0
    assert pb.decode(S, b"")["opt_int32"] is None


def test_repeated_message_field_occurrences_merge_like_protobuf():
    first = pb.encode(S, {"f_nested": {"id": 5, "child": {"r_int32": [1]}}})
    second = pb.encode(S, {"f_nested": {"label": "x", "child": {"r_int32": [2]}}})
    msg = pb.decode(S, first + second)
    assert msg["f_nested"]["id"] == 5 and msg["f_nested"]["label"] == "x"
    assert msg["f_nested"]["child"]["r_int32"] == [1, 2]


def test_unknown_fields_of_every_wire_type_are_skipped():
    unknown = (
        h("a80601")  # field 101 varint
        + h("a906" + "01" * 8)  # field 101 fixed64
        + h("aa060300ff01")  # field 101 length-delimited
        + h("ad06" + "02" * 4)  # field 101 fixed32
        + h("ab06" + "0801" + "b306" + "1000" + "b406" + "ac06")  # group 101, nested group 102
    )
    msg = pb.decode(S, unknown + h("089601") + unknown)
    assert msg["f_int32"] == 150


def test_messages_of_other_files_and_cross_file_references():
    caps = {"device_id": "d1", "tools": [{"name": "blink", "parameters": [{"name": "n"}]}]}
    msg = {"capabilities": {"capabilities": caps}}
    data = pb.encode(hub_d.DeviceMessage, msg)
    back = pb.decode(hub_d.DeviceMessage, data)
    assert pb.which_oneof(hub_d.DeviceMessage, back, "body") == "capabilities"
    assert back["capabilities"]["capabilities"]["tools"][0]["parameters"][0]["name"] == "n"
    assert (
        pb.decode(
            cap_d.CapabilityResponse, pb.encode(cap_d.CapabilityResponse, msg["capabilities"])
        )["capabilities"]["device_id"]
        == "d1"
    )


def test_service_descriptors_follow_the_contract():
    assert hub_d.DeviceHub[0] == (
        "Connect",
        "/jotunheim.hub.DeviceHub/Connect",
        hub_d.DeviceMessage,
        hub_d.HubMessage,
        True,
        True,
    )
    names = [m[0] for m in loki_d.LokiService]
    assert "StreamScriptExecution" in names
    stream = loki_d.LokiService[names.index("StreamScriptExecution")]
    assert stream[1] == "/loki.LokiService/StreamScriptExecution" and stream[4:] == (False, True)


def test_loki_messages_with_maps_and_oneofs():
    req = {"name": "add", "parameters": [{"name": "a", "type": "Number"}], "inline_script": ""}
    back = pb.decode(loki_d.RegisterScriptRequest, pb.encode(loki_d.RegisterScriptRequest, req))
    assert back["inline_script"] == "" and back["script_path"] is None
    chunk = {"result": {"success": True, "metadata": {"k": "v"}}, "timestamp": -5}
    back = pb.decode(loki_d.ScriptChunk, pb.encode(loki_d.ScriptChunk, chunk))
    assert pb.which_oneof(loki_d.ScriptChunk, back, "chunk_type") == "result"
    assert back["result"]["metadata"] == {"k": "v"} and back["timestamp"] == -5


def test_decode_accepts_bytearray_and_memoryview():
    data = pb.encode(S, {"f_string": "abc", "f_bytes": b"xyz", "r_int32": [1]})
    for buf in (bytearray(data), memoryview(data), memoryview(b"\x00" + data)[1:]):
        msg = pb.decode(S, buf)
        assert msg["f_string"] == "abc" and msg["f_bytes"] == b"xyz" and msg["r_int32"] == [1]
        assert isinstance(msg["f_bytes"], bytes)


def test_encode_rejects_wrong_types_and_out_of_range_values_naming_the_field():
    bad = [
        ({"f_int32": "1"}, "Scalars.f_int32"),
        ({"f_int32": 2147483648}, "Scalars.f_int32"),
        ({"f_uint32": -1}, "Scalars.f_uint32"),
        ({"f_uint64": 1 << 64}, "Scalars.f_uint64"),
        ({"f_sint64": -(1 << 63) - 1}, "Scalars.f_sint64"),
        ({"f_bool": 1}, "Scalars.f_bool"),
        ({"f_string": b"x"}, "Scalars.f_string"),
        ({"f_bytes": "x"}, "Scalars.f_bytes"),
        ({"f_double": "1.0"}, "Scalars.f_double"),
        ({"r_int32": 5}, "Scalars.r_int32"),
        ({"r_int32": [1, None]}, "Scalars.r_int32"),
        ({"r_nested": [None]}, "Scalars.r_nested"),
        ({"m_string": {"a": 1}}, "Scalars.m_string"),
        ({"m_string": {1: "a"}}, "Scalars.m_string"),
        ({"f_nested": 3}, "Scalars_Nested"),
        ({"f_double": 10**400}, "Scalars.f_double"),
        ({"m_string": ["a"]}, "Scalars.m_string"),
        ({"m_nested": {1: None}}, "Scalars.m_nested"),
        ({"m_fixed_double": {-1: 1.0}}, "Scalars.m_fixed_double"),
        ({"f_nested": {"nope": 1}}, "nope"),
        ({"no_such_field": 1}, "no_such_field"),
    ]
    for msg, where in bad:
        with raises(EncodeError, match=where):
            pb.encode(S, msg)


def test_encode_rejects_self_referencing_dicts_instead_of_recursing_forever():
    msg = {"f_nested": {}}
    msg["f_nested"]["child"] = msg
    with raises(EncodeError, match="deeper"):
        pb.encode(S, msg)


def test_nested_messages_longer_than_127_bytes_get_multi_byte_lengths():
    for size in (125, 126, 127, 128, 300, 16383, 16384):
        label = "x" * size
        data = pb.encode(S, {"f_nested": {"label": label}, "f_int32": 1})
        body = h("12") + _varint(size) + label.encode()
        assert data == h("0801") + h("8a01") + _varint(len(body)) + body, size
        assert pb.decode(S, data)["f_nested"]["label"] == label
    packed = list(range(200))
    data = pb.encode(S, {"r_int32": packed, "m_string": {"k": "v" * 200}})
    back = pb.decode(S, data)
    assert back["r_int32"] == packed and back["m_string"] == {"k": "v" * 200}


def _varint(n):
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def test_encode_into_appends_after_existing_bytes():
    out = bytearray(b"\x00\x00\x00\x00\x05")  # e.g. a reserved gRPC message prefix
    n = pb.encode_into(S, {"f_int32": 150, "f_nested": {"label": "x" * 200}}, out)
    assert out[:5] == b"\x00\x00\x00\x00\x05" and n == len(out) - 5
    assert bytes(out[5:]) == pb.encode(S, {"f_int32": 150, "f_nested": {"label": "x" * 200}})


def test_maps_with_fixed_width_keys_bool_keys_and_enum_values():
    msg = {"m_fixed_double": {7: 0.5, 0: 0.0}, "m_bool_enum": {True: -3, False: 0}}
    data = pb.encode(S, msg)
    # fixed32 key 7 then double 0.5; bool keys in protobuf's order (True first)
    assert h("92020e0d0700000011000000000000e03f") in data
    assert data.index(h("9a020d0801")) < data.index(h("9a0204080010"))
    assert pb.decode(S, data)["m_fixed_double"] == {7: 0.5, 0: 0.0}
    assert pb.decode(S, data)["m_bool_enum"] == {True: -3, False: 0}


def test_transient_messages_convert_on_each_use_and_keep_no_field_table():
    # hub_session's handshake messages are marked transient ("~", tools/devicegen.py): they
    # encode and decode exactly like the full module's, name their fields in errors, and
    # their descriptors are still the field string afterwards (nothing kept per message).
    from jotunheim._gen.device import hub_session as hub_s
    from jotunheim.errors import DecodeError
    from jotunheim.wire.pbwire import fields_of, sub_of

    welcome = {"session_id": "s1", "resume_token": "r", "heartbeat_interval_ms": 5000}
    for _ in range(2):
        data = pb.encode(hub_s.HubMessage, {"welcome": welcome})
        assert data == pb.encode(hub_d.HubMessage, {"welcome": welcome})
        back = pb.decode(hub_s.HubMessage, data)["welcome"]
        assert back == pb.decode(hub_d.HubMessage, data)["welcome"]
    hub_fields = fields_of(hub_s.HubMessage)
    # every sub-message of HubMessage is such a string: desc[3] is one string, a line each
    assert type(hub_s.HubMessage[3]) is str and hub_s.HubMessage[3].count("\n") == 10
    desc = sub_of(hub_s.HubMessage, hub_fields[hub_fields.index("welcome") + 1])
    assert type(desc) is str and desc.startswith("~Welcome;")  # the field string alone
    assert fields_of(desc) == fields_of(hub_d.Welcome)
    with raises(DecodeError, match="Welcome.session_id"):
        pb.decode(hub_s.HubMessage, b"\x12\x04\x0a\x05ab")
    # a message that is not transient keeps its table once converted
    pb.encode(hub_s.DeviceMessage, {"heartbeat": {"seq": 1}})
    assert type(fields_of(hub_s.DeviceMessage)) is tuple


def test_transient_tables_are_rebuilt_on_micropython_and_kept_on_cpython():
    # "~" spares a board's heap; a host has none to spare and keeps the table (by its string)
    from jotunheim._gen.device import hub_session as hub_s
    from jotunheim.compat import IS_MICROPYTHON
    from jotunheim.wire.pbwire import fields_of, sub_of

    hub_fields = fields_of(hub_s.HubMessage)
    desc = sub_of(hub_s.HubMessage, hub_fields[hub_fields.index("welcome") + 1])
    first, again = fields_of(desc), fields_of(desc)
    assert first == again == fields_of(hub_d.Welcome)
    assert (first is again) is not IS_MICROPYTHON
    assert type(desc) is str  # the descriptor itself is never changed
