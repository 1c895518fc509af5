"""Retry an async operation under a RetryPolicy, honouring errors_policy.classify verdicts."""

from jotunheim.device import errors_policy
from jotunheim.errors import JotunheimError


async def sleep_ms(ms):
    """asyncio sleep in milliseconds on both runtimes (CPython has no asyncio.sleep_ms)."""
    import asyncio

    await asyncio.sleep(ms / 1000)


class RetryPolicy:
    """How often and how long to wait between attempts.

    `max_retries`: retries after the first attempt (None = forever; the settings file's
    `max_retries: 0` means forever and `from_settings` maps it to None). The wait before a
    retry is `backoff.next_delay_ms()` when a Backoff is given, else `delay_ms`; errors that
    ask us to slow down (gRPC RESOURCE_EXHAUSTED) always wait at least `delay_ms`.
    """

    def __init__(self, max_retries=3, delay_ms=1000, backoff=None):
        if max_retries is not None and (not isinstance(max_retries, int) or max_retries < 0):
            raise JotunheimError(
                "max_retries: expected None or an integer >= 0, got %r" % (max_retries,)
            )
        if not isinstance(delay_ms, int) or delay_ms < 0:
            raise JotunheimError("retry_delay_ms: expected an integer >= 0, got %r" % (delay_ms,))
        self.max_retries = max_retries
        self.delay_ms = delay_ms
        self.backoff = backoff

    @classmethod
    def from_settings(cls, resilience, backoff=None):
        """From `network_resilience_settings` (max_retries 0 = retry forever)."""
        n = resilience.get("max_retries", 0)
        return cls(None if n == 0 else n, resilience.get("retry_delay_ms", 1000), backoff)

    def allows(self, retries_done):
        """True when one more retry is allowed after `retries_done` retries."""
        return self.max_retries is None or retries_done < self.max_retries

    def delay_for(self, exc):
        """Milliseconds to wait before retrying after `exc`."""
        delay = self.backoff.next_delay_ms() if self.backoff is not None else self.delay_ms
        if errors_policy.needs_delay(exc) and delay < self.delay_ms:
            delay = self.delay_ms
        return delay


async def retry(fn, policy, classify=errors_policy.classify, sleep=sleep_ms, on_retry=None):
    """Await `fn()` until it succeeds, retrying only failures classified "retry".

    "give_up" and "report" failures, and the last failure once retries run out, are raised
    unchanged (callers keep the gRPC status / errno). `on_retry(exc, attempt, delay_ms)` is
    called before each wait. The policy's backoff is reset after a success. Cancellation
    (asyncio.CancelledError, a BaseException) is never caught.
    """
    retries = 0
    while True:
        try:
            result = await fn()
        except Exception as exc:
            if classify(exc) != errors_policy.RETRY or not policy.allows(retries):
                raise
            delay = policy.delay_for(exc)
            retries += 1
            if on_retry is not None:
                on_retry(exc, retries, delay)
            await sleep(delay)
            continue
        if policy.backoff is not None:
            policy.backoff.reset()
        return result
