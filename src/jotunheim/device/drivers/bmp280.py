"""BMP280 driver over I2C: checks chip id 0x58, reads the trim registers (0x88..0x9F), runs a
forced measurement and applies the datasheet's integer compensation (§3.11.3)."""

import struct

from jotunheim.compat import const, sleep_ms, ticks_diff, ticks_ms
from jotunheim.device.drivers import failure

# Registers (datasheet §4.3); private consts are folded into the code by the compiler.
_REG_CALIB = const(0x88)
_REG_ID = const(0xD0)
_REG_STATUS = const(0xF3)
_REG_CTRL_MEAS = const(0xF4)
_REG_CONFIG = const(0xF5)
_REG_DATA = const(0xF7)
_CHIP_ID = const(0x58)
# osrs_t x1 (001), osrs_p x4 (011), forced mode (01): the datasheet's "weather" style.
CTRL_FORCED = (1 << 5) | (3 << 2) | 1
_SKIPPED = const(0x80000)  # the data registers' value when a measurement was skipped
_MEASURE_TIMEOUT_MS = const(100)  # x1/x4 oversampling needs at most ~14 ms
# Failure messages: numbers into drivers/messages.py BMP280 (loaded on the first failure).
_NOT_BMP280 = const(0)
_BLANK_TRIM = const(1)
_NO_ANSWER = const(2)
_NOT_FINISHED = const(3)
_NO_DATA = const(4)
_BAD_TRIM = const(5)


def compensate_temperature(trim, adc_t):
    """(temperature in 0.01 °C, t_fine) with the datasheet's 32-bit integer formula."""
    t1, t2, t3 = trim[0], trim[1], trim[2]
    var1 = (((adc_t >> 3) - (t1 << 1)) * t2) >> 11
    var2 = (((((adc_t >> 4) - t1) * ((adc_t >> 4) - t1)) >> 12) * t3) >> 14
    t_fine = var1 + var2
    return (t_fine * 5 + 128) >> 8, t_fine


def compensate_pressure(trim, adc_p, t_fine):
    """Pressure in Pa * 256 (Q24.8) with the datasheet's 64-bit integer formula; 0 if invalid."""
    p1, p2, p3, p4, p5, p6, p7, p8, p9 = trim[3:]
    var1 = t_fine - 128000
    var2 = var1 * var1 * p6
    var2 = var2 + ((var1 * p5) << 17)
    var2 = var2 + (p4 << 35)
    var1 = ((var1 * var1 * p3) >> 8) + ((var1 * p2) << 12)
    var1 = (((1 << 47) + var1) * p1) >> 33
    if var1 == 0:
        return 0  # avoid division by zero, as the datasheet does
    p = 1048576 - adc_p
    num = ((p << 31) - var2) * 3125
    p = num // var1 if (num >= 0) == (var1 > 0) else -((-num) // var1)  # C truncation
    var1 = (p9 * (p >> 13) * (p >> 13)) >> 25
    var2 = (p8 * p) >> 19
    return ((p + var1 + var2) >> 8) + (p7 << 4)


class BMP280:
    """Sensor with FIELDS temperature_c and pressure_hpa at I2C `address` (0x76 or 0x77)."""

    kind = "sensor"
    FIELDS = ("temperature_c", "pressure_hpa")

    def __init__(self, hal, config, bus):
        self.name = config.get("name", "bmp280")
        self.address = config.get("address", 0x76)
        self._bus = bus
        chip = self._io(_REG_ID, 1)[0]
        if chip != _CHIP_ID:
            raise failure("BMP280", _NOT_BMP280, self.name, chip, self.address)
        self.trim = struct.unpack("<HhhHhhhhhhhh", self._io(_REG_CALIB, 24))
        if self.trim[0] == 0 or self.trim[3] == 0:
            raise failure("BMP280", _BLANK_TRIM, self.name)
        # No IIR filter, so a forced reading is the raw reading.
        self._io(_REG_CONFIG, bytes(1))  # one zero byte

    def _io(self, reg, arg):
        # Reads `arg` bytes (an int) or writes `arg` (bytes) at register `reg`: one place turns
        # the bus's OSError into a DriverError naming the sensor.
        try:
            if isinstance(arg, int):
                return self._bus.readfrom_mem(self.address, reg, arg)
            return self._bus.writeto_mem(self.address, reg, arg)
        except OSError as exc:
            raise failure("BMP280", _NO_ANSWER, self.name, self.address, exc) from None

    def read(self):
        self._io(_REG_CTRL_MEAS, bytes((CTRL_FORCED,)))
        start = ticks_ms()
        # The chip returns to sleep mode (mode bits 00) when the forced measurement is done.
        while self._io(_REG_CTRL_MEAS, 1)[0] & 3 or self._io(_REG_STATUS, 1)[0] & 0x08:
            if ticks_diff(ticks_ms(), start) > _MEASURE_TIMEOUT_MS:
                raise failure("BMP280", _NOT_FINISHED, self.name)
            sleep_ms(2)
        raw = self._io(_REG_DATA, 6)
        adc_p = (raw[0] << 12) | (raw[1] << 4) | (raw[2] >> 4)
        adc_t = (raw[3] << 12) | (raw[4] << 4) | (raw[5] >> 4)
        if adc_t == _SKIPPED or adc_p == _SKIPPED:
            raise failure("BMP280", _NO_DATA, self.name)
        t, t_fine = compensate_temperature(self.trim, adc_t)
        p = compensate_pressure(self.trim, adc_p, t_fine)
        if p == 0:
            raise failure("BMP280", _BAD_TRIM, self.name)
        return {"temperature_c": t / 100, "pressure_hpa": p / 25600}

    async def read_async(self):
        """read() for asyncio callers (this part answers within milliseconds)."""
        return self.read()
