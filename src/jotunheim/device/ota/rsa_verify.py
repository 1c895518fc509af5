"""RSA PKCS#1 v1.5 SHA-256 signature verification (RFC 8017 §8.2.2) against trusted keys.

One modular exponentiation with e = 65537 and a byte-for-byte comparison with the expected
EMSA-PKCS1-v1_5 encoding; measured at about 1 ms on the MicroPython unix port (docs/ota.md).
"""

import hashlib
from binascii import unhexlify

from jotunheim.errors import DecodeError

SCHEME = "rsa-pkcs1v15-sha256"
MIN_BITS = 2048
MAX_BITS = 4096

# DER DigestInfo for SHA-256 (RFC 8017 §9.2 note 1): the only prefix we accept.
SHA256_DIGEST_INFO = unhexlify("3031300d060960864801650304020105000420")


class SignatureError(DecodeError):
    """A signature that does not verify, or a manifest signed with an unusable key."""


class UnknownKeyError(SignatureError):
    """The manifest names a key id that is not in the device's trusted keys."""


def _parse_key(entry, index):
    where = "ota_update_settings.trusted_keys[%d]" % index
    if not isinstance(entry, dict):
        raise SignatureError(where + ": expected an object")
    key_id = entry.get("id")
    if not isinstance(key_id, str) or not key_id:
        raise SignatureError(where + ".id: expected a non-empty string")
    scheme = entry.get("scheme", SCHEME)
    if scheme != SCHEME:
        raise SignatureError(where + ".scheme: unsupported scheme %r" % scheme)
    n_hex = entry.get("n")
    if not isinstance(n_hex, str) or len(n_hex) % 2:
        raise SignatureError(where + ".n: expected an even-length hex string")
    try:
        n = int.from_bytes(unhexlify(n_hex), "big")
    except ValueError:
        raise SignatureError(where + ".n: not hex") from None
    bits = _bit_length(n)
    if bits < MIN_BITS or bits > MAX_BITS:
        raise SignatureError(
            where + ".n: modulus of %d bits, need %d..%d" % (bits, MIN_BITS, MAX_BITS)
        )
    e = entry.get("e", 65537)
    if not isinstance(e, int) or isinstance(e, bool) or e < 3 or not e & 1:
        raise SignatureError(where + ".e: expected an odd integer >= 3")
    return key_id, (n, e)


def _bit_length(n):
    # MicroPython ints have no bit_length(); count through the big-endian bytes instead.
    if n <= 0:
        return 0
    size = (len("%x" % n) + 1) // 2
    top = n >> ((size - 1) * 8)
    bits = (size - 1) * 8
    while top:
        bits += 1
        top >>= 1
    return bits


class TrustedKeys:
    """The public keys a device accepts, by key id (several at once for key rotation)."""

    def __init__(self, entries):
        self._keys = {}
        for i, entry in enumerate(entries or ()):
            key_id, key = _parse_key(entry, i)
            if key_id in self._keys:
                raise SignatureError(
                    "ota_update_settings.trusted_keys[%d].id: duplicate %r" % (i, key_id)
                )
            self._keys[key_id] = key

    def ids(self):
        return sorted(self._keys)

    def verify(self, key_id, scheme, message, signature):
        """Raise SignatureError unless `signature` over `message` verifies with key `key_id`."""
        if scheme != SCHEME:
            raise SignatureError(
                "signature scheme %r is not supported (only %s)" % (scheme, SCHEME)
            )
        key = self._keys.get(key_id)
        if key is None:
            raise UnknownKeyError("manifest signed by unknown key %r" % key_id)
        verify(key[0], key[1], message, signature)


def verify(n, e, message, signature):
    """Raise SignatureError unless `signature` is a PKCS#1 v1.5 SHA-256 signature of `message`."""
    k = (_bit_length(n) + 7) // 8
    if not isinstance(signature, (bytes, bytearray)) or len(signature) != k:
        raise SignatureError("signature: expected %d bytes" % k)
    s = int.from_bytes(signature, "big")
    if s >= n:
        raise SignatureError("signature: representative out of range")
    em = pow(s, e, n).to_bytes(k, "big")
    expected = encode(hashlib.sha256(message).digest(), k)
    # Compare every byte whatever happens (no early exit, no parsing of the padding): the
    # structure check is the comparison with the one valid encoding (RFC 8017 §8.2.2 step 4).
    diff = 0
    for i in range(k):
        diff |= em[i] ^ expected[i]
    if diff:
        raise SignatureError("signature: does not verify")


def encode(digest, k):
    """EMSA-PKCS1-v1_5 encoding of a SHA-256 digest into k bytes (RFC 8017 §9.2)."""
    t_len = len(SHA256_DIGEST_INFO) + len(digest)
    if k < t_len + 11:
        raise SignatureError("signature: modulus too short")
    return b"\x00\x01" + b"\xff" * (k - t_len - 3) + b"\x00" + SHA256_DIGEST_INFO + digest
