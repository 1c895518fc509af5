"""Full-jitter exponential backoff (Backoff in device/session_wire.py)."""

from devtest import raises

from jotunheim.device.session_wire import Backoff
from jotunheim.errors import JotunheimError


def _fixed(value):
    return lambda: value


def test_backoff_ceiling_doubles_up_to_the_cap():
    b = Backoff(100, 1000, jitter="none")
    assert [b.next_delay_ms() for _ in range(7)] == [100, 200, 400, 800, 1000, 1000, 1000]


def test_backoff_full_jitter_spans_zero_to_ceiling():
    low = Backoff(100, 1000, rng=_fixed(0.0))
    assert [low.next_delay_ms() for _ in range(5)] == [0, 0, 0, 0, 0]
    high = Backoff(100, 1000, rng=_fixed(0.9999999))
    assert [high.next_delay_ms() for _ in range(6)] == [100, 200, 400, 800, 1000, 1000]
    mid = Backoff(100, 1000, rng=_fixed(0.5))
    assert [mid.next_delay_ms() for _ in range(5)] == [50, 100, 200, 400, 500]


def test_backoff_default_rng_stays_in_range_and_varies():
    b = Backoff(64, 64)
    seen = [b.next_delay_ms() for _ in range(200)]
    assert min(seen) >= 0 and max(seen) <= 64
    assert len(set(seen)) > 10  # jitter actually spreads the delays


def test_backoff_reset_starts_from_base_again():
    b = Backoff(10, 10000, jitter="none")
    for _ in range(5):
        b.next_delay_ms()
    assert b.ceiling_ms() == 320
    b.reset()
    assert b.attempt == 0
    assert b.next_delay_ms() == 10


def test_backoff_exponent_stops_growing_at_the_cap():
    b = Backoff(500, 30000, rng=_fixed(0.5))
    for _ in range(10000):
        b.next_delay_ms()
    assert b.attempt <= 7  # 500 * 2**6 = 32000 > cap: no huge integers after weeks of retries
    assert b.next_delay_ms() == 15000


def test_backoff_from_settings_section():
    b = Backoff.from_settings(
        {"backoff_base_ms": 250, "backoff_cap_ms": 2000, "jitter": "full"}, rng=_fixed(0.9999)
    )
    assert [b.next_delay_ms() for _ in range(5)] == [250, 500, 1000, 2000, 2000]
    assert Backoff.from_settings({}).cap_ms == 30000


def test_backoff_rejects_bad_arguments_naming_them():
    with raises(JotunheimError, "base_ms"):
        Backoff(0, 100)
    with raises(JotunheimError, "cap_ms"):
        Backoff(100, 50)
    with raises(JotunheimError, "jitter"):
        Backoff(100, 200, jitter="equal")
    with raises(JotunheimError, "rng"):
        Backoff(100, 200, rng=_fixed(1.0)).next_delay_ms()
