"""Token bucket and bandwidth monitor (device/bandwidth.py) on an injected clock."""

from devtest import Clock, raises

from jotunheim.compat import ticks_add
from jotunheim.device.bandwidth import BandwidthMonitor, TokenBucket
from jotunheim.errors import JotunheimError


def test_burst_is_free_then_rate_limits():
    clock = Clock()
    tb = TokenBucket(1000, 500, now=clock)  # 1000 B/s, 500 B burst
    assert tb.consume(500) == 0
    assert tb.consume(100) == 100  # 100 bytes at 1 B/ms
    assert tb.consume(100) == 200  # debt accumulates for callers queued behind
    clock.advance(200)
    assert tb.available() == 0
    assert tb.consume(1) == 1


def test_refill_is_capped_at_burst():
    clock = Clock()
    tb = TokenBucket(100, 50, now=clock)
    tb.consume(50)
    clock.advance(60000)
    assert tb.available() == 50
    assert tb.consume(60) == 100  # 10 bytes short at 100 B/s


def test_wait_is_rounded_up():
    clock = Clock()
    tb = TokenBucket(3, 0, now=clock)
    assert tb.consume(1) == 334  # 333.3 ms rounded up, never early


def test_sustained_rate_matches_configuration():
    clock = Clock()
    tb = TokenBucket(2000, 200, now=clock)
    sent = 0
    for _ in range(100):
        wait = tb.consume(100)
        clock.advance(wait)
        sent += 100
    # 10 000 bytes at 2000 B/s with a 200 B head start: about 4.9 s of virtual time
    assert 4850 <= clock.t <= 4950


def test_unlimited_never_waits():
    tb = TokenBucket(0)
    assert tb.consume(10**6) == 0


def test_tick_wrap_refills_fully():
    clock = Clock(ticks_add(0, -50))
    tb = TokenBucket(1000, 100, now=clock)
    tb.consume(100)
    clock.advance(100)  # crosses the wrap
    assert tb.available() == 100


async def test_throttle_sleeps_the_returned_wait():
    clock = Clock()
    slept = []

    async def sleep(ms):
        slept.append(ms)
        clock.advance(ms)

    tb = TokenBucket(1000, 10, now=clock)
    assert await tb.throttle(10, sleep) == 0
    assert await tb.throttle(50, sleep) == 50
    assert slept == [50]


def test_bad_values_are_rejected():
    with raises(JotunheimError, "bandwidth_bps"):
        TokenBucket(-1)
    with raises(JotunheimError, "consume"):
        TokenBucket(10).consume(-3)


def test_monitor_counts_totals_and_per_second_rates():
    clock = Clock()
    mon = BandwidthMonitor(now=clock)
    mon.sent(300)
    mon.received(1200)
    clock.advance(500)
    mon.sent(200)
    assert mon.rates() == (0, 0)  # first window not complete yet
    clock.advance(500)
    assert mon.rates() == (500, 1200)
    assert mon.bytes_sent == 500 and mon.bytes_received == 1200
    clock.advance(2000)
    assert mon.rates() == (0, 0)  # idle window


async def test_monitor_send_allowance_uses_the_limiter():
    clock = Clock()

    async def sleep(ms):
        clock.advance(ms)

    mon = BandwidthMonitor(TokenBucket(100, 100, now=clock), now=clock)
    assert await mon.send_allowance(100, sleep) == 0
    assert await mon.send_allowance(50, sleep) == 500
    assert mon.bytes_sent == 150
