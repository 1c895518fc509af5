"""Simulated OneWire bus and DS18B20 for SimHal, loaded on the first `onewire()` (served
from here) / `add_ds18b20()`: the DS18B20 answers its commands on a bit-level bus (ROM
commands, Convert T, scratchpad), encoded from the datasheet independently of the driver
(the CRC-8 here is the datasheet's bit-serial shift register, the driver's is byte-wise).
"""

import struct

from jotunheim.compat import const

_ENODEV = const(19)  # what a bus raises when no device answers the reset pulse
_DS_FAMILY = 0x28
_serial = [0]


def _dow_crc(data):
    # Dallas/Maxim CRC-8 (x^8+x^5+x^4+1) as the datasheet's bit-serial shift register.
    crc = 0
    for byte in data:
        for i in range(8):
            feedback = (crc ^ (byte >> i)) & 1
            crc >>= 1
            if feedback:
                crc ^= 0x8C
    return crc


def onewire(hal, pin):
    """SimHal.onewire (served from here): the bus on `pin`, made on first use."""
    bus = hal.onewire_buses.get(pin)
    if bus is None:
        bus = hal.onewire_buses[pin] = SimOneWire(pin)
    return bus


class SimOneWire:
    """A OneWire bus (the `onewire.OneWire` interface) routing bytes to simulated devices."""

    def __init__(self, pin):
        self.pin = pin
        self.devices = []
        self._active = []

    def reset(self, required=False):
        self._active = list(self.devices)
        for dev in self._active:
            dev.bus_reset()
        if required and not self._active:
            raise OSError(_ENODEV)
        return bool(self._active)

    def readbit(self):
        bit = 1  # wired-AND: any device pulling low wins, an idle bus reads 1
        for dev in self._active:
            bit &= dev.read_bit()
        return bit

    def writebit(self, value):
        for dev in self._active:
            dev.write_bit(value & 1)

    def readbyte(self):
        value = 0
        for i in range(8):  # LSB first, as on the wire
            value |= self.readbit() << i
        return value

    def writebyte(self, value):
        for i in range(8):
            self.writebit((value >> i) & 1)

    def write(self, buf):
        for b in buf:
            self.writebyte(b)

    def readinto(self, buf):
        for i in range(len(buf)):
            buf[i] = self.readbyte()

    def select_rom(self, rom):
        self.reset()
        self.writebyte(0x55)
        self.write(rom)

    def scan(self):
        """ROMs found with the Search ROM (0xF0) bit protocol, like onewire.OneWire.scan()."""
        from jotunheim.device.drivers.onewire_proto import search_roms

        return search_roms(self)


class SimDS18B20:
    """A DS18B20 on a OneWire bus: ROM commands (skip, match, read, search), Convert T,
    Read/Write Scratchpad. `convert_polls` read slots report "busy" after Convert T."""

    def __init__(
        self, rom=None, temperature_c=20.0, convert_polls=0, corrupt_crc=False, parasite=False
    ):
        if rom is None:
            _serial[0] += 1
            body = bytes((_DS_FAMILY, _serial[0] & 0xFF, 0x5A, 0x10, 0, 0, 0x02))
            rom = body + bytes((_dow_crc(body),))
        elif isinstance(rom, str):
            rom = bytes.fromhex(rom)
        self.rom = bytes(rom)
        self.temperature_c = temperature_c
        self.convert_polls = convert_polls
        self.corrupt_crc = corrupt_crc
        self.parasite = parasite
        self.conversions = 0
        # Power-on scratchpad: 85 °C until the first conversion, TH=75 TL=70, 12-bit.
        self.scratch = bytearray((0x50, 0x05, 75, 70, 0x7F, 0xFF, 0x0C, 0x10))
        self.bus_reset()

    def rom_hex(self):
        return "".join("%02x" % b for b in self.rom)

    def set(self, temperature_c=None, corrupt_crc=None):
        if temperature_c is not None:
            self.temperature_c = temperature_c
        if corrupt_crc is not None:
            self.corrupt_crc = corrupt_crc

    def bus_reset(self):
        self.state = "rom"
        self._byte = 0
        self._nbits = 0
        self._out = b""
        self._pos = 0
        self._collect = bytearray()
        self._busy = 0
        self._sidx = 0
        self._sphase = 0

    def _rom_bit(self, i):
        return (self.rom[i >> 3] >> (i & 7)) & 1

    def read_bit(self):
        if self.state == "search":
            bit = self._rom_bit(self._sidx)
            self._sphase += 1
            return bit if self._sphase == 1 else bit ^ 1
        if self.state == "power":
            return 0 if self.parasite else 1
        if self.state == "busy":
            if self.parasite:
                return 1  # the strong pull-up powering the chip keeps the bus high
            if self._busy > 0:
                self._busy -= 1
                return 0  # conversion in progress pulls the slot low
            return 1
        if self._pos < len(self._out) * 8:
            bit = (self._out[self._pos >> 3] >> (self._pos & 7)) & 1
            self._pos += 1
            return bit
        return 1

    def write_bit(self, bit):
        if self.state == "search":
            if bit != self._rom_bit(self._sidx):
                self.state = "idle"  # lost this round of the search
                return
            self._sidx += 1
            self._sphase = 0
            if self._sidx == 64:
                self.state = "func"
            return
        if self.state == "idle":
            return
        self._byte |= bit << self._nbits
        self._nbits += 1
        if self._nbits == 8:
            byte = self._byte
            self._byte = 0
            self._nbits = 0
            self._on_byte(byte)

    def _send(self, data):
        self._out = data
        self._pos = 0

    def _on_byte(self, b):
        state = self.state
        if state == "rom":
            if b == 0xCC:
                self.state = "func"
            elif b == 0x33:
                self._send(self.rom)
                self.state = "func"
            elif b == 0x55:
                self.state = "match"
            elif b == 0xF0:
                self.state = "search"
            else:
                self.state = "idle"
        elif state == "match":
            self._collect.append(b)
            if len(self._collect) == 8:
                self.state = "func" if bytes(self._collect) == self.rom else "idle"
        elif state == "func":
            self._on_function(b)
        elif state == "write":
            self._collect.append(b)
            if len(self._collect) == 3:
                self.scratch[2] = self._collect[0]
                self.scratch[3] = self._collect[1]
                self.scratch[4] = (self._collect[2] & 0x60) | 0x1F  # only R1 R0 are writable
                self.state = "idle"

    def _on_function(self, b):
        if b == 0x44:
            self._convert()
            self._busy = self.convert_polls
            self.state = "busy"
        elif b == 0xBE:
            data = bytearray(self.scratch)
            data.append(_dow_crc(data))
            if self.corrupt_crc:
                data[0] ^= 0x04
            self._send(data)
            self.state = "read"
        elif b == 0x4E:
            self._collect = bytearray()
            self.state = "write"
        elif b == 0xB4:
            self.state = "power"
        else:
            self.state = "idle"

    def _convert(self):
        self.conversions += 1
        t = max(-55.0, min(125.0, self.temperature_c))
        raw = int(round(t * 16))
        bits = 9 + ((self.scratch[4] >> 5) & 3)
        raw &= ~((1 << (12 - bits)) - 1)  # lower resolutions leave the low bits undefined
        struct.pack_into("<h", self.scratch, 0, raw)
