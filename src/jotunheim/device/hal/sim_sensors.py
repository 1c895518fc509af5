"""Simulated sensors for SimHal, encoded from the datasheets independently of the drivers:
a DHT22's 5-byte frame, and a BMP280 register file over I2C (chip id, trim, ctrl_meas, data)
whose forced measurements encode a chosen temperature and pressure into raw ADC values by
inverting the datasheet's floating-point compensation (the driver uses the integer one).
The simulated DS18B20 lives with its bus in sim_onewire.
"""

import struct


class SimDHT22:
    """A DHT22/AM2302; fault None, "checksum" (bad last byte) or "timeout" (no answer)."""

    def __init__(self, temperature_c=21.0, humidity_pct=40.0, fault=None):
        self.temperature_c = temperature_c
        self.humidity_pct = humidity_pct
        self.fault = fault
        self.reads = 0

    def set(self, temperature_c=None, humidity_pct=None, fault="keep"):
        if temperature_c is not None:
            self.temperature_c = temperature_c
        if humidity_pct is not None:
            self.humidity_pct = humidity_pct
        if fault != "keep":
            self.fault = fault

    def frame(self):
        """The 5 bytes the sensor sends: RH*10, sign-magnitude T*10, checksum (datasheet §7)."""
        self.reads += 1
        rh = int(round(self.humidity_pct * 10))
        t = int(round(abs(self.temperature_c) * 10))
        hi = (t >> 8) & 0x7F
        if self.temperature_c < 0:
            hi |= 0x80
        frame = bytearray((rh >> 8, rh & 0xFF, hi, t & 0xFF, 0))
        frame[4] = (frame[0] + frame[1] + frame[2] + frame[3]) & 0xFF
        if self.fault == "checksum":
            frame[4] ^= 0x01
        return frame


# The BMP280 datasheet's example calibration (section 3.12), a realistic trim set.
BMP280_DATASHEET_TRIM = (
    27504,
    26435,
    -1000,
    36477,
    -10685,
    3024,
    2855,
    140,
    -7,
    15500,
    -14600,
    6000,
)


# The datasheet's constants are written as ints below: `/` divides in floating point anyway
# (same results, all are exact in a double), and an int sits inline in the bytecode where a
# float constant is one more object on the heap.


def bmp280_float_temperature(trim, adc_t):
    """Datasheet §8.1 floating-point compensation: (°C, t_fine)."""
    t1, t2, t3 = trim[0], trim[1], trim[2]
    v1 = (adc_t / 16384 - t1 / 1024) * t2
    v2 = (adc_t / 131072 - t1 / 8192) * (adc_t / 131072 - t1 / 8192) * t3
    return (v1 + v2) / 5120, v1 + v2


def bmp280_float_pressure(trim, adc_p, t_fine):
    """Datasheet §8.1 floating-point compensation: pressure in Pa."""
    p1, p2, p3, p4, p5, p6, p7, p8, p9 = trim[3:]
    v1 = t_fine / 2 - 64000
    v2 = v1 * v1 * p6 / 32768
    v2 = v2 + v1 * p5 * 2
    v2 = v2 / 4 + p4 * 65536
    v1 = (p3 * v1 * v1 / 524288 + p2 * v1) / 524288
    v1 = (1 + v1 / 32768) * p1
    p = (1048576 - adc_p - v2 / 4096) * 6250 / v1
    return p + (p9 * p * p / 2147483648 + p * p8 / 32768 + p7) / 16


def _solve(trim, target, t_fine=None):
    # Bisection over the 20-bit ADC range for the raw value whose compensated output is
    # nearest `target`: the temperature (rising with the raw value) or, given t_fine, the
    # pressure (falling with it).
    lo, hi = 0, (1 << 20) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if t_fine is None:
            below = bmp280_float_temperature(trim, mid)[0] < target
        else:
            below = bmp280_float_pressure(trim, mid, t_fine) > target
        if below:
            lo = mid + 1
        else:
            hi = mid
    return lo


class SimBMP280:
    """A BMP280 register file: chip id 0xD0, trim 0x88.., ctrl_meas 0xF4, data 0xF7..0xFC.
    A forced measurement encodes `temperature_c`/`pressure_hpa` into raw ADC values. Only
    what the driver uses is modelled: no normal mode, no soft reset."""

    def __init__(self, temperature_c=21.0, pressure_hpa=1013.25, trim=BMP280_DATASHEET_TRIM):
        self.trim = trim
        self.temperature_c = temperature_c
        self.pressure_hpa = pressure_hpa
        self.measurements = 0
        self.regs = regs = bytearray(256)  # the power-on state
        struct.pack_into("<HhhHhhhhhhhh", regs, 0x88, *trim)
        regs[0xD0] = 0x58
        regs[0xF7:0xFD] = b"\x80\x00\x00\x80\x00\x00"  # reset values of the data regs

    def set(self, temperature_c=None, pressure_hpa=None):
        if temperature_c is not None:
            self.temperature_c = temperature_c
        if pressure_hpa is not None:
            self.pressure_hpa = pressure_hpa

    def read_registers(self, reg, n):
        return self.regs[reg : reg + n] + bytes(max(0, reg + n - 256))

    def write_registers(self, reg, data):
        for i in range(len(data)):
            r = reg + i
            if r == 0xF4 or r == 0xF5:  # ctrl_meas, config
                self.regs[r] = data[i]
                if r == 0xF4 and (data[i] & 3 == 1 or data[i] & 3 == 2):  # forced mode
                    self._measure()
                    self.regs[0xF4] &= 0xFC  # forced mode ends in sleep mode

    def _measure(self):
        self.measurements += 1
        ctrl = self.regs[0xF4]
        trim = self.trim
        adc_t = _solve(trim, self.temperature_c)
        t_fine = bmp280_float_temperature(trim, adc_t)[1]
        adc_p = _solve(trim, self.pressure_hpa * 100, t_fine)
        if not ctrl >> 5:
            adc_t = 0x80000  # temperature oversampling "skipped"
        if not (ctrl >> 2) & 7:
            adc_p = 0x80000
        raw = bytes((adc_p >> 12, (adc_p >> 4) & 0xFF, (adc_p & 0xF) << 4))
        raw += bytes((adc_t >> 12, (adc_t >> 4) & 0xFF, (adc_t & 0xF) << 4))
        self.regs[0xF7:0xFD] = raw
