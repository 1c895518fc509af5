"""SlotStore over ESP32 app partitions (esp32.Partition): the image is written to the next OTA
partition block by block, and the bootloader switches with set_boot().

Hardware calls are the few marked HW below; everything else is the shared SlotStore logic.
The boot state (attempts, reason, versions) stays a small JSON file on the filesystem.
Importing this module is safe where `esp32` is absent; constructing the store is not.
"""

import json

from jotunheim.device.ota.bootstate import SlotError
from jotunheim.device.ota.digest import PayloadHasher
from jotunheim.device.ota.flashfs import mkdir, read_json, read_small
from jotunheim.device.ota.manifest import MAX_MANIFEST_SIZE
from jotunheim.device.ota.slots import SlotStore

BLOCK = 4096  # ESP32 flash erase unit; Partition's block size
_LABELS = {"a": "ota_0", "b": "ota_1"}
_SLOTS = {"ota_0": "a", "ota_1": "b"}
_PROGRESS_EVERY = 16  # blocks between persisted resume points (64 KB): bounds lost work


class Esp32SlotStore(SlotStore):
    """A/B = the ota_0/ota_1 app partitions. The manifest must list exactly one file (the image)."""

    def __init__(self, state_dir, factory_version, esp32_module=None, step=None):
        if esp32_module is None:
            import esp32 as esp32_module  # HW: only on ESP32 ports
        self.esp32 = esp32_module
        mkdir(state_dir)
        self.state_dir = state_dir
        SlotStore.__init__(self, state_dir + "/boot.json", factory_version, step)
        self._buf = bytearray(BLOCK)  # the one block being filled (bounded memory)
        self._fill = 0
        self._block = 0
        self._part = None
        self._slot = None
        self._tag = ""

    # -- HW: the only calls into esp32.Partition ------------------------------------------
    def _partition(self, slot):
        P = self.esp32.Partition
        found = P.find(P.TYPE_APP, label=_LABELS[slot])  # HW
        if not found:
            raise SlotError("esp32: no app partition %r" % _LABELS[slot])
        return found[0]

    def running_slot(self):
        """The slot the bootloader started ('a' for ota_0, 'b' for ota_1)."""
        label = self.esp32.Partition(self.esp32.Partition.RUNNING).info()[4]  # HW
        return _SLOTS.get(label, "a")

    def _activate(self, slot):
        self._partition(slot).set_boot()  # HW: takes effect at the next reset

    def _confirm_hw(self):
        # HW: cancels the bootloader's own rollback (CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE);
        # raises OSError on firmware built without it, which is then a no-op for us.
        try:
            self.esp32.Partition.mark_app_valid_cancel_rollback()
        except OSError:
            pass

    # -- boot state ------------------------------------------------------------------------
    def boot(self, max_attempts):
        st = self.state()
        running = self.running_slot()
        if running != st["active"]:
            if st["previous"] == running:
                # The bootloader already went back (the new image did not start): record it.
                version = st["versions"].get(st["active"])
                return self.rollback("bootloader rolled back: %s did not start" % version)
            # A cut between set_boot() and the state write (switch): the state is the truth,
            # point the bootloader back at it; the board's boot.py resets into it.
            self._activate(st["active"])
        return SlotStore.boot(self, max_attempts)

    # -- writing the image -------------------------------------------------------------------
    def _meta(self, slot, kind):
        return "%s/%s.%s.json" % (self.state_dir, slot, kind)

    def stored_manifest(self, slot):
        data = read_small(self._meta(slot, "manifest"), MAX_MANIFEST_SIZE)
        sig = read_json(self._meta(slot, "signature"), 4096)
        return None if data is None or not isinstance(sig, dict) else (data, sig)

    def begin(self, manifest, manifest_bytes, sig_record):
        import hashlib
        from binascii import hexlify

        if len(manifest.files) != 1:
            raise SlotError("esp32: the manifest must list exactly one file, the app image")
        slot = self.inactive_slot()
        part = self._partition(slot)
        P = self.esp32.Partition
        nxt = P(P.RUNNING).get_next_update().info()[4]  # HW: what the bootloader would take
        if nxt != _LABELS[slot]:
            raise SlotError(
                "esp32: next update partition is %s, boot state expects %s" % (nxt, _LABELS[slot])
            )
        capacity = part.ioctl(4, 0) * BLOCK  # HW: block count
        if manifest.payload_size > capacity:
            raise SlotError(
                "esp32: image of %d bytes exceeds partition size %d"
                % (manifest.payload_size, capacity)
            )
        self._slot, self._part = slot, part
        self.hasher = PayloadHasher(manifest)
        self._fill = 0
        tag = self._tag = hexlify(hashlib.sha256(manifest_bytes).digest()).decode()
        staging = read_json(self.state_dir + "/staging.json")
        if staging and staging.get("slot") == slot and staging.get("manifest") == tag:
            done = min(staging.get("offset", 0), manifest.payload_size)
            done -= done % BLOCK
            try:
                self._rehash(done)
                self._block = done // BLOCK
                return done
            except Exception:  # noqa: BLE001 - start over on anything odd
                self.hasher = PayloadHasher(manifest)
        self._block = 0
        with open(self._meta(slot, "manifest"), "wb") as f:
            f.write(manifest_bytes)
        with open(self._meta(slot, "signature"), "wb") as f:
            f.write(json.dumps(sig_record).encode())
        self._save_progress(tag, 0)
        return 0

    def _save_progress(self, tag, offset):
        from jotunheim.device.ota.bootstate import write_state

        write_state(
            self.state_dir + "/staging.json",
            {"slot": self._slot, "manifest": tag, "offset": offset},
        )
        self._mark("progress")

    def _rehash(self, size):
        # Hash objects cannot be saved: re-read what the partition already holds.
        for block in range(size // BLOCK):
            self._part.readblocks(block, self._buf)  # HW
            self.hasher.feed(self._buf)

    def _sink(self, index, piece):
        pos = 0
        while pos < len(piece):
            take = min(BLOCK - self._fill, len(piece) - pos)
            self._buf[self._fill : self._fill + take] = piece[pos : pos + take]
            self._fill += take
            pos += take
            if self._fill == BLOCK:
                self._flush_block()

    def _flush_block(self):
        if self._fill < BLOCK:
            for i in range(self._fill, BLOCK):
                self._buf[i] = 0xFF  # erased-flash value after the image's end
        self._part.writeblocks(self._block, self._buf)  # HW: erases, then writes one block
        self._block += 1
        self._fill = 0
        self._mark("block")
        if self._block % _PROGRESS_EVERY == 0:
            self._save_progress(self._tag, self._block * BLOCK)

    def write(self, data):
        self.hasher.feed(data, self._sink)

    def finish(self):
        if self._fill:
            self._flush_block()
        self.hasher.finish()
        return self._slot

    def _read_slot(self, slot, manifest, hasher):
        part = self._partition(slot)
        left = manifest.payload_size
        block = 0
        while left:
            part.readblocks(block, self._buf)  # HW
            n = min(left, BLOCK)
            hasher.feed(memoryview(self._buf)[:n])
            left -= n
            block += 1

    def clear_staging(self):
        import os

        try:
            os.remove(self.state_dir + "/staging.json")
        except OSError:
            pass
