"""RFC 2104 HMAC over SHA-256, built on hashlib.sha256 alone: MicroPython ships no `hmac`
module. Used by the device session to answer the hub's challenge."""

import hashlib

from jotunheim.compat import const

_BLOCK_SIZE = const(64)  # SHA-256 block size in bytes (FIPS 180-4)
_DIGEST_SIZE = const(32)


def _as_bytes(value, what):
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError("%s: expected bytes or str, got %s" % (what, type(value).__name__))


class HmacSha256:
    """`HmacSha256(key).digest(msg)` -> 32 bytes; the padded key is prepared once, so one
    object answers many challenges (MicroPython hash objects have no copy())."""

    def __init__(self, key):
        key = _as_bytes(key, "key")
        if len(key) > _BLOCK_SIZE:
            # RFC 2104 section 2: keys longer than the block are hashed first.
            key = hashlib.sha256(key).digest()
        key = key + b"\x00" * (_BLOCK_SIZE - len(key))
        self._ipad = bytes(b ^ 0x36 for b in key)
        self._opad = bytes(b ^ 0x5C for b in key)

    def digest(self, msg):
        inner = hashlib.sha256(self._ipad)
        inner.update(_as_bytes(msg, "message"))
        outer = hashlib.sha256(self._opad)
        outer.update(inner.digest())
        return outer.digest()


def hmac_sha256(key, msg):
    """HMAC-SHA256(key, msg) as 32 raw bytes."""
    return HmacSha256(key).digest(msg)


def compare_digest(a, b):
    """Constant-time equality of two byte strings (timing does not reveal where they differ)."""
    if len(a) != len(b):
        return False
    diff = 0
    for i in range(len(a)):
        diff |= a[i] ^ b[i]
    return diff == 0
