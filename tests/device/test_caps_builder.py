"""CapabilityBuilder: identity, hardware, resources, features, auto-tools and no secrets."""

import json

from capsdev import RecordingHal, example_settings, fake_drivers, write_file
from devtest import raises, tmpdir

from jotunheim.device.capabilities import CapabilityBuilder
from jotunheim.device.tools import Tool, ToolDefinitionError, ToolRegistry


def _builder(data=None, **kw):
    hal = RecordingHal()
    drivers = fake_drivers()
    b = CapabilityBuilder(data or example_settings(), hal, ToolRegistry(), drivers, **kw)
    return b, hal, drivers


def _tool(caps, name):
    for t in caps["tools"]:
        if t["name"] == name:
            return t
    return None


def test_identity_versions_resources_and_features():
    caps = _builder()[0].build()
    assert caps["device_id"] == "kitchen-1"
    assert caps["device_name"] == "Kitchen"
    assert caps["device_type"] == "esp32"
    assert caps["firmware_version"] == "1.0.0"
    assert caps["protocol_version"] == "1"
    assert caps["resources"] == {
        "max_memory_kb": 0,
        "max_cpu_percent": 80,
        "max_concurrent_tools": 2,
    }
    assert caps["features"] == {"streaming": True, "compression": False, "encryption": False}


def test_hardware_section_lists_declared_parts():
    hw = _builder()[0].build()["hardware"]
    assert hw["gpio"] == {
        "available_pins": [12, 13, 14],
        "digital": True,
        "analog": False,
        "pwm": True,
    }
    assert hw["interfaces"] == ["i2c0", "ow0"]
    assert hw["sensors"] == ["dht22:room", "ds18b20:water", "bmp280:air"]
    assert hw["actuators"] == ["led:status", "relay:pump"]


def test_auto_tools_from_sensors_actuators_and_gpio():
    caps = _builder()[0].build()
    names = [t["name"] for t in caps["tools"]]
    for want in (
        "read_room",
        "read_water",
        "read_air",
        "set_status",
        "set_pump",
        "set_led",
        "gpio_read",
        "gpio_write",
        "pwm_set",
    ):
        assert want in names, want
    assert "adc_read" not in names  # analog is off
    assert "temperature_c, humidity_pct" in _tool(caps, "read_room")["description"]
    assert "pressure_hpa" in _tool(caps, "read_air")["description"]
    led = _tool(caps, "set_led")
    assert [p["name"] for p in led["parameters"]] == ["pin", "on"]
    assert _tool(caps, "set_pump")["parameters"][0]["type"] == "Boolean"


def test_gpio_tools_absent_when_digital_off_or_no_pins():
    data = example_settings()
    data["capability_configuration"]["gpio"] = {"pins": [12], "digital": False, "pwm": False}
    names = [t["name"] for t in _builder(data)[0].build()["tools"]]
    assert "gpio_read" not in names and "gpio_write" not in names and "pwm_set" not in names
    data["capability_configuration"]["gpio"] = {"pins": [], "digital": True}
    names = [t["name"] for t in _builder(data)[0].build()["tools"]]
    assert "gpio_read" not in names


def test_no_secret_reaches_capabilities():
    caps = _builder()[0].build()
    text = json.dumps(caps)
    assert "00112233445566778899aabbccddeeff" not in text
    assert "wifi-secret-pw" not in text
    assert "home" not in text  # not even the SSID


def test_sensor_and_actuator_tools_drive_the_drivers():
    b, hal, drivers = _builder()
    b.build()
    reg = b.registry
    assert reg.get("read_room").handler({}) == {"temperature_c": 21.5, "humidity_pct": 40.0}
    assert reg.get("set_pump").handler({"on": True}) == {"name": "pump", "state": True}
    assert drivers["pump"].state is True
    reg.get("set_led").handler({"pin": 2, "on": True})
    assert drivers["status"].history == [True]


def test_set_led_pin_is_restricted_to_declared_leds():
    b = _builder()[0]
    b.build()
    tool = b.registry.get("set_led")
    with raises(Exception, match="one of: 2"):
        tool.validate({"pin": 5, "on": True})


