"""Emits CapabilityUpdateEvent dicts (connected / updated / disconnected) when capabilities change.

Changes come from a script registered in the ToolRegistry, a settings reload
(Settings.on_change) or an installed update; a rebuild that changes nothing emits nothing.
"""

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
    is_connected = False
    _building = False

    def add_listener(self, callback):
        self._listeners.append(callback)

    def remove_listener(self, callback):
        if callback in self._listeners:
            self._listeners.remove(callback)

    def connected(self):
        """The session is up: announce the full capabilities once."""
        caps = self._build()
        if caps is not None:
            self.last_encoded = self._encode(caps)
        self.is_connected = True
        return self._emit("connected", caps)

    def disconnected(self):
        """The session ended (or the device is shutting down)."""
        self.is_connected = False
        return self._emit("disconnected", self._build())

    def refresh(self):
        """Rebuilds; emits and returns an "updated" event only when something changed."""
        caps = self._build()
        if caps is None:
            return None
        encoded = self._encode(caps)
        if encoded is not None and encoded == self.last_encoded:
            return None  # (when encoding failed nothing can be compared: announce anyway)
        first = self.last_encoded is None
        self.last_encoded = encoded
        if first and not self.is_connected:
            return None  # nothing announced yet: the next connected() carries it
        return self._emit("updated", caps)

    def after_update(self):
        """After an OTA install or a runtime reconfiguration: re-derive tools, then refresh."""
        self._building = True  # the registry's change notifications are ours: ignore them
        try:
            self.builder.configure()
        finally:
            self._building = False
        return self.refresh()

    def _encode(self, caps):
        from jotunheim.device.negotiator import encode_response

        try:
            return encode_response(caps)
        except Exception as exc:  # a bug in a tool definition: report, keep the session
            self._warn("encode", exc)
            return None

    def _build(self):
        try:
            return self.builder.build()
        except Exception as exc:  # a bad script entry must not break the session
            self._warn("build", exc)
            return None

    def _on_settings(self, settings, changed=None):
        try:
            for name in changed or TOOL_SECTIONS:
                if name in TOOL_SECTIONS:
                    self.after_update()
                    return
            self.refresh()
        except Exception as exc:  # Settings.reload() must never fail because of us
            self._warn("refresh after settings change", exc)

    def _on_registry(self, registry):
        if not self._building:
            self.refresh()

    def _emit(self, kind, caps):
        event = {"event_type": kind, "capabilities": {} if caps is None else caps}
        for cb in list(self._listeners):
            try:
                cb(event)
            except Exception as exc:
                self._warn("listener", exc)
        return event

    def _warn(self, what, exc):
        if self.log is not None:
            self.log.warn("capability %s failed: %s", what, exc)
