"""make_driver: dispatch by config["driver"], interface lookup, lazy loading, whole settings."""

import sys

from devtest import raises
from settingsdev import complete

from jotunheim.device.drivers import DriverError, make_driver
from jotunheim.device.hal.sim import SimHal
from jotunheim.device.settings import Settings


def test_unknown_driver_and_missing_interface():
    sim = SimHal()
    with raises(DriverError, match="x: unknown driver 'servo'"):
        make_driver(sim, {"name": "x", "driver": "servo", "pin": 1})
    with raises(DriverError, match="w: needs a onewire interface"):
        make_driver(sim, {"name": "w", "driver": "ds18b20", "interface": "ow9"}, [])
    i2c = [{"type": "i2c", "name": "ow0", "sda": 1, "scl": 2}]
    with raises(DriverError, match="needs a onewire interface"):
        make_driver(sim, {"name": "w", "driver": "ds18b20", "interface": "ow0"}, i2c)


def test_only_the_configured_driver_module_is_loaded():
    for name in ("bmp280", "ds18b20", "dht22", "led"):
        sys.modules.pop("jotunheim.device.drivers." + name, None)
    make_driver(SimHal(), {"name": "status", "driver": "led", "pin": 2})
    assert "jotunheim.device.drivers.led" in sys.modules
    for name in ("bmp280", "ds18b20", "dht22"):
        assert "jotunheim.device.drivers." + name not in sys.modules


def test_every_part_of_the_example_settings_works_on_the_simulator():
    s = Settings(complete())
    caps = s["capability_configuration"]
    sim = SimHal()
    drivers = {}
    for cfg in caps["sensors"] + caps["actuators"]:
        drivers[cfg["name"]] = make_driver(sim, cfg, caps["interfaces"])
    sim.set_sensor("room", temperature_c=22.0, humidity_pct=50.0)
    sim.set_sensor("water", temperature_c=12.25)
    sim.set_sensor("air", temperature_c=18.0, pressure_hpa=1000.0)
    assert drivers["room"].read() == {"temperature_c": 22.0, "humidity_pct": 50.0}
    assert drivers["water"].read() == {"temperature_c": 12.25}
    air = drivers["air"].read()
    assert abs(air["temperature_c"] - 18.0) < 0.02 and abs(air["pressure_hpa"] - 1000.0) < 0.02
    drivers["pump"].set(True)
    drivers["status"].set(True)
    assert sim.pins[5].value() == 0 and sim.pins[2].value() == 1
    assert sorted(sim.sensors) == ["air", "room", "water"]


def test_interfaces_as_a_dict_by_name():
    sim = SimHal()
    ifaces = {"ow0": {"type": "onewire", "name": "ow0", "pin": 4}}
    drv = make_driver(sim, {"name": "w", "driver": "ds18b20", "interface": "ow0"}, ifaces)
    assert drv.read() == {"temperature_c": 20.0}
