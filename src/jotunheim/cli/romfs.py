"""Writes and checks MicroPython ROMFS images (`vfs.VfsRom`, MicroPython 1.25+): a board with a
ROMFS partition imports `.mpy` files from it in place, so their bytecode never enters the heap.
"""

import os

from jotunheim.errors import DecodeError

# Format, as MicroPython's vfs_rom.c reads it: unsigned integers are big-endian groups of 7
# bits with the high bit set on all but the last; a record is kind, length, payload.
MAGIC = b"\xd2\xcd\x31"
_KIND_DATA = 2  # a file's data, kept verbatim (so the device can use it in place)
_KIND_DIR = 4  # payload: name, then the directory's records
_KIND_FILE = 5  # payload: name, then the file's records
# Records of other kinds (unused, padding, a data pointer) carry no name: a reader skips them.
MAX_DEPTH = 16  # directory nesting a reader follows (the device tree is 4 deep)
# The longest number a reader takes: 5 groups of 7 bits hold 2**35, past any image a board
# (or `device run`) maps; a longer run of high-bit bytes is a malformed or hostile image.
MAX_UINT_BYTES = 5
MAX_IMAGE_BYTES = 16 * 1024 * 1024  # what `device run --romfs` reads at the most
# The image writer's own version: part of the cached image's name, so a change to this
# module reaches images built before it (the cache key hashes the device sources only).
FORMAT = 1


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


class RomfsError(DecodeError):
    """A file that is not a well-formed ROMFS image."""


def _read_uint(data, pos, end, what):
    n = 0
    start = pos
    while pos < end:
        if pos - start >= MAX_UINT_BYTES:
            raise RomfsError(
                "ROMFS %s at byte %d: a number over %d bytes" % (what, start, MAX_UINT_BYTES)
            )
        b = data[pos]
        pos += 1
        n = (n << 7) | (b & 0x7F)
        if not b & 0x80:
            return n, pos
    raise RomfsError("ROMFS %s: truncated number at byte %d" % (what, pos))


def _walk(data, pos, end, prefix, out, depth):
    while pos < end:
        kind, pos = _read_uint(data, pos, end, "record kind")
        length, pos = _read_uint(data, pos, end, "record length")
        stop = pos + length
        if stop > end:
            raise RomfsError(
                "ROMFS record at byte %d: length %d runs past its end (%d)" % (pos, length, end)
            )
        if kind in (_KIND_DIR, _KIND_FILE):
            n, name_at = _read_uint(data, pos, stop, "name length")
            if name_at + n > stop:
                raise RomfsError("ROMFS name at byte %d: length %d runs past" % (name_at, n))
            name = bytes(data[name_at : name_at + n]).decode("utf-8", "replace")
            if kind == _KIND_FILE:
                out.append(prefix + name)
            elif depth >= MAX_DEPTH:
                raise RomfsError("ROMFS directory %s: nested over %d deep" % (name, MAX_DEPTH))
            else:
                _walk(data, name_at + n, stop, prefix + name + "/", out, depth + 1)
        pos = stop


def image_files(data):
    """The paths ("jotunheim/device/agent.mpy") of the files in a ROMFS image; RomfsError when
    the image is malformed (bad magic, a record running past its end)."""
    if bytes(data[:3]) != MAGIC:
        raise RomfsError("not a ROMFS image: it starts with %r, not %r" % (bytes(data[:3]), MAGIC))
    length, pos = _read_uint(data, 3, len(data), "length")
    if pos + length > len(data):
        raise RomfsError(
            "ROMFS image truncated: %d bytes declared, %d present" % (length, len(data) - pos)
        )
    out = []
    _walk(data, pos, pos + length, "", out, 0)
    return out
