"""Builds the device's JotunheimCapabilities (capability.proto, dict form) from its settings.

The builder also fills the ToolRegistry with the tools the configuration implies: sensor and
actuator tools, GPIO tools and the scripts/Loki calls of capability_configuration.tools.
Nothing secret (keys, passwords) is ever copied into the result.
"""

from jotunheim.device.hw_tools import DriverSet, hardware_tools
from jotunheim.device.script_tools import config_tool
from jotunheim.device.tools import ToolRegistry

PROTOCOL_VERSION = "1"  # DeviceHub session protocol (hub.proto header)


def _section(settings, name):
    # Settings.section() reads a section without keeping it open (parsed on demand), so the
    # builder holds no settings dicts between builds; plain dicts (and objects holding one
    # as `.data`) work too.
    peek = getattr(settings, "section", None)
    if peek is not None:
        value = peek(name, None)
    else:
        value = getattr(settings, "data", settings).get(name)
    return value if isinstance(value, dict) else {}


class CapabilityBuilder:
    """`build()` -> JotunheimCapabilities dict; `configure()` re-derives the generated tools."""

    def __init__(
        self,
        settings,
        hal=None,
        registry=None,
        drivers=None,
        script_dir="",
        loki=None,
        runtime_features=None,
    ):
        self.settings = settings
        self.hal = hal
        self.registry = registry if registry is not None else ToolRegistry()
        # Only values that differ from the class defaults below take an instance slot.
        if drivers is not None:
            self._given_drivers = drivers
        if script_dir:
            self.script_dir = script_dir
        if loki is not None:
            self._loki = loki
        if runtime_features:
            self._features = runtime_features

    _given_drivers = None
    script_dir = ""
    _loki = None
    _features = {}  # read only (.get), never mutated: safe to share
    _owned = ()  # names of tools this builder registered (replaced on configure)
    drivers = None  # the DriverSet, made by configure()

    def _loki_client(self):
        # Handed to kind "loki" tools as a factory: the wire/gRPC code is imported only when a
        # Loki tool is first called, never on devices that do not use Loki.
        if self._loki is not None:
            return self._loki
        from jotunheim.device.loki_client import LokiClient

        loki = _section(self.settings, "loki")
        self._loki = LokiClient(loki, local=self.registry)
        return self._loki

    def configure(self):
        """(Re)registers the generated tools from the current settings; listeners not told."""
        capcfg = _section(self.settings, "capability_configuration")
        self.drivers = DriverSet(self.hal, self._capcfg, self._given_drivers)
        loki_mode = _section(self.settings, "loki").get("mode", "off")
        loki = None if loki_mode == "off" and self._loki is None else self._loki_client
        env = {"hal": self.hal, "drivers": self.drivers}
        tools = hardware_tools(self.hal, capcfg, self.drivers)
        source = self.drivers.capcfg  # one bound method shared by the configured tools
        for cfg in capcfg.get("tools") or []:
            tools.append(config_tool(cfg, self.script_dir, env, loki, source))
        names = [t.name for t in tools]
        for old in self._owned:
            if old not in names:
                self.registry.unregister(old, notify=False)
        for tool in tools:
            self.registry.register(tool, notify=False)
        self._owned = tuple(names)

    def _capcfg(self):
        return _section(self.settings, "capability_configuration")

    def build(self):
        """The JotunheimCapabilities dict for the current settings and registry."""
        if self.drivers is None:  # not configured yet
            self.configure()
        settings = self.settings
        ident = _section(settings, "identity")
        capcfg = _section(settings, "capability_configuration")
        gpio = capcfg.get("gpio") or {}
        limits = _section(settings, "resource_limits")
        self.drivers.pin(capcfg)  # tool descriptions read this one copy
        try:
            tools = self.registry.definitions()
        finally:
            self.drivers.pin(None)
        features = self._features
        return {
            "device_id": ident.get("device_id") or "",
            "device_name": ident.get("name") or "",
            "device_type": ident.get("type") or "",
            "firmware_version": ident.get("firmware_version") or "",
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
                "encryption": bool(_section(settings, "hub").get("tls", False)),
            },
        }


def _labels(items):
    # capability.proto: "driver:name", e.g. dht22:room, relay:pump
    return ["%s:%s" % (c.get("driver", ""), c.get("name", "")) for c in items or ()]
