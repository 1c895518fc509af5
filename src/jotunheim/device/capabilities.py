"""Builds the device's JotunheimCapabilities (capability.proto, dict form) from its settings.

The builder also fills the ToolRegistry with the tools the configuration implies: sensor and
actuator tools, GPIO tools and the scripts/Loki calls of capability_configuration.tools.
Nothing secret (keys, passwords) is ever copied into the result. The work itself is done by
capability_build, loaded only while it runs (tools.run_dropped).
"""

from jotunheim.device.tools import ToolRegistry, run_dropped


def section(settings, name):
    """A settings section as a dict ({} when missing), from Settings or a plain dict."""
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

        loki = section(self.settings, "loki")
        self._loki = LokiClient(loki, local=self.registry)
        return self._loki

    def configure(self):
        """(Re)registers the generated tools from the current settings; listeners not told."""
        run_dropped("capability_build", "configure", self)

    def _capcfg(self):
        return section(self.settings, "capability_configuration")

    def build(self):
        """The JotunheimCapabilities dict for the current settings and registry."""
        return run_dropped("capability_build", "build", self)
