"""The hub_session slice (DeviceMessage, HubMessage and what they reach) encodes and decodes
every session message to the same bytes as the full hub/capability descriptor modules; the
capability messages it reaches live in the hub_caps slice, named lazily."""

import sys

from devtest import raises

from jotunheim._gen.device import capability as cap_full
from jotunheim._gen.device import hub as hub_full
from jotunheim._gen.device import hub_session as hub_slice
from jotunheim.compat import IS_MICROPYTHON
from jotunheim.errors import DecodeError, EncodeError
from jotunheim.wire import protobuf as pb

CAPS = {
    "device_id": "dev-1",
    "device_name": "kitchen",
    "device_type": "esp32",
    "firmware_version": "1.2.3",
    "protocol_version": "1",
    "tools": [
        {
            "name": "set_led",
            "description": "switches the LED",
            "parameters": [{"name": "on", "type": "bool", "required": True, "description": ""}],
            "return_type": "dict",
        }
    ],
    "hardware": {
        "gpio": {"available_pins": [2, 4, 300], "digital": True, "analog": False, "pwm": True},
        "interfaces": ["i2c"],
        "sensors": ["dht22"],
        "actuators": ["led"],
    },
    "resources": {"max_memory_kb": 128, "max_cpu_percent": 80, "max_concurrent_tools": 2},
    "features": {"streaming": True, "compression": False, "encryption": True},
}

DEVICE_MESSAGES = [
    {
        "hello": {
            "device_id": "dev-1",
            "proof": b"\x00\x01\xfe\xff" * 8,
            "firmware_version": "1.2.3",
            "protocol_version": 2,
            "resume_token": "tok",
            "runtime": "micropython",
            "pending_results": ["c1", "c2"],
        }
    },
    {"capabilities": {"capabilities": CAPS}},
    {"capability_update": {"event_type": "updated", "capabilities": CAPS}},
    {
        "command_result": {
            "command_id": "c1",
            "success": False,
            "result": b'{"x": 1}',
            "error_code": "TIMEOUT",
            "error_message": "too slow",
            "duration_us": 123456,
        }
    },
    {
        "heartbeat": {
            "seq": 7,
            "uptime_s": 3600,
            "mem_free": 40000,
            "mem_alloc": 90000,
            "cpu_percent": 12,
            "bytes_sent": 1 << 33,
            "bytes_received": 5,
            "active_tools": 1,
            "rssi": -67,
        }
    },
    {
        "stream_data": {
            "stream_id": "s",
            "seq": 1,
            "payload": b"abc",
            "content_type": "application/json",
            "timestamp_ms": -5,
        }
    },
    {
        "ota_status": {
            "version": "2.0.0",
            "state": "downloading",
            "reason": "",
            "progress_bytes": 4096,
            "total_bytes": 65536,
            "running_version": "1.2.3",
        }
    },
    {"pong": {"nonce": 99}},
]

HUB_MESSAGES = [
    {"challenge": {"nonce": b"n" * 32, "protocol_version": 2}},
    {
        "welcome": {
            "session_id": "s1",
            "resume_token": "r",
            "resumed": True,
            "heartbeat_interval_ms": 5000,
            "dead_peer_timeout_ms": 15000,
            "server_time_ms": 1700000000000,
            "acked_results": ["c1"],
        }
    },
    {"refusal": {"code": "NOT_LEADER", "reason": "follower", "leader_address": "h:1"}},
    {"capability_request": {}},
    {
        "command": {
            "command_id": "c9",
            "tool": "set_led",
            "args_json": '{"on":1}',
            "deadline_ms": 900,
        }
    },
    {"result_ack": {"command_ids": ["c1", "c9"]}},
    {"ping": {"nonce": 1 << 40}},
    {"update_notice": {"version": "2.0.0", "size": 65536, "allow_downgrade": True}},
    {
        "stream_control": {
            "stream_id": "s",
            "action": "start",
            "source": "temp",
            "interval_ms": 1000,
            "args_json": "{}",
        }
    },
    {"ota_rollback": {"reason": "operator"}},
]


