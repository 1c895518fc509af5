"""Settings validation: defaults, clear errors naming the key, secrets kept out of messages."""

import json

from devtest import raises
from settingsdev import KEY, complete, minimal, with_change

from jotunheim.device.settings import Settings, SettingsError, validate
from jotunheim.errors import DecodeError


def _error(doc, strict=True):
    with raises(SettingsError) as r:
        Settings(doc, strict=strict)
    return r.value


def test_minimal_document_gets_every_section_with_defaults():
    s = Settings(minimal())
    d = s.data
    for section in (
        "schema_version",
        "identity",
        "hub",
        "loki",
        "network",
        "capability_configuration",
        "network_resilience_settings",
        "resource_limits",
        "ota_update_settings",
        "logging",
    ):
        assert section in d, section
    assert d["identity"]["name"] == "kitchen-1"  # defaults to the device id
    assert d["hub"]["addresses"] == ["127.0.0.1:50051"]
    assert d["loki"]["mode"] == "off" and d["loki"]["fallback"] == "error"
    assert d["network"]["wifi"]["password"] is None
    assert d["network"]["ip"]["mode"] == "dhcp"
    assert d["capability_configuration"]["gpio"] == {
        "pins": [],
        "digital": True,
        "analog": False,
        "pwm": False,
    }
    assert d["network_resilience_settings"]["backoff_base_ms"] == 500
    assert d["network_resilience_settings"]["dead_peer_timeout_ms"] == 45000
    assert d["resource_limits"]["max_concurrent_tools"] == 2
    assert d["ota_update_settings"]["chunk_size"] == 4096
    assert d["logging"]["level"] == "WARN"
    assert s["identity"]["device_id"] == "kitchen-1"


def test_complete_document_keeps_values_and_fills_nested_defaults():
    s = Settings(complete())
    caps = s["capability_configuration"]
    assert caps["interfaces"][0]["bus_id"] is None
    assert caps["sensors"][2]["address"] == 118
    assert caps["actuators"][0]["active_low"] is False and caps["actuators"][0]["pwm"] is False
    assert caps["tools"][0]["parameters"][0]["description"] == ""
    assert s["ota_update_settings"]["trusted_keys"][0]["e"] == 65537
    assert s["ota_update_settings"]["trusted_keys"][0]["scheme"] == "rsa-pkcs1v15-sha256"
    assert s["network_resilience_settings"]["backoff_cap_ms"] == 10000


def test_defaults_are_not_shared_between_instances():
    a = Settings(minimal())
    b = Settings(minimal())
    a["hub"]["addresses"].append("x:1")
    assert b["hub"]["addresses"] == ["127.0.0.1:50051"]


def test_error_names_key_path_and_problem():
    doc = with_change(minimal(), "network_resilience_settings.backoff_base_ms", "x")
    e = _error(doc)
    assert str(e).startswith("network_resilience_settings.backoff_base_ms: expected an integer")
    assert "got 'x'" in str(e)
    assert e.key == "network_resilience_settings.backoff_base_ms"
    assert isinstance(e, DecodeError)


def test_required_identity_keys():
    assert str(_error({})) == "identity: required key missing"
    e = _error({"identity": {"key": KEY}})
    assert str(e) == "identity.device_id: required key missing"
    e = _error({"identity": {"device_id": "d1"}})
    assert str(e) == "identity.key: required key missing"


def test_wrong_types_are_rejected_with_path():
    cases = [
        ("hub.tls", "yes", "hub.tls: expected true or false"),
        ("hub.tls", 1, "hub.tls: expected true or false"),
        ("resource_limits.max_concurrent_tools", True, "resource_limits.max_concurrent_tools"),
        ("resource_limits.max_concurrent_tools", 2.0, "expected an integer"),
        ("resource_limits.max_concurrent_tools", 0, "expected an integer in 1..64, got 0"),
        ("logging.level", "LOUD", "logging.level: expected one of ERROR, WARN, INFO, DEBUG"),
        ("hub.addresses", [], "hub.addresses: expected 1..8 items"),
        ("hub.addresses", ["nohost"], "hub.addresses[0]: expected 'host:port'"),
        ("hub.addresses", ["h:70000"], "hub.addresses[0]: expected 'host:port'"),
        ("network.ip.dns", "1.2.3", "network.ip.dns: expected an IPv4 address"),
        ("network.ip.dns", "1.2.3.256", "network.ip.dns: expected an IPv4 address"),
        ("network.wifi", [], "network.wifi: expected an object"),
        ("schema_version", 2, "schema_version: expected an integer in 1..1"),
        ("identity.device_id", "bad id!", "identity.device_id: expected letters"),
        ("hub.tls", None, "hub.tls: must not be null"),
    ]
    for path, value, expect in cases:
        msg = str(_error(with_change(minimal(), path, value)))
        assert expect in msg, (path, msg)


