"""Retry manager (device/retry.py) honouring the error classification."""

import errno

from devtest import raises

from jotunheim.device.errors_policy import RESOURCE_EXHAUSTED, UNAVAILABLE
from jotunheim.device.retry import RetryPolicy, retry
from jotunheim.device.session_wire import Backoff
from jotunheim.errors import JotunheimError


class FakeGrpcError(Exception):
    def __init__(self, status):
        super().__init__("status %d" % status)
        self.status = status


class Flaky:
    """An async operation failing with the given exceptions, then returning "ok"."""

    def __init__(self, *failures):
        self.failures = list(failures)
        self.calls = 0

    async def __call__(self):
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


class Sleeps:
    def __init__(self):
        self.delays = []

    async def __call__(self, ms):
        self.delays.append(ms)


async def test_retry_recovers_from_transient_failures_with_backoff_delays():
    fn = Flaky(OSError(errno.ECONNRESET), FakeGrpcError(UNAVAILABLE))
    sleeps = Sleeps()
    policy = RetryPolicy(5, 1000, Backoff(100, 1000, jitter="none"))
    assert await retry(fn, policy, sleep=sleeps) == "ok"
    assert fn.calls == 3
    assert sleeps.delays == [100, 200]
    assert policy.backoff.attempt == 0  # reset after the success


async def test_retry_without_backoff_uses_the_fixed_delay():
    fn = Flaky(OSError(errno.ETIMEDOUT))
    sleeps = Sleeps()
    assert await retry(fn, RetryPolicy(2, 750), sleep=sleeps) == "ok"
    assert sleeps.delays == [750]


async def test_give_up_errors_are_raised_at_once():
    fn = Flaky(FakeGrpcError(3))  # INVALID_ARGUMENT
    sleeps = Sleeps()
    with raises(FakeGrpcError) as r:
        await retry(fn, RetryPolicy(5, 10), sleep=sleeps)
    assert r.value.status == 3
    assert fn.calls == 1 and sleeps.delays == []


async def test_reported_errors_are_raised_at_once():
    fn = Flaky(MemoryError())
    with raises(MemoryError):
        await retry(fn, RetryPolicy(5, 10), sleep=Sleeps())
    assert fn.calls == 1


async def test_exhausted_retries_raise_the_last_error():
    fn = Flaky(OSError(errno.ECONNRESET), OSError(errno.ECONNREFUSED), OSError(errno.ETIMEDOUT))
    with raises(OSError) as r:
        await retry(fn, RetryPolicy(2, 5), sleep=Sleeps())
    assert fn.calls == 3  # first attempt + 2 retries
    assert r.value.args[0] == errno.ETIMEDOUT


async def test_zero_retries_means_one_attempt():
    fn = Flaky(OSError(errno.ECONNRESET))
    with raises(OSError):
        await retry(fn, RetryPolicy(0, 5), sleep=Sleeps())
    assert fn.calls == 1


async def test_forever_policy_keeps_retrying():
    fn = Flaky(*[OSError(errno.ECONNRESET) for _ in range(40)])
    sleeps = Sleeps()
    assert await retry(fn, RetryPolicy(None, 1), sleep=sleeps) == "ok"
    assert fn.calls == 41 and len(sleeps.delays) == 40


async def test_resource_exhausted_waits_at_least_the_policy_delay():
    fn = Flaky(FakeGrpcError(RESOURCE_EXHAUSTED), OSError(errno.ECONNRESET))
    sleeps = Sleeps()
    policy = RetryPolicy(3, 400, Backoff(10, 100, rng=lambda: 0.0))  # backoff says 0
    assert await retry(fn, policy, sleep=sleeps) == "ok"
    assert sleeps.delays == [400, 0]


async def test_custom_classifier_is_honoured_and_on_retry_reports():
    fn = Flaky(ValueError("flaky sensor"))
    seen = []
    policy = RetryPolicy(1, 3)

    def on_retry(exc, attempt, delay):
        seen.append((str(exc), attempt, delay))

    result = await retry(fn, policy, classify=lambda e: "retry", sleep=Sleeps(), on_retry=on_retry)
    assert result == "ok"
    assert seen == [("flaky sensor", 1, 3)]


def test_policy_from_settings_maps_zero_to_forever():
    p = RetryPolicy.from_settings({"max_retries": 0, "retry_delay_ms": 250})
    assert p.max_retries is None and p.delay_ms == 250 and p.allows(10**6)
    q = RetryPolicy.from_settings({"max_retries": 3})
    assert q.max_retries == 3 and q.allows(2) and not q.allows(3)


def test_policy_rejects_bad_values():
    with raises(JotunheimError, "max_retries"):
        RetryPolicy(-1)
    with raises(JotunheimError, "retry_delay_ms"):
        RetryPolicy(1, -5)
