"""A fixed pool of preallocated bytearrays for protocol frames (no allocation per frame)."""

from jotunheim.errors import JotunheimError


class BufferPoolExhausted(JotunheimError):
    """Every buffer is in use; raised by acquire() (try_acquire() returns None instead)."""


class BufferPool:
    """`count` bytearrays of `size` bytes, allocated once.

    Exhaustion never allocates a new buffer (that is the point of a pool on a small heap):
    `acquire()` raises BufferPoolExhausted and `try_acquire()` returns None. Releasing a
    buffer the pool does not own, or releasing twice, raises JotunheimError, since either is a
    bug that would otherwise hand one buffer to two users.
    """

    def __init__(self, size, count):
        if not isinstance(size, int) or size <= 0:
            raise JotunheimError("buffer pool size: expected a positive integer, got %r" % (size,))
        if not isinstance(count, int) or count <= 0:
            raise JotunheimError(
                "buffer pool count: expected a positive integer, got %r" % (count,)
            )
        self.size = size
        self.count = count
        self._bufs = [bytearray(size) for _ in range(count)]
        self._in_use = bytearray(count)  # one flag per buffer, no per-call allocation
        self._free = list(range(count - 1, -1, -1))  # stack of free indexes
        self.high_water = 0
        self.exhausted = 0

    def available(self):
        """Buffers ready to acquire."""
        return len(self._free)

    def in_use(self):
        """Buffers currently handed out."""
        return self.count - len(self._free)

    def try_acquire(self):
        """A free buffer, or None when the pool is exhausted."""
        if not self._free:
            self.exhausted += 1
            return None
        i = self._free.pop()
        self._in_use[i] = 1
        used = self.count - len(self._free)
        if used > self.high_water:
            self.high_water = used
        return self._bufs[i]

    def acquire(self):
        """A free buffer (contents left from its previous user); raises when exhausted."""
        buf = self.try_acquire()
        if buf is None:
            raise BufferPoolExhausted(
                "buffer pool exhausted: %d of %d-byte buffers in use" % (self.count, self.size)
            )
        return buf

    def release(self, buf):
        """Give a buffer back to the pool."""
        for i in range(self.count):
            if self._bufs[i] is buf:
                if not self._in_use[i]:
                    raise JotunheimError("buffer pool: buffer %d released twice" % i)
                self._in_use[i] = 0
                self._free.append(i)
                return
        raise JotunheimError("buffer pool: release of a buffer this pool does not own")

    def borrow(self):
        """`with pool.borrow() as buf:` acquires and always releases."""
        return _Borrowed(self)


class _Borrowed:
    def __init__(self, pool):
        self._pool = pool
        self._buf = None

    def __enter__(self):
        self._buf = self._pool.acquire()
        return self._buf

    def __exit__(self, exc_type, exc, tb):
        self._pool.release(self._buf)
        self._buf = None
        return False
