"""The build-time half of the capabilities: derives the tools from the settings (configure),
checks tool definitions, describes the generated tools and assembles the
JotunheimCapabilities dict (build). It runs at connect, on a settings edit and when a tool is
registered: loaded for the call and dropped again on MicroPython (tools.run_dropped), so a
device does not carry this code between builds; calls made while a build runs (definition
checks, descriptions) find it loaded (tools.build_call)."""

from jotunheim.compat import const
from jotunheim.device.capabilities import section
from jotunheim.device.declared_tools import ConfigTool, DriverSet, HardwareTool
from jotunheim.device.tools import Tool

# What a tool definition may say; types as in capability.proto ParameterDefinition.type.
_TYPES = const(("String", "Number", "Integer", "Boolean", "Object", "Array"))
_KINDS = const(("builtin", "script", "loki"))
_MAX_TOOL_NAME = const(64)  # capability names travel in every CapabilityResponse: keep short

PROTOCOL_VERSION = "1"  # DeviceHub session protocol (hub.proto header)

# What each sensor driver's read() returns, for the tool description an agent reads.
SENSOR_FIELDS = {
    "dht22": "temperature_c, humidity_pct", "ds18b20": "temperature_c",
    "bmp280": "temperature_c, pressure_hpa",
}  # fmt: skip


def _bad_definition(message):
    # tools makes this class on first use (tools.__getattr__): not at every capability build.
    from jotunheim.device.tools import ToolDefinitionError

    return ToolDefinitionError(message)


def _valid_name(name):
    if not isinstance(name, str) or not name or len(name) > _MAX_TOOL_NAME:
        return False
    # An ASCII identifier, checked on its UTF-8 bytes as ints: a str's characters, iterated
    # or indexed, become qstrs on MicroPython, never freed (and MicroPython's isalpha() is
    # ASCII-only anyway, so both runtimes now agree on names like "café").
    data = name.encode()
    for b in data:
        if not (b == 95 or 97 <= (b | 32) <= 122 or 48 <= b <= 57):  # _, a-z/A-Z, 0-9
            return False
    return not 48 <= data[0] <= 57


def check_name(name):
    """Raises ToolDefinitionError unless `name` can be a tool name."""
    if not _valid_name(name):
        raise _bad_definition("tool name %r: expected an identifier" % (name,))


def check_tool(name, params, kind):
    """Tool.__init__'s checks: the name, the kind and the parameter definitions."""
    check_name(name)
    if kind not in _KINDS:
        raise _bad_definition("tool %s: kind must be one of %s" % (name, ", ".join(_KINDS)))
    _check_definition(name, params)


def _check_definition(tool_name, params):
    if not isinstance(params, list):
        raise _bad_definition("tool %s: parameters must be a list" % tool_name)
    seen = {}
    for i, p in enumerate(params):
        where = "tool %s: parameters[%d]" % (tool_name, i)
        if not isinstance(p, dict):
            raise _bad_definition(where + ": expected an object")
        name = p.get("name")
        if not _valid_name(name):
            raise _bad_definition(where + ".name: expected an identifier")
        if name in seen:
            raise _bad_definition(where + ".name: duplicate parameter %s" % name)
        seen[name] = True
        if p.get("type") not in _TYPES:
            raise _bad_definition(where + ".type: expected one of " + ", ".join(_TYPES))
        for key in ("min", "max"):
            v = p.get(key)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
                raise _bad_definition(where + "." + key + ": expected a number")
        if p.get("enum") is not None and not isinstance(p.get("enum"), list):
            raise _bad_definition(where + ".enum: expected a list")


def definition(tool):
    """The capability.proto Tool dict of `tool` (only the fields the wire carries)."""
    hardware = isinstance(tool, HardwareTool)
    out = []
    for p in tool.parameters:  # read once: subclasses may derive it on access
        text = describe_parameter(tool, p["name"]) if hardware else p.get("description")
        out.append({
            "name": p["name"], "type": p["type"],
            "required": bool(p.get("required", False)), "description": text or "",
        })  # fmt: skip
    if hardware:
        desc = describe(tool)
    elif isinstance(tool, ConfigTool):
        desc = tool._entry().get("description") or ""
    else:
        desc = tool.description
    return {
        "name": tool.name,
        "description": desc,
        "parameters": out,
        "return_type": tool.return_type,
    }


