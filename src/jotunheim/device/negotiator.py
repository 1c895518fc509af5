"""Answers the hub's CapabilityRequest within a timeout, from a cache invalidated on change.

The encoded CapabilityResponse is cached too: a reconnecting device re-announces without
rebuilding or re-encoding anything.
"""

import asyncio

from jotunheim.errors import JotunheimError

DEFAULT_TIMEOUT_MS = 2000


class NegotiationTimeout(JotunheimError):
    """Capabilities could not be built in time and nothing was cached."""


class CapabilityNegotiator:
    """`await respond()` -> CapabilityResponse dict; `await respond_encoded()` -> bytes."""

    def __init__(self, builder, timeout_ms=DEFAULT_TIMEOUT_MS, propagator=None):
        self.builder = builder
        self.timeout_ms = timeout_ms
        self._caps = None
        self._encoded = None
        self._version = None
        if propagator is not None:
            propagator.add_listener(self._on_event)

    def invalidate(self):
        """Drops the cached answer (capabilities changed)."""
        self._caps = None
        self._encoded = None

    def _on_event(self, event):
        if event.get("event_type") != "disconnected":
            self.invalidate()

    def _registry_version(self):
        reg = getattr(self.builder, "registry", None)
        return None if reg is None else reg.version

    async def _build(self):
        caps = self.builder.build()
        if hasattr(caps, "send"):  # a builder may need to await (e.g. a remote source)
            caps = await caps
        return caps

    async def capabilities(self, timeout_ms=None):
        """The current capabilities dict, cached until invalidated."""
        if self._caps is not None and self._version == self._registry_version():
            return self._caps
        ms = self.timeout_ms if timeout_ms is None else timeout_ms
        try:
            caps = await asyncio.wait_for(self._build(), ms / 1000)
        except asyncio.TimeoutError:
            if self._caps is not None:
                return self._caps  # stale but well-formed beats no answer
            raise NegotiationTimeout("capabilities not built within %d ms" % ms) from None
        self._caps = caps
        self._encoded = None
        self._version = self._registry_version()
        return caps

    async def respond(self, request=None, timeout_ms=None):
        """CapabilityResponse dict for a CapabilityRequest (which has no fields)."""
        return {"capabilities": await self.capabilities(timeout_ms)}

    async def respond_encoded(self, request=None, timeout_ms=None):
        """The CapabilityResponse protobuf bytes, encoded once per capability change."""
        caps = await self.capabilities(timeout_ms)
        if self._encoded is None:
            from jotunheim._gen.device import capability as cap_d
            from jotunheim.wire import protobuf as pb

            self._encoded = pb.encode(cap_d.CapabilityResponse, {"capabilities": caps})
        return self._encoded
