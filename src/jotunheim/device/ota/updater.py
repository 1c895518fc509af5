"""The OTA state machine: download to the inactive slot, verify, install, trial, confirm, roll back.

Sans-IO at its core (chunks in, status dicts out through a callback); `apply` and
`apply_async` drive it from a chunk source, resuming from the written offset after a break.
"""

from jotunheim.compat import ticks_diff, ticks_ms
from jotunheim.device.ota import manifest as mf
from jotunheim.device.ota.digest import VerifyError
from jotunheim.device.ota.rsa_verify import TrustedKeys
from jotunheim.errors import DecodeError

IDLE = "idle"
DOWNLOADING = "downloading"
VERIFYING = "verifying"
INSTALLING = "installing"
REBOOTING = "rebooting"
TRIAL = "trial"
CONFIRMED = "confirmed"
ROLLED_BACK = "rolled_back"
FAILED = "failed"

# (state, event) -> next state. An event the table does not know is a programming error.
_TABLE = {
    (IDLE, "start"): DOWNLOADING,
    (CONFIRMED, "start"): DOWNLOADING,
    (ROLLED_BACK, "start"): DOWNLOADING,
    (FAILED, "start"): DOWNLOADING,
    (DOWNLOADING, "start"): DOWNLOADING,  # resume after a disconnect
    (DOWNLOADING, "downloaded"): VERIFYING,
    (VERIFYING, "verified"): INSTALLING,
    (INSTALLING, "installed"): REBOOTING,
    (DOWNLOADING, "fail"): FAILED,
    (VERIFYING, "fail"): FAILED,
    (INSTALLING, "fail"): FAILED,
    (IDLE, "fail"): FAILED,
    (CONFIRMED, "fail"): FAILED,
    (ROLLED_BACK, "fail"): FAILED,
    (FAILED, "fail"): FAILED,
    (TRIAL, "fail"): TRIAL,  # an update refused during a trial leaves the trial running
    (IDLE, "trial_boot"): TRIAL,
    (TRIAL, "confirm"): CONFIRMED,
    (TRIAL, "rollback"): ROLLED_BACK,
    (IDLE, "rollback"): ROLLED_BACK,
    (CONFIRMED, "rollback"): ROLLED_BACK,
    (FAILED, "rollback"): ROLLED_BACK,
}

# OtaStatus.state values (hub.proto): a trial boot is reported as still "rebooting".
_REPORTED = {TRIAL: REBOOTING, IDLE: CONFIRMED}


class UpdateError(DecodeError):
    """An update that cannot proceed (wrong state, transport gave up); reported as failed."""


