"""The OneWire Search ROM (0xF0) enumeration of Maxim application note 187, used by the
simulated bus's scan(); loaded only for a scan."""

# The Dallas/Maxim CRC-8 lives with the DS18B20 driver, which checks every reading with it:
# a device reading its sensor does not load this module (with the code in ROMFS a module
# costs its function objects and globals in the heap). Imported here for the search and
# for callers that check a ROM's CRC.
from jotunheim.device.drivers.ds18b20 import crc8

SEARCH_ROM = 0xF0
# A bus enumerates at most this many devices: bounds the loop on a noisy bus.
MAX_DEVICES = 16


def search_roms(bus, max_devices=MAX_DEVICES):
    """Every ROM on `bus` (reset/readbit/writebit/writebyte), in search order, CRC-checked."""
    roms = []
    rom = bytearray(8)
    last_discrepancy = -1
    while len(roms) < max_devices:
        if not bus.reset():
            break
        bus.writebyte(SEARCH_ROM)
        last_zero = -1
        for i in range(64):
            bit = bus.readbit()
            complement = bus.readbit()
            if bit and complement:
                return roms  # nobody answered this slot: devices left mid-search
            if bit != complement:
                direction = bit  # every remaining device agrees on this bit
            elif i < last_discrepancy:
                direction = (rom[i >> 3] >> (i & 7)) & 1  # replay the path taken last time
            else:
                direction = 1 if i == last_discrepancy else 0
            if bit == complement and direction == 0:
                last_zero = i
            if direction:
                rom[i >> 3] |= 1 << (i & 7)
            else:
                rom[i >> 3] &= ~(1 << (i & 7))
            bus.writebit(direction)
        if crc8(rom) == 0:  # CRC over all 8 bytes including the CRC byte is zero
            roms.append(bytes(rom))
        if last_zero == -1:
            break  # no unexplored branch left: that was the last device
        last_discrepancy = last_zero
    return roms