# --- ToolRegistry's operations served from here (ToolRegistry.__getattr__).


def unregister(registry, name, notify=True):
    """ToolRegistry.unregister: removes a tool; True when it existed."""
    i = registry._index(name)
    if i < 0:
        return False
    registry._tools.pop(i)
    registry.version += 1
    if notify:
        registry.notify()
    return True


def names(registry):
    return [t.name for t in registry._tools]


def definitions(registry):
    return [definition(t) for t in registry._tools]


def describe_parameter(tool, name):
    """The description of parameter `name` of a generated tool (HardwareTool's parameter
    dicts carry none: checking arguments does not need it)."""
    led = isinstance(tool._pins, dict)  # set_led
    if name == "on":
        if led:
            return "true lights it"
        return "switch fully on/off" if tool.dimmable else "true switches it on"
    if name == "pin":
        return "pin of a declared LED" if led else "a declared GPIO pin"
    return {
        "brightness": "0.0 (off) .. 1.0 (full)", "value": "0 or 1",
        "duty": "duty cycle 0.0 .. 1.0", "freq": "Hz (default 1000)",
    }.get(name)  # fmt: skip


def describe(tool):
    """The description of a generated tool (HardwareTool): made here, not kept by the tool."""
    name = tool.name
    pins = tool._pins
    if isinstance(pins, dict):
        return "Switch a declared LED by pin"
    if pins is not None:
        if name == "gpio_read":
            return "Read a digital pin (0/1)"
        if name == "gpio_write":
            return "Drive a digital pin"
        return "Set PWM on a pin" if name == "pwm_set" else "Read an analog pin (0..65535)"
    if not name.startswith("read_"):
        cfg = tool._drivers.config(name[4:])
        return cfg.get("description") or "Set actuator %s (%s)" % (cfg["name"], cfg.get("driver"))
    cfg = tool._drivers.config(name[5:])
    fields = SENSOR_FIELDS.get(cfg.get("driver", ""))
    desc = cfg.get("description") or "Read sensor %s (%s)" % (cfg["name"], cfg.get("driver"))
    return desc + "; returns " + fields if fields else desc


def hardware_tools(hal, capcfg, drivers):
    """Every auto-generated tool for this capability configuration, in a stable order."""
    out = []
    for cfg in capcfg.get("sensors") or []:
        out.append(HardwareTool("read_" + cfg["name"], drivers))
    leds = {}  # pin -> LED name
    for cfg in capcfg.get("actuators") or []:
        tool = HardwareTool("set_" + cfg["name"], drivers)
        if cfg.get("driver") == "led":
            if cfg.get("pwm"):
                tool.dimmable = True
            if isinstance(cfg.get("pin"), int):
                leds[cfg["pin"]] = cfg["name"]
        out.append(tool)
    if leds:
        out.append(HardwareTool("set_led", drivers, leds))
    gpio = capcfg.get("gpio") or {}
    pins = sorted([p for p in gpio.get("pins") or [] if isinstance(p, int)])
    if pins:
        names = ("gpio_read", "gpio_write") if gpio.get("digital", True) else ()
        names += ("pwm_set",) if gpio.get("pwm") else ()
        names += ("adc_read",) if gpio.get("analog") else ()
        for name in names:
            out.append(HardwareTool(name, drivers, pins))
    for tool in out:
        check_name(tool.name)  # a part named "my-room" cannot become read_my-room
    return out


