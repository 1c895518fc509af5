"""Thin Linux GPIO character-device backend (uAPI v2 ioctls on /dev/gpiochipN) for Fenrir.

Struct layouts follow include/uapi/linux/gpio.h (v2, Linux >= 5.10). Only what Fenrir
needs: request one line as input or output, read it, set it. Not exercised in CI (no GPIO
chip here); the simulated board is the tested path.
"""

import fcntl
import os
import struct
import threading

GPIO_V2_LINES_MAX = 64
GPIO_MAX_NAME_SIZE = 32
GPIO_V2_LINE_NUM_ATTRS_MAX = 10
FLAG_INPUT = 1 << 2
FLAG_OUTPUT = 1 << 3
ATTR_ID_OUTPUT_VALUES = 2

# struct gpio_v2_line_config: flags u64, num_attrs u32, padding u32[5], attrs[10] of
# {attr {id u32, padding u32, value u64}, mask u64} = 8 + 4 + 20 + 10 * 24 = 272 bytes.
_CONFIG = struct.Struct("<QI5I" + "IIQQ" * GPIO_V2_LINE_NUM_ATTRS_MAX)
# struct gpio_v2_line_request: offsets u32[64], consumer char[32], config, num_lines u32,
# event_buffer_size u32, padding u32[5], fd s32 = 256 + 32 + 272 + 4 + 4 + 20 + 4 = 592.
_REQUEST = struct.Struct("<64I32s%dsII5Ii" % _CONFIG.size)
_VALUES = struct.Struct("<QQ")  # struct gpio_v2_line_values {bits, mask}


def _iowr(nr, size):
    return (3 << 30) | (size << 16) | (0xB4 << 8) | nr


GET_LINE = _iowr(0x07, _REQUEST.size)
GET_VALUES = _iowr(0x0E, _VALUES.size)
SET_VALUES = _iowr(0x0F, _VALUES.size)


class GpioChip:
    """One /dev/gpiochipN; each line is requested once, re-requested when its direction changes."""

    def __init__(self, path: str):
        self.path = path
        self._chip = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        self._lines = {}  # offset -> (fd, direction)
        self._lock = threading.Lock()

    def _line(self, offset: int, direction: str, value: int = 0) -> int:
        current = self._lines.get(offset)
        if current and current[1] == direction:
            return current[0]
        if current:
            os.close(current[0])
            del self._lines[offset]
        attrs = [0] * (4 * GPIO_V2_LINE_NUM_ATTRS_MAX)
        num_attrs = 0
        flags = FLAG_INPUT
        if direction == "out":
            flags = FLAG_OUTPUT
            attrs[0:4] = [ATTR_ID_OUTPUT_VALUES, 0, 1 if value else 0, 1]
            num_attrs = 1
        config = _CONFIG.pack(flags, num_attrs, 0, 0, 0, 0, 0, *attrs)
        offsets = [offset] + [0] * (GPIO_V2_LINES_MAX - 1)
        req = bytearray(_REQUEST.pack(*offsets, b"jotunheim-loki", config, 1, 0, 0, 0, 0, 0, 0, 0))
        fcntl.ioctl(self._chip, GET_LINE, req)
        fd = _REQUEST.unpack(req)[-1]
        self._lines[offset] = (fd, direction)
        return fd

    def read(self, offset: int) -> int:
        with self._lock:
            fd = self._lines[offset][0] if offset in self._lines else self._line(offset, "in")
            buf = bytearray(_VALUES.pack(0, 1))
            fcntl.ioctl(fd, GET_VALUES, buf)
            return _VALUES.unpack(buf)[0] & 1

    def write(self, offset: int, value: int) -> None:
        with self._lock:
            fd = self._line(offset, "out", value)
            fcntl.ioctl(fd, SET_VALUES, bytearray(_VALUES.pack(1 if value else 0, 1)))

    def close(self) -> None:
        with self._lock:
            for fd, _ in self._lines.values():
                os.close(fd)
            self._lines.clear()
            os.close(self._chip)
