"""The device HMAC-SHA256 agrees with CPython's hmac module for many key and message sizes."""

import hashlib
import hmac
import os

from jotunheim.device.session_connect import HmacSha256, hmac_sha256
from jotunheim.hub.auth import compute_proof


def test_hmac_matches_cpython_for_key_lengths_around_the_block():
    for klen in (0, 1, 16, 32, 63, 64, 65, 100, 128, 200):
        key = os.urandom(klen)
        for mlen in (0, 1, 55, 56, 64, 119, 1000):
            msg = os.urandom(mlen)
            assert hmac_sha256(key, msg) == hmac.new(key, msg, hashlib.sha256).digest()


def test_device_proof_matches_hub_verifier():
    key = os.urandom(32)
    nonce = os.urandom(16)
    msg = b"jotunheim-v1|kitchen-1|" + nonce
    assert HmacSha256(key).digest(msg) == compute_proof(key, "kitchen-1", nonce)
