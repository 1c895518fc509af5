"""grpc.failure() builds the GrpcError that ends calls; it must not itself fail when the heap
is full (its text module is imported per error), or the channel reader's catch-all would let
the MemoryError escape and leave calls hanging. Also: a transient descriptor "~" alone."""

import sys

import pytest

from jotunheim.errors import EncodeError
from jotunheim.wire import grpc, protobuf
from jotunheim.wire.grpc import GrpcError, Status


class _FullHeap:
    def __getattr__(self, name):
        raise MemoryError("memory allocation failed")


def test_failure_falls_back_to_a_fixed_text_on_memory_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "jotunheim.wire.grpc_texts", _FullHeap())
    err = grpc.failure(Status.INTERNAL, 16, MemoryError())
    assert isinstance(err, GrpcError)
    assert err.status == Status.INTERNAL and err.message == "out of memory"


def test_failure_texts_as_before():
    err = grpc.failure(Status.UNAVAILABLE, 17)
    assert err.status == Status.UNAVAILABLE and err.message == "connection closed by the server"


def test_a_transient_message_without_fields_keeps_its_name():
    with pytest.raises(EncodeError) as info:
        protobuf.encode(["Empty", "~", None, None], {"x": 1})
    assert str(info.value).startswith("Empty")