def _same(full, slice_, messages):
    for msg in messages:
        a = pb.encode(full, msg)
        b = pb.encode(slice_, msg)
        assert a == b, (msg, a, b)
        assert len(a) >= 2, msg  # at least the oneof tag and length
        back = pb.decode(slice_, a)
        assert pb.encode(full, back) == a
        assert pb.encode(slice_, pb.decode(full, b)) == b
        kind = list(msg)[0]
        assert pb.which_oneof(slice_, back, "body") == kind
        assert pb.which_oneof(full, pb.decode(full, a), "body") == kind


def test_device_messages_encode_identically():
    _same(hub_full.DeviceMessage, hub_slice.DeviceMessage, DEVICE_MESSAGES)


def test_hub_messages_encode_identically():
    _same(hub_full.HubMessage, hub_slice.HubMessage, HUB_MESSAGES)


def _hub_caps():
    from jotunheim._gen.device import hub_caps

    return hub_caps


def test_capability_response_matches_capability_module():
    hub_caps = _hub_caps()
    msg = {"capabilities": CAPS}
    a = pb.encode(cap_full.CapabilityResponse, msg)
    assert a == pb.encode(hub_caps.CapabilityResponse, msg)
    back = pb.decode(hub_caps.CapabilityResponse, a)
    assert back["capabilities"]["tools"][0]["name"] == "set_led"
    assert list(back["capabilities"]["hardware"]["gpio"]["available_pins"]) == [2, 4, 300]
    event = {"event_type": "updated", "capabilities": CAPS}
    a = pb.encode(cap_full.CapabilityUpdateEvent, event)
    assert a == pb.encode(hub_caps.CapabilityUpdateEvent, event)
    assert pb.decode(hub_caps.CapabilityUpdateEvent, a) == pb.decode(
        cap_full.CapabilityUpdateEvent, a
    )


def test_capability_messages_are_named_lazily_and_dropped_after_use():
    # DeviceMessage's capability fields name hub_caps' roots (tools/devicegen.py LAZY): the
    # session keeps no capability descriptor; the codec imports hub_caps when it meets one
    # and, on MicroPython, drops it again unless something else had loaded it.
    subs = hub_slice.DeviceMessage[3].split("\n")  # its sub-messages, a line each
    assert subs[1] == "@hub_caps.CapabilityResponse"
    assert subs[2] == "@hub_caps.CapabilityUpdateEvent"
    assert not hasattr(hub_slice, "CapabilityResponse")
    full = "jotunheim._gen.device.hub_caps"
    preloaded = full in sys.modules
    msg = {"capability_update": {"event_type": "updated", "capabilities": CAPS}}
    data = pb.encode(hub_slice.DeviceMessage, msg)
    assert data == pb.encode(hub_full.DeviceMessage, msg)
    assert pb.decode(hub_slice.DeviceMessage, data) == pb.decode(hub_full.DeviceMessage, data)
    if IS_MICROPYTHON:
        assert (full in sys.modules) == preloaded


def test_slice_holds_no_operator_messages():
    # The point of the slice: messages only the operator/peer APIs use are not loaded.
    for name in ("DeviceInfo", "ListDevicesResponse", "RolloutRequest", "PeerStatus"):
        assert not hasattr(hub_slice, name), name
    assert hasattr(hub_full, "DeviceInfo")


def test_slice_errors_name_nested_messages():
    # Nested messages are no attributes of the slice; their names still reach every error.
    welcome = b"\x0a\x05ab"  # session_id announces 5 bytes, 2 follow
    with raises(DecodeError, match="Welcome.session_id: length 5 runs past the end"):
        pb.decode(hub_slice.HubMessage, b"\x12\x04" + welcome)
    with raises(EncodeError, match="Heartbeat.seq"):
        pb.encode(hub_slice.DeviceMessage, {"heartbeat": {"seq": -1}})
    with raises(EncodeError, match="Tool: expected a dict"):
        caps = {"capabilities": {"tools": ["set_led"]}}
        pb.encode(_hub_caps().CapabilityResponse, caps)
    with raises(EncodeError, match="Tool: expected a dict"):
        pb.encode(hub_slice.DeviceMessage, {"capabilities": caps})
    for name in ("Hello", "Welcome", "Tool", "JotunheimCapabilities"):
        assert not hasattr(hub_slice, name), name
