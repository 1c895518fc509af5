"""Fuzzing protobuf-lite's decoder with random and mutated bytes: only DecodeError may escape,
and whenever both our decoder and protobuf accept the bytes they must agree."""

import math

import pytest
from google.protobuf.message import DecodeError as PbDecodeError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jotunheim.errors import DecodeError
from jotunheim.wire import protobuf as pb

from .oracle import PAIRS, from_pb, message_strategy, to_pb

SETTINGS = settings(
    max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
NAMES = ["JotunheimCapabilities", "ScriptChunk", "ExecuteScriptRequest", "DeviceMessage", "Scalars"]


def _decode_both(cls, desc, data):
    try:
        ours = pb.decode(desc, data)
    except DecodeError:
        ours = None  # any other exception fails the test
    try:
        theirs = from_pb(cls.FromString(bytes(data)))
    except PbDecodeError:
        theirs = None
    if ours is not None and theirs is not None:
        assert _nan_free(ours) == _nan_free(theirs), data.hex()
    return ours


def _nan_free(v):
    """NaN != NaN: replace it so decoded dicts compare by value."""
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    if isinstance(v, dict):
        return {k: _nan_free(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_nan_free(x) for x in v]
    return v


@st.composite
def mutated(draw, name):
    cls, desc = PAIRS[name]
    data = bytearray(to_pb(cls, draw(message_strategy(cls.DESCRIPTOR))).SerializeToString())
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate"]))
        pos = draw(st.integers(0, max(len(data), 1) - 1)) if data else 0
        if op == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and data:
            data[pos] = draw(st.sampled_from([0x00, 0x7F, 0x80, 0xFF, 0x0A, 0x12]))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=4))
        elif op == "delete" and data:
            del data[pos]
        elif op == "truncate":
            del data[pos:]
    return cls, desc, bytes(data)


@pytest.mark.parametrize("name", NAMES)
def test_random_bytes_raise_only_decode_error(name):
    cls, desc = PAIRS[name]

    @SETTINGS
    @given(st.binary(max_size=200))
    def check(data):
        _decode_both(cls, desc, data)

    check()


@pytest.mark.parametrize("name", NAMES)
def test_mutated_messages_raise_only_decode_error(name):
    @SETTINGS
    @given(mutated(name))
    def check(case):
        cls, desc, data = case
        _decode_both(cls, desc, data)

    check()
