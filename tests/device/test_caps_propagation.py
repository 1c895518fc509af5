"""Propagator events (connected / updated / disconnected) and the negotiator's cache/timeout."""

import asyncio

from capsdev import PlainSettings, RecordingHal, example_settings, fake_drivers
from devtest import raises

from jotunheim.device.capabilities import (
    CapabilityBuilder,
    CapabilityNegotiator,
    CapabilityPropagator,
    NegotiationTimeout,
)
from jotunheim.device.tools import Tool, ToolRegistry


def _setup():
    settings = PlainSettings(example_settings())
    reg = ToolRegistry()
    b = CapabilityBuilder(settings, RecordingHal(), reg, fake_drivers())
    prop = CapabilityPropagator(b, settings)
    events = []
    prop.add_listener(events.append)
    return settings, reg, b, prop, events


def test_connected_then_script_registration_emits_updated():
    settings, reg, b, prop, events = _setup()
    ev = prop.connected()
    assert ev["event_type"] == "connected"
    assert ev["capabilities"]["device_id"] == "kitchen-1"
    reg.register(Tool("water_plants", "script", [{"name": "ml", "type": "Integer"}]))
    assert [e["event_type"] for e in events] == ["connected", "updated"]
    names = [t["name"] for t in events[1]["capabilities"]["tools"]]
    assert "water_plants" in names


def test_announced_events_carry_their_device_message_and_keep_no_descriptor_tables():
    # The session sends an event's DeviceMessage bytes as they are; the capabilities are
    # encoded with the hub_caps slice, dropped after the call on MicroPython, or, where it
    # stays loaded, through a private copy: the codec's field tables for them are not kept
    # (~2.9 KB on the 64-bit unix port).
    import sys

    from jotunheim.compat import IS_MICROPYTHON

    full = "jotunheim._gen.device.hub_caps"
    caps_desc = spec = None
    if full in sys.modules or not IS_MICROPYTHON:  # stays loaded: the copy must be used
        from jotunheim._gen.device import hub_caps

        caps_desc = hub_caps.CapabilityResponse[3][0]
        spec = caps_desc[1]  # a str until the codec converts it, then its field table
    settings, reg, b, prop, events = _setup()
    ev = prop.connected()
    assert _sent(ev)["capabilities"] == ev["capabilities"]
    reg.register(Tool("water_plants"))
    assert _sent(events[-1])["event_type"] == "updated"
    assert _sent(events[-1])["capabilities"] == events[-1]["capabilities"]
    if caps_desc is None:
        assert full not in sys.modules  # MicroPython: dropped with its tables
    else:
        assert caps_desc[1] is spec


def test_no_change_rebuild_emits_nothing():
    settings, reg, b, prop, events = _setup()
    prop.connected()
    assert prop.refresh() is None
    reg.notify()  # a change notification that changes nothing
    assert [e["event_type"] for e in events] == ["connected"]


def test_settings_reload_rederives_tools_and_emits_once():
    settings, reg, b, prop, events = _setup()
    prop.connected()
    capcfg = dict(settings.data["capability_configuration"])
    capcfg["sensors"] = capcfg["sensors"][:1]
    settings.change("capability_configuration", capcfg)
    assert [e["event_type"] for e in events] == ["connected", "updated"]
    caps = events[-1]["capabilities"]
    assert caps["hardware"]["sensors"] == ["dht22:room"]
    names = [t["name"] for t in caps["tools"]]
    assert "read_room" in names and "read_water" not in names


def test_settings_change_in_unrelated_section_is_deduplicated():
    settings, reg, b, prop, events = _setup()
    prop.connected()
    settings.change("logging", {"level": "DEBUG"})
    assert len(events) == 1


def test_firmware_update_emits_updated_and_disconnect_last_caps():
    settings, reg, b, prop, events = _setup()
    prop.connected()
    settings.data["identity"]["firmware_version"] = "1.1.0"
    ev = prop.after_update()
    assert ev["event_type"] == "updated"
    assert ev["capabilities"]["firmware_version"] == "1.1.0"
    ev = prop.disconnected()
    assert ev["event_type"] == "disconnected"
    assert ev["capabilities"]["firmware_version"] == "1.1.0"


