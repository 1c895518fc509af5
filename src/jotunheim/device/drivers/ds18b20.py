"""DS18B20 driver over a OneWire bus: reset, Skip/Match ROM, Convert T (0x44), poll until done,
Read Scratchpad (0xBE), CRC-8 check, 9..12-bit two's complement temperature in 1/16 °C."""

from jotunheim.compat import const, sleep_ms, ticks_diff, ticks_ms
from jotunheim.device.drivers import DriverError, failure

# ROM and function commands (datasheet), folded into the code: not module globals.
_SKIP_ROM = const(0xCC)
_MATCH_ROM = const(0x55)
_CONVERT_T = const(0x44)
_READ_SCRATCHPAD = const(0xBE)
_READ_POWER_SUPPLY = const(0xB4)
_FAMILY_CODE = const(0x28)
# 12-bit conversion takes up to 750 ms (datasheet); give up a little after that.
CONVERT_TIMEOUT_MS = 1000
# A parasite-powered chip cannot signal "done" (the bus is held high to power it), so the
# driver waits the datasheet's worst-case 12-bit conversion time instead of polling.
PARASITE_WAIT_MS = 750
# Failure messages: numbers into drivers/messages.py DS18B20 (loaded on the first failure).
_NO_ANSWER = const(0)
_HELD_LOW = const(1)
_BAD_CRC = const(2)
_BAD_ROM = const(3)
_NO_PRESENCE = const(4)
_NOT_FINISHED = const(5)


# Here, not in onewire_proto (which imports it for the Search ROM): reading a DS18B20 then
# loads no second module, whose object, globals and name qstrs cost heap even from ROMFS.
def crc8(data):
    """Dallas/Maxim CRC-8 (polynomial x^8+x^5+x^4+1, reflected 0x8C, initial 0)."""
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8C if crc & 1 else crc >> 1
    return crc


def decode_scratchpad(pad):
    """Temperature in °C from a 9-byte scratchpad; DriverError on a bad CRC or empty bus."""
    if min(pad) == 0xFF:  # nobody drove the bus: every read slot floated high
        raise failure("DS18B20", _NO_ANSWER)
    if max(pad) == 0:
        raise failure("DS18B20", _HELD_LOW)
    if crc8(pad[:8]) != pad[8]:
        raise failure("DS18B20", _BAD_CRC, crc8(pad[:8]), pad[8])
    raw = pad[0] | (pad[1] << 8)
    if raw & 0x8000:
        raw -= 0x10000
    undefined = 3 - ((pad[4] >> 5) & 3)  # 9-bit leaves 3 low bits undefined, 12-bit none
    raw &= ~((1 << undefined) - 1)
    return raw / 16


class DS18B20:
    """Sensor with FIELDS temperature_c; `rom` (16 hex digits) selects one of several devices,
    without it the bus must hold exactly one (Skip ROM)."""

    kind = "sensor"
    FIELDS = ("temperature_c",)

    def __init__(self, hal, config, bus):
        self.name = config.get("name", "ds18b20")
        self._ow = bus
        self._pad = bytearray(9)
        self.parasite = None  # learnt with Read Power Supply before the first conversion
        rom = config.get("rom")
        self.rom = None
        if rom:
            self.rom = bytes.fromhex(rom)
            if len(self.rom) != 8 or crc8(self.rom) != 0 or self.rom[0] != _FAMILY_CODE:
                raise failure("DS18B20", _BAD_ROM, self.name, rom)

    def _select(self):
        if not self._ow.reset():
            raise failure("DS18B20", _NO_PRESENCE, self.name)
        if self.rom is None:
            self._ow.writebyte(_SKIP_ROM)
        else:
            self._ow.writebyte(_MATCH_ROM)
            self._ow.write(self.rom)

    def read(self):
        """Convert and read, blocking up to 750 ms on a board (prefer read_async there)."""
        self._start()
        if self.parasite:
            sleep_ms(PARASITE_WAIT_MS)
            return self._finish()
        start = ticks_ms()
        while not self._ow.readbit():
            self._check_timeout(start)
            sleep_ms(10)
        return self._finish()

    async def read_async(self):
        """Like read(), but lets other tasks run while the chip converts."""
        import asyncio

        self._start()
        if self.parasite:
            await asyncio.sleep(PARASITE_WAIT_MS / 1000)
            return self._finish()
        start = ticks_ms()
        while not self._ow.readbit():
            self._check_timeout(start)
            await asyncio.sleep(0.01)
        return self._finish()

    def _start(self):
        if self.parasite is None:
            self._select()
            self._ow.writebyte(_READ_POWER_SUPPLY)
            self.parasite = not self._ow.readbit()  # parasite-powered chips pull the slot low
        self._select()
        self._ow.writebyte(_CONVERT_T)

    def _check_timeout(self, start):
        # The device holds read slots at 0 while converting (external power mode).
        if ticks_diff(ticks_ms(), start) > CONVERT_TIMEOUT_MS:
            raise failure("DS18B20", _NOT_FINISHED, self.name)

    def _finish(self):
        self._select()
        self._ow.writebyte(_READ_SCRATCHPAD)
        self._ow.readinto(self._pad)
        try:
            return {"temperature_c": decode_scratchpad(self._pad)}
        except DriverError as exc:
            raise DriverError("%s: %s" % (self.name, exc)) from None
