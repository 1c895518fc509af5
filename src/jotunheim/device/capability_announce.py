"""What CapabilityPropagator does when capabilities may have changed: rebuild, encode,
compare with what was last announced and tell the listeners; and the negotiator's deadline
for asynchronous builders. Loaded for each announcement and dropped after it on MicroPython
(tools.run_dropped): announcements happen at connect and on changes only.
"""

from jotunheim.device.capabilities import TOOL_SECTIONS, NegotiationTimeout, encode_response


def announce(prop, kind):
    """CapabilityPropagator.connected() ("connected"), disconnected(), refresh() ("updated")
    and after_update() ("reconfigured": tools re-derived first, then as refresh)."""
    if kind == "disconnected":
        prop.is_connected = False
        return _emit(prop, kind, _build_or_warn(prop))
    if (
        kind == "connected"
        and prop.last_encoded is not None
        and prop.last_version == _version(prop)
    ):
        # A reconnect with nothing changed since the last announcement: the hub gets the
        # announced bytes again. A rebuild would give the same bytes but load capability_build
        # (~7 KB) and hold the capabilities dict (~3.5 KB) at the reconnect, when the heap is
        # at its fullest (a hub restart failed the Loki flow there on a small heap).
        prop.is_connected = True
        return _emit(prop, kind, None, update_message(kind, prop.last_encoded))
    prop.last_version = None  # set again below once the current capabilities are encoded
    if kind == "reconfigured":
        prop._building = True  # the registry's change notifications are ours: ignore them
        try:
            prop.builder.configure()
        finally:
            prop._building = False
        kind = "updated"
    caps = _build_or_warn(prop)
    if kind == "connected":
        if caps is not None:
            prop.last_encoded = _encode_or_warn(prop, caps)
            _note_current(prop)
        prop.is_connected = True
        return _emit(prop, kind, caps)
    if caps is None:
        return None
    encoded = _encode_or_warn(prop, caps)
    if encoded is not None and encoded == prop.last_encoded:
        _note_current(prop)
        return None  # (when encoding failed nothing can be compared: announce anyway)
    first = prop.last_encoded is None
    prop.last_encoded = encoded
    _note_current(prop)
    if first and not prop.is_connected:
        return None  # nothing announced yet: the next connected() carries it
    return _emit(prop, kind, caps)


def _version(prop):
    return prop.builder.registry.version


def _note_current(prop):
    # last_encoded was just built from the current settings and tools: valid for a reconnect
    # until the registry changes (its version) or a settings change resets it.
    if prop.last_encoded is not None:
        prop.last_version = _version(prop)


def update_message(kind, response):
    """The bytes of DeviceMessage{capability_update: CapabilityUpdateEvent{event_type: kind,
    capabilities}} (hub.proto, capability.proto) from encoded CapabilityResponse{capabilities}:
    the capabilities field keeps its length and bytes, only its tag changes (field 1 -> 2)."""
    from jotunheim.wire.pbwire import put_varint

    name = kind.encode()  # a short ASCII event type: its length is one byte
    head = bytearray(b"\x1a")  # DeviceMessage.capability_update: field 3, length-delimited
    put_varint(head, 2 + len(name) + len(response))
    head += b"\x0a" + bytes((len(name),)) + name + b"\x12"  # event_type (1), capabilities (2)
    # One buffer of the final size: no intermediate copy of the ~1 KB capabilities.
    out = bytearray(len(head) + len(response) - 1)
    out[: len(head)] = head
    out[len(head) :] = memoryview(response)[1:]
    return out


def settings_changed(prop, changed):
    """CapabilityPropagator's Settings.on_change listener: re-derive the tools when a section
    they come from changed (or when it is not said which), then refresh."""
    try:
        for name in changed or TOOL_SECTIONS:
            if name in TOOL_SECTIONS:
                announce(prop, "reconfigured")
                return
        announce(prop, "updated")
    except Exception as exc:  # Settings.reload() must never fail because of us
        _warn(prop, "refresh after settings change", exc)


def _build_or_warn(prop):
    try:
        return prop.builder.build()
    except Exception as exc:  # a bad script entry must not break the session
        _warn(prop, "build", exc)
        return None


def _encode_or_warn(prop, caps):
    try:
        return encode_response(caps)
    except Exception as exc:  # a bug in a tool definition: report, keep the session
        _warn(prop, "encode", exc)
        return None


def _emit(prop, kind, caps, message=None):
    if message is None:
        event = {"event_type": kind, "capabilities": {} if caps is None else caps}
    else:  # re-announced from the cache: the session sends these bytes as they are
        event = {"event_type": kind, "device_message": message}
    for cb in list(prop._listeners):
        try:
            cb(event)
        except Exception as exc:
            _warn(prop, "listener", exc)
    return event


def _warn(prop, what, exc):
    if prop.log is not None:
        prop.log.warn("capability %s failed: %s", what, exc)


async def build_within(caps, ms):
    """CapabilityNegotiator: awaits an asynchronous build (`caps`, a coroutine) for at most
    `ms` milliseconds; NegotiationTimeout when it takes longer."""
    import asyncio

    try:
        return await asyncio.wait_for(caps, ms / 1000)
    except asyncio.TimeoutError:
        raise NegotiationTimeout("capabilities not built within %d ms" % ms) from None
