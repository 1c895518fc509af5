"""Bandwidth: a token-bucket limiter and a monitor counting bytes with per-second rates.

Rates are in bytes per second (settings `resource_limits.bandwidth_bps`, 0 = unlimited).
"""

from jotunheim.compat import ticks_diff, ticks_ms
from jotunheim.errors import JotunheimError


class TokenBucket:
    """`rate_bps` bytes/s sustained, up to `burst` bytes at once.

    Tokens are kept in byte-milliseconds (bytes * 1000) so the arithmetic stays integer
    (ESP8266 floats have ~22 bits of precision). `consume(n)` always takes the tokens and may
    drive the bucket into debt; the returned wait is how long until the debt is repaid, so
    callers that honour it, one after another, get the configured rate, and a send bigger
    than `burst` is still possible (it just waits longer).
    """

    def __init__(self, rate_bps, burst=None, now=ticks_ms):
        if not isinstance(rate_bps, int) or rate_bps < 0:
            raise JotunheimError("bandwidth_bps: expected an integer >= 0, got %r" % (rate_bps,))
        if burst is None:
            burst = rate_bps
        if not isinstance(burst, int) or burst < 0:
            raise JotunheimError("bandwidth burst: expected an integer >= 0, got %r" % (burst,))
        self.rate_bps = rate_bps
        self.burst = burst
        self._now = now
        self._tokens = burst * 1000
        self._last = now()

    @classmethod
    def from_settings(cls, limits, now=ticks_ms):
        """From `resource_limits.bandwidth_bps` (0 = unlimited); burst = one second's worth."""
        return cls(limits.get("bandwidth_bps", 0), now=now)

    def unlimited(self):
        return self.rate_bps == 0

    def _refill(self):
        now = self._now()
        elapsed = ticks_diff(now, self._last)
        self._last = now
        full = self.burst * 1000
        if elapsed < 0:  # beyond tick range: certainly long enough to refill
            self._tokens = full
            return
        self._tokens += elapsed * self.rate_bps
        if self._tokens > full:
            self._tokens = full

    def available(self):
        """Whole bytes that could be sent now without waiting (negative while in debt)."""
        if self.unlimited():
            return self.burst
        self._refill()
        return self._tokens // 1000

    def consume(self, n):
        """Take `n` bytes of allowance; returns the ms to wait before sending them (0 = now)."""
        if not isinstance(n, int) or n < 0:
            raise JotunheimError("bandwidth consume: expected an integer >= 0, got %r" % (n,))
        if self.unlimited() or n == 0:
            return 0
        self._refill()
        self._tokens -= n * 1000
        if self._tokens >= 0:
            return 0
        # Ceiling division: waiting one ms too few would let the sender run ahead of the rate.
        return (-self._tokens + self.rate_bps - 1) // self.rate_bps

    async def throttle(self, n, sleep=None):
        """Consume `n` and sleep for the returned wait."""
        wait = self.consume(n)
        if wait:
            if sleep is None:
                from jotunheim.device.retry import sleep_ms as sleep
            await sleep(wait)
        return wait


class BandwidthMonitor:
    """Totals of bytes sent/received and their rates over the last completed window (~1 s)."""

    def __init__(self, limiter=None, now=ticks_ms, window_ms=1000):
        self.limiter = limiter
        self._now = now
        self.window_ms = window_ms
        self.bytes_sent = 0
        self.bytes_received = 0
        self._win_start = now()
        self._win_sent = 0
        self._win_recv = 0
        self._rate_sent = 0
        self._rate_recv = 0

    def _roll(self):
        now = self._now()
        elapsed = ticks_diff(now, self._win_start)
        if elapsed < 0 or elapsed >= self.window_ms:
            if elapsed <= 0:
                self._rate_sent = self._rate_recv = 0
            else:
                self._rate_sent = self._win_sent * 1000 // elapsed
                self._rate_recv = self._win_recv * 1000 // elapsed
            self._win_start = now
            self._win_sent = self._win_recv = 0

    def sent(self, n):
        """Count `n` bytes written to the network."""
        self._roll()
        self.bytes_sent += n
        self._win_sent += n

    def received(self, n):
        """Count `n` bytes read from the network."""
        self._roll()
        self.bytes_received += n
        self._win_recv += n

    async def send_allowance(self, n, sleep=None):
        """Wait for the limiter (if any) and count `n` bytes as sent; returns the wait in ms."""
        wait = 0
        if self.limiter is not None:
            wait = await self.limiter.throttle(n, sleep)
        self.sent(n)
        return wait

    def rates(self):
        """(sent, received) in bytes per second over the last completed window."""
        self._roll()
        return self._rate_sent, self._rate_recv
