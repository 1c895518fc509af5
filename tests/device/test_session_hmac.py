"""HMAC-SHA256 on both runtimes: RFC 4231 vectors (CPython's hmac agrees, see the host test)."""

from devtest import raises

from jotunheim.device.session_connect import HmacSha256, hmac_sha256

# RFC 4231 test cases 1, 2, 6 (key longer than the block) and 7.
VECTORS = [
    (
        b"\x0b" * 20,
        b"Hi There",
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
    ),
    (
        b"Jefe",
        b"what do ya want for nothing?",
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    ),
    (
        b"\xaa" * 131,
        b"Test Using Larger Than Block-Size Key - Hash Key First",
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    ),
    (
        b"\xaa" * 131,
        b"This is a test using a larger than block-size key and a larger than block-size"
        b" data. The key needs to be hashed before being used by the HMAC algorithm.",
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    ),
]


def _hex(b):
    return "".join("%02x" % x for x in b)


def test_hmac_matches_rfc4231_vectors():
    for key, msg, want in VECTORS:
        assert _hex(hmac_sha256(key, msg)) == want


def test_hmac_object_reusable_for_many_messages():
    mac = HmacSha256(b"Jefe")
    first = mac.digest(b"what do ya want for nothing?")
    assert mac.digest(b"what do ya want for nothing?") == first
    assert mac.digest(b"other") != first


def test_hmac_exact_block_size_key_and_str_input():
    key = bytes(range(64))
    assert len(hmac_sha256(key, "abc")) == 32
    assert hmac_sha256(key, "abc") == hmac_sha256(key, b"abc")


def test_hmac_rejects_non_bytes():
    with raises(TypeError, "key"):
        hmac_sha256(42, b"x")
