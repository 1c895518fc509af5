"""The simulated HAL: backend choice, pins, PWM, ADC, I2C and OneWire buses, sensor values."""

from devtest import raises

from jotunheim.device.hal import get_hal, set_hal
from jotunheim.device.hal.sim import SimHal


def test_get_hal_picks_simulation_without_machine_pin():
    # CPython has no machine module; the unix port's machine module has no Pin.
    set_hal(None)
    hal = get_hal()
    assert isinstance(hal, SimHal) and hal.is_simulated
    assert get_hal() is hal  # one HAL per process
    mine = SimHal()
    set_hal(mine)
    assert get_hal() is mine
    set_hal(None)


def test_output_pin_is_inspectable():
    sim = SimHal()
    pin = sim.pin(2, "out")
    pin.value(1)
    assert sim.pins[2].value() == 1 and pin.value() == 1
    pin.off()
    pin.on()
    pin.value(0)
    assert sim.pins[2].history == [1, 0, 1, 0]
    assert sim.pin(2, "out") is pin  # one object per pin


def test_inputs_follow_the_outside_world_and_pullups():
    sim = SimHal()
    assert sim.pin(4, "in").value() == 0
    sim.set_input(4, 1)
    assert sim.pin(4, "in").value() == 1
    assert sim.pin(5, "in_pullup").value() == 1  # nothing drives it: the pull-up wins
    sim.set_input(5, 0)
    assert sim.pins[5].value() == 0
    with raises(ValueError):
        sim.pin(6, "sideways")


def test_history_is_bounded():
    sim = SimHal()
    pin = sim.pin(2, "out")
    for i in range(100):
        pin.value(i & 1)
    assert len(sim.pins[2].history) == 32


def test_pwm_and_adc():
    sim = SimHal()
    pwm = sim.pwm(5, freq=2000, duty_u16=100)
    assert sim.pwms[5].freq() == 2000 and sim.pwms[5].duty_u16() == 100
    pwm.duty_u16(65535)
    pwm.freq(500)
    assert (pwm.freq(), pwm.duty_u16()) == (500, 65535)
    with raises(ValueError):
        pwm.duty_u16(70000)
    with raises(ValueError):
        pwm.freq(0)
    pwm.deinit()
    assert not sim.pwms[5].active
    adc = sim.adc(34)
    assert adc.read_u16() == 0
    sim.set_adc(34, 40000)
    assert adc.read_u16() == 40000
    with raises(ValueError):
        sim.set_adc(34, -1)


def test_i2c_bus_is_shared_and_absent_devices_raise_enodev():
    sim = SimHal()
    bus = sim.i2c(name="i2c0", sda=21, scl=22, freq=100000)
    assert sim.i2c(name="i2c0", sda=21, scl=22) is bus
    assert bus.scan() == []
    with raises(OSError) as r:
        bus.readfrom_mem(0x76, 0xD0, 1)
    assert r.value.args[0] == 19
    sim.add_bmp280("i2c0", 0x77)
    assert bus.scan() == [0x77]
    assert bus.readfrom_mem(0x77, 0xD0, 1) == b"\x58"
    buf = bytearray(2)
    bus.readfrom_mem_into(0x77, 0xD0, buf)
    assert buf[0] == 0x58


def test_onewire_presence_and_search_rom_finds_every_device():
    sim = SimHal()
    bus = sim.onewire(4)
    assert bus.reset() is False
    with raises(OSError):
        bus.reset(required=True)
    assert bus.scan() == []
    devs = [sim.add_ds18b20(4) for _ in range(4)]
    assert bus.reset() is True
    found = sorted(r for r in bus.scan())
    assert found == sorted(d.rom for d in devs)


def test_onewire_read_rom_with_one_device():
    sim = SimHal()
    dev = sim.add_ds18b20(4, rom="28ff4c2a16130261")  # a real DS18B20 ROM code
    bus = sim.onewire(4)
    bus.reset()
    bus.writebyte(0x33)
    rom = bytearray(8)
    bus.readinto(rom)
    assert bytes(rom) == dev.rom and dev.rom_hex() == "28ff4c2a16130261"


def test_set_sensor_before_and_after_attach():
    sim = SimHal()
    sim.set_sensor("room", temperature_c=-5.0, humidity_pct=80.0)
    dev = sim.add_dht22(15, "room")
    assert (dev.temperature_c, dev.humidity_pct) == (-5.0, 80.0)
    sim.set_sensor("room", humidity_pct=10.0)
    assert dev.humidity_pct == 10.0
    buf = bytearray(5)
    sim.dht_readinto(15, buf)
    assert buf[0] == 0 and buf[1] == 100
    with raises(OSError):
        sim.dht_readinto(16, buf)  # nothing on that pin: the sensor never answers
