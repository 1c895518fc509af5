"""Relay driver: a digital output, optionally active-low (most relay boards energise on 0)."""

from jotunheim.compat import const
from jotunheim.device.drivers import failure
from jotunheim.device.drivers.led import LED

_BAD_VALUE = const(0)  # drivers/messages.py Relay[0]


class Relay(LED):
    """`set(True)` energises the coil; the relay starts released (off) when created.

    A relay is driven as a plain (not PWM) LED is, so it shares the LED's methods: with the
    code in ROMFS each method is a heap object while its module is loaded, and a device with
    a relay has a status LED too more often than not. Only `set` differs: a relay takes true
    or false, never a level.
    """

    def __init__(self, hal, config, bus=None):
        self.name = config.get("name", "relay")
        self.pin = config["pin"]
        if config.get("active_low", False):
            self.active_low = True
        self._out = hal.pin(self.pin, "out")
        self._out.value(1 if self.active_low else 0)  # a relay must never start energised

    def set(self, value):
        if value is not True and value is not False:
            raise failure("Relay", _BAD_VALUE, self.name, value)
        return LED.set(self, value)
