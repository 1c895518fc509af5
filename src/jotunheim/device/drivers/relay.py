"""Relay driver: a digital output, optionally active-low (most relay boards energise on 0)."""

from jotunheim.device.drivers import DriverError


class Relay:
    """`set(True)` energises the coil; the relay starts released (off) when created."""

    kind = "actuator"

    def __init__(self, hal, config, bus=None):
        self.name = config.get("name", "relay")
        self.pin = config["pin"]
        self.active_low = bool(config.get("active_low", False))
        self._pin = hal.pin(self.pin, "out")
        self.state = False
        self._write(False)  # a relay must never start energised by accident

    def _write(self, on):
        self._pin.value(1 if on != self.active_low else 0)
        self.state = on

    def set(self, value):
        if value is not True and value is not False:
            raise DriverError("%s: expected true or false, got %r" % (self.name, value))
        self._write(value)
        return self.state

    def on(self):
        return self.set(True)

    def off(self):
        return self.set(False)