class Updater:
    """Drives one device's updates over a SlotStore (see docs/ota.md for the state table)."""

    def __init__(self, store, ota_settings, target, on_status=None, clock=ticks_ms, log=None):
        self.store = store
        self.settings = ota_settings
        self.target = target
        self.on_status = on_status
        self.clock = clock
        self.log = log
        self.state = IDLE
        self.version = ""
        self.total = 0
        self._keys = None
        self._trial_start = None
        self._reported_at = 0

    @property
    def keys(self):
        if self._keys is None:
            self._keys = TrustedKeys(self.settings.get("trusted_keys", ()))
        return self._keys

    def _event(self, event):
        nxt = _TABLE.get((self.state, event))
        if nxt is None:
            raise UpdateError("ota: %r not allowed while %s" % (event, self.state))
        self.state = nxt

    def _report(self, reason="", progress=0, state=None):
        if self.on_status:
            self.on_status(
                {
                    "version": self.version,
                    "state": state or _REPORTED.get(self.state, self.state),
                    "reason": reason,
                    "progress_bytes": progress,
                    "total_bytes": self.total,
                    "running_version": self.store.running_version(),
                }
            )

    def _fail(self, exc):
        self.store.abort()
        self._event("fail")
        self._report(str(exc), state=FAILED)

    # -- boot-time ---------------------------------------------------------------------
    def at_boot(self):
        """Call once the app runs: reports a rollback done at boot, starts the trial timer."""
        st = self.store.state()
        if st.get("unreported"):
            self.version = st.get("rolled_back_version", "")
            self._event("rollback")
            self._report(st["last_rollback"])
            self.store.ack_rollback()
        elif not st["confirmed"] and st["previous"]:
            self.version = st["versions"].get(st["active"], "")
            self._event("trial_boot")
            self._trial_start = self.clock()
            self._report(
                "trial boot %d of %d" % (st["attempts"], self.settings.get("max_boot_attempts", 3))
            )
        return st

    def confirm(self):
        """The new version reconnected and passed its self-test: keep it."""
        if self.state != TRIAL:
            raise UpdateError("ota: confirm() while %s (no trial boot)" % self.state)
        self.store.confirm()
        self._event("confirm")
        self._report()

    def poll(self, now=None):
        """Roll back when the trial outlived confirm_timeout_ms; True means: reboot now."""
        if self.state != TRIAL:
            return False
        now = self.clock() if now is None else now
        limit = self.settings.get("confirm_timeout_ms", 120000)
        if ticks_diff(now, self._trial_start) < limit:
            return False
        self.rollback("confirmation timeout: %s not confirmed within %d ms" % (self.version, limit))
        return True

    def rollback(self, reason="manual rollback"):
        """Boot the previous version again (by command or on timeout); reboot afterwards."""
        if (self.state, "rollback") not in _TABLE:
            raise UpdateError("ota: rollback not allowed while %s" % self.state)
        if self.state != TRIAL:
            self.version = self.store.running_version()
        self.store.rollback(reason)
        self._event("rollback")
        self.store.ack_rollback()
        self._report(reason)

    # -- download and install ----------------------------------------------------------
    def prepare(self, resp):
        """Check a ManifestResponse dict and stage the update; returns the offset to resume at."""
        try:
            if self.state == TRIAL:
                raise UpdateError("update refused: version %s is still on trial" % self.version)
            if not resp.get("available", True):
                raise UpdateError("ota: no update available")
            data = resp.get("manifest") or b""
            if len(data) > mf.MAX_MANIFEST_SIZE:
                raise mf.ManifestError(
                    "manifest: %d bytes exceeds the limit of %d" % (len(data), mf.MAX_MANIFEST_SIZE)
                )
            # Signature before parsing: unsigned JSON never reaches the parser.
            self.keys.verify(
                resp.get("key_id", ""), resp.get("scheme", ""), data, resp.get("signature", b"")
            )
            m = mf.parse(data)
            self.version = m.version
            self.total = m.payload_size
            mf.check_applicable(
                m,
                self.target,
                self.store.running_version(),
                self.settings.get("allow_downgrade", False),
            )
            from binascii import hexlify

            record = {
                "key_id": resp.get("key_id", ""),
                "scheme": resp.get("scheme", ""),
                "signature": hexlify(resp.get("signature", b"")).decode(),
            }
            self._event("start")
            offset = self.store.begin(m, data, record)
        except OSError as exc:  # flash, not the network: do not retry
            self._fail(exc)
            raise UpdateError("ota: cannot stage the update: %s" % exc) from None
        except DecodeError as exc:
            self._fail(exc)
            raise
        self._report(progress=offset)
        return offset

    @property
    def offset(self):
        return self.store.hasher.offset if self.store.hasher else 0

    def write_chunk(self, offset, data):
        """Write one downloaded chunk at `offset` (must be the resume point)."""
        if self.state != DOWNLOADING:
            raise UpdateError("ota: chunk while %s" % self.state)
        try:
            if offset != self.offset:
                raise VerifyError("chunk: offset %d, expected %d" % (offset, self.offset))
            self.store.write(data)
        except OSError as exc:  # flash full or failing: apply() must not take it for a drop
            self._fail(exc)
            raise UpdateError("ota: flash write failed: %s" % exc) from None
        except DecodeError as exc:
            self._fail(exc)
            raise
        if self.offset - self._reported_at >= 65536:
            self._reported_at = self.offset
            self._report(progress=self.offset)

    def install(self):
        """Verify everything and switch the boot slot; the caller reboots afterwards."""
        try:
            self._event("downloaded")
            self._report(progress=self.offset)
            slot = self.store.finish()
            # Check the manifest as stored on flash, not the copy in RAM: that is what boots.
            self.store.verify_slot(slot, self.keys)
            self._event("verified")
            self._report(progress=self.offset)
            self.store.switch(slot, self.version)
            self.store.clear_staging()
        except DecodeError as exc:
            self._fail(exc)
            raise
        self._event("installed")
        self._report(progress=self.offset)

    def _source_failed(self, exc):
        if self.state == DOWNLOADING:  # write_chunk already reported its own failures
            self._fail(exc)

    def _broken(self, exc, breaks, max_resumes):
        if breaks > max_resumes:
            self._fail(exc)
            raise UpdateError("ota: download failed after %d resumes: %s" % (max_resumes, exc))

    def apply(self, resp, source, max_resumes=5):
        """Stage, download from source(offset) -> iterable of (offset, data), install.

        A source raising OSError (connection lost) is asked again from the offset already
        on flash; a source that simply ends early leaves install() to report the truncation.
        """
        self.prepare(resp)
        breaks = 0
        while True:
            try:
                for chunk_offset, data in source(self.offset):
                    self.write_chunk(chunk_offset, data)
                break
            except OSError as exc:
                breaks += 1
                self._broken(exc, breaks, max_resumes)
            except Exception as exc:  # noqa: BLE001 - the source gave up: report, re-raise
                self._source_failed(exc)
                raise
        self.install()

    async def apply_async(self, resp, source, max_resumes=5):
        """apply() for an async source: source(offset) -> async iterable of (offset, data)."""
        self.prepare(resp)
        breaks = 0
        while True:
            try:
                async for chunk_offset, data in source(self.offset):
                    self.write_chunk(chunk_offset, data)
                break
            except OSError as exc:
                breaks += 1
                self._broken(exc, breaks, max_resumes)
            except Exception as exc:  # noqa: BLE001 - the source gave up: report, re-raise
                self._source_failed(exc)
                raise
        self.install()
