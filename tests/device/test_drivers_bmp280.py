"""BMP280 driver: register protocol over I2C against the simulated chip, integer compensation."""

from devtest import raises

from jotunheim.device.drivers import DriverError, make_driver
from jotunheim.device.drivers.bmp280 import compensate_pressure, compensate_temperature
from jotunheim.device.hal.sim import SimHal
from jotunheim.device.hal.sim_sensors import (
    BMP280_DATASHEET_TRIM,
    bmp280_float_pressure,
    bmp280_float_temperature,
)

IFACES = [{"type": "i2c", "name": "i2c0", "sda": 21, "scl": 22, "freq": 400000}]
AIR = {"name": "air", "driver": "bmp280", "interface": "i2c0", "address": 0x76}


def test_integer_compensation_matches_the_datasheet_example():
    # Datasheet §3.12: adc_T 519888 -> 25.08 C, t_fine 128422; adc_P 415148 -> 100653.27 Pa
    t, t_fine = compensate_temperature(BMP280_DATASHEET_TRIM, 519888)
    assert t == 2508 and t_fine == 128422
    p = compensate_pressure(BMP280_DATASHEET_TRIM, 415148, t_fine) / 256
    assert abs(p - 100653.27) < 0.1, p


def test_integer_and_float_formulas_agree_across_the_range():
    trim = BMP280_DATASHEET_TRIM
    for adc_t in (400000, 450000, 519888, 560000):
        t_int, t_fine = compensate_temperature(trim, adc_t)
        t_float, _ = bmp280_float_temperature(trim, adc_t)
        assert abs(t_int / 100 - t_float) < 0.011
        for adc_p in (250000, 350000, 415148, 500000):
            p_int = compensate_pressure(trim, adc_p, t_fine) / 256
            p_float = bmp280_float_pressure(trim, adc_p, t_fine)
            assert abs(p_int - p_float) < 1.0, (adc_t, adc_p, p_int, p_float)


def test_reads_chosen_values_from_the_simulated_chip():
    sim = SimHal()
    drv = make_driver(sim, AIR, IFACES)
    assert drv.kind == "sensor" and drv.FIELDS == ("temperature_c", "pressure_hpa")
    for t, p in ((21.0, 1013.25), (-12.5, 987.6), (40.2, 1050.0), (0.0, 850.0)):
        sim.set_sensor("air", temperature_c=t, pressure_hpa=p)
        got = drv.read()
        assert abs(got["temperature_c"] - t) <= 0.02, (t, got)
        assert abs(got["pressure_hpa"] - p) <= 0.02, (p, got)


def test_each_read_triggers_one_forced_measurement_and_the_chip_sleeps_again():
    sim = SimHal()
    drv = make_driver(sim, AIR, IFACES)
    dev = sim.sensors["air"]
    assert dev.measurements == 0
    drv.read()
    drv.read()
    assert dev.measurements == 2
    assert dev.regs[0xF4] & 3 == 0  # back in sleep mode
    assert dev.regs[0xF4] >> 5 == 1 and (dev.regs[0xF4] >> 2) & 7 == 3


def test_wrong_chip_id_is_rejected():
    sim = SimHal()
    dev = sim.add_bmp280("i2c0", 0x76, "air")
    dev.regs[0xD0] = 0x60  # a BME280
    with raises(DriverError, match="chip id 0x60 at 0x76 is not a BMP280"):
        make_driver(sim, AIR, IFACES)


def test_absent_chip_is_a_driver_error():
    sim = SimHal(auto_attach=False)
    with raises(DriverError, match="air: no answer at I2C 0x76"):
        make_driver(sim, AIR, IFACES)


def test_skipped_measurement_is_reported():
    sim = SimHal()
    drv = make_driver(sim, AIR, IFACES)
    import jotunheim.device.drivers.bmp280 as mod

    old = mod.CTRL_FORCED
    mod.CTRL_FORCED = (3 << 2) | 1  # temperature oversampling 0 = skipped
    try:
        with raises(DriverError, match="skipped"):
            drv.read()
    finally:
        mod.CTRL_FORCED = old


def test_two_chips_share_one_bus():
    sim = SimHal()
    a = make_driver(sim, AIR, IFACES)
    b = make_driver(
        sim, {"name": "out", "driver": "bmp280", "interface": "i2c0", "address": 0x77}, IFACES
    )
    sim.set_sensor("out", temperature_c=-3.0)
    assert sim.i2c(name="i2c0").scan() == [0x76, 0x77]
    assert abs(a.read()["temperature_c"] - 21.0) < 0.02
    assert abs(b.read()["temperature_c"] + 3.0) < 0.02


async def test_read_async_returns_a_reading():
    sim = SimHal()
    drv = make_driver(sim, AIR, IFACES)
    got = await drv.read_async()
    assert abs(got["temperature_c"] - 21.0) < 0.02 and abs(got["pressure_hpa"] - 1013.25) < 0.02
    assert sim.i2c(name="i2c0").sda == 21
