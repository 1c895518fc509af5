"""Shared fixtures of the capability/command device tests: the example settings and doubles.

The doubles (a recording HAL and drivers) let the builder and handler be tested on their own;
tests that need the real SimHal, drivers or Settings import them from jotunheim.device.
"""

import json

KEY = "00112233445566778899aabbccddeeff"


def example_settings():
    """The CONTRACTS.md §4 example (with a valid key), as a plain dict."""
    return {
        "schema_version": 1,
        "identity": {
            "device_id": "kitchen-1",
            "name": "Kitchen",
            "type": "esp32",
            "key": KEY,
            "firmware_version": "1.0.0",
        },
        "hub": {"addresses": ["127.0.0.1:50051"], "tls": False},
        "loki": {"mode": "off", "address": "127.0.0.1:50052", "timeout_ms": 2000, "retries": 2},
        "network": {"wifi": {"ssid": "home", "password": "wifi-secret-pw"}},
        "capability_configuration": {
            "gpio": {"pins": [12, 13, 14], "digital": True, "analog": False, "pwm": True},
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
            "tools": [],
        },
        "resource_limits": {"max_concurrent_tools": 2, "max_cpu_percent": 80, "max_memory_kb": 0},
        "logging": {"level": "WARN"},
    }


class PlainSettings:
    """Settings-shaped holder (data, on_change, change()) for tests of listeners."""

    def __init__(self, data):
        self.data = data
        self._listeners = []

    def __getitem__(self, key):
        return self.data[key]

    def on_change(self, callback):
        self._listeners.append(callback)

    def change(self, section, value):
        self.data[section] = value
        for cb in self._listeners:
            cb(self, [section])


class RecordingPin:
    def __init__(self, num, mode):
        self.num = num
        self.mode = mode
        self.v = 0

    def value(self, v=None):
        if v is None:
            return self.v
        self.v = 1 if v else 0
        return None


class RecordingPwm:
    def __init__(self, num, freq, duty_u16):
        self.num = num
        self.f = freq
        self.duty = duty_u16
        self.active = True

    def freq(self, f):
        self.f = f

    def duty_u16(self, d):
        self.duty = d

    def deinit(self):
        self.active = False


class RecordingHal:
    """Minimal HAL double: remembers every pin/pwm created."""

    def __init__(self):
        self.pins = {}
        self.pwms = {}

    def pin(self, num, mode="in"):
        p = RecordingPin(num, mode)
        self.pins[num] = p
        return p

    def pwm(self, num, freq=1000, duty_u16=0):
        p = RecordingPwm(num, freq, duty_u16)
        self.pwms[num] = p
        return p

    def adc(self, num):
        raise OSError("no adc")


class FakeSensor:
    kind = "sensor"

    def __init__(self, values):
        self.values = values
        self.reads = 0

    def read(self):
        self.reads += 1
        return dict(self.values)


class FakeActuator:
    kind = "actuator"

    def __init__(self):
        self.state = False
        self.history = []

    def set(self, value):
        self.state = value
        self.history.append(value)


def fake_drivers():
    return {
        "room": FakeSensor({"temperature_c": 21.5, "humidity_pct": 40.0}),
        "water": FakeSensor({"temperature_c": 12.25}),
        "air": FakeSensor({"temperature_c": 20.0, "pressure_hpa": 1013.2}),
        "status": FakeActuator(),
        "pump": FakeActuator(),
    }


def command(cid, tool, args=None, deadline_ms=0):
    return {
        "command_id": cid,
        "tool": tool,
        "args_json": "" if args is None else json.dumps(args),
        "deadline_ms": deadline_ms,
    }


def write_file(path, text):
    with open(path, "w") as f:
        f.write(text)
