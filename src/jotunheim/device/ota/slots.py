"""SlotStore: the A/B slot interface the updater drives; FileSlotStore: its files-on-flash backend.

Layout under slot_dir: boot.json (the boot state, bootstate.py), staging.json (which update
is being downloaded), a/ and b/ (each: manifest.json, signature.json, files/<name>).
"""

import json
import os

from jotunheim.device import durable
from jotunheim.device.ota import bootstate
from jotunheim.device.ota.bootstate import SlotError, other
from jotunheim.device.ota.digest import PayloadHasher, VerifyError
from jotunheim.device.ota.flashfs import clear_slot as _clear
from jotunheim.device.ota.flashfs import mkdir as _mkdir
from jotunheim.device.ota.flashfs import read_json as _read_json
from jotunheim.device.ota.flashfs import read_small, truncate
from jotunheim.device.ota.manifest import MAX_MANIFEST_SIZE

_READ = 1024  # read-back buffer when a download resumes (bounded memory)
_FLUSH_EVERY = 65536


class SlotStore:
    """Boot-state logic shared by every backend; subclasses provide storage of slot contents.

    Invariant: `active` and, when set, `previous` always name slots holding a fully verified
    image; the only slot ever written is the other one, after `previous` stops naming it.
    """

    def __init__(self, state_path, factory_version, step=None):
        self.state_path = state_path
        self.factory_version = factory_version
        self.step = step  # step(label): called at every durable mutation (power-cut tests)
        self.hasher = None

    def _mark(self, label):
        if self.step:
            self.step(label)

    # -- boot state --------------------------------------------------------------------
    def state(self):
        return bootstate.read_state(self.state_path, self.factory_version)

    def _save(self, st):
        bootstate.write_state(self.state_path, st, self.step)

    def running_version(self):
        st = self.state()
        return st["versions"].get(st["active"], "") or self.factory_version

    def in_trial(self):
        st = self.state()
        return not st["confirmed"] and bool(st["previous"])

    def boot(self, max_attempts):
        """Count a boot of a trial slot; past max_attempts, roll back first. Returns the state."""
        st = self.state()
        if not st["confirmed"] and st["previous"]:
            if st["attempts"] >= max_attempts:
                version = st["versions"].get(st["active"], "")
                return self.rollback(
                    "boot attempts exhausted: %s did not confirm within %d boots"
                    % (version, max_attempts)
                )
            st["attempts"] += 1
            self._save(st)
        return st

    def switch(self, slot, version):
        """Make the verified `slot` active in trial mode: one atomic state write."""
        st = self.state()
        if slot == st["active"]:
            raise SlotError("switch: slot %s is already active" % slot)
        st["previous"] = st["active"]
        st["active"] = slot
        st["versions"][slot] = version
        st["confirmed"] = False
        st["attempts"] = 0
        self._activate(slot)
        self._save(st)
        return st

    def confirm(self):
        st = self.state()
        if st["confirmed"]:
            return st
        st["confirmed"] = True
        st["attempts"] = 0
        self._confirm_hw()
        self._save(st)
        return st

    def rollback(self, reason):
        """Boot the previous verified slot again and record why; SlotError if there is none."""
        st = self.state()
        prev = st["previous"]
        if not prev:
            raise SlotError("rollback: no previous version to roll back to")
        st["rolled_back_version"] = st["versions"].get(st["active"], "")
        st["active"] = prev
        st["previous"] = ""
        st["confirmed"] = True
        st["attempts"] = 0
        st["last_rollback"] = reason
        st["unreported"] = True  # the updater reports it to the hub once, after boot
        self._activate(prev)
        self._save(st)
        return st

    def ack_rollback(self):
        """Forget that the last rollback still has to be reported."""
        st = self.state()
        if st.get("unreported"):
            st["unreported"] = False
            self._save(st)

    def verify_slot(self, slot, keys):
        """Re-check `slot` from storage (digest.verify_stored): the Manifest, or None."""
        from jotunheim.device.ota.digest import verify_stored

        return verify_stored(self, slot, keys)

    def _read_slot(self, slot, manifest, hasher):
        """Feed the stored payload of `slot` through hasher (backend-specific)."""
        raise NotImplementedError

    def inactive_slot(self):
        """The slot an update may be written to; frees it from being the rollback target."""
        st = self.state()
        if not st["confirmed"]:
            raise SlotError(
                "update refused: version %s is still on trial" % st["versions"].get(st["active"])
            )
        slot = other(st["active"])
        if st["previous"] == slot:
            # Writing destroys the rollback target: record that before touching it.
            st["previous"] = ""
            self._save(st)
        return slot

    # -- backend hooks -------------------------------------------------------------------
    def _activate(self, slot):
        """Hardware boot-slot switch (esp32: Partition.set_boot); nothing for files."""

    def _confirm_hw(self):
        """Hardware confirmation (esp32: mark_app_valid_cancel_rollback); nothing for files."""

    def begin(self, manifest, manifest_bytes, sig_record):
        """Prepare the inactive slot for `manifest`; returns the offset to resume from."""
        raise NotImplementedError

    def write(self, data):
        """Append payload bytes at the current offset, hashing them (VerifyError on mismatch)."""
        raise NotImplementedError

    def finish(self):
        """Close the slot and check sizes and hashes; returns the slot name."""
        raise NotImplementedError

    def stored_manifest(self, slot):
        """(manifest bytes, signature record dict) stored with `slot`, or None."""
        raise NotImplementedError

    def abort(self):
        """Stop writing (after a failure); what is on flash stays for a later resume."""

    def clear_staging(self):
        """Forget the staged download once it is installed."""


