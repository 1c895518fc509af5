"""What to do about a failure: classify(exc) -> "retry" | "give_up" | "report".

The table (docs/resilience.md repeats it):

| failure                                                        | verdict  |
|----------------------------------------------------------------|----------|
| gRPC UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED                   | retry    |
| gRPC RESOURCE_EXHAUSTED (after at least the policy delay)      | retry    |
| gRPC INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED,           | give_up  |
|   UNAUTHENTICATED, UNIMPLEMENTED, ALREADY_EXISTS,              |          |
|   FAILED_PRECONDITION, OUT_OF_RANGE, CANCELLED                 |          |
| gRPC UNKNOWN, INTERNAL, DATA_LOSS, other codes                 | report   |
| OSError with a network errno (ECONNRESET, ETIMEDOUT, ...)      | retry    |
| OSError without an errno or with a negative (TLS stack) code   | retry    |
| OSError with another errno (ENOENT, ENOSPC, EACCES, ...)       | report   |
| asyncio.TimeoutError / TimeoutError                            | retry    |
| MemoryError                                                    | report   |
| an exception with a boolean `retryable` attribute              | retry / give_up |
| jotunheim DecodeError / EncodeError (malformed data)           | give_up  |
| anything else                                                  | report   |
"""

import errno

RETRY = "retry"
GIVE_UP = "give_up"
REPORT = "report"

# gRPC status codes (grpc/doc/statuscodes.md); kept here so classification works before
# or without the wire layer.
OK = 0
CANCELLED = 1
UNKNOWN = 2
INVALID_ARGUMENT = 3
DEADLINE_EXCEEDED = 4
NOT_FOUND = 5
ALREADY_EXISTS = 6
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
FAILED_PRECONDITION = 9
ABORTED = 10
OUT_OF_RANGE = 11
UNIMPLEMENTED = 12
INTERNAL = 13
UNAVAILABLE = 14
DATA_LOSS = 15
UNAUTHENTICATED = 16

_GRPC_RETRY = (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED)
_GRPC_GIVE_UP = (
    INVALID_ARGUMENT,
    NOT_FOUND,
    PERMISSION_DENIED,
    UNAUTHENTICATED,
    UNIMPLEMENTED,
    ALREADY_EXISTS,
    FAILED_PRECONDITION,
    OUT_OF_RANGE,
    CANCELLED,
)


def _errno_set():
    # Not every port defines every name (the unix port lacks EPIPE), so look them up.
    out = []
    for name in (
        "ECONNRESET",
        "ETIMEDOUT",
        "ECONNREFUSED",
        "ECONNABORTED",
        "EHOSTUNREACH",
        "ENETUNREACH",
        "ENETDOWN",
        "ENOTCONN",
        "EPIPE",
        "EAGAIN",
        "EWOULDBLOCK",
        "EINPROGRESS",
        "EALREADY",
    ):
        code = getattr(errno, name, None)
        if code is not None:
            out.append(code)
    return tuple(out)


NETWORK_ERRNOS = _errno_set()

_grpc_error_class = []  # [class or None], filled on first use


def _grpc_error_type():
    if not _grpc_error_class:
        try:
            from jotunheim.wire.grpc import GrpcError

            _grpc_error_class.append(GrpcError)
        except ImportError:
            _grpc_error_class.append(None)
    return _grpc_error_class[0]


def grpc_status(exc):
    """The gRPC status code an exception carries, or None when it is not a gRPC error."""
    cls = _grpc_error_type()
    status = getattr(exc, "status", None)
    if cls is not None and isinstance(exc, cls):
        return status
    # Duck typing: errors from other gRPC clients (or before the wire layer exists).
    # bool is excluded explicitly because CPython's bool is an int (MicroPython's is not).
    if isinstance(status, int) and not isinstance(status, bool) and 0 <= status <= 16:
        return status
    return None


def os_errno(exc):
    """The errno of an OSError (None when absent); MicroPython keeps it in args[0]."""
    code = getattr(exc, "errno", None)
    if code is None and exc.args and isinstance(exc.args[0], int):
        code = exc.args[0]
    return code


def classify(exc):
    """Verdict for one failure, per the table in this module's docstring."""
    status = grpc_status(exc)
    if status is not None:
        if status in _GRPC_RETRY:
            return RETRY
        if status in _GRPC_GIVE_UP:
            return GIVE_UP
        return REPORT
    if isinstance(exc, MemoryError):
        return REPORT
    retryable = getattr(exc, "retryable", None)
    if retryable is True:
        return RETRY
    if retryable is False:
        return GIVE_UP
    if _is_timeout(exc):
        return RETRY
    if isinstance(exc, OSError):
        code = os_errno(exc)
        if code is None or not isinstance(code, int) or code < 0 or code in NETWORK_ERRNOS:
            return RETRY
        return REPORT
    from jotunheim.errors import DecodeError, EncodeError

    if isinstance(exc, (DecodeError, EncodeError)):
        return GIVE_UP
    return REPORT


def needs_delay(exc):
    """True when a retry must wait at least the policy's delay (the peer asked us to slow down)."""
    return grpc_status(exc) == RESOURCE_EXHAUSTED or getattr(exc, "slow_down", False) is True


def _is_timeout(exc):
    # asyncio.TimeoutError is its own class on MicroPython and an alias of the builtin
    # TimeoutError (an OSError) on CPython >= 3.11; check both without importing asyncio
    # eagerly.
    try:
        import asyncio

        if isinstance(exc, asyncio.TimeoutError):
            return True
    except ImportError:
        pass
    timeout_cls = _builtin_timeout()
    return timeout_cls is not None and isinstance(exc, timeout_cls)


def _builtin_timeout():
    try:
        return TimeoutError  # noqa: F821 (absent on MicroPython)
    except NameError:
        return None
