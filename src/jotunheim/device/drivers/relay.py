"""Relay driver: a digital output, optionally active-low (most relay boards energise on 0)."""

from jotunheim.compat import const
from jotunheim.device.drivers import failure

_BAD_VALUE = const(0)  # drivers/messages.py Relay[0]


class Relay:
    """`set(True)` energises the coil; the relay starts released (off) when created."""

    kind = "actuator"
    # Defaults at class level: an instance stores only what differs.
    active_low = False
    state = False

    def __init__(self, hal, config, bus=None):
        self.name = config.get("name", "relay")
        self.pin = config["pin"]
        if config.get("active_low", False):
            self.active_low = True
        self._pin = hal.pin(self.pin, "out")
        self._write(False)  # a relay must never start energised by accident

    def _write(self, on):
        self._pin.value(1 if on != self.active_low else 0)
        if on or self.state:  # the default (False) needs no instance slot
            self.state = on

    def set(self, value):
        if value is not True and value is not False:
            raise failure("Relay", _BAD_VALUE, self.name, value)
        self._write(value)
        return self.state

    def on(self):
        return self.set(True)

    def off(self):
        return self.set(False)
