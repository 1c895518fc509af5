"""Shared data for the settings device tests: a minimal and a complete valid document."""

KEY = "00112233445566778899aabbccddeeff"


def minimal():
    return {"identity": {"device_id": "kitchen-1", "key": KEY}}


def complete():
    """The CONTRACTS.md §4 example with every section filled."""
    return {
        "schema_version": 1,
        "identity": {
            "device_id": "kitchen-1",
            "name": "Kitchen",
            "type": "esp32",
            "key": KEY,
            "firmware_version": "1.0.0",
        },
        "hub": {"addresses": ["hub.local:50051", "10.0.0.2:50051"], "tls": True},
        "loki": {"mode": "remote", "address": "10.0.0.2:50052", "fallback": "local"},
        "network": {
            "wifi": {"ssid": "home", "password": "wifi-secret-pw"},
            "ip": {
                "mode": "static",
                "address": "192.168.1.50",
                "netmask": "255.255.255.0",
                "gateway": "192.168.1.1",
            },
        },
        "capability_configuration": {
            "gpio": {"pins": [12, 13], "digital": True, "analog": True, "pwm": True},
            "interfaces": [
                {"type": "i2c", "name": "i2c0", "sda": 21, "scl": 22, "freq": 400000},
                {"type": "onewire", "name": "ow0", "pin": 4},
            ],
            "sensors": [
                {"name": "room", "driver": "dht22", "pin": 15},
                {"name": "water", "driver": "ds18b20", "interface": "ow0"},
                {"name": "air", "driver": "bmp280", "interface": "i2c0", "address": 118},
            ],
            "actuators": [
                {"name": "status", "driver": "led", "pin": 2},
                {"name": "pump", "driver": "relay", "pin": 5, "active_low": True},
            ],
            "tools": [
                {
                    "name": "blink",
                    "description": "Blink the status LED",
                    "kind": "script",
                    "script": "scripts/blink.py",
                    "parameters": [
                        {"name": "times", "type": "Integer", "required": True, "min": 1, "max": 10}
                    ],
                    "return_type": "Object",
                }
            ],
        },
        "network_resilience_settings": {"backoff_base_ms": 250, "backoff_cap_ms": 10000},
        "resource_limits": {"max_concurrent_tools": 3},
        "ota_update_settings": {"trusted_keys": [{"id": "k1", "n": "c0" * 128}]},
        "logging": {"level": "INFO"},
    }


def with_change(doc, path, value):
    """A copy of `doc` with dotted `path` set to `value` (for one-key error tests)."""
    import json

    doc = json.loads(json.dumps(doc))
    node = doc
    parts = path.split(".")
    for part in parts[:-1]:
        if part.isdigit():
            part = int(part)
        elif part not in node:
            node[part] = {}
        node = node[part]
    last = parts[-1]
    node[int(last) if last.isdigit() else last] = value
    return doc
