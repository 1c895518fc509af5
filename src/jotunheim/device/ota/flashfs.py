"""Small filesystem operations for slot storage that behave the same on MicroPython and CPython."""

import json
import os

_BUF = 1024


def truncate(path, size):
    """Cut `path` to `size` bytes; MicroPython files have no truncate(), so copy the prefix."""
    try:
        if os.stat(path)[6] <= size:
            return
    except OSError:
        return
    tmp = path + ".cut"
    buf = bytearray(_BUF)
    with open(path, "rb") as src, open(tmp, "wb") as dst:
        left = size
        while left:
            n = min(src.readinto(buf), left)
            dst.write(memoryview(buf)[:n])
            left -= n
    os.remove(path)
    os.rename(tmp, path)


def read_small(path, limit):
    """The bytes of a small file, or None if missing or over `limit`.

    MicroPython's f.read(n) allocates n bytes up front, so read the exact size instead.
    """
    try:
        size = os.stat(path)[6]
        if size > limit:
            return None
        with open(path, "rb") as f:
            return f.read(size)
    except OSError:
        return None


def read_json(path, limit=1024):
    data = read_small(path, limit)
    if data is None:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None


def mkdir(path):
    try:
        os.mkdir(path)
    except OSError:
        pass  # exists


def clear_slot(path):
    """Remove a slot's contents (its files/ directory is emptied, not removed)."""
    for entry in listdir(path):
        full = path + "/" + entry
        if entry == "files":
            for name in listdir(full):
                os.remove(full + "/" + name)
        else:
            os.remove(full)


def listdir(path):
    try:
        return os.listdir(path)
    except OSError:
        return []