def config_tool(cfg, script_dir, env, loki, source):
    """A ConfigTool for one capability_configuration.tools entry. `source` (a zero-argument
    callable returning the current capability_configuration) is where the tool reads its
    description and parameters when asked, instead of holding the entry's dicts and strings.
    """
    name = cfg.get("name")
    kind = cfg.get("kind", "script")
    params = cfg.get("parameters") or []
    desc = cfg.get("description", "")
    ret = cfg.get("return_type") or "Object"
    path = loki_args = None
    if kind == "script":
        path = cfg.get("script")
        if not isinstance(path, str) or not path:
            raise _bad_definition("tool %s: kind script needs a 'script' path" % (name,))
        if script_dir and not path.startswith("/"):  # relative to the settings file
            path = script_dir.rstrip("/") + "/" + path
    elif kind == "loki":  # the tool makes its LokiCall of these on its first call
        loki_args = (cfg.get("loki_script") or name, loki)  # LokiCall's, made at first call
    else:
        raise _bad_definition("tool %s: kind must be script or loki" % (name,))
    Tool(name, desc, params, ret, None, kind)  # checks the whole definition
    return ConfigTool(name, kind, ret, loki_args, source, path, env)


def configure(builder):
    """CapabilityBuilder.configure(): (re)registers the tools the settings imply."""
    capcfg = section(builder.settings, "capability_configuration")
    builder.drivers = DriverSet(builder.hal, builder._capcfg, builder._given_drivers)
    loki_mode = section(builder.settings, "loki").get("mode", "off")
    loki = None if loki_mode == "off" and builder._loki is None else builder
    env = {"hal": builder.hal, "drivers": builder.drivers}
    tools = hardware_tools(builder.hal, capcfg, builder.drivers)
    source = builder.drivers.capcfg  # one bound method shared by the configured tools
    for cfg in capcfg.get("tools") or []:
        tools.append(config_tool(cfg, builder.script_dir, env, loki, source))
    names = [t.name for t in tools]
    for old in builder._owned:
        if old not in names:
            unregister(builder.registry, old, False)
    for tool in tools:
        builder.registry.register(tool, notify=False)
    builder._owned = tuple(names)


def build(builder):
    """CapabilityBuilder.build(): the JotunheimCapabilities dict."""
    if builder.drivers is None:  # not configured yet
        builder.configure()
    settings = builder.settings
    ident = section(settings, "identity")
    capcfg = section(settings, "capability_configuration")
    gpio = capcfg.get("gpio") or {}
    limits = section(settings, "resource_limits")
    builder.drivers.pinned = capcfg  # tool descriptions read this one copy
    try:
        tools = definitions(builder.registry)
    finally:
        builder.drivers.pinned = None
    features = builder._features
    return {
        "device_id": ident.get("device_id") or "",
        "device_name": ident.get("name") or "",
        "device_type": ident.get("type") or "",
        "firmware_version": builder.firmware_version or ident.get("firmware_version") or "",
        "protocol_version": PROTOCOL_VERSION,
        "tools": tools,
        "hardware": {
            "gpio": {
                "available_pins": [p for p in gpio.get("pins") or () if isinstance(p, int)],
                "digital": bool(gpio.get("digital", True)),
                "analog": bool(gpio.get("analog", False)),
                "pwm": bool(gpio.get("pwm", False)),
            },
            "interfaces": [
                i.get("name") or i.get("type") or "" for i in capcfg.get("interfaces") or ()
            ],
            "sensors": _labels(capcfg.get("sensors")),
            "actuators": _labels(capcfg.get("actuators")),
        },
        "resources": {
            "max_memory_kb": int(limits.get("max_memory_kb", 0)),
            "max_cpu_percent": int(limits.get("max_cpu_percent", 80)),
            "max_concurrent_tools": int(limits.get("max_concurrent_tools", 2)),
        },
        "features": {
            "streaming": bool(features.get("streaming", True)),
            "compression": bool(features.get("compression", False)),
            "encryption": bool(section(settings, "hub").get("tls", False)),
        },
    }


def _labels(items):
    # capability.proto: "driver:name", e.g. dht22:room, relay:pump
    return ["%s:%s" % (c.get("driver", ""), c.get("name", "")) for c in items or ()]
