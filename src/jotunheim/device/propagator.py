"""Emits CapabilityUpdateEvent dicts (connected / updated / disconnected) when capabilities change.

Changes come from a script registered in the ToolRegistry, a settings reload
(Settings.on_change) or an installed update; a rebuild that changes nothing emits nothing.
Announcing happens at connect and on changes only: its work is in capability_announce, loaded
for the call and dropped after it on MicroPython (tools.run_dropped).
"""

from jotunheim.device.tools import run_dropped

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
    _building = False  # configure() running: its registry notifications are ours

    def add_listener(self, callback):
        self._listeners.append(callback)

    def remove_listener(self, callback):
        if callback in self._listeners:
            self._listeners.remove(callback)

    def connected(self):
        """The session is up: announce the full capabilities once."""
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
