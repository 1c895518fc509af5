"""Dead-peer detection (device/deadpeer.py), including the tick wrap."""

from devtest import Clock, raises

from jotunheim.compat import ticks_add
from jotunheim.device.deadpeer import DeadPeerDetector
from jotunheim.errors import JotunheimError


def test_peer_alive_until_timeout_then_dead():
    clock = Clock(1000)
    d = DeadPeerDetector(500, now=clock)
    clock.advance(499)
    assert not d.is_dead()
    assert d.ms_since_seen() == 499
    assert d.remaining_ms() == 1
    clock.advance(1)
    assert d.is_dead()
    assert d.remaining_ms() == 0


def test_seen_resets_the_timer():
    clock = Clock()
    d = DeadPeerDetector(100, now=clock)
    for _ in range(10):
        clock.advance(90)
        d.seen()
    assert not d.is_dead()
    assert d.ms_since_seen() == 0


def test_dead_verdict_is_sticky_until_seen():
    clock = Clock()
    d = DeadPeerDetector(100, now=clock)
    clock.advance(150)
    assert d.is_dead()
    # Even if the tick span later reads small again (wrap), the verdict holds.
    assert d.is_dead(now=ticks_add(clock.t, -140))
    d.seen()
    assert not d.is_dead()


def test_explicit_now_arguments_work_without_a_clock():
    d = DeadPeerDetector(1000, now=lambda: 0)
    d.seen(5000)
    assert not d.is_dead(5999)
    assert d.ms_since_seen(5999) == 999
    assert d.is_dead(6000)


def test_detector_survives_tick_wrap():
    start = ticks_add(0, -30)  # 30 ms before the counter wraps to 0
    d = DeadPeerDetector(100, now=lambda: start)
    assert d.ms_since_seen(ticks_add(start, 50)) == 50  # a small number after the wrap
    assert not d.is_dead(ticks_add(start, 50))
    assert d.is_dead(ticks_add(start, 100))


def test_span_beyond_tick_range_counts_as_dead():
    d = DeadPeerDetector(100, now=lambda: 500)
    behind = ticks_add(500, -5)  # reads as "before last seen": more than half a period passed
    assert d.ms_since_seen(behind) == -1
    assert d.is_dead(behind)


def test_detector_rejects_bad_timeout():
    with raises(JotunheimError, "dead_peer_timeout_ms"):
        DeadPeerDetector(0)
