"""Gather (the zero-copy encoding sink of outgoing messages) against the codec's own
encoder: for every project message, the gathered parts joined are exactly the framed bytes."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jotunheim.wire import grpc
from jotunheim.wire import protobuf as pb
from jotunheim.wire.grpc import message_prefix
from jotunheim.wire.grpc_gather import Gather
from tests.unit.codec.oracle import PAIRS, message_strategy


def _framed(payload):
    """A whole length-prefixed gRPC message."""
    return message_prefix(len(payload)) + payload


SETTINGS = settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


def _gathered(desc, value):
    out = Gather(5)
    pb.encode_into(desc, value, out)
    out[0:5] = message_prefix(len(out) - 5)
    assert len(out) == sum(len(p) for p in out.parts)
    return b"".join(out.parts)


@pytest.mark.parametrize("gather_min", [1, 512])
@pytest.mark.parametrize("name", sorted(PAIRS))
def test_gather_matches_encode(name, gather_min, monkeypatch):
    # gather_min=1 keeps every bytes value (and encoded string) by reference, so length
    # bytes rewritten by the encoder sit in parts between gathered values.
    monkeypatch.setattr(grpc, "GATHER_MIN", gather_min)
    cls, desc = PAIRS[name]

    @SETTINGS
    @given(message_strategy(cls.DESCRIPTOR))
    def check(value):
        assert _gathered(desc, value) == _framed(pb.encode(desc, value))

    check()


@given(st.integers(0, 70000), st.integers(0, 300))
@settings(max_examples=25, deadline=None, derandomize=True)
def test_large_values_are_kept_by_reference(size, label_len):
    from jotunheim._gen.device import testing_scalars as ts_d

    big = bytes(size)
    msg = {"f_bytes": big, "f_nested": {"id": 7, "label": "x" * label_len}, "f_int32": 3}
    out = Gather(5)
    pb.encode_into(ts_d.Scalars, msg, out)
    out[0:5] = message_prefix(len(out) - 5)
    assert b"".join(out.parts) == _framed(pb.encode(ts_d.Scalars, msg))
    assert any(p is big for p in out.parts) == (size >= grpc.GATHER_MIN)
