"""The drivers' DriverError messages, by driver class name and number (`drivers.failure`).

Loaded on the first failure only: on MicroPython every str constant is a heap object, so a
driver holding its messages paid ~0.2-0.6 KB for text a device whose parts answer never
shows. Each driver names its numbers with private constants next to the raise sites.
"""

BMP280 = (
    "%s: chip id 0x%02x at 0x%02x is not a BMP280 (0x58)",  # _NOT_BMP280
    "%s: calibration data is blank",  # _BLANK_TRIM
    "%s: no answer at I2C 0x%02x (%s)",  # _NO_ANSWER
    "%s: measurement did not finish",  # _NOT_FINISHED
    "%s: measurement was skipped (no data)",  # _NO_DATA
    "%s: invalid calibration (pressure)",  # _BAD_TRIM
)

DHT22 = (
    "DHT22 frame must be 5 bytes, got %d",  # _FRAME_SIZE
    "DHT22 checksum mismatch (frame %02x %02x %02x %02x %02x)",  # _CHECKSUM
    "DHT22 reading out of range (%.1f C, %.1f %%RH)",  # _OUT_OF_RANGE
    "%s: DHT22 on pin %d did not answer (%s)",  # _NO_ANSWER
)

DS18B20 = (
    "DS18B20 did not answer (scratchpad all 0xFF)",  # _NO_ANSWER
    "DS18B20 bus held low (scratchpad all zero)",  # _HELD_LOW
    "DS18B20 scratchpad CRC mismatch (%02x != %02x)",  # _BAD_CRC
    "%s: %s is not a DS18B20 ROM (family 28, valid CRC)",  # _BAD_ROM
    "%s: no presence pulse on the OneWire bus",  # _NO_PRESENCE
    "%s: conversion did not finish",  # _NOT_FINISHED
)

LED = (
    "%s: brightness needs a PWM LED (pwm: true)",  # _NEEDS_PWM
    "%s: expected true/false or brightness 0..1, got %r",  # _BAD_VALUE
)

Relay = ("%s: expected true or false, got %r",)  # _BAD_VALUE
