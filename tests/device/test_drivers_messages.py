"""The drivers' failure messages (kept in drivers/messages.py, loaded on the first failure):
the failures tested here have their full text, formatted with the details (others are
matched in the driver tests)."""

from devtest import raises

from jotunheim.device.drivers import DriverError, failure, make_driver
from jotunheim.device.drivers.dht22 import decode_frame
from jotunheim.device.drivers.ds18b20 import decode_scratchpad
from jotunheim.device.hal.sim import SimHal
from jotunheim.device.hal.sim_sensors import SimBMP280

IFACES = [{"type": "i2c", "name": "i2c0", "sda": 21, "scl": 22, "freq": 400000}]
AIR = {"name": "air", "driver": "bmp280", "interface": "i2c0", "address": 0x76}


def _message(fn, *args):
    with raises(DriverError) as r:
        fn(*args)
    return str(r.value)


class _NeverDone(SimBMP280):
    """A chip whose forced measurement never ends (mode bits stay "forced")."""

    def write_registers(self, reg, data):
        SimBMP280.write_registers(self, reg, data)
        self.regs[0xF4] |= 1


def test_bmp280_messages():
    sim = SimHal()
    sim.add_bmp280("i2c0", 0x76, "air", trim=(0,) * 12)
    assert _message(make_driver, sim, AIR, IFACES) == "air: calibration data is blank"
    sim = SimHal(auto_attach=False)
    bus = sim.i2c(name="i2c0", sda=21, scl=22)
    bus.devices[0x76] = _NeverDone()
    drv = make_driver(sim, AIR, IFACES)
    assert _message(drv.read) == "air: measurement did not finish"
    assert str(failure("BMP280", 5, "air")) == "air: invalid calibration (pressure)"


def test_dht22_messages():
    assert _message(decode_frame, b"\x00\x00") == "DHT22 frame must be 5 bytes, got 2"
    assert _message(decode_frame, b"\x01\x02\x03\x04\x00") == (
        "DHT22 checksum mismatch (frame 01 02 03 04 00)"
    )
    frame = bytes((0x01, 0x00, 0x0F, 0xA0, (0x01 + 0x0F + 0xA0) & 0xFF))
    assert _message(decode_frame, frame) == "DHT22 reading out of range (400.0 C, 25.6 %RH)"
    sim = SimHal(auto_attach=False)
    drv = make_driver(sim, {"name": "room", "driver": "dht22", "pin": 15})
    assert _message(drv.read).startswith("room: DHT22 on pin 15 did not answer (")


def test_ds18b20_messages():
    assert _message(decode_scratchpad, b"\xff" * 9) == (
        "DS18B20 did not answer (scratchpad all 0xFF)"
    )
    assert _message(decode_scratchpad, bytes(9)) == "DS18B20 bus held low (scratchpad all zero)"
    bad = bytes((0x91, 0x01, 0x4B, 0x46, 0x7F, 0xFF, 0x0F, 0x10, 0x00))
    assert _message(decode_scratchpad, bad).startswith("DS18B20 scratchpad CRC mismatch (")
    sim = SimHal()
    ifaces = [{"type": "onewire", "name": "ow0", "pin": 4}]
    cfg = {"name": "w", "driver": "ds18b20", "interface": "ow0", "rom": "2800000000000000"}
    assert _message(make_driver, sim, cfg, ifaces) == (
        "w: 2800000000000000 is not a DS18B20 ROM (family 28, valid CRC)"
    )
    sim = SimHal(auto_attach=False)
    cfg = {"name": "w", "driver": "ds18b20", "interface": "ow0"}
    drv = make_driver(sim, cfg, ifaces)
    assert _message(drv.read) == "w: no presence pulse on the OneWire bus"


def test_actuator_messages():
    sim = SimHal()
    led = make_driver(sim, {"name": "status", "driver": "led", "pin": 2})
    assert _message(led.set, 0.5) == "status: brightness needs a PWM LED (pwm: true)"
    assert _message(led.set, "on") == "status: expected true/false or brightness 0..1, got 'on'"
    relay = make_driver(sim, {"name": "pump", "driver": "relay", "pin": 5})
    assert _message(relay.set, 1) == "pump: expected true or false, got 1"
