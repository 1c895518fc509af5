"""What CapabilityPropagator does when capabilities may have changed: rebuild, encode,
compare with what was last announced and tell the listeners; and the negotiator's deadline
for asynchronous builders. Loaded for each announcement and dropped after it on MicroPython
(tools.run_dropped): announcements happen at connect and on changes only.
"""

from jotunheim.device.capabilities import TOOL_SECTIONS, NegotiationTimeout, encode_response


def announce(prop, kind):
    """CapabilityPropagator.connected() ("connected"), disconnected(), refresh() ("updated")
    and after_update() ("reconfigured": tools re-derived first, then as refresh)."""
    if kind == "reconfigured":
        prop._building = True  # the registry's change notifications are ours: ignore them
        try:
            prop.builder.configure()
        finally:
            prop._building = False
        kind = "updated"
    if kind == "disconnected":
        prop.is_connected = False
        return _emit(prop, kind, _build_or_warn(prop))
    caps = _build_or_warn(prop)
    if kind == "connected":
        if caps is not None:
            prop.last_encoded = _encode_or_warn(prop, caps)
        prop.is_connected = True
        return _emit(prop, kind, caps)
    if caps is None:
        return None
    encoded = _encode_or_warn(prop, caps)
    if encoded is not None and encoded == prop.last_encoded:
        return None  # (when encoding failed nothing can be compared: announce anyway)
    first = prop.last_encoded is None
    prop.last_encoded = encoded
    if first and not prop.is_connected:
        return None  # nothing announced yet: the next connected() carries it
    return _emit(prop, kind, caps)


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


def _emit(prop, kind, caps):
    event = {"event_type": kind, "capabilities": {} if caps is None else caps}
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