def test_gpio_tools_use_only_declared_pins():
    b, hal, _ = _builder()
    b.build()
    write = b.registry.get("gpio_write")
    args = write.validate({"pin": 13, "value": 1})
    write.handler(args)
    assert hal.pins[13].v == 1 and hal.pins[13].mode == "out"
    # reading an output pin reads it back without reconfiguring it as an input
    assert b.registry.get("gpio_read").handler({"pin": 13}) == {"pin": 13, "value": 1}
    assert hal.pins[13].mode == "out"
    with raises(Exception, match="'pin' must be one of"):
        write.validate({"pin": 2, "value": 1})
    with raises(Exception, match="'value' must be <= 1"):
        write.validate({"pin": 13, "value": 2})
    pwm = b.registry.get("pwm_set")
    pwm.handler(pwm.validate({"pin": 12, "duty": 0.5}))
    assert hal.pwms[12].duty == 32768 and hal.pwms[12].f == 1000
    pwm.handler(pwm.validate({"pin": 12, "duty": 0.25, "freq": 500}))  # the same PWM, retuned
    assert hal.pwms[12].duty == 16384 and hal.pwms[12].f == 500
    # a digital write takes the pin back from PWM (deinit) and drives it as an output
    pwm_obj = hal.pwms[12]
    write.handler({"pin": 12, "value": 1})
    assert pwm_obj.active is False and hal.pins[12].mode == "out" and hal.pins[12].v == 1
    assert b.registry.get("gpio_read").handler({"pin": 12}) == {"pin": 12, "value": 1}


def test_pwm_set_as_the_first_gpio_command():
    b, hal, _ = _builder()
    b.build()
    pwm = b.registry.get("pwm_set")
    assert pwm.handler(pwm.validate({"pin": 14, "duty": 1})) == {"pin": 14, "duty": 1, "freq": 1000}
    assert hal.pwms[14].duty == 65535
    assert b.registry.get("gpio_read").handler({"pin": 12}) == {"pin": 12, "value": 0}


def test_pwm_led_gets_brightness():
    data = example_settings()
    data["capability_configuration"]["actuators"][0]["pwm"] = True
    b, _, drivers = _builder(data)
    b.build()
    tool = b.registry.get("set_status")
    assert [p["name"] for p in tool.parameters] == ["on", "brightness"]
    tool.handler(tool.validate({"brightness": 0.25}))
    assert drivers["status"].state == 0.25
    with raises(Exception, match="must be <= 1"):
        tool.validate({"brightness": 1.5})
    with raises(Exception, match="'on' or 'brightness'"):
        tool.handler({})


def test_script_tool_from_configuration_is_loaded_lazily():
    d = tmpdir("caps")
    data = example_settings()
    data["capability_configuration"]["tools"] = [
        {
            "name": "blink",
            "description": "Blink n times",
            "kind": "script",
            "script": "blink.py",
            "parameters": [{"name": "times", "type": "Integer", "required": True, "min": 1}],
            "return_type": "Object",
        }
    ]
    b = _builder(data, script_dir=d)[0]
    caps = b.build()  # the file does not exist yet: loading is lazy
    assert _tool(caps, "blink")["parameters"][0]["name"] == "times"
    write_file(
        d + "/blink.py", "calls = []\ndef run(params):\n    return {'blinked': params['times']}\n"
    )
    assert b.registry.get("blink").handler({"times": 3}) == {"blinked": 3}


def test_bad_script_tool_entry_is_refused_with_its_name():
    data = example_settings()
    data["capability_configuration"]["tools"] = [{"name": "x", "kind": "script"}]
    with raises(ToolDefinitionError, match="tool x"):
        _builder(data)[0].build()


def test_configure_replaces_only_owned_tools():
    b = _builder()[0]
    b.build()
    b.registry.register(Tool("user_script", "registered at runtime"))
    data = example_settings()
    data["capability_configuration"]["sensors"] = []
    b.settings = data
    b.configure()
    names = b.registry.names()
    assert "read_room" not in names
    assert "user_script" in names and "set_pump" in names


def test_script_tool_errors_are_clear():
    d = tmpdir("caps")
    data = example_settings()
    entry = {"name": "s", "kind": "script", "script": "s.py"}
    data["capability_configuration"]["tools"] = [entry]
    b = _builder(data, script_dir=d)[0]
    b.build()
    tool = b.registry.get("s")
    with raises(Exception, match="cannot read"):
        tool.handler({})
    write_file(d + "/s.py", "x = 1\n")
    with raises(Exception, match="defines no run(params)"):
        tool.handler({})
    write_file(d + "/s.py", "def run(p:\n")
    with raises(Exception, match="syntax error"):
        tool.handler({})
    write_file(d + "/s.py", "#" * 40000)
    with raises(Exception, match="larger than"):
        tool.handler({})
