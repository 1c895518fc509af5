"""DHT22 driver: the datasheet's frame format, negatives, checksum and timeout errors."""

from devtest import raises

from jotunheim.device.drivers import DriverError, make_driver
from jotunheim.device.drivers.dht22 import decode_frame
from jotunheim.device.hal.sim import SimHal

ROOM = {"name": "room", "driver": "dht22", "pin": 15}


def test_decodes_the_datasheet_example_frame():
    # AM2302 datasheet: 0x028C = 65.2 %RH, 0x015F = 35.1 C, checksum 0xEE.
    assert decode_frame(bytes((0x02, 0x8C, 0x01, 0x5F, 0xEE))) == (35.1, 65.2)


def test_negative_temperature_is_sign_magnitude():
    # 0x8065: sign bit set, magnitude 0x65 = 101 -> -10.1 C
    t, h = decode_frame(bytes((0x01, 0xF4, 0x80, 0x65, (0x01 + 0xF4 + 0x80 + 0x65) & 0xFF)))
    assert t == -10.1 and h == 50.0


def test_checksum_mismatch_is_a_clear_error():
    with raises(DriverError, match="checksum mismatch"):
        decode_frame(bytes((0x02, 0x8C, 0x01, 0x5F, 0xEF)))


def test_implausible_frame_and_wrong_length():
    # 0x0FA0 = 400 C passes the checksum but is outside the sensor's range.
    frame = bytes((0x01, 0x00, 0x0F, 0xA0, (0x01 + 0x0F + 0xA0) & 0xFF))
    with raises(DriverError, match="out of range"):
        decode_frame(frame)
    with raises(DriverError, match="5 bytes"):
        decode_frame(b"\x00\x00")


def test_reads_simulated_sensor_values():
    sim = SimHal()
    drv = make_driver(sim, ROOM)
    assert drv.kind == "sensor" and drv.FIELDS == ("temperature_c", "humidity_pct")
    for t, h in ((22.0, 50.0), (-7.3, 91.2), (0.0, 0.0), (-40.0, 100.0), (80.0, 5.5)):
        sim.set_sensor("room", temperature_c=t, humidity_pct=h)
        assert drv.read() == {"temperature_c": t, "humidity_pct": h}


def test_simulated_checksum_fault_and_timeout():
    sim = SimHal()
    drv = make_driver(sim, ROOM)
    sim.sensors["room"].fault = "checksum"
    with raises(DriverError, match="room: DHT22 checksum mismatch"):
        drv.read()
    sim.sensors["room"].fault = "timeout"
    with raises(DriverError, match="room: DHT22 on pin 15 did not answer"):
        drv.read()
    sim.sensors["room"].fault = None
    assert drv.read()["humidity_pct"] == 40.0


def test_readings_closer_than_the_minimum_interval_are_cached():
    sim = SimHal()
    sim.dht_min_interval_ms = 60000  # as on a board, where the DHT22 needs 2 s between reads
    drv = make_driver(sim, ROOM)
    first = drv.read()
    sim.set_sensor("room", temperature_c=30.0)
    assert drv.read() == first
    assert sim.sensors["room"].reads == 1
    drv.min_interval_ms = 0
    assert drv.read()["temperature_c"] == 30.0


def test_no_sensor_attached_without_auto_attach():
    sim = SimHal(auto_attach=False)
    drv = make_driver(sim, ROOM)
    with raises(DriverError, match="did not answer"):
        drv.read()


async def test_read_async_returns_the_same_reading():
    sim = SimHal()
    drv = make_driver(sim, ROOM)
    sim.set_sensor("room", temperature_c=19.5, humidity_pct=33.0)
    assert await drv.read_async() == {"temperature_c": 19.5, "humidity_pct": 33.0}
