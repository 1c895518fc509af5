"""OTA manifest parsing, version rules and trusted-key parsing: precise errors for bad input."""

import json

import ota_fixtures as fx
from devtest import raises

from jotunheim.device.ota import manifest as mf
from jotunheim.device.ota import rsa_verify
from jotunheim.errors import DecodeError

GOOD = json.loads(fx.UPDATE_110["manifest"])


def _with(**changes):
    d = json.loads(fx.UPDATE_110["manifest"])
    d.update(changes)
    return json.dumps(d).encode()


def test_fixture_manifest_parses():
    m = mf.parse(fx.UPDATE_110["manifest"])
    assert m.version == "1.1.0" and m.min_version == "1.0.0" and m.target == "sim"
    assert [f[0] for f in m.files] == ["data.bin", "empty.txt", "main.py"]
    assert m.payload_size == sum(f[2] for f in m.files) and len(m.payload_sha256) == 32


def test_malformed_manifests_name_the_field():
    files = GOOD["files"]
    cases = [
        (b"[1, 2]", "expected a JSON object"),
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (_with(extra=1), "unknown key 'extra'"),
        (_with(format=2), "unsupported manifest format"),
        (_with(version="1.2"), "version: expected MAJOR.MINOR.PATCH"),
        (_with(version="01.2.3"), "version: expected MAJOR.MINOR.PATCH"),
        (_with(min_version="x.y.z"), "min_version:"),
        (_with(allow_downgrade=1), "allow_downgrade: expected true or false"),
        (_with(files=[]), "files: expected 1..64 entries"),
        (_with(files=[files[0], files[0]]), "files[1].name: duplicate 'data.bin'"),
        (_with(files=[dict(files[0], offset=5)]), "files[0].offset: expected 0"),
        (_with(files=[dict(files[0], name="../x")]), "files[0].name: invalid file name"),
        (_with(files=[dict(files[0], name=".hidden")]), "invalid file name"),
        (_with(files=[dict(files[0], size=-1)]), "files[0].size: expected a non-negative integer"),
        (
            _with(files=[dict(files[0], sha256="AB" * 32)]),
            "files[0].sha256: expected 64 lowercase hex",
        ),
        (_with(files=[dict(files[0], mode=7)]), "files[0].mode: unknown key"),
        (_with(payload={"size": 1, "sha256": "0" * 64}), "payload.size: 1 is not the sum"),
        (_with(target=""), "target: expected 1..32 characters"),
    ]
    missing = dict(GOOD)
    del missing["payload"]
    cases.append((json.dumps(missing).encode(), "payload: missing"))
    for data, match in cases:
        with raises(mf.ManifestError, match):
            mf.parse(data)


def test_deeply_nested_manifest_is_refused_before_decoding():
    with raises(mf.ManifestError, "nested deeper than 4 levels"):
        mf.parse(b"[" * 4000 + b"]" * 4000)
    # brackets inside strings do not count
    mf.parse(_with(target="[[[[[[x"))


def test_oversized_manifest_is_refused_before_decoding():
    with raises(mf.ManifestError, "exceeds the limit of 8192"):
        mf.parse(b" " * 8193)


def test_version_order_is_semantic_not_textual():
    assert mf.compare_versions("1.10.0", "1.9.9") == 1
    assert mf.compare_versions("2.0.0", "10.0.0") == -1
    assert mf.compare_versions("1.2.3", "1.2.3") == 0


def test_same_version_counts_as_downgrade():
    m = mf.parse(fx.UPDATE_110["manifest"])
    with raises(mf.DowngradeError, "not newer"):
        mf.check_applicable(m, "sim", "1.1.0")
    mf.check_applicable(m, "sim", "1.1.0", allow_downgrade=True)


def test_trusted_key_entries_are_validated():
    good = fx.KEY_K1
    cases = [
        ([dict(good, scheme="ed25519")], "scheme: unsupported"),
        ([dict(good, n="abc")], ".n: expected an even-length hex"),
        ([dict(good, n="zz" * 256)], ".n: not hex"),
        ([dict(good, n="ff" * 64)], "modulus of 512 bits"),
        ([dict(good, e=4)], ".e: expected an odd integer"),
        ([dict(good, id="")], ".id: expected a non-empty string"),
        ([good, good], "duplicate 'k1'"),
        (["k1"], "expected an object"),
    ]
    for entries, match in cases:
        with raises(rsa_verify.SignatureError, match):
            rsa_verify.TrustedKeys(entries)
    assert rsa_verify.TrustedKeys([fx.KEY_K1, fx.KEY_K2]).ids() == ["k1", "k2"]


def test_signature_length_range_and_scheme_checks():
    keys = rsa_verify.TrustedKeys([fx.KEY_K1])
    m, sig = fx.UPDATE_110["manifest"], fx.UPDATE_110["signature"]
    keys.verify("k1", "rsa-pkcs1v15-sha256", m, sig)
    with raises(rsa_verify.SignatureError, "expected 256 bytes"):
        keys.verify("k1", "rsa-pkcs1v15-sha256", m, sig[:-1])
    with raises(rsa_verify.SignatureError, "out of range"):
        keys.verify("k1", "rsa-pkcs1v15-sha256", m, b"\xff" * 256)
    with raises(rsa_verify.SignatureError, "scheme 'ed25519' is not supported"):
        keys.verify("k1", "ed25519", m, sig)
    with raises(DecodeError, "unknown key"):
        keys.verify("k2", "rsa-pkcs1v15-sha256", m, sig)
