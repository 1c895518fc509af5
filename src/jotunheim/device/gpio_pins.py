"""Handlers of the GPIO tools (gpio_read, gpio_write, pwm_set, adc_read) over the HAL.

Imported on the first GPIO command, not with the tools: a device that announces GPIO tools
but never gets a GPIO command does not load this code (declared_tools.HardwareTool).
"""


class GpioPins:
    """The pins the GPIO tools opened; a method per tool, named like the tool."""

    def __init__(self, hal):
        self._hal = hal
        self._objs = {}  # pin -> (mode, object): reading an output must not reconfigure it

    _pwms = None  # pin -> PWM object, a dict from the first pwm_set

    def _pin(self, num, mode):
        have = self._objs.get(num)
        if have is not None and (mode == "in" or have[0] == mode):
            return have[1]
        obj = self._hal.pin(num, mode)
        self._objs[num] = (mode, obj)
        return obj

    def gpio_read(self, p):
        return {"pin": p["pin"], "value": self._pin(p["pin"], "in").value()}

    def gpio_write(self, p):
        pin = p["pin"]
        pwm = None if self._pwms is None else self._pwms.pop(pin, None)
        if pwm is not None:
            pwm.deinit()  # the pin goes back to plain digital output
        self._pin(pin, "out").value(p["value"])
        return {"pin": pin, "value": p["value"]}

    def pwm_set(self, p):
        pin = p["pin"]
        duty = int(p["duty"] * 65535 + 0.5)
        freq = p.get("freq", 1000)
        if self._pwms is None:
            self._pwms = {}
        pwm = self._pwms.get(pin)
        if pwm is None:
            pwm = self._hal.pwm(pin, freq=freq, duty_u16=duty)
            self._pwms[pin] = pwm
            self._objs.pop(pin, None)
        else:
            pwm.freq(freq)
            pwm.duty_u16(duty)
        return {"pin": pin, "duty": p["duty"], "freq": freq}

    def adc_read(self, p):
        return {"pin": p["pin"], "value_u16": self._hal.adc(p["pin"]).read_u16()}
