"""Answers the hub's CapabilityRequest within a timeout, from a cache invalidated on change.

Only the encoded CapabilityResponse is kept between requests (about 1 KB for a typical
device, against ~3.5 KB for the dict form on the 64-bit unix port): a reconnecting device
re-announces without rebuilding or re-encoding anything.
"""

from jotunheim.errors import JotunheimError

DEFAULT_TIMEOUT_MS = 2000


class NegotiationTimeout(JotunheimError):
    """Capabilities could not be built in time and nothing was cached."""


def encode_response(caps):
    """CapabilityResponse bytes for a JotunheimCapabilities dict (codec loaded on first use)."""
    from jotunheim._gen.device import hub_session as hub_d
    from jotunheim.wire import protobuf as pb

    return pb.encode(hub_d.CapabilityResponse, {"capabilities": caps})


class CapabilityNegotiator:
    """`await respond()` -> CapabilityResponse dict; `await respond_encoded()` -> bytes."""

    def __init__(self, builder, timeout_ms=DEFAULT_TIMEOUT_MS, propagator=None):
        self.builder = builder
        self.timeout_ms = timeout_ms
        self.propagator = propagator
        if propagator is not None:
            propagator.add_listener(self._on_event)

    _encoded = None
    _version = None

    def invalidate(self):
        """Drops the cached answer (capabilities changed)."""
        self._encoded = None

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

    async def respond(self, request=None, timeout_ms=None):
        """CapabilityResponse dict for a CapabilityRequest (which has no fields)."""
        return {"capabilities": await self.capabilities(timeout_ms)}

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
