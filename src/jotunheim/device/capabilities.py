"""The device's capabilities: CapabilityBuilder makes the JotunheimCapabilities dict
(capability.proto, dict form) from the settings, CapabilityPropagator tells listeners when it
changes, CapabilityNegotiator answers the hub's CapabilityRequest from a cache.

The builder also fills the ToolRegistry with the tools the configuration implies: sensor and
actuator tools, GPIO tools and the scripts/Loki calls of capability_configuration.tools.
Nothing secret (keys, passwords) is ever copied into the result. The work itself is done by
capability_build and capability_announce, loaded only while they run (tools.run_dropped).
The three classes share one module because the flow always loads them together, and every
module costs its own names and path as qstrs (docs/micropython-notes.md).
"""

from jotunheim.compat import const
from jotunheim.device.tools import ToolRegistry, run_dropped
from jotunheim.errors import JotunheimError


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
    # The running version when OTA booted an installed update: the settings file keeps the
    # factory one, and a settings reload must not announce that again.
    firmware_version = None
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


# --- CapabilityPropagator: emits CapabilityUpdateEvent dicts (connected / updated /
# disconnected). Changes come from a script registered in the ToolRegistry, a settings
# reload (Settings.on_change) or an installed update; a rebuild that changes nothing emits
# nothing. Announcing happens at connect and on changes only (capability_announce).

# Settings sections whose change means the generated tools must be re-derived.
TOOL_SECTIONS = ("capability_configuration", "loki")


class CapabilityPropagator:
    """Tracks the last announced capabilities and tells listeners `callback(event)` of changes."""

    def __init__(self, builder, settings=None, registry=None, logger=None):
        self.builder = builder
        self.log = logger
        self._listeners = []
        if settings is not None and hasattr(settings, "on_change"):
            settings.on_change(self._on_settings)
        (builder.registry if registry is None else registry).on_change(self._on_registry)

    # What was last announced, kept encoded (deterministic bytes, ~1/4 of the dict's heap):
    # equal bytes mean nothing changed, and the negotiator reuses them as its cache.
    last_encoded = None
    # The registry version last_encoded was built at from the current settings (None: not
    # known to be current): while it holds, a reconnect re-sends last_encoded unrebuilt.
    last_version = None
    is_connected = False
    _building = False  # configure() running: its registry notifications are ours

    def add_listener(self, callback):
        self._listeners.append(callback)

    def remove_listener(self, callback):
        if callback in self._listeners:
            self._listeners.remove(callback)

    def connected(self):
        """The session is up: announce the full capabilities once (the event carries the
        DeviceMessage bytes as "device_message" when re-sent unchanged from the cache)."""
        return run_dropped("capability_announce", "announce", self, "connected")

    def disconnected(self):
        """The session ended (or the device is shutting down)."""
        return run_dropped("capability_announce", "announce", self, "disconnected")

    def refresh(self):
        """Rebuilds; emits and returns an "updated" event only when something changed."""
        return run_dropped("capability_announce", "announce", self, "updated")

    def after_update(self):
        """After an OTA install or a runtime reconfiguration: re-derive tools, then refresh."""
        return run_dropped("capability_announce", "announce", self, "reconfigured")

    def _on_settings(self, settings, changed=None):
        run_dropped("capability_announce", "settings_changed", self, changed)

    def _on_registry(self, registry):
        if not self._building:
            self.refresh()


# --- CapabilityNegotiator: answers the hub's CapabilityRequest within a timeout. Only the
# encoded CapabilityResponse is kept between requests (about 1 KB for a typical device,
# against ~3.5 KB for the dict form on the 64-bit unix port): a reconnecting device
# re-announces without rebuilding or re-encoding anything.
_DEFAULT_TIMEOUT_MS = const(2000)


class NegotiationTimeout(JotunheimError):
    """Capabilities could not be built in time and nothing was cached."""


def encode_response(caps):
    """CapabilityResponse bytes for a JotunheimCapabilities dict (codec loaded on first use)."""
    from jotunheim._gen.device import hub_session as hub_d
    from jotunheim.wire import protobuf as pb

    return pb.encode(hub_d.CapabilityResponse, {"capabilities": caps})


class CapabilityNegotiator:
    """`await capabilities()` -> the JotunheimCapabilities dict; `await respond_encoded()` ->
    CapabilityResponse bytes; `await device_message(body)` -> a whole DeviceMessage."""

    def __init__(self, builder, timeout_ms=_DEFAULT_TIMEOUT_MS, propagator=None):
        self.builder = builder
        self.timeout_ms = timeout_ms
        self.propagator = propagator
        if propagator is not None:
            propagator.add_listener(self._on_event)

    _encoded = None
    _version = None

    def _on_event(self, event):
        # The propagator has just encoded the new capabilities to compare them: adopt its
        # bytes instead of encoding (and holding) a second copy.
        if event["event_type"] != "disconnected":
            self._encoded = self.propagator.last_encoded
            self._version = self._registry_version()

    def _registry_version(self):
        reg = getattr(self.builder, "registry", None)
        return None if reg is None else reg.version

    async def capabilities(self, timeout_ms=None):
        """A freshly built capabilities dict, within the timeout (NegotiationTimeout if not)."""
        caps = self.builder.build()
        if hasattr(caps, "send"):  # a builder that awaits (e.g. a remote source): deadline
            from jotunheim.device.capability_announce import build_within

            ms = self.timeout_ms if timeout_ms is None else timeout_ms
            caps = await build_within(caps, ms)
        # A synchronous build cannot be interrupted anyway: no wait_for task for it.
        return caps

    async def respond_encoded(self, request=None, timeout_ms=None):
        """CapabilityResponse bytes: cached until a change; stale bytes beat a timeout."""
        if self._encoded is not None and self._version == self._registry_version():
            return self._encoded
        try:
            caps = await self.capabilities(timeout_ms)
        except NegotiationTimeout:
            if self._encoded is not None:
                return self._encoded  # well-formed, if possibly stale
            raise
        self._encoded = encode_response(caps)
        self._version = self._registry_version()  # after the build: a first build registers
        return self._encoded

    async def device_message(self, request=None, timeout_ms=None):
        """A complete hub.proto DeviceMessage{capabilities: ...}, ready for the session stream."""
        data = await self.respond_encoded(request, timeout_ms)
        # DeviceMessage.capabilities is field 2, length-delimited: tag (2 << 3) | 2, then the
        # length as a varint.
        from jotunheim.wire.pbwire import put_varint

        head = bytearray(b"\x12")
        put_varint(head, len(data))
        return bytes(head) + data