def test_listener_failure_does_not_break_others():
    settings, reg, b, prop, events = _setup()

    def boom(ev):
        raise RuntimeError("listener bug")

    prop.remove_listener(events.append)
    prop.add_listener(boom)
    prop.add_listener(events.append)
    prop.connected()
    assert len(events) == 1


def _sent(event):
    """The CapabilityUpdateEvent dict the hub receives for `event`: a re-announcement from the
    cache carries the DeviceMessage bytes, decoded here as the hub decodes them."""
    from jotunheim._gen.device import hub as hub_d
    from jotunheim.wire import protobuf as pb

    if "device_message" not in event:
        return event
    msg = pb.decode(hub_d.DeviceMessage, bytes(event["device_message"]))
    assert pb.which_oneof(hub_d.DeviceMessage, msg, "body") == "capability_update"
    return msg["capability_update"]


def test_before_connect_changes_are_folded_into_connected():
    settings, reg, b, prop, events = _setup()
    reg.register(Tool("early"))
    assert events == []
    ev = _sent(prop.connected())
    assert ev["event_type"] == "connected"
    assert "early" in [t["name"] for t in ev["capabilities"]["tools"]]


def test_reconnect_resends_the_announced_bytes_without_a_rebuild():
    settings, reg, b, prop, events = _setup()
    first = prop.connected()
    prop.is_connected = False  # the session dropped the stream
    real_build = b.build
    calls = []

    def counting_build():
        calls.append(1)
        return real_build()

    b.build = counting_build
    again = prop.connected()
    assert calls == [] and prop.is_connected
    assert again["event_type"] == "connected"
    assert _sent(again) == {"event_type": "connected", "capabilities": first["capabilities"]}
    # a registry change since the announcement: the next connect builds afresh
    reg.register(Tool("late"), notify=False)
    prop.is_connected = False
    ev = prop.connected()
    assert calls == [1] and "late" in [t["name"] for t in ev["capabilities"]["tools"]]
    # a settings change (announced while offline): re-sent with the change, not rebuilt
    prop.is_connected = False
    settings.change("logging", {"level": "DEBUG"})
    capcfg = dict(settings.data["capability_configuration"])
    capcfg["sensors"] = capcfg["sensors"][:1]
    settings.change("capability_configuration", capcfg)
    n = len(calls)
    ev = _sent(prop.connected())
    assert len(calls) == n and ev["capabilities"]["hardware"]["sensors"] == ["dht22:room"]


def test_an_unchanged_reconnect_loads_no_announcement_code():
    # The cached re-announcement is the propagator's own: capability_announce (and a rebuild)
    # would be loaded at the reconnect, when a small heap is at its fullest.
    from jotunheim.device import capabilities

    settings, reg, b, prop, events = _setup()
    first = prop.connected()
    prop.is_connected = False
    loaded = []
    real = capabilities.run_dropped

    def recording(module, *args, **kw):
        loaded.append(module)
        return real(module, *args, **kw)

    capabilities.run_dropped = recording
    try:
        again = prop.connected()
    finally:
        capabilities.run_dropped = real
    assert loaded == [] and prop.is_connected and events[-1] is again
    assert sorted(again) == ["device_message", "event_type"]
    assert _sent(again) == {"event_type": "connected", "capabilities": first["capabilities"]}


def test_reconnect_after_a_failed_rebuild_builds_again():
    settings, reg, b, prop, events = _setup()
    prop.connected()
    prop.is_connected = False
    real_build = b.build

    def broken_build():
        raise RuntimeError("driver table broken")

    b.build = broken_build
    settings.change("resource_limits", {"max_cpu_percent": 50})  # refresh fails: not current
    b.build = real_build
    ev = prop.connected()
    assert ev["capabilities"]["resources"]["max_cpu_percent"] == 50


