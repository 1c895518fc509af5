"""LED driver: on/off through a digital pin, or brightness 0..1 through PWM (`pwm: true`)."""

from jotunheim.compat import const
from jotunheim.device.drivers import failure

_FULL = const(65535)
# Failure messages: numbers into drivers/messages.py LED (loaded on the first failure).
_NEEDS_PWM = const(0)
_BAD_VALUE = const(1)


class LED:
    """`set(True/False)`; a PWM LED also takes a brightness float 0.0..1.0. `state` is the
    last value (bool for a plain LED, float for a PWM LED)."""

    kind = "actuator"
    # Defaults at class level: an instance stores only what differs (a smaller attribute
    # table on MicroPython's heap).
    active_low = False
    dimmable = False
    state = False

    def __init__(self, hal, config, bus=None):
        self.name = config.get("name", "led")
        self.pin = config["pin"]
        if config.get("active_low", False):
            self.active_low = True
        if config.get("pwm", False):
            self.dimmable = True
        # _out is the PWM channel of a dimmable LED, else the output pin; start dark (state
        # False, or 0.0 with PWM).
        dark = 1 if self.active_low else 0
        if self.dimmable:
            self._out = hal.pwm(self.pin, freq=config.get("freq", 1000), duty_u16=dark * _FULL)
            self.state = 0.0
        else:
            self._out = hal.pin(self.pin, "out")
            self._out.value(dark)

    def set(self, value):
        if value is True or value is False:
            level = 1.0 if value else 0.0
        elif isinstance(value, (int, float)) and 0 <= value <= 1:
            level = float(value)
            if not self.dimmable and level != 0.0 and level != 1.0:
                raise failure("LED", _NEEDS_PWM, self.name)
        else:
            raise failure("LED", _BAD_VALUE, self.name, value)
        if self.dimmable:
            duty = int(level * _FULL + 0.5)
            self._out.duty_u16(_FULL - duty if self.active_low else duty)
            self.state = level
        else:
            on = level >= 0.5
            self._out.value(1 if on != self.active_low else 0)
            self.state = on
        return self.state

    def on(self):
        return self.set(True)

    def off(self):
        return self.set(False)

    def toggle(self):
        return self.set(not self.state)
