"""gRPC over HTTP/2, the sans-IO part: status codes, GrpcError, message framing, request
headers, metadata and response status, per the gRPC spec (doc/PROTOCOL-HTTP2.md)."""

from jotunheim.compat import IS_MICROPYTHON, const
from jotunheim.errors import JotunheimError


class Status:
    """gRPC status codes (ints on the wire and in the API)."""

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


def status_name(code):
    """'UNAVAILABLE' for 14; 'STATUS_<n>' for codes outside the spec."""
    # The names are Status's own attributes: one table, not a second copy of 17 names.
    if isinstance(code, int):
        for name in dir(Status):
            if name[0] != "_" and getattr(Status, name) == code:
                return name
    return "STATUS_%s" % code


class GrpcError(JotunheimError):
    """A call ended with a non-OK status: .status (int), .message (str), .details (bytes|None)."""

    def __init__(self, status, message="", details=None):
        super().__init__("%s: %s" % (status_name(status), message))
        self.status = status
        self.message = message
        self.details = details


# Largest message we accept from the peer (grpc's default receive limit); a bigger length
# prefix fails the call with RESOURCE_EXHAUSTED before anything is allocated.
MAX_RECEIVE_MESSAGE_SIZE = 4 * 1024 * 1024


def message_prefix(n):
    """The one place that builds the 5-byte prefix: flag 0 (uncompressed), 4-byte length."""
    return b"\x00" + n.to_bytes(4, "big")


def frame_message(payload):
    """A whole length-prefixed message (small messages: one buffer, one DATA frame)."""
    return message_prefix(len(payload)) + payload


# bytes values at least this long are kept by reference when a message is encoded for
# sending (see Gather): a large payload is then never copied into an encoding buffer.
GATHER_MIN = 512


class Gather:
    """The `out` of pb.encode_into for outgoing messages: it supports the bytearray
    operations the encoder uses (append, extend, len, item and slice assignment) but keeps
    `bytes` values of GATHER_MIN bytes or more by reference instead of copying them. The
    message is then a list of buffers (`parts`): small bytearrays holding tags and lengths,
    and the caller's large values, which the channel sends piece by piece. Whole-message
    peak memory on send is thus the request itself, not request + encoding (+ prefix copy).
    """

    def __init__(self, reserve=0):
        self._tail = bytearray(reserve)
        self.parts = [self._tail]
        self._n = reserve

    def __len__(self):
        return self._n

    def append(self, v):
        self._tail.append(v)
        self._n += 1

    def extend(self, v):
        n = len(v)
        if n >= GATHER_MIN and type(v) is bytes:  # immutable: safe to send later as is
            self.parts.append(v)
            self._tail = bytearray()
            self.parts.append(self._tail)
        else:
            self._tail.extend(v)
        self._n += n

    def __setitem__(self, key, value):
        # The encoder only rewrites bytes it appended itself (a reserved length byte), so
        # the target always lies inside one of our bytearrays.
        is_slice = isinstance(key, slice)
        start = key.start if is_slice else key  # made relative to each part in turn
        for part in self.parts:
            if start < len(part):
                if type(part) is not bytearray:
                    raise TypeError("cannot rewrite a gathered value")
                if is_slice:
                    old = len(part)
                    part[start : start + key.stop - key.start] = value
                    self._n += len(part) - old
                else:
                    part[start] = value
                return
            start -= len(part)
        raise IndexError("gather index out of range")

    def set_prefix(self):
        """Fills a reserved 5-byte gRPC prefix (Gather(5)) with the message length."""
        self.parts[0][0:5] = message_prefix(self._n - 5)


# On MicroPython, a collection right before a large allocation (a whole message) lets it
# reuse the space of what was freed since the last one (earlier messages, frames), instead
# of landing past the garbage: the heap fragments less, so smaller heaps suffice.
_BIG_ALLOC = const(8192)


def make_room(n):
    """Collects garbage before allocating n bytes when n is large (MicroPython only: the
    runtime otherwise collects only once an allocation fails)."""
    if IS_MICROPYTHON and n >= _BIG_ALLOC:
        import gc

        gc.collect()


class MessageReader:
    """Reassembles length-prefixed messages from DATA chunks; feed() -> complete messages."""

    def __init__(self, max_size=MAX_RECEIVE_MESSAGE_SIZE):
        self.max_size = max_size
        self._head = b""
        self._buf = None  # preallocated body of the message being read
        self._got = 0

    def pending(self):
        """True while a message is only partly received (end of stream here is an error)."""
        return bool(self._head) or self._buf is not None

    def feed(self, data):
        out = []
        mv = memoryview(data)
        pos = 0
        end = len(data)
        while pos < end:
            if self._buf is None:
                take = min(5 - len(self._head), end - pos)
                self._head += bytes(mv[pos : pos + take])
                pos += take
                if len(self._head) < 5:
                    break
                flag = self._head[0]
                size = int.from_bytes(self._head[1:5], "big")
                self._head = b""
                if flag or size > self.max_size:
                    from jotunheim.wire.grpc_failures import frame_error

                    raise frame_error(flag, size, self.max_size)
                if size == 0:
                    out.append(b"")
                    continue
                make_room(size)
                self._buf = bytearray(size)
                self._got = 0
            take = min(len(self._buf) - self._got, end - pos)
            self._buf[self._got : self._got + take] = mv[pos : pos + take]
            self._got += take
            pos += take
            if self._got == len(self._buf):
                out.append(self._buf)
                self._buf = None
        return out


# The status mappings are only needed when a call fails: they load from grpc_failures then.
def http_status_to_grpc(http_status):
    """gRPC status for a non-200 HTTP response without grpc-status."""
    from jotunheim.wire.grpc_failures import http_status_to_grpc

    return http_status_to_grpc(http_status)


def reset_to_grpc(error_code):
    """gRPC status of a call whose stream the peer reset with error_code."""
    from jotunheim.wire.grpc_failures import reset_to_grpc

    return reset_to_grpc(error_code)
