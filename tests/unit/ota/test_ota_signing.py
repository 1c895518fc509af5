"""Host OTA signing: keygen, publish, committed fixtures; RSA and Ed25519 vs `cryptography`."""

import hashlib
import json
import os
import stat
import sys

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519 as c_ed25519
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicNumbers

from jotunheim.cli.main import main as cli
from jotunheim.device.ota import manifest as mf
from jotunheim.device.ota import rsa_verify
from jotunheim.ota import ed25519
from jotunheim.ota.signing import SigningError, keygen, load_private_key, publish
from jotunheim.ota.store import UpdateStore
from tests.unit.ota.otahost import DEVICE

sys.path.insert(0, str(DEVICE))
import ota_fixtures as fx  # noqa: E402
import ota_testdata as td  # noqa: E402


def _public(entry):
    return RSAPublicNumbers(entry["e"], int(entry["n"], 16)).public_key()


def test_keygen_writes_a_private_key_0600_and_the_trusted_key_entry(tmp_path):
    path, entry = keygen(tmp_path / "keys", "k7", bits=2048)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert entry["id"] == "k7" and entry["scheme"] == "rsa-pkcs1v15-sha256" and entry["e"] == 65537
    assert int(entry["n"], 16) == key.public_key().public_numbers().n
    assert json.loads((tmp_path / "keys" / "trusted_key.json").read_text()) == entry
    with pytest.raises(SigningError, match="refusing to overwrite"):
        keygen(tmp_path / "keys")
    assert load_private_key(path)[1] == "k7"


def test_publish_builds_a_canonical_manifest_the_device_verifies(tmp_path):
    _, entry = keygen(tmp_path / "k")
    src = tmp_path / "src"
    src.mkdir()
    for name, data in td.files_for("1.3.0"):
        (src / name).write_bytes(data)
    update = publish(
        src, "1.3.0", tmp_path / "k" / "ota_signing_key.pem", tmp_path / "data", "1.1.0", "sim"
    )
    m = json.loads(update.manifest)
    assert update.manifest == json.dumps(m, sort_keys=True, separators=(",", ":")).encode()
    assert [f["name"] for f in m["files"]] == ["data.bin", "empty.txt", "main.py"]
    assert m["min_version"] == "1.1.0" and m["payload"]["size"] == len(td.payload_for("1.3.0"))
    assert update.payload_path.read_bytes() == td.payload_for("1.3.0")
    # cryptography and the device's own verifier both accept the signature
    _public(entry).verify(update.signature, update.manifest, padding.PKCS1v15(), hashes.SHA256())
    rsa_verify.TrustedKeys([entry]).verify(
        update.key_id, update.scheme, update.manifest, update.signature
    )
    assert UpdateStore(tmp_path / "data").latest("sim").version == "1.3.0"
    with pytest.raises(FileExistsError):
        publish(
            src, "1.3.0", tmp_path / "k" / "ota_signing_key.pem", tmp_path / "data", target="sim"
        )


def test_publish_rejects_bad_versions_and_subdirectories(tmp_path):
    keygen(tmp_path / "k")
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    key = tmp_path / "k" / "ota_signing_key.pem"
    with pytest.raises(mf.ManifestError, match="version"):
        publish(src, "1.2", key, tmp_path / "d")
    with pytest.raises(SigningError, match="no subdirectories"):
        publish(src, "1.2.0", key, tmp_path / "d")


def test_cli_keygen_publish_list(tmp_path, capsys):
    assert cli(["ota", "keygen", "--out", str(tmp_path / "k"), "--id", "fleet1"]) == 0
    assert '"id": "fleet1"' in capsys.readouterr().out
    src = tmp_path / "src"
    src.mkdir()
    (src / "main.py").write_text("print('v2')\n")
    args = ["ota", "publish", str(src), "--version", "2.0.0", "--min-version", "1.0.0"]
    args += ["--target", "linux", "--key", str(tmp_path / "k" / "ota_signing_key.pem")]
    assert cli(args + ["--data-dir", str(tmp_path / "d")]) == 0
    assert "published 2.0.0 for linux" in capsys.readouterr().out
    assert cli(args + ["--data-dir", str(tmp_path / "d")]) == 1
    assert "already published" in capsys.readouterr().err
    assert cli(["ota", "list", "--data-dir", str(tmp_path / "d"), "--target", "linux"]) == 0
    assert "linux  2.0.0" in capsys.readouterr().out


def test_committed_device_fixtures_verify_with_cryptography():
    keys = {"k1": _public(fx.KEY_K1), "k2": _public(fx.KEY_K2)}
    good = [
        fx.UPDATE_110,
        fx.UPDATE_120_K2,
        fx.DOWNGRADE_090,
        fx.DOWNGRADE_090_ALLOWED,
        fx.MIN_VERSION_200,
    ]
    for case in good:
        keys[case["key_id"]].verify(
            case["signature"], case["manifest"], padding.PKCS1v15(), hashes.SHA256()
        )
        m = mf.parse(case["manifest"])
        assert m.payload_sha256 == hashlib.sha256(td.payload_for(m.version)).digest()
    from cryptography.exceptions import InvalidSignature

    with pytest.raises(InvalidSignature):
        keys["k1"].verify(
            fx.BAD_SIGNATURE["signature"],
            fx.BAD_SIGNATURE["manifest"],
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    assert fx.UNKNOWN_KEY["key_id"] not in keys


@pytest.mark.parametrize("bits", [2048, 3072])
def test_device_rsa_verify_matches_cryptography(bits):
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    nums = key.public_key().public_numbers()
    for i in range(20):
        msg = os.urandom(i * 7)
        sig = key.sign(msg, padding.PKCS1v15(), hashes.SHA256())
        rsa_verify.verify(nums.n, nums.e, msg, sig)
        with pytest.raises(rsa_verify.SignatureError):
            rsa_verify.verify(nums.n, nums.e, msg + b"x", sig)
    # PKCS#1 v1.5 with another hash (SHA-1 DigestInfo) is refused: only the exact prefix passes
    sig = key.sign(b"m", padding.PKCS1v15(), hashes.SHA1())
    with pytest.raises(rsa_verify.SignatureError, match="does not verify"):
        rsa_verify.verify(nums.n, nums.e, b"m", sig)


def test_own_ed25519_verify_matches_cryptography():
    for i in range(10):
        key = c_ed25519.Ed25519PrivateKey.generate()
        pub = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        msg = os.urandom(i * 13)
        sig = key.sign(msg)
        assert ed25519.verify(pub, msg, sig)
        assert not ed25519.verify(pub, msg + b"!", sig)
        bad = bytearray(sig)
        bad[40] ^= 4
        assert not ed25519.verify(pub, msg, bytes(bad))
    with pytest.raises(ed25519.Ed25519Error, match="S out of range"):
        ed25519.verify(pub, msg, sig[:32] + b"\xff" * 32)
