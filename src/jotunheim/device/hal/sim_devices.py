"""Simulated DHT22 for SimHal: its 5-byte frame, encoded from the datasheet independently
of the driver. The other simulated parts live in sim_onewire (DS18B20) and sim_bmp280.
"""


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
