"""Differential tests: our protobuf-lite codec against the protobuf library (the oracle) on
hypothesis-generated values of the project's real messages and the all-types test message."""

import math
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jotunheim._gen.device import testing_scalars as ts_d
from jotunheim._gen.testing import scalars_pb2
from jotunheim.wire import protobuf as pb

from .oracle import PAIRS, from_pb, message_strategy, to_pb

SETTINGS = settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


def _strategy(name):
    cls, desc = PAIRS[name]
    return st.tuples(st.just(cls), st.just(desc), message_strategy(cls.DESCRIPTOR))


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_codec_and_protobuf_agree_both_directions(name):
    @SETTINGS
    @given(_strategy(name))
    def check(case):
        cls, desc, value = case
        ref = to_pb(cls, value)
        expected = from_pb(ref)
        ours = pb.encode(desc, value)
        # canonical: byte-identical to protobuf's deterministic serialization
        assert ours == ref.SerializeToString(deterministic=True)
        # protobuf decodes our bytes to the same message
        assert from_pb(cls.FromString(ours)) == expected
        # we decode protobuf's bytes (default and deterministic) to the same dict
        assert pb.decode(desc, ref.SerializeToString()) == expected
        assert pb.decode(desc, ours) == expected
        # and our decoded dict re-encodes to the same canonical bytes
        assert pb.encode(desc, pb.decode(desc, ours)) == ours

    check()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-(2**31), 2**31 - 1), min_size=1, max_size=6))
def test_unpacked_encoding_from_protobuf_decodes_equal(values):
    # protobuf writes [packed = false] fields one tag per element; packed ones as one run.
    ref = scalars_pb2.Scalars(
        r_uint64_unpacked=[v & 0xFFFFFFFFFFFFFFFF for v in values], r_int32=values
    )
    assert pb.decode(ts_d.Scalars, ref.SerializeToString()) == from_pb(ref)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**64 - 1), st.integers(0, 2**32 - 1))
def test_nan_payloads_travel_bit_exact(bits64, bits32):
    double = struct.unpack("<d", struct.pack("<Q", bits64 | 0x7FF0000000000001))[0]
    single = struct.unpack("<f", struct.pack("<I", bits32 | 0x7F800001))[0]
    assert math.isnan(double) and math.isnan(single)
    msg = {"f_double": double, "f_float": single}
    ours = pb.encode(ts_d.Scalars, msg)
    ref = scalars_pb2.Scalars(f_double=double, f_float=single)
    assert ours == ref.SerializeToString(deterministic=True)
    back = pb.decode(ts_d.Scalars, ours)
    assert struct.pack("<d", back["f_double"]) == struct.pack("<d", ref.f_double)
    assert struct.pack("<f", back["f_float"]) == struct.pack("<f", ref.f_float)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(st.text(min_size=100, max_size=300), st.lists(st.integers(0, 2**64 - 1), max_size=40))
def test_long_nested_messages_match_protobuf_byte_for_byte(label, numbers):
    # bodies of 128 bytes and more need multi-byte length prefixes at every nesting level
    value = {
        "nested": {"label": label, "child": {"f_string": label, "r_uint64_unpacked": numbers}},
        "payload": {"r_nested": [{"label": label}] * 3, "m_string": {label: label}},
    }
    cls, desc = scalars_pb2.Envelope, ts_d.Envelope
    ref = to_pb(cls, value)
    ours = pb.encode(desc, value)
    assert ours == ref.SerializeToString(deterministic=True)
    assert pb.decode(desc, ours) == from_pb(ref)


def test_lone_surrogates_are_an_encode_error_like_protobuf():
    from jotunheim.errors import EncodeError

    with pytest.raises(EncodeError, match="Scalars.f_string: string is not encodable"):
        pb.encode(ts_d.Scalars, {"f_string": "a\ud800"})
    with pytest.raises(EncodeError, match="Scalars.r_string"):
        pb.encode(ts_d.Scalars, {"r_string": ["\udfff"]})
    with pytest.raises(Exception):  # noqa: B017 - protobuf refuses them too
        scalars_pb2.Scalars(f_string="a\ud800").SerializeToString()


def test_stack_exhaustion_before_max_depth_is_a_decode_error():
    import inspect
    import sys

    from jotunheim.errors import DecodeError, EncodeError

    inner = b""
    for i in range(299, -1, -1):  # 300 levels Scalars.f_nested -> Nested.child -> ...
        body = inner
        tag = b"\x8a\x01" if i % 2 == 0 else b"\x1a"
        length = bytearray()
        n = len(body)
        while n > 0x7F:
            length.append((n & 0x7F) | 0x80)
            n >>= 7
        length.append(n)
        inner = tag + bytes(length) + body
    deep = {"f_int32": 1}
    for _ in range(150):
        deep = {"f_nested": {"child": deep}}
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 60)  # a small stack, as on a board
    try:
        with pytest.raises(DecodeError, match="exhausted the stack"):
            pb.decode(ts_d.Scalars, inner, max_depth=1000)
        old_max = pb.MAX_DEPTH
        pb.MAX_DEPTH = 1000
        try:
            with pytest.raises(EncodeError, match="exhausted the stack"):
                pb.encode(ts_d.Scalars, deep)
        finally:
            pb.MAX_DEPTH = old_max
    finally:
        sys.setrecursionlimit(old)


@pytest.mark.parametrize(
    "value",
    [1e300, -1e300, 3.4028235e38, 3.4028236e38, 1e-50, -1e-50, 5e-324, 1.5e-45, float("inf")],
)
def test_float_fields_round_and_overflow_like_protobuf(value):
    # a Python float stored in a proto `float` field: rounded to float32, +-inf beyond range,
    # omitted when it rounds to +0.0; -0.0 keeps its sign bit and is written
    ref = scalars_pb2.Scalars(f_float=value, r_double=[value], f_double=value)
    ours = pb.encode(ts_d.Scalars, {"f_float": value, "r_double": [value], "f_double": value})
    assert ours == ref.SerializeToString(deterministic=True)
    assert pb.decode(ts_d.Scalars, ours) == from_pb(ref)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.one_of(
        st.binary(max_size=12),
        st.text(max_size=6).map(lambda t: t.encode("utf-8")),
        st.lists(st.sampled_from([0x80, 0xBF, 0xC0, 0xC2, 0xE0, 0xED, 0xF0, 0xF4, 0xF5, 0x41])).map(
            bytes
        ),
    )
)
def test_strict_utf8_check_agrees_with_cpython(data):
    # pbrare.check_utf8 runs on MicroPython only; CPython's strict decoder is its oracle.
    from jotunheim.errors import DecodeError
    from jotunheim.wire.pbrare import check_utf8

    try:
        data.decode("utf-8")
        valid = True
    except UnicodeDecodeError:
        valid = False
    try:
        check_utf8(data, 0, len(data))
        ours = True
    except DecodeError:
        ours = False
    assert ours == valid, data.hex()
