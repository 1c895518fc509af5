"""The reconnect backoff (Backoff): the device session makes one after its first failed
attempt (so a device whose hub connection never fails does not load this module), WiFi and
the Loki client use it too. The session's errors and identity are in session.py."""

from jotunheim.errors import JotunheimError


# --- Exponential backoff with full jitter, as defined in the AWS Architecture Blog post
# "Exponential Backoff And Jitter": sleep = random_between(0, min(cap, base * 2 ** attempt)).
def _default_rng():
    # getrandbits exists on every MicroPython port; random.random() is an optional extra.
    import random

    return random.getrandbits(24) / 16777216


class Backoff:
    """Delays for successive attempts; `next_delay_ms()` advances, `reset()` after a success.

    `rng()` returns a float in [0, 1); inject a fixed one in tests. `jitter="none"` gives
    the plain exponential ceiling (useful for logs and tests, not for fleets: synchronized
    retries from many devices are exactly what jitter exists to avoid).
    """

    def __init__(self, base_ms=500, cap_ms=30000, rng=None, jitter="full"):
        # One check, one message: the values come from validated settings, so this catches
        # only programming errors, and every extra message string costs heap on the device.
        if not (
            type(base_ms) is int
            and type(cap_ms) is int
            and 0 < base_ms <= cap_ms
            and (jitter == "full" or jitter == "none")
        ):
            raise JotunheimError(
                "backoff: expected integers 0 < base_ms <= cap_ms and jitter 'full' or 'none',"
                " got %r, %r, %r" % (base_ms, cap_ms, jitter)
            )
        self.base_ms = base_ms
        self.cap_ms = cap_ms
        self.jitter = jitter
        self._rng = rng or _default_rng
        self.attempt = 0

    @classmethod
    def from_settings(cls, resilience, rng=None):
        """Build from the `network_resilience_settings` section of the device settings."""
        return cls(
            resilience.get("backoff_base_ms", 500),
            resilience.get("backoff_cap_ms", 30000),
            rng=rng,
            jitter=resilience.get("jitter", "full"),
        )

    def ceiling_ms(self):
        """The upper bound of the next delay: min(cap, base * 2 ** attempt)."""
        # Shift stays small: attempt stops growing once the cap is reached (see next_delay_ms).
        return min(self.cap_ms, self.base_ms << self.attempt)

    def next_delay_ms(self):
        """Delay before the next attempt, in integer milliseconds within [0, ceiling]."""
        ceiling = self.ceiling_ms()
        if ceiling < self.cap_ms:
            # Freeze the exponent at the cap so a device retrying for weeks never builds a
            # huge integer (long ints cost heap on MicroPython).
            self.attempt += 1
        if self.jitter == "none":
            return ceiling
        r = self._rng()
        if r < 0 or r >= 1:
            raise JotunheimError("backoff rng: must return a float in [0, 1), got %r" % (r,))
        return int(r * (ceiling + 1))

    def reset(self):
        """Start again from the base delay (call after a successful attempt)."""
        self.attempt = 0
