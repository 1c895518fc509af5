"""Property tests: malformed manifests and signatures raise only the DecodeError family."""

import json
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from jotunheim.device.ota import manifest as mf
from jotunheim.device.ota.rsa_verify import SignatureError, TrustedKeys
from jotunheim.errors import DecodeError
from tests.unit.ota.otahost import DEVICE

sys.path.insert(0, str(DEVICE))
import ota_fixtures as fx  # noqa: E402

GOOD = fx.UPDATE_110["manifest"]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def _parse_or_decode_error(data):
    try:
        m = mf.parse(data)
    except DecodeError:
        return None
    return m


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_raise_only_manifest_errors(data):
    _parse_or_decode_error(data)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(GOOD) - 1), st.integers(0, 255))
def test_single_byte_mutations_raise_only_manifest_errors(pos, value):
    data = bytearray(GOOD)
    data[pos] = value
    m = _parse_or_decode_error(bytes(data))
    if m is not None:  # a mutation that still parses must still be self-consistent
        assert m.payload_size == sum(f[2] for f in m.files)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(json.loads(GOOD))), JSON_VALUES)
def test_field_replacements_raise_only_manifest_errors(key, value):
    d = json.loads(GOOD)
    d[key] = value
    _parse_or_decode_error(json.dumps(d).encode())


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=0, max_size=300))
def test_random_signatures_never_verify(sig):
    keys = TrustedKeys([fx.KEY_K1])
    try:
        keys.verify("k1", "rsa-pkcs1v15-sha256", GOOD, sig)
    except SignatureError:
        return
    raise AssertionError("a random signature verified")


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["id", "scheme", "n", "e", "x"]), JSON_VALUES, max_size=5))
def test_malformed_trusted_keys_raise_signature_errors(entry):
    try:
        TrustedKeys([entry])
    except SignatureError:
        pass
