"""Tools generated from the declared hardware: read_<sensor>, set_<actuator>, set_led, GPIO.

Drivers are created on first use (`DriverSet`), so a device only loads the driver modules of
the sensors and actuators a command actually touches.
"""

from jotunheim.device.tools import InvalidArgument, Tool, ToolError, check_name

# What each sensor driver's read() returns, for the tool description an agent reads.
SENSOR_FIELDS = {
    "dht22": "temperature_c, humidity_pct",
    "dht11": "temperature_c, humidity_pct",
    "ds18b20": "temperature_c",
    "bmp280": "temperature_c, pressure_hpa",
}
PWM_LED_DRIVERS = ("pwm_led", "pwmled", "dimmable_led")


def _p(name, kind, required, description, lo=None, hi=None, enum=None):
    p = {"name": name, "type": kind, "required": required, "description": description}
    if lo is not None:
        p["min"] = lo
    if hi is not None:
        p["max"] = hi
    if enum is not None:
        p["enum"] = enum
    return p


# Parameter definitions shared by every generated tool: built once at import, not per tool.
_SWITCH_PARAMS = (_p("on", "Boolean", True, "true switches it on"),)
_PWM_LED_PARAMS = (
    _p("on", "Boolean", False, "switch fully on/off"),
    _p("brightness", "Number", False, "0.0 (off) .. 1.0 (full)", 0, 1),
)
_LED_ON = _p("on", "Boolean", True, "true lights it")
_VALUE = _p("value", "Integer", True, "0 or 1", 0, 1)
_DUTY = _p("duty", "Number", True, "duty cycle 0.0 .. 1.0", 0, 1)
_FREQ = _p("freq", "Integer", False, "Hz (default 1000)", 1, 40000000)


def is_led(cfg):
    return cfg.get("driver") == "led" or cfg.get("driver") in PWM_LED_DRIVERS


def is_pwm_led(cfg):
    return cfg.get("driver") in PWM_LED_DRIVERS or (is_led(cfg) and bool(cfg.get("pwm")))


class DriverSet:
    """Drivers of the declared sensors/actuators by name, built lazily through devA's factory.

    `capcfg` is the capability_configuration dict or a zero-argument callable returning it:
    the builder passes a reader of the settings, so neither this set nor the tools keep the
    configuration's dicts alive between uses.
    """

    def __init__(self, hal, capcfg, drivers=None):
        self._hal = hal
        self._source = capcfg
        self._drivers = dict(drivers) if drivers else {}

    _pinned = None  # one configuration read shared by a whole build() (see pin())

    def capcfg(self):
        if self._pinned is not None:
            return self._pinned
        src = self._source
        return src() if callable(src) else src

    def pin(self, capcfg):
        """Use `capcfg` for config() until pin(None) (saves re-reading it per tool)."""
        self._pinned = capcfg

    def config(self, name, capcfg=None):
        """The sensor or actuator config called `name` (ToolError when none is declared)."""
        capcfg = capcfg or self.capcfg()
        for key in ("sensors", "actuators"):
            for cfg in capcfg.get(key) or ():
                if cfg.get("name") == name:
                    return cfg
        raise ToolError("no driver declared for %r" % (name,))

    def get(self, name):
        drv = self._drivers.get(name)
        if drv is None:
            capcfg = self.capcfg()
            cfg = self.config(name, capcfg)
            from jotunheim.device.drivers import make_driver  # lazy: only when first used

            drv = make_driver(self._hal, cfg, capcfg.get("interfaces") or [])
            # Keyed by the config's own name string (the driver keeps it anyway), not by the
            # caller's `name`, often a slice of a tool name made for this lookup.
            self._drivers[cfg["name"]] = drv
        return drv


class SensorTool(Tool):
    """read_<sensor>: returns the driver's reading (no parameters)."""

    parameters = ()

    def __init__(self, cfg, drivers):
        check_name("read_" + cfg["name"])
        self.name = "read_" + cfg["name"]  # the sensor is name[5:]: nothing else kept
        self._drivers = drivers

    @property
    def description(self):  # built when capabilities are, not kept per tool
        cfg = self._drivers.config(self.name[5:])
        fields = SENSOR_FIELDS.get(cfg.get("driver", ""))
        desc = cfg.get("description") or "Read sensor %s (%s)" % (cfg["name"], cfg.get("driver"))
        return desc + "; returns " + fields if fields else desc

    def handler(self, params):
        return self._drivers.get(self.name[5:]).read()


