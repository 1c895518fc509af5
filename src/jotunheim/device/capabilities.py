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


def _served(self, name):
    # The __getattr__ of the three classes below. Their operations run in capability_build
    # or capability_announce (the first word of the class's _SERVED), loaded for the call and
    # dropped after it on MicroPython (tools.run_dropped): `prop.connected()` is
    # capability_announce.connected(prop). One function serves them all instead of a
    # forwarding method per operation, each of which would cost a function object in the
    # heap (also with the code in ROMFS). _SERVED is one string, not a tuple: with the code
    # in ROMFS a tuple and each of its strings longer than 10 characters are heap objects.
    served = self._SERVED.split()
    if name != served[0] and name in served:
        module = served[0]
        return lambda *args, **kw: run_dropped(module, name, self, *args, **kw)
    raise AttributeError(name)


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
    _made_loki = False  # _loki was made by _loki_client (not given to the constructor)
    _loki_calls = 0  # Loki tool calls in flight (loki_call.LokiCall)
    # The running version when OTA booted an installed update: the settings file keeps the
    # factory one, and a settings reload must not announce that again.
    firmware_version = None
    _features = {}  # read only (.get), never mutated: safe to share
    _owned = ()  # names of tools this builder registered (replaced on configure)
    drivers = None  # the DriverSet, made by configure()

    def _loki_client(self):
        # Called by kind "loki" tools for each call: the wire/gRPC code is imported only when
        # a Loki tool is first called, never on devices that do not use Loki. A client made
        # here may be let go again after a call on a short heap (loki_call._let_go).
        if self._loki is not None:
            return self._loki
        from jotunheim.device.loki_client import LokiClient

        loki = section(self.settings, "loki")
        self._loki = LokiClient(loki, local=self.registry)
        self._made_loki = True
        return self._loki

    def _capcfg(self):
        return section(self.settings, "capability_configuration")

    # configure(): (re)registers the generated tools from the current settings (listeners not
    # told); build(): the JotunheimCapabilities dict for the current settings and registry.
    _SERVED = "capability_build configure build"
    __getattr__ = _served


# --- CapabilityPropagator: emits CapabilityUpdateEvent dicts (connected / updated /
# disconnected). Changes come from a script registered in the ToolRegistry, a settings
# reload (Settings.on_change) or an installed update; a rebuild that changes nothing emits
# nothing. Announcing happens at connect and on changes only (capability_announce).


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

    def connected(self):
        """The session is up: announce the capabilities (event "connected"); returns the event.

        A reconnect with nothing changed since the last announcement (the registry version
        last_encoded was built at, reset by a settings change) re-sends the cached bytes from
        here. capability_announce (~1.8 KB of heap even with the code in ROMFS) and a rebuild
        are loaded only otherwise: a reconnect is when the heap is at its fullest (a hub
        restart failed the Loki flow there on small heaps)."""
        encoded = self.last_encoded
        if encoded is None or self.last_version != self.builder.registry.version:
            return run_dropped("capability_announce", "connected", self)
        self.is_connected = True
        event = {"event_type": "connected", "device_message": update_message("connected", encoded)}
        for cb in list(self._listeners):
            try:
                cb(event)
            except Exception as exc:
                if self.log is not None:
                    self.log.warn("capability listener failed: %s", exc)
        return event

    # connected(): the session is up, announce the full capabilities once (re-sent unchanged
    # from the cache, the event carries only the DeviceMessage bytes, "device_message");
    # disconnected(): the session ended (or the device is shutting down); refresh(): rebuild,
    # emit and return an "updated" event only when something changed; after_update(): after
    # an OTA install or a runtime reconfiguration, re-derive the tools, then refresh.
    _SERVED = "capability_announce disconnected refresh after_update remove_listener"
    __getattr__ = _served

    def _on_settings(self, settings, changed=None):
        run_dropped("capability_announce", "settings_changed", self, changed)

    def _on_registry(self, registry):
        if not self._building:
            self.refresh()


def update_message(kind, response):
    """The bytes of DeviceMessage{capability_update: CapabilityUpdateEvent{event_type: kind,
    capabilities}} (hub.proto, capability.proto) from encoded CapabilityResponse{capabilities}:
    the capabilities field keeps its length and bytes, only its tag changes (field 1 -> 2)."""
    from jotunheim.wire.pbwire import put_varint

    name = kind.encode()  # a short ASCII event type: its length is one byte
    # Tags as ints (a bytes constant is a heap object while the module is loaded).
    head = bytearray()
    head.append(0x1A)  # DeviceMessage.capability_update: field 3, length-delimited
    put_varint(head, 2 + len(name) + len(response))
    head.append(0x0A)  # CapabilityUpdateEvent.event_type: field 1, length-delimited
    head.append(len(name))
    head.extend(name)
    head.append(0x12)  # CapabilityUpdateEvent.capabilities: field 2 (its length follows)
    # One buffer of the final size: no intermediate copy of the ~1 KB capabilities.
    out = bytearray(len(head) + len(response) - 1)
    out[: len(head)] = head
    out[len(head) :] = memoryview(response)[1:]
    return out


# --- CapabilityNegotiator: answers the hub's CapabilityRequest within a timeout. Only the
# encoded CapabilityResponse is kept between requests (about 1 KB for a typical device,
# against ~3.5 KB for the dict form on the 64-bit unix port): a reconnecting device
# re-announces without rebuilding or re-encoding anything.
_DEFAULT_TIMEOUT_MS = const(2000)


class NegotiationTimeout(JotunheimError):
    """Capabilities could not be built in time and nothing was cached."""


def encode_response(caps):
    """CapabilityResponse bytes for a JotunheimCapabilities dict (capability_announce)."""
    return run_dropped("capability_announce", "encode_response", caps)


class CapabilityNegotiator:
    """`await capabilities()` -> the JotunheimCapabilities dict; `await respond_encoded()` ->
    CapabilityResponse bytes; `await device_message(body)` -> a whole DeviceMessage (served
    from capability_announce, see below)."""

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

    # `await capabilities(timeout_ms=None)`: a freshly built capabilities dict within the
    # timeout (NegotiationTimeout if not); `await respond_encoded(request=None,
    # timeout_ms=None)`: CapabilityResponse bytes, cached until a change (stale bytes beat a
    # timeout); `await device_message(request=None, timeout_ms=None)`: a complete
    # DeviceMessage{capabilities: ...} for the session stream.
    _SERVED = "capability_announce capabilities respond_encoded device_message"
    __getattr__ = _served
