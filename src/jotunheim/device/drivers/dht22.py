"""DHT22 / AM2302 driver: reads the sensor's raw 5-byte frame through the HAL and decodes it
(humidity and sign-magnitude temperature in tenths, checksum = low byte of the byte sum)."""

from jotunheim.compat import const, ticks_diff, ticks_ms
from jotunheim.device.drivers import DriverError, failure

# Datasheet operating range; a frame outside it is noise that happened to pass the checksum.
# (Ints: a float constant is a heap object from ROMFS, and the comparison is the same.)
_MIN_C = const(-40)
_MAX_C = const(80)
# Failure messages: numbers into drivers/messages.py DHT22 (loaded on the first failure).
_FRAME_SIZE = const(0)
_CHECKSUM = const(1)
_OUT_OF_RANGE = const(2)
_NO_ANSWER = const(3)


def decode_frame(frame):
    """(temperature_c, humidity_pct) from a 5-byte frame; DriverError on a bad frame."""
    if len(frame) != 5:
        raise failure("DHT22", _FRAME_SIZE, len(frame))
    if (frame[0] + frame[1] + frame[2] + frame[3]) & 0xFF != frame[4]:
        raise failure("DHT22", _CHECKSUM, frame[0], frame[1], frame[2], frame[3], frame[4])
    humidity = ((frame[0] << 8) | frame[1]) / 10
    temperature = (((frame[2] & 0x7F) << 8) | frame[3]) / 10
    if frame[2] & 0x80:  # sign bit, magnitude in the other 15 bits (not two's complement)
        temperature = -temperature
    if humidity > 100 or not _MIN_C <= temperature <= _MAX_C:
        raise failure("DHT22", _OUT_OF_RANGE, temperature, humidity)
    return temperature, humidity


# One frame buffer for every DHT22: a read fills and decodes it without yielding, so no two
# reads can interleave, and a board with several sensors keeps a single buffer.
_FRAME = bytearray(5)


class DHT22:
    """Sensor with FIELDS temperature_c and humidity_pct. Readings closer together than the
    HAL's `dht_min_interval_ms` (2 s on boards) return the previous result."""

    kind = "sensor"
    FIELDS = ("temperature_c", "humidity_pct")

    def __init__(self, hal, config, bus=None):
        self.name = config.get("name", "dht22")
        self.pin = config["pin"]
        self._hal = hal
        interval = getattr(hal, "dht_min_interval_ms", 2000)
        if interval != 2000:
            self.min_interval_ms = interval

    # Defaults at class level: an instance stores only what differs.
    min_interval_ms = 2000
    _last = None  # (tick, temperature_c, humidity_pct) of the last reading: a tuple, not a dict

    def read(self):
        now = ticks_ms()
        last = self._last
        if last is None or ticks_diff(now, last[0]) >= self.min_interval_ms:
            try:
                self._hal.dht_readinto(self.pin, _FRAME)
            except OSError as exc:
                raise failure("DHT22", _NO_ANSWER, self.name, self.pin, exc) from None
            try:
                temperature, humidity = decode_frame(_FRAME)
            except DriverError as exc:
                raise DriverError("%s: %s" % (self.name, exc)) from None
            last = self._last = (now, temperature, humidity)
        return {"temperature_c": last[1], "humidity_pct": last[2]}

    async def read_async(self):
        """read() for asyncio callers (this part answers within milliseconds)."""
        return self.read()
