"""Capabilities and commands end to end on the simulated HAL, devA's drivers and Settings."""

import json

from capsdev import command, example_settings

from jotunheim.device.capabilities import CapabilityBuilder
from jotunheim.device.commands import CommandHandler
from jotunheim.device.hal.sim import SimHal
from jotunheim.device.settings import Settings
from jotunheim.device.tools import ToolRegistry


def _device():
    settings = Settings(example_settings())
    sim = SimHal()
    b = CapabilityBuilder(settings, sim, ToolRegistry())
    caps = b.build()
    return sim, b, CommandHandler(b.registry), caps


async def test_sensor_tools_read_the_simulated_parts():
    sim, b, h, caps = _device()
    sim.set_sensor("room", temperature_c=22.0, humidity_pct=50.0)
    sim.set_sensor("water", temperature_c=12.5)
    sim.set_sensor("air", temperature_c=19.0, pressure_hpa=1000.0)
    room = json.loads((await h.handle(command("1", "read_room")))["result"])
    assert abs(room["temperature_c"] - 22.0) < 0.11 and abs(room["humidity_pct"] - 50.0) < 0.11
    water = json.loads((await h.handle(command("2", "read_water")))["result"])
    assert abs(water["temperature_c"] - 12.5) < 0.07
    air = json.loads((await h.handle(command("3", "read_air")))["result"])
    assert abs(air["temperature_c"] - 19.0) < 0.1 and abs(air["pressure_hpa"] - 1000.0) < 1.0


async def test_actuator_tools_drive_the_simulated_pins():
    sim, b, h, caps = _device()
    r = await h.handle(command("1", "set_led", {"pin": 2, "on": True}))
    assert r["success"], r
    assert sim.pins[2].value() == 1
    r = await h.handle(command("2", "set_pump", {"on": True}))
    assert json.loads(r["result"]) == {"name": "pump", "state": True}
    assert sim.pins[5].value() == 0  # active_low relay: on drives the pin low
    await h.handle(command("3", "set_status", {"on": False}))
    assert sim.pins[2].value() == 0


async def test_gpio_and_pwm_tools_on_declared_pins():
    sim, b, h, caps = _device()
    r = await h.handle(command("1", "gpio_write", {"pin": 13, "value": 1}))
    assert r["success"] and sim.pins[13].value() == 1
    sim.set_input(12, 1)
    r = await h.handle(command("2", "gpio_read", {"pin": 12}))
    assert json.loads(r["result"]) == {"pin": 12, "value": 1}
    r = await h.handle(command("3", "pwm_set", {"pin": 14, "duty": 0.25, "freq": 500}))
    assert r["success"] and sim.pwms[14].duty_u16() == 16384 and sim.pwms[14].freq() == 500
    r = await h.handle(command("4", "gpio_write", {"pin": 2, "value": 1}))
    assert r["error_code"] == "INVALID_ARGUMENT"  # pin 2 belongs to the LED, not to gpio.pins


async def test_pwm_led_brightness_through_the_led_driver():
    data = example_settings()
    data["capability_configuration"]["actuators"][0]["pwm"] = True
    sim = SimHal()
    b = CapabilityBuilder(Settings(data), sim, ToolRegistry())
    b.build()
    h = CommandHandler(b.registry)
    r = await h.handle(command("1", "set_status", {"brightness": 0.5}))
    assert r["success"], r
    assert json.loads(r["result"])["state"] == 0.5
    assert abs(sim.pwms[2].duty_u16() - 32768) <= 1


async def test_missing_sensor_part_is_an_internal_error_not_a_crash():
    settings = Settings(example_settings())
    sim = SimHal(auto_attach=False)  # nothing plugged in: the DHT22 never answers
    b = CapabilityBuilder(settings, sim, ToolRegistry())
    b.build()
    h = CommandHandler(b.registry)
    r = await h.handle(command("1", "read_room"))
    assert r["success"] is False and r["error_code"] == "INTERNAL"
    assert "room" in r["error_message"]


def test_capabilities_from_validated_settings_hold_no_secret():
    sim, b, h, caps = _device()
    text = json.dumps(caps)
    assert "00112233445566778899aabbccddeeff" not in text and "wifi-secret-pw" not in text
    assert caps["hardware"]["actuators"] == ["led:status", "relay:pump"]


async def test_example_settings_file_builds_capabilities_and_runs_commands():
    settings = Settings.load("examples/device/device.json")
    sim = SimHal()
    b = CapabilityBuilder(settings, sim, ToolRegistry(), script_dir="examples/device")
    caps = b.build()
    text = json.dumps(caps)
    assert "change-me-wifi-password" not in text and settings["identity"]["key"] not in text
    names = [t["name"] for t in caps["tools"]]
    for want in ("read_room", "read_water", "read_air", "set_status", "set_pump", "set_led"):
        assert want in names
    for want in ("gpio_read", "gpio_write", "pwm_set", "adc_read", "blink", "add"):
        assert want in names
    blink = [t for t in caps["tools"] if t["name"] == "blink"][0]
    assert blink["parameters"][0]["name"] == "times" and blink["parameters"][0]["required"]
    h = CommandHandler(b.registry)
    sim.set_adc(12, 40000)
    r = await h.handle(command("1", "adc_read", {"pin": 12}))
    assert json.loads(r["result"]) == {"pin": 12, "value_u16": 40000}
    r = await h.handle(command("2", "blink", {"times": 11}))
    assert r["error_code"] == "INVALID_ARGUMENT" and "'times' must be <= 10" in r["error_message"]
    r = await h.handle(command("3", "add", {"a": 1}))
    assert r["error_code"] == "INVALID_ARGUMENT" and "'b'" in r["error_message"]
