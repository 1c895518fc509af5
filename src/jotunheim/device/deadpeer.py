"""Dead-peer detection: a peer is dead when nothing was heard from it for `timeout_ms`."""

from jotunheim.compat import ticks_diff, ticks_ms
from jotunheim.errors import JotunheimError


class DeadPeerDetector:
    """Tracks the last time the peer was heard from, in wrapping ticks.

    Ticks wrap (2**30 ms on MicroPython, about 12.4 days) and `ticks_diff` is only meaningful
    for spans under half a period, so a negative span is read as "very long ago" (dead), and
    once dead the detector stays dead until `seen()`: a verdict never flips back on its own.
    Every method takes an optional `now` (ticks) so callers and tests drive the clock.
    """

    def __init__(self, timeout_ms, now=ticks_ms):
        if not isinstance(timeout_ms, int) or timeout_ms <= 0:
            raise JotunheimError(
                "dead_peer_timeout_ms: expected a positive integer, got %r" % (timeout_ms,)
            )
        self.timeout_ms = timeout_ms
        self._now = now
        # Creation counts as contact: the peer gets one full timeout to say something.
        self._last = now()
        self._dead = False

    def seen(self, now=None):
        """Record traffic from the peer (any frame, ping ack or heartbeat reply)."""
        self._last = self._now() if now is None else now
        self._dead = False

    def ms_since_seen(self, now=None):
        """Milliseconds since the last contact; -1 when the span is beyond tick range."""
        span = ticks_diff(self._now() if now is None else now, self._last)
        return span if span >= 0 else -1

    def is_dead(self, now=None):
        """True once `timeout_ms` passed without contact (sticky until `seen()`)."""
        if not self._dead:
            span = self.ms_since_seen(now)
            self._dead = span < 0 or span >= self.timeout_ms
        return self._dead

    def remaining_ms(self, now=None):
        """Milliseconds left before the peer is declared dead (0 when already dead)."""
        if self.is_dead(now):
            return 0
        return self.timeout_ms - self.ms_since_seen(now)