class FileSlotStore(SlotStore):
    """A/B directories on a filesystem (every MicroPython board, Linux, the unix port)."""

    def __init__(self, slot_dir, factory_version, step=None):
        SlotStore.__init__(self, slot_dir + "/boot.json", factory_version, step)
        self.slot_dir = slot_dir
        for d in (slot_dir, slot_dir + "/a", slot_dir + "/b"):
            _mkdir(d)
        self._slot = None
        self._fh = None
        self._fh_index = -1
        self._flushed = 0

    def files_dir(self, slot):
        return "%s/%s/files" % (self.slot_dir, slot)

    def stored_manifest(self, slot):
        base = "%s/%s/" % (self.slot_dir, slot)
        data = read_small(base + "manifest.json", MAX_MANIFEST_SIZE)
        sig = _read_json(base + "signature.json", 4096)
        return None if data is None or not isinstance(sig, dict) else (data, sig)

    def begin(self, manifest, manifest_bytes, sig_record):
        import hashlib
        from binascii import hexlify

        slot = self.inactive_slot()
        tag = hexlify(hashlib.sha256(manifest_bytes).digest()).decode()
        staging = _read_json(self.slot_dir + "/staging.json")
        self._slot = slot
        self.hasher = PayloadHasher(manifest)
        self._flushed = 0
        if staging == {"slot": slot, "manifest": tag} and self.stored_manifest(slot) is not None:
            try:
                self._flushed = self._rehash(manifest)
                return self._flushed
            except Exception:  # noqa: BLE001 - anything odd on flash: start the slot over
                self.hasher = PayloadHasher(manifest)
                self._flushed = 0
        _clear(self.slot_dir + "/" + slot)
        self._mark("slot-cleared")
        base = "%s/%s/" % (self.slot_dir, slot)
        _mkdir(base + "files")
        sig = json.dumps(sig_record).encode()
        for name, data in (("manifest.json", manifest_bytes), ("signature.json", sig)):
            with open(base + name, "wb") as f:
                f.write(data)
                durable.flush(f)
        bootstate.write_state(
            self.slot_dir + "/staging.json", {"slot": slot, "manifest": tag}, None
        )
        self._mark("staged")
        return 0

    def _rehash(self, manifest):
        # Hash objects cannot be saved: rebuild them from what is already on flash, so a
        # resumed download is checked exactly like an uninterrupted one.
        self._read_files(self._slot, manifest, self.hasher, resume=True)
        return self.hasher.offset

    def _read_slot(self, slot, manifest, hasher):
        self._read_files(slot, manifest, hasher, resume=False)

    def _read_files(self, slot, manifest, hasher, resume):
        """Feed the slot's files through hasher up to the first short one (trimmed on resume)."""
        buf = bytearray(_READ)
        for i, (name, _, size, _) in enumerate(manifest.files):
            path = self.files_dir(slot) + "/" + name
            fed = 0
            try:
                if not resume and os.stat(path)[6] != size:
                    # Bytes past the hashed size would run unverified: refuse the slot.
                    raise VerifyError("files[%d] (%s): size differs from the manifest" % (i, name))
                with open(path, "rb") as f:
                    while fed < size:
                        n = f.readinto(buf)
                        if not n:
                            break
                        n = min(n, size - fed)
                        hasher.feed(memoryview(buf)[:n])
                        fed += n
            except OSError:
                pass  # missing file: fed stays short
            if fed < size:
                if resume:
                    truncate(path, fed)
                return  # on verification, hasher.finish() reports the truncation

    def _sink(self, index, piece):
        if index != self._fh_index:
            if self._fh:
                durable.flush(self._fh)
                self._fh.close()
            name = self.hasher.manifest.files[index][0]
            self._fh = open(self.files_dir(self._slot) + "/" + name, "ab")
            self._fh_index = index
        self._fh.write(piece)

    def write(self, data):
        self.hasher.feed(data, self._sink)
        # Flushing syncs to flash on MicroPython (fsync on the unix port): ~3.5 ms each here,
        # so only every _FLUSH_EVERY bytes. Losing unflushed bytes to a power cut only costs
        # a little re-download: resume re-reads whatever is really on flash.
        if self.hasher.offset - self._flushed >= _FLUSH_EVERY and self._fh:
            self._fh.flush()
            self._flushed = self.hasher.offset
        self._mark("chunk")

    def _close(self):
        if self._fh:
            durable.flush(self._fh)  # the slot must be on flash before the switch
            self._fh.close()
        self._fh = None
        self._fh_index = -1

    def finish(self):
        self._close()
        self.hasher.finish()
        # Empty files never get a write: create them so the slot is complete.
        for name, _, size, _ in self.hasher.manifest.files:
            if not size:
                open(self.files_dir(self._slot) + "/" + name, "wb").close()
        return self._slot

    def abort(self):
        self._close()

    def clear_staging(self):
        try:
            os.remove(self.slot_dir + "/staging.json")
        except OSError:
            pass
