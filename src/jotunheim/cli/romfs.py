"""Writes MicroPython ROMFS images (`vfs.VfsRom`, MicroPython 1.25+): a board with a ROMFS
partition imports `.mpy` files from it in place, so their bytecode never enters the heap."""

import os

# Format, as MicroPython's vfs_rom.c reads it: unsigned integers are big-endian groups of 7
# bits with the high bit set on all but the last; a record is kind, length, payload.
MAGIC = b"\xd2\xcd\x31"
_KIND_DATA = 2  # a file's data, kept verbatim (so the device can use it in place)
_KIND_DIR = 4  # payload: name, then the directory's records
_KIND_FILE = 5  # payload: name, then the file's records


def _uint(n):
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.insert(0, 0x80 | (n & 0x7F))
        n >>= 7
    return bytes(out)


def _record(kind, payload):
    return _uint(kind) + _uint(len(payload)) + payload


def _name(name):
    raw = name.encode()
    return _uint(len(raw)) + raw


def _directory(path, keep):
    body = b""
    for name in sorted(os.listdir(path)):
        full = os.path.join(path, name)
        if os.path.isdir(full):
            inner = _directory(full, keep)
            if inner:  # no empty directories
                body += _record(_KIND_DIR, _name(name) + inner)
        elif keep(name):
            with open(full, "rb") as f:
                body += _record(_KIND_FILE, _name(name) + _record(_KIND_DATA, f.read()))
    return body


def romfs_image(root, keep=lambda name: name.endswith(".mpy")):
    """The ROMFS image of the files under `root` for which keep(name) is true: magic, body
    length (padded so the image has an even size), then directory and file records."""
    body = _directory(root, keep)
    size = _uint(len(body))
    if (len(MAGIC) + len(size) + len(body)) % 2:
        size = b"\x80" + size  # a redundant leading group: same value, one byte longer
    return MAGIC + size + body