async def test_negotiator_caches_encoded_until_change():
    settings, reg, b, prop, events = _setup()
    calls = []
    real_build = b.build

    def counting_build():
        calls.append(1)
        return real_build()

    b.build = counting_build
    neg = CapabilityNegotiator(b, 1000, prop)
    e1 = await neg.respond_encoded({})
    e2 = await neg.respond_encoded({})
    assert e1 is e2 and len(calls) == 1
    r = await neg.capabilities()
    assert r["device_id"] == "kitchen-1"
    prop.connected()  # the propagator's bytes become the cache: no extra build
    n = len(calls)
    assert await neg.respond_encoded({}) == e1 and len(calls) == n
    reg.register(Tool("new_tool"))  # propagator -> updated -> negotiator adopts the new bytes
    n = len(calls)
    e3 = await neg.respond_encoded({})
    assert len(calls) == n and e3 != e1 and b"new_tool" in e3
    # a registry change with no propagator event is still noticed (version check)
    reg.register(Tool("silent"), notify=False)
    assert b"silent" in await neg.respond_encoded({})


async def test_device_message_wraps_the_response():
    from jotunheim._gen.device import hub as hub_d
    from jotunheim.wire import protobuf as pb

    settings, reg, b, prop, events = _setup()
    neg = CapabilityNegotiator(b, 1000, prop)
    msg = pb.decode(hub_d.DeviceMessage, await neg.device_message())
    assert pb.which_oneof(hub_d.DeviceMessage, msg, "body") == "capabilities"
    assert msg["capabilities"]["capabilities"]["device_id"] == "kitchen-1"


class _SlowBuilder:
    def __init__(self, delay):
        self.delay = delay
        self.registry = ToolRegistry()

    async def build(self):
        await asyncio.sleep(self.delay)
        return {"device_id": "slow"}


async def test_negotiator_answers_within_timeout():
    neg = CapabilityNegotiator(_SlowBuilder(5), timeout_ms=50)
    with raises(NegotiationTimeout, match="50 ms"):
        await neg.capabilities()
    with raises(NegotiationTimeout):
        await neg.respond_encoded({})
    fast = _SlowBuilder(0)
    neg = CapabilityNegotiator(fast, timeout_ms=50)
    assert (await neg.capabilities())["device_id"] == "slow"
    data = await neg.respond_encoded({})
    fast.delay = 5
    neg._encoded = data  # as when a change raced with a slow build: stale bytes served
    fast.registry.register(Tool("changed"))
    assert await neg.respond_encoded({}, timeout_ms=30) is data


async def test_encoded_response_decodes_to_the_capabilities_and_is_cached():
    from jotunheim._gen.device import capability as cap_d
    from jotunheim.wire import protobuf as pb

    settings, reg, b, prop, events = _setup()
    neg = CapabilityNegotiator(b, 1000, prop)
    data = await neg.respond_encoded({})
    assert await neg.respond_encoded({}) is data
    back = pb.decode(cap_d.CapabilityResponse, data)["capabilities"]
    assert back["device_id"] == "kitchen-1"
    assert back["hardware"]["gpio"]["available_pins"] == [12, 13, 14]
    assert back["hardware"]["sensors"] == ["dht22:room", "ds18b20:water", "bmp280:air"]
    want = [t["name"] for t in b.build()["tools"]]
    assert [t["name"] for t in back["tools"]] == want
    led = [t for t in back["tools"] if t["name"] == "set_led"][0]
    assert led["parameters"][0] == {
        "name": "pin",
        "type": "Integer",
        "required": True,
        "description": "pin of a declared LED",
    }
    prop.connected()
    reg.register(Tool("fresh"))
    again = await neg.respond_encoded({})
    assert again != data
    assert "fresh" in [
        t["name"] for t in pb.decode(cap_d.CapabilityResponse, again)["capabilities"]["tools"]
    ]


def test_unencodable_capabilities_are_still_announced():
    settings, reg, b, prop, events = _setup()
    prop.connected()
    real_build = b.build

    def broken_build():
        caps = real_build()
        caps["resources"]["max_cpu_percent"] = "eighty"  # not an int32: encoding fails
        return caps

    b.build = broken_build
    ev = prop.refresh()  # cannot be compared: announced rather than silently dropped
    assert ev is not None and ev["event_type"] == "updated"
