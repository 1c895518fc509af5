"""Hashes an OTA payload while it streams in, checking each file's SHA-256 at its boundary."""

import hashlib

from jotunheim.errors import DecodeError


class VerifyError(DecodeError):
    """Downloaded bytes that do not match the signed manifest (size or SHA-256)."""


class PayloadHasher:
    """Splits payload bytes at file boundaries, hashes them, and checks every digest.

    feed(data, sink) calls sink(file_index, piece) for each piece of data (a memoryview) that
    belongs to one file; finish() checks the whole payload. Memory stays bounded: two running
    hash objects, never the image.
    """

    def __init__(self, manifest):
        self.manifest = manifest
        self.offset = 0
        self.index = 0
        self._payload = hashlib.sha256()
        self._file = hashlib.sha256()
        self._left = manifest.files[0][2]
        self._skip_empty()

    def _skip_empty(self):
        files = self.manifest.files
        while self.index < len(files) and self._left == 0:
            self._close_file()

    def _close_file(self):
        name, _, _, want = self.manifest.files[self.index]
        if self._file.digest() != want:
            raise VerifyError(
                "files[%d] (%s): sha256 does not match the manifest" % (self.index, name)
            )
        self.index += 1
        self._file = hashlib.sha256()
        if self.index < len(self.manifest.files):
            self._left = self.manifest.files[self.index][2]

    def feed(self, data, sink=None):
        """Hash `data` (the payload bytes at self.offset) and hand each file's piece to sink."""
        mv = memoryview(data)
        if self.offset + len(mv) > self.manifest.payload_size:
            raise VerifyError(
                "payload: %d bytes exceed the manifest size %d"
                % (self.offset + len(mv), self.manifest.payload_size)
            )
        self._payload.update(mv)
        pos = 0
        while pos < len(mv):
            take = min(self._left, len(mv) - pos)
            piece = mv[pos : pos + take]
            self._file.update(piece)
            if sink is not None:
                sink(self.index, piece)
            pos += take
            self._left -= take
            self.offset += take
            if self._left == 0:
                self._close_file()
                self._skip_empty()

    def finish(self):
        """Raise VerifyError unless the whole payload arrived and matches the manifest."""
        if self.offset != self.manifest.payload_size:
            raise VerifyError(
                "payload: truncated at %d of %d bytes" % (self.offset, self.manifest.payload_size)
            )
        if self._payload.digest() != self.manifest.payload_sha256:
            raise VerifyError("payload: sha256 does not match the manifest")


def verify_stored(store, slot, keys):
    """Re-check a slot from storage: its manifest's signature, then every hash.

    Returns the Manifest; raises DecodeError subclasses. A slot that never received an
    update (the factory image) has no manifest and returns None.
    """
    from binascii import unhexlify

    from jotunheim.device.ota import manifest as mf

    stored = store.stored_manifest(slot)
    if stored is None:
        return None
    data, sig = stored
    try:
        signature = unhexlify(sig.get("signature", ""))
    except ValueError:
        raise VerifyError("slot %s: signature record is not hex" % slot) from None
    keys.verify(sig.get("key_id", ""), sig.get("scheme", ""), data, signature)
    m = mf.parse(data)
    hasher = PayloadHasher(m)
    store._read_slot(slot, m, hasher)
    hasher.finish()
    return m