class ActuatorTool(Tool):
    """set_<actuator>: `on` (Boolean); a PWM LED takes `on` and/or `brightness` (0..1)."""

    parameters = _SWITCH_PARAMS

    def __init__(self, cfg, drivers):
        check_name("set_" + cfg["name"])
        self.name = "set_" + cfg["name"]  # the actuator is name[4:]
        self._drivers = drivers
        if is_pwm_led(cfg):
            self.parameters = _PWM_LED_PARAMS

    @property
    def description(self):
        cfg = self._drivers.config(self.name[4:])
        return cfg.get("description") or "Set actuator %s (%s)" % (cfg["name"], cfg.get("driver"))

    def handler(self, p):
        name = self.name[4:]
        if self.parameters is _PWM_LED_PARAMS:
            if "brightness" in p:
                value = float(p["brightness"])
            elif "on" in p:
                value = 1.0 if p["on"] else 0.0
            else:
                raise InvalidArgument("set_%s: give 'on' or 'brightness'" % name)
        else:
            value = bool(p["on"])
        drv = self._drivers.get(name)
        drv.set(value)
        return {"name": name, "state": drv.state}


class LedTool(Tool):
    """set_led(pin, on): switches the declared LED on that pin (full brightness if PWM)."""

    name = "set_led"
    description = "Switch a declared LED by pin"

    def __init__(self, leds, drivers):
        self._by_pin = {}  # pin -> LED name
        for cfg in leds:
            self._by_pin[cfg.get("pin")] = cfg["name"]
        self._drivers = drivers

    @property
    def parameters(self):
        # Made when asked (per build or command, then dropped) rather than kept per device.
        pins = sorted([p for p in self._by_pin if isinstance(p, int)])
        return (_p("pin", "Integer", True, "pin of a declared LED", enum=pins), _LED_ON)

    def handler(self, p):
        # A PWM LED takes True as full brightness, so one call serves both kinds.
        self._drivers.get(self._by_pin[p["pin"]]).set(bool(p["on"]))
        return {"pin": p["pin"], "on": bool(p["on"])}


class GpioTools:
    """gpio_read / gpio_write / pwm_set / adc_read, restricted to the declared pins."""

    def __init__(self, hal, gpio):
        self._hal = hal
        self.pins = sorted([p for p in (gpio.get("pins") or []) if isinstance(p, int)])
        # Only the switches tools() needs, not the settings' dict.
        self._kinds = (gpio.get("digital", True), gpio.get("pwm"), gpio.get("analog"))
        self._objs = {}  # pin -> (mode, object): reading an output must not reconfigure it

    _pwms = None  # pin -> PWM object, a dict from the first pwm_set

    @property
    def pin_param(self):
        return _p("pin", "Integer", True, "a declared GPIO pin", enum=self.pins)

    def _pin(self, num, mode):
        have = self._objs.get(num)
        if have is not None and (mode == "in" or have[0] == mode):
            return have[1]
        obj = self._hal.pin(num, mode)
        self._objs[num] = (mode, obj)
        return obj

    def read(self, p):
        return {"pin": p["pin"], "value": self._pin(p["pin"], "in").value()}

    def write(self, p):
        self._pwm_off(p["pin"])
        self._pin(p["pin"], "out").value(p["value"])
        return {"pin": p["pin"], "value": p["value"]}

    def pwm(self, p):
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

    def adc(self, p):
        return {"pin": p["pin"], "value_u16": self._hal.adc(p["pin"]).read_u16()}

    def _pwm_off(self, pin):
        pwm = None if self._pwms is None else self._pwms.pop(pin, None)
        if pwm is not None:
            pwm.deinit()

    def tools(self):
        if not self.pins:
            return []
        digital, pwm, analog = self._kinds
        names = ("gpio_read", "gpio_write") if digital else ()
        names += ("pwm_set",) if pwm else ()
        names += ("adc_read",) if analog else ()
        return [GpioTool(name, self) for name in names]


# GPIO tool name -> (description, GpioTools method, parameters after `pin`): class-level, so
# a tool instance holds only its name and its GpioTools.
_GPIO = {
    "gpio_read": ("Read a digital pin (0/1)", GpioTools.read, ()),
    "gpio_write": ("Drive a digital pin", GpioTools.write, (_VALUE,)),
    "pwm_set": ("Set PWM on a pin", GpioTools.pwm, (_DUTY, _FREQ)),
    "adc_read": ("Read an analog pin (0..65535)", GpioTools.adc, ()),
}


class GpioTool(Tool):
    """One of the GPIO tools of a GpioTools set."""

    def __init__(self, name, gpio):
        self.name = name
        self._gpio = gpio

    @property
    def description(self):
        return _GPIO[self.name][0]

    @property
    def parameters(self):
        return (self._gpio.pin_param,) + _GPIO[self.name][2]

    def handler(self, p):
        return _GPIO[self.name][1](self._gpio, p)


def hardware_tools(hal, capcfg, drivers):
    """Every auto-generated tool for this capability configuration, in a stable order."""
    out = []
    for cfg in capcfg.get("sensors") or []:
        out.append(SensorTool(cfg, drivers))
    leds = []
    for cfg in capcfg.get("actuators") or []:
        out.append(ActuatorTool(cfg, drivers))
        if is_led(cfg) and isinstance(cfg.get("pin"), int):
            leds.append(cfg)
    if leds:
        out.append(LedTool(leds, drivers))
    out.extend(GpioTools(hal, capcfg.get("gpio") or {}).tools())
    return out
