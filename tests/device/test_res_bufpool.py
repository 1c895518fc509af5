"""Buffer pool (device/bufpool.py): preallocation, exhaustion, misuse."""

from devtest import raises

from jotunheim.device.bufpool import BufferPool, BufferPoolExhausted
from jotunheim.errors import JotunheimError


def test_pool_hands_out_distinct_preallocated_buffers():
    pool = BufferPool(64, 3)
    bufs = [pool.acquire() for _ in range(3)]
    assert all(len(b) == 64 and isinstance(b, bytearray) for b in bufs)
    assert bufs[0] is not bufs[1] and bufs[1] is not bufs[2]
    assert pool.available() == 0 and pool.in_use() == 3 and pool.high_water == 3


def test_exhaustion_raises_or_returns_none_without_allocating():
    pool = BufferPool(16, 2)
    a = pool.acquire()
    pool.acquire()
    assert pool.try_acquire() is None
    with raises(BufferPoolExhausted, "2 of 16-byte"):
        pool.acquire()
    assert pool.exhausted == 2
    pool.release(a)
    assert pool.acquire() is a  # the same memory comes back, nothing new was allocated


def test_released_buffers_are_reused_lifo():
    pool = BufferPool(8, 4)
    a = pool.acquire()
    b = pool.acquire()
    pool.release(a)
    pool.release(b)
    assert pool.acquire() is b
    assert pool.acquire() is a


def test_double_release_and_foreign_buffers_are_rejected():
    pool = BufferPool(8, 2)
    a = pool.acquire()
    pool.release(a)
    with raises(JotunheimError, "released twice"):
        pool.release(a)
    with raises(JotunheimError, "does not own"):
        pool.release(bytearray(8))
    assert pool.available() == 2


def test_borrow_releases_even_on_error():
    pool = BufferPool(8, 1)
    with pool.borrow() as buf:
        buf[0] = 7
        assert pool.available() == 0
    assert pool.available() == 1
    with raises(ValueError):
        with pool.borrow():
            raise ValueError("boom")
    assert pool.available() == 1


def test_bad_sizes_are_rejected():
    with raises(JotunheimError, "size"):
        BufferPool(0, 1)
    with raises(JotunheimError, "count"):
        BufferPool(8, 0)
