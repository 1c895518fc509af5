"""Handlers of the GPIO tools (gpio_read, gpio_write, pwm_set, adc_read) over the HAL.

Imported on the first GPIO command, not with the tools: a device that announces GPIO tools
but never gets a GPIO command does not load this code (declared_tools.HardwareTool).
Functions of the DriverSet, named like the tools, rather than a class: their state is two
dicts kept on it (with the code in ROMFS a class costs ~0.25 KB of heap, its instance more).
"""


def _pin(drivers, num, mode):
    # drivers.gpio: pin -> (mode, object), the pins these tools opened: reading an output
    # must not reconfigure it.
    objs = drivers.gpio
    if objs is None:
        objs = drivers.gpio = {}
    have = objs.get(num)
    if have is not None and (mode == "in" or have[0] == mode):
        return have[1]
    obj = drivers.hal.pin(num, mode)
    objs[num] = (mode, obj)
    return obj


def gpio_read(drivers, p):
    return {"pin": p["pin"], "value": _pin(drivers, p["pin"], "in").value()}


def gpio_write(drivers, p):
    pin = p["pin"]
    pwm = None if drivers.pwms is None else drivers.pwms.pop(pin, None)
    if pwm is not None:
        pwm.deinit()  # the pin goes back to plain digital output
    _pin(drivers, pin, "out").value(p["value"])
    return {"pin": pin, "value": p["value"]}


def pwm_set(drivers, p):
    pin = p["pin"]
    duty = int(p["duty"] * 65535 + 0.5)
    freq = p.get("freq", 1000)
    if drivers.pwms is None:
        drivers.pwms = {}  # pin -> PWM object, from the first pwm_set
    pwm = drivers.pwms.get(pin)
    if pwm is None:
        pwm = drivers.hal.pwm(pin, freq=freq, duty_u16=duty)
        drivers.pwms[pin] = pwm
        if drivers.gpio is not None:
            drivers.gpio.pop(pin, None)
    else:
        pwm.freq(freq)
        pwm.duty_u16(duty)
    return {"pin": pin, "duty": p["duty"], "freq": freq}


def adc_read(drivers, p):
    return {"pin": p["pin"], "value_u16": drivers.hal.adc(p["pin"]).read_u16()}