def test_unknown_keys_rejected_in_strict_mode_and_dropped_otherwise():
    doc = with_change(minimal(), "network.wifi.pasword", "pw")
    e = _error(doc)
    assert str(e).startswith("network.wifi.pasword: unknown key"), str(e)
    lines = []

    class Log:
        def warn(self, msg, *args):
            lines.append(msg % args)

    s = Settings(doc, strict=False, logger=Log())
    assert "pasword" not in s["network"]["wifi"]
    assert lines == ["settings: ignoring unknown key network.wifi.pasword"]
    data, unknown = validate(doc, strict=False)
    assert unknown == ["network.wifi.pasword"]


def test_secret_values_never_appear_in_errors():
    for bad in ("zz" * 16, "abc", 12345, "0123"):
        msg = str(_error(with_change(minimal(), "identity.key", bad)))
        assert msg.startswith("identity.key: "), msg
        assert str(bad) not in msg, msg
    msg = str(_error(with_change(minimal(), "network.wifi.password", "p" * 80)))
    assert msg.startswith("network.wifi.password:") and "ppp" not in msg


def test_key_must_be_hex_and_at_least_16_bytes():
    assert "expected 32..128 characters" in str(
        _error(with_change(minimal(), "identity.key", "ab"))
    )
    assert "even number" in str(_error(with_change(minimal(), "identity.key", "a" * 33)))


def test_variants_by_driver_and_interface_type():
    doc = complete()
    doc["capability_configuration"]["sensors"][0]["driver"] = "dht99"
    msg = str(_error(doc))
    assert msg.startswith("capability_configuration.sensors[0].driver: expected one of dht22"), msg
    doc = complete()
    doc["capability_configuration"]["sensors"][0] = {"name": "room", "driver": "dht22"}
    assert str(_error(doc)) == "capability_configuration.sensors[0].pin: required key missing"
    doc = complete()
    doc["capability_configuration"]["sensors"][0]["interface"] = "ow0"  # not a dht22 key
    assert "sensors[0].interface: unknown key" in str(_error(doc))


def test_cross_field_rules():
    cases = [
        ("network.ip.mode", "static", "network.ip.address: required when network.ip.mode"),
        ("network_resilience_settings.backoff_cap_ms", 100, "backoff_cap_ms: must be >="),
        ("network_resilience_settings.dead_peer_timeout_ms", 15000, "must be > heartbeat"),
        ("resource_limits.memory_warning_kb", 8, "memory_warning_kb: must be >= memory_floor"),
    ]
    for path, value, expect in cases:
        msg = str(_error(with_change(minimal(), path, value)))
        assert expect in msg, (path, msg)


def test_capability_cross_references():
    doc = complete()
    doc["capability_configuration"]["sensors"][1]["interface"] = "i2c0"
    msg = str(_error(doc))
    assert msg.startswith(
        "capability_configuration.sensors[1].interface: expected the name of a onewire"
    )
    doc = complete()
    doc["capability_configuration"]["actuators"][1]["name"] = "room"
    msg = str(_error(doc))
    assert msg.startswith("capability_configuration.actuators[1].name: duplicate of a sensor"), msg
    doc = complete()
    doc["capability_configuration"]["sensors"][1]["name"] = "room"
    msg = str(_error(doc))
    assert msg == "capability_configuration.sensors[1].name: duplicate, got 'room'", msg
    doc = complete()
    doc["capability_configuration"]["actuators"][0]["pin"] = 15
    assert "pin 15 already used by room" in str(_error(doc))
    doc = complete()
    doc["capability_configuration"]["tools"][0]["kind"] = "loki"
    assert "tools[0].loki_script: required when kind is 'loki'" in str(_error(doc))
    doc = complete()
    doc["capability_configuration"]["tools"][0]["parameters"][0]["type"] = "String"
    assert "parameters[0].min: only allowed for Number and Integer" in str(_error(doc))
    doc = complete()
    doc["capability_configuration"]["tools"][0]["parameters"][0]["min"] = 11
    assert "parameters[0].max: must be >= min" in str(_error(doc))


def test_parse_rejects_bad_json_without_quoting_it():
    with raises(SettingsError) as r:
        Settings.from_json('{"identity": {"key": "%s"' % KEY)
    assert "not valid JSON" in str(r.value) and KEY not in str(r.value)
    with raises(SettingsError, match="top level"):
        Settings.from_json("[1, 2]")
    with raises(SettingsError, match="larger than"):
        Settings.from_json(" " * 20000 + json.dumps(minimal()))


def test_lists_are_bounded():
    doc = with_change(minimal(), "capability_configuration.gpio.pins", list(range(65)))
    assert "expected 0..64 items, got 65" in str(_error(doc))


def test_deeply_nested_json_is_a_clean_error():
    with raises(SettingsError):
        Settings.from_json("[" * 5000 + "]" * 5000)
    with raises(SettingsError):
        Settings.from_json('{"identity": ' + "[" * 5000 + "]" * 5000 + "}")
