"""Deterministic OTA test payloads, shared by the fixture generator (host) and device tests."""

FACTORY_VERSION = "1.0.0"
TARGET = "sim"


def _prng_bytes(seed, n):
    # xorshift32: the same bytes on both runtimes, no random module needed.
    out = bytearray(n)
    x = (seed * 2654435761 + 1) & 0xFFFFFFFF or 1
    for i in range(n):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out[i] = x & 0xFF
    return bytes(out)


def files_for(version, data_size=5000):
    """[(name, bytes)] of the update `version`, in payload (sorted-name) order."""
    seed = sum(ord(c) for c in version)
    return [
        ("data.bin", _prng_bytes(seed, data_size)),
        ("empty.txt", b""),
        ("main.py", ("VERSION = %r\n" % version).encode()),
    ]


def payload_for(version, data_size=5000):
    return b"".join(data for _, data in files_for(version, data_size))


def image_for(version, size=10000):
    """A single-file 'app image' for the esp32 partition backend."""
    return _prng_bytes(sum(ord(c) for c in version) + 99, size)
