"""What CapabilityPropagator and CapabilityNegotiator do: rebuild, encode, compare with
what was last announced and tell the listeners; answer the hub's CapabilityRequest from the
cache, with a deadline for asynchronous builders. Loaded for each call and dropped after it on
MicroPython (tools.run_dropped): announcements happen at connect and on changes only. Each
public function here is served as a method of the same name (capabilities._served), taking
the propagator or negotiator first.
"""

from jotunheim.compat import const
from jotunheim.device.capabilities import NegotiationTimeout, update_message

# Settings sections whose change means the generated tools must be re-derived.
_TOOL_SECTIONS = const(("capability_configuration", "loki"))


def connected(prop):
    return announce(prop, "connected")


def disconnected(prop):
    return announce(prop, "disconnected")


def refresh(prop):
    return announce(prop, "updated")


def after_update(prop):
    return announce(prop, "reconfigured")


def remove_listener(prop, callback):
    if callback in prop._listeners:
        prop._listeners.remove(callback)


def encode_response(caps):
    """CapabilityResponse bytes for a JotunheimCapabilities dict.

    The descriptors come from the hub_caps slice, imported for the call: the codec turns a
    descriptor's field string into a field table on first use and keeps it there, ~2.9 KB for
    these messages on the 64-bit unix port, while a device encodes its capabilities only at
    connect and on changes. On MicroPython the slice is dropped after the call (the session's
    hub_session slice names these messages only by a LAZY string), so its descriptors and
    tables are garbage; where it stays loaded (CPython, or loaded by someone else), a private
    copy keeps its descriptors free of tables.
    """
    import sys

    from jotunheim.compat import IS_MICROPYTHON, unload
    from jotunheim.wire import protobuf as pb

    full = "jotunheim._gen.device.hub_caps"
    drop = IS_MICROPYTHON and full not in sys.modules
    from jotunheim._gen.device.hub_caps import CapabilityResponse as desc

    try:
        return pb.encode(desc if drop else _copy(desc), {"capabilities": caps})
    finally:
        if drop:
            unload(full)


def _copy(desc):
    # [name, fields, oneofs, sub-descriptors]: only the lists the codec fills in are copied.
    subs = desc[3]
    return [desc[0], desc[1], desc[2], subs and tuple([_copy(sub) for sub in subs])]


def announce(prop, kind):
    """CapabilityPropagator.connected() ("connected": rebuilt; a reconnect with nothing
    changed is answered from the cache by the method itself), disconnected(), refresh()
    ("updated") and after_update() ("reconfigured": tools re-derived first, then as
    refresh)."""
    if kind == "disconnected":
        prop.is_connected = False
        return _emit(prop, kind, _build_or_warn(prop))
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


def settings_changed(prop, changed):
    """CapabilityPropagator's Settings.on_change listener: re-derive the tools when a section
    they come from changed (or when it is not said which), then refresh."""
    try:
        if not changed or "loki" in changed:
            _forget_loki(prop.builder)
        for name in changed or _TOOL_SECTIONS:
            if name in _TOOL_SECTIONS:
                announce(prop, "reconfigured")
                return
        announce(prop, "updated")
    except Exception as exc:  # Settings.reload() must never fail because of us
        _warn(prop, "refresh after settings change", exc)


def _forget_loki(builder):
    # The Loki settings may have changed (turned off, another address, other retries): a
    # client the builder made from the old ones goes, closed once idle (a call in flight
    # ends on it; its idle close then follows), and the next call makes one from the new.
    client = builder._loki
    if client is None or not builder._made_loki:
        return  # none yet, or one given to the builder: its owner's to change
    builder._loki = None
    builder._made_loki = False
    import asyncio

    closing = client.close(idle_only=True)
    try:
        asyncio.create_task(closing)
    except RuntimeError:  # CPython without a running loop (a reload outside the agent)
        closing.close()


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
    # (A reconnect with nothing changed is announced by CapabilityPropagator.connected.)
    event = {"event_type": kind, "capabilities": {} if caps is None else caps}
    if caps is not None and kind != "disconnected" and prop.last_encoded is not None:
        # The session sends these bytes as they are: encoding the dict again there would
        # convert (and keep) the codec's capability descriptors (encode_response).
        event["device_message"] = update_message(kind, prop.last_encoded)
    for cb in list(prop._listeners):
        try:
            cb(event)
        except Exception as exc:
            _warn(prop, "listener", exc)
    return event


def _warn(prop, what, exc):
    if prop.log is not None:
        prop.log.warn("capability %s failed: %s", what, exc)


# --- CapabilityNegotiator's operations.


async def capabilities(neg, timeout_ms=None):
    """A freshly built capabilities dict, within the timeout (NegotiationTimeout if not)."""
    caps = neg.builder.build()
    if hasattr(caps, "send"):  # a builder that awaits (e.g. a remote source): deadline
        import asyncio

        ms = neg.timeout_ms if timeout_ms is None else timeout_ms
        try:
            caps = await asyncio.wait_for(caps, ms / 1000)
        except asyncio.TimeoutError:
            raise NegotiationTimeout("capabilities not built within %d ms" % ms) from None
    # A synchronous build cannot be interrupted anyway: no wait_for task for it.
    return caps


async def respond_encoded(neg, request=None, timeout_ms=None):
    """CapabilityResponse bytes: cached until a change; stale bytes beat a timeout."""
    if neg._encoded is not None and neg._version == neg._registry_version():
        return neg._encoded
    try:
        caps = await capabilities(neg, timeout_ms)
    except NegotiationTimeout:
        if neg._encoded is not None:
            return neg._encoded  # well-formed, if possibly stale
        raise
    neg._encoded = encode_response(caps)
    neg._version = neg._registry_version()  # after the build: a first build registers
    return neg._encoded


async def device_message(neg, request=None, timeout_ms=None):
    """A complete hub.proto DeviceMessage{capabilities: ...}, ready for the session stream."""
    data = await respond_encoded(neg, request, timeout_ms)
    # DeviceMessage.capabilities is field 2, length-delimited: tag (2 << 3) | 2, then the
    # length as a varint.
    from jotunheim.wire.pbwire import put_varint

    head = bytearray(b"\x12")
    put_varint(head, len(data))
    return bytes(head) + data
