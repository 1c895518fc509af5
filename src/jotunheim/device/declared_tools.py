"""Tools the settings declare: read_<sensor>, set_<actuator>, set_led and GPIO generated from
the hardware, and the configured tools of capability_configuration.tools (on-device
MicroPython scripts; the handler of kind "loki" tools is loki_call.LokiCall).

Drivers are created on first use (`DriverSet`), so a device only loads the driver modules of
the sensors and actuators a command actually touches, and the GPIO handlers (gpio_pins.py)
on the first GPIO command. A script is read and compiled on its first call (script_loader),
not at boot, so unused scripts cost no heap. A tool keeps little more than its name:
parameter lists are made when asked (capability build, command check), not held in the heap,
and the descriptions of these tools are made by capability_build (definition) when the
capabilities are built. Which tools a configuration implies is decided there too.
"""

from jotunheim.device.tools import InvalidArgument, Tool, ToolError, run_dropped


def _p(name, kind, required, lo=None, hi=None, enum=None):
    # A parameter definition dict, without a description: checking a command's arguments
    # needs none, and capability_build (describe_parameter) adds them to the capabilities'
    # wire form, so their text is not kept in the heap. Every range used here has both bounds.
    p = {"name": name, "type": kind, "required": required}
    if lo is not None:
        p["min"] = lo
        p["max"] = hi
    if enum is not None:
        p["enum"] = enum
    return p


class DriverSet:
    """Drivers of the declared sensors/actuators by name, built lazily through devA's factory.

    `capcfg` is the capability_configuration dict or a zero-argument callable returning it:
    the builder passes a reader of the settings, so neither this set nor the tools keep the
    configuration's dicts alive between uses.
    """

    def __init__(self, hal, capcfg, drivers=None):
        self.hal = hal  # gpio_pins opens the GPIO tools' pins through it
        self._source = capcfg
        self._drivers = dict(drivers) if drivers else {}

    # One configuration read shared by a whole build(): capabilities set it while they
    # read every tool's description, then set it back to None.
    pinned = None
    # The GPIO tools' state (gpio_pins.py): pin -> (mode, object) from the first gpio_read or
    # gpio_write, pin -> PWM object from the first pwm_set.
    gpio = None
    pwms = None

    def capcfg(self):
        if self.pinned is not None:
            return self.pinned
        src = self._source
        return src() if callable(src) else src

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

            drv = make_driver(self.hal, cfg, capcfg.get("interfaces") or [])
            # Keyed by the config's own name string (the driver keeps it anyway), not by the
            # caller's `name`, often a slice of a tool name made for this lookup.
            self._drivers[cfg["name"]] = drv
        return drv


class HardwareTool(Tool):
    """A tool generated from the declared hardware. The four kinds share one class (a class
    costs ~0.4 KB of heap before its methods) and are told apart by `_pins`:

    - None: read_<sensor> returns the driver's reading (no parameters); set_<actuator> takes
      `on` (Boolean), a PWM LED (`dimmable`) `on` and/or `brightness` (0..1). The part is the
      name after the prefix: its config is read only when its driver is made or the
      capabilities are built;
    - a dict (pin -> LED name): set_led(pin, on) switches the declared LED on that pin (full
      brightness if PWM);
    - a list (the declared GPIO pins, one list shared by the set): gpio_read, gpio_write,
      pwm_set and adc_read, whose handlers live in gpio_pins.py, loaded on the first call.
    """

    dimmable = False
    _pins = None

    def __init__(self, name, drivers, pins=None):
        self.name = name
        self._drivers = drivers
        if pins is not None:
            self._pins = pins

    @property
    def parameters(self):
        pins = self._pins
        if pins is None:
            if self.name.startswith("read_"):
                return ()
            if self.dimmable:
                return (
                    _p("on", "Boolean", False),
                    _p("brightness", "Number", False, 0, 1),
                )
            return (_p("on", "Boolean", True),)
        if isinstance(pins, dict):
            leds = sorted([p for p in pins if isinstance(p, int)])
            return (
                _p("pin", "Integer", True, enum=leds),
                _p("on", "Boolean", True),
            )
        pin = _p("pin", "Integer", True, enum=pins)
        if self.name == "gpio_write":
            return (pin, _p("value", "Integer", True, 0, 1))
        if self.name == "pwm_set":
            return (
                pin,
                _p("duty", "Number", True, 0, 1),
                _p("freq", "Integer", False, 1, 40000000),
            )
        return (pin,)

    def handler(self, params):
        pins = self._pins
        drivers = self._drivers
        name = self.name
        if isinstance(pins, dict):
            # A PWM LED takes True as full brightness, so one call serves both kinds.
            drivers.get(pins[params["pin"]]).set(bool(params["on"]))
            return {"pin": params["pin"], "on": bool(params["on"])}
        if pins is not None:
            from jotunheim.device import gpio_pins

            return getattr(gpio_pins, name)(drivers, params)
        if name.startswith("read_"):
            return drivers.get(name[5:]).read()
        drv = drivers.get(name[4:])
        if not self.dimmable:
            value = bool(params["on"])
        elif "brightness" in params:
            value = float(params["brightness"])
        elif "on" in params:
            value = 1.0 if params["on"] else 0.0
        else:
            raise InvalidArgument("%s: give 'on' or 'brightness'" % name)
        drv.set(value)
        return {"name": name[4:], "state": drv.state}


class ConfigTool(Tool):
    """A configured tool whose description and parameters stay in the settings (its
    description is read by capability_build when capabilities are built).

    The settings keep every section as compact text (settings.py), so holding the entry's
    parsed dicts here would double them; a command to this tool re-reads them instead (a
    script or Loki call costs far more than that parse).

    A kind "script" tool runs the file at `path` itself (`handler` below): a handler object
    of its own class per script would cost the class (~0.3 KB) and an object per script. A
    kind "loki" tool makes its handler (loki_call.LokiCall) on its first call, which then
    shadows the method; `loki` is what that handler is made of: (the Loki script's name, the
    CapabilityBuilder that makes the Loki client or None when Loki is off).
    """

    def __init__(self, name, kind, return_type, loki_args, source, path=None, env=None):
        self.name = name
        self.kind = kind
        if return_type != "Object":
            self.return_type = return_type
        if loki_args is not None:
            self._loki_args = loki_args
        self._source = source
        if path is not None:
            self.path = path
        if env:
            self._env = env

    _env = {}  # read only (copied into the script's namespace): safe to share
    _run = None  # the script's run(), once loaded

    def handler(self, params):
        if self.kind == "loki":
            # Made on the first call, with its module: a device that declares a Loki tool but
            # does not call it does not load the call code (~0.7 KB of heap with the code in
            # ROMFS, the handler ~0.1 KB more). From then on it is called directly.
            from jotunheim.device.loki_call import LokiCall

            self.handler = LokiCall(*self._loki_args)
            return self.handler(params)
        # A script's run(params), plain or `async def`, returning a JSON-able value. Reading
        # and compiling a script happens once per script: script_loader is loaded for it and
        # dropped again (tools.run_dropped).
        if self._run is None:
            self._run = run_dropped("script_loader", "load", self)
        return self._run(params)

    def _entry(self):
        for cfg in self._source().get("tools") or ():
            if cfg.get("name") == self.name:
                return cfg
        return {}  # removed from the settings: the next configure() drops this tool

    @property
    def parameters(self):
        return self._entry().get("parameters") or []
