"""Failure classification (device/errors_policy.py): retry / give_up / report."""

import errno

from jotunheim.device import errors_policy as ep
from jotunheim.device.errors_policy import GIVE_UP, REPORT, RETRY, classify, needs_delay
from jotunheim.errors import DecodeError, EncodeError


class FakeGrpcError(Exception):
    def __init__(self, status):
        super().__init__("status %d" % status)
        self.status = status


def test_grpc_statuses_follow_the_table():
    for code in (ep.UNAVAILABLE, ep.DEADLINE_EXCEEDED, ep.RESOURCE_EXHAUSTED, ep.ABORTED):
        assert classify(FakeGrpcError(code)) == RETRY, code
    for code in (
        ep.INVALID_ARGUMENT,
        ep.NOT_FOUND,
        ep.PERMISSION_DENIED,
        ep.UNAUTHENTICATED,
        ep.UNIMPLEMENTED,
        ep.ALREADY_EXISTS,
        ep.FAILED_PRECONDITION,
        ep.OUT_OF_RANGE,
        ep.CANCELLED,
    ):
        assert classify(FakeGrpcError(code)) == GIVE_UP, code
    for code in (ep.UNKNOWN, ep.INTERNAL, ep.DATA_LOSS):
        assert classify(FakeGrpcError(code)) == REPORT, code


def test_real_grpc_error_is_classified_when_the_wire_layer_exists():
    try:
        from jotunheim.wire.grpc import GrpcError, Status
    except ImportError:
        return  # wire layer not built yet: the duck-typed path above covers the table
    assert classify(GrpcError(Status.UNAVAILABLE, "down")) == RETRY
    assert classify(GrpcError(Status.UNAUTHENTICATED, "who?")) == GIVE_UP
    assert classify(GrpcError(Status.INTERNAL, "oops")) == REPORT


def test_network_oserrors_are_retried():
    for code in (errno.ECONNRESET, errno.ETIMEDOUT, errno.ECONNREFUSED, errno.EHOSTUNREACH):
        assert classify(OSError(code)) == RETRY, code
    assert classify(OSError(-29312)) == RETRY  # mbedTLS-style negative code on boards
    assert classify(OSError("handshake failed")) == RETRY  # no errno at all


def test_local_oserrors_are_reported():
    assert classify(OSError(errno.ENOENT)) == REPORT
    assert classify(OSError(errno.EACCES)) == REPORT


def test_timeouts_are_retried():
    import asyncio

    assert classify(asyncio.TimeoutError()) == RETRY


def test_memory_error_is_reported_never_retried():
    assert classify(MemoryError()) == REPORT


def test_malformed_data_is_given_up():
    assert classify(DecodeError("field 3: truncated")) == GIVE_UP
    assert classify(EncodeError("x: not an int")) == GIVE_UP


def test_retryable_attribute_decides_for_project_errors():
    from jotunheim.device.scheduler import ResourceExhausted
    from jotunheim.device.wifi import WifiError

    assert classify(ResourceExhausted("busy")) == RETRY
    assert needs_delay(ResourceExhausted("busy"))
    assert classify(WifiError("no AP", "no_ap_found")) == RETRY
    assert classify(WifiError("bad password", "wrong_password")) == GIVE_UP


def test_unknown_errors_are_reported():
    assert classify(ValueError("?")) == REPORT
    assert classify(KeyError("k")) == REPORT


def test_boolean_status_attribute_is_not_a_grpc_status():
    class Odd(Exception):
        status = True

    assert ep.grpc_status(Odd()) is None
    assert classify(Odd()) == REPORT


def test_resource_exhausted_requires_a_delay_before_retry():
    assert needs_delay(FakeGrpcError(ep.RESOURCE_EXHAUSTED))
    assert not needs_delay(FakeGrpcError(ep.UNAVAILABLE))
    assert not needs_delay(OSError(errno.ECONNRESET))
