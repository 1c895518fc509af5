"""The hub's catalogue of published updates, as files in its data dir (ota/<target>/<version>/)."""

import json
import os
import shutil
from pathlib import Path

from jotunheim.device.ota import manifest as mf


class Update:
    """One stored update: signed manifest, signature, key id, and the payload file."""

    def __init__(self, path: Path):
        self.path = path
        self.manifest = (path / "manifest.json").read_bytes()
        self.signature = (path / "signature.bin").read_bytes()
        meta = json.loads((path / "meta.json").read_text())
        self.key_id = meta["key_id"]
        self.scheme = meta["scheme"]
        parsed = mf.parse(self.manifest)
        self.version = parsed.version
        self.target = parsed.target
        self.size = parsed.payload_size
        self.payload_path = path / "payload.bin"

    def manifest_response(self) -> dict:
        return {
            "available": True,
            "manifest": self.manifest,
            "signature": self.signature,
            "key_id": self.key_id,
            "scheme": self.scheme,
        }


class UpdateStore:
    """Updates under <data_dir>/ota, one directory per target and version."""

    def __init__(self, data_dir):
        self.root = Path(data_dir) / "ota"
        self.root.mkdir(parents=True, exist_ok=True)

    def add(self, manifest: bytes, signature: bytes, key_id: str, scheme: str, paths) -> Update:
        m = mf.parse(manifest)
        dest = self.root / m.target / m.version
        if dest.exists():
            raise FileExistsError("update %s for %s is already published" % (m.version, m.target))
        tmp = self.root / m.target / (".tmp-" + m.version)
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        (tmp / "manifest.json").write_bytes(manifest)
        (tmp / "signature.bin").write_bytes(signature)
        (tmp / "meta.json").write_text(json.dumps({"key_id": key_id, "scheme": scheme}))
        with open(tmp / "payload.bin", "wb") as out:
            for p in paths:
                with open(p, "rb") as src:
                    shutil.copyfileobj(src, out)
        os.replace(tmp, dest)  # an update appears complete or not at all
        return Update(dest)

    def get(self, version: str, target: str = ""):
        """The update `version` for `target` (any target when empty), or None."""
        targets = [target] if target else sorted(p.name for p in self.root.iterdir() if p.is_dir())
        for t in targets:
            path = self.root / t / version
            if (path / "meta.json").exists():
                return Update(path)
        return None

    def versions(self, target: str):
        base = self.root / target
        if not base.is_dir():
            return []
        found = [
            p.name
            for p in base.iterdir()
            if not p.name.startswith(".") and (p / "meta.json").exists()
        ]
        return sorted(found, key=mf.parse_version)

    def latest(self, target: str):
        versions = self.versions(target)
        return Update(self.root / target / versions[-1]) if versions else None
