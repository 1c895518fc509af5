"""OTA signing on the host: RSA key generation, the canonical manifest, publishing signed updates.

Uses the `cryptography` package; the device verifies with jotunheim.device.ota.rsa_verify.
"""

import hashlib
import json
import os
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from jotunheim.device.ota import manifest as mf
from jotunheim.device.ota.rsa_verify import SCHEME

KEY_FILE = "ota_signing_key.pem"
TRUSTED_FILE = "trusted_key.json"


class SigningError(Exception):
    """A key or update directory that cannot be used for publishing."""


def canonical_json(obj) -> bytes:
    """The one byte form of a manifest: sorted keys, no spaces, UTF-8."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def key_id_of(public_key) -> str:
    """Default key id: 'k-' + the first 12 hex digits of SHA-256 over the modulus."""
    n = public_key.public_numbers().n
    return "k-" + hashlib.sha256(n.to_bytes((n.bit_length() + 7) // 8, "big")).hexdigest()[:12]


def trusted_key_entry(public_key, key_id=None) -> dict:
    """The device-settings entry for ota_update_settings.trusted_keys."""
    nums = public_key.public_numbers()
    size = (nums.n.bit_length() + 7) // 8
    return {
        "id": key_id or key_id_of(public_key),
        "scheme": SCHEME,
        "n": nums.n.to_bytes(size, "big").hex(),
        "e": nums.e,
    }


def keygen(out_dir, key_id=None, bits=2048):
    """Write a new private key (mode 0600) and its trusted-key entry; returns (key path, entry)."""
    if bits not in (2048, 3072, 4096):
        raise SigningError("bits: expected 2048, 3072 or 4096")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    key_path = out / KEY_FILE
    if key_path.exists():
        raise SigningError("%s exists; refusing to overwrite a signing key" % key_path)
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # Create with 0600 from the start: the key is never world-readable, not even briefly.
    fd = os.open(str(key_path), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    entry = trusted_key_entry(key.public_key(), key_id)
    (out / TRUSTED_FILE).write_text(json.dumps(entry, indent=1) + "\n")
    return key_path, entry


def load_private_key(path):
    """Load a PEM private key; its key id comes from trusted_key.json beside it when present."""
    path = Path(path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise SigningError(
            "%s: cannot load the signing key (%s)" % (path, type(exc).__name__)
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SigningError("%s: not an RSA key" % path)
    key_id = key_id_of(key.public_key())
    side = path.parent / TRUSTED_FILE
    if side.exists():
        entry = json.loads(side.read_text())
        if int(entry.get("n", "0"), 16) == key.public_key().public_numbers().n:
            key_id = entry["id"]
    return key, key_id


def sign(private_key, data: bytes) -> bytes:
    return private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def build_update(src_dir, version, min_version="", target="esp32", allow_downgrade=False):
    """(manifest bytes, list of file paths in payload order) for the files in src_dir."""
    mf.parse_version(version, "version")
    if min_version:
        mf.parse_version(min_version, "min_version")
    src = Path(src_dir)
    if not src.is_dir():
        raise SigningError("%s: not a directory" % src)
    paths = sorted(p for p in src.iterdir() if not p.name.startswith("."))
    if not paths:
        raise SigningError("%s: no files to publish" % src)
    files, offset = [], 0
    payload = hashlib.sha256()
    for p in paths:
        if not p.is_file():
            raise SigningError("%s: only plain files are supported (no subdirectories)" % p)
        data = p.read_bytes()
        files.append(
            {
                "name": p.name,
                "offset": offset,
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        )
        payload.update(data)
        offset += len(data)
    manifest = {
        "allow_downgrade": bool(allow_downgrade),
        "files": files,
        "format": mf.FORMAT,
        "min_version": min_version,
        "payload": {"sha256": payload.hexdigest(), "size": offset},
        "target": target,
        "version": version,
    }
    data = canonical_json(manifest)
    mf.parse(data)  # the device's own parser must accept what we publish
    return data, paths


def publish(
    src_dir, version, key_path, data_dir, min_version="", target="esp32", allow_downgrade=False
):
    """Build, sign and store an update; returns the stored Update."""
    from jotunheim.ota.store import UpdateStore

    key, key_id = load_private_key(key_path)
    manifest, paths = build_update(src_dir, version, min_version, target, allow_downgrade)
    signature = sign(key, manifest)
    return UpdateStore(data_dir).add(manifest, signature, key_id, SCHEME, paths)
