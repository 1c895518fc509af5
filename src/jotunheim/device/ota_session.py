"""OTA in the device agent: boot-slot selection at start, UpdateNotice -> Updater over the
session's channel, OtaStatus reports, trial confirmation, rollback and "reboot" (docs/ota.md).

The OTA core (jotunheim.device.ota) is imported only when an update or rollback runs, or at a
boot that must count a trial or report a rollback; a confirmed boot reads boot.json only.
"""

import asyncio
import os
import sys

from jotunheim.device.agent_build import ota_slot_dir, path_exists

REBOOT_EXIT = 75  # the agent exits with this code to be restarted on the selected slot
APP_MODULE = "jotunheim_app"  # optional module in an update: imported at start, self_test()
CRASH_FILE = "last_crash.txt"  # why a trial boot crashed, added to the rollback's reason
TICK_S = 0.2
FLUSH_BEFORE_REBOOT_S = 15
MAX_RESUMES = 10  # download breaks (each waits up to ota_link.WAIT_ONLINE_S to reconnect)


class OtaSession:
    """Owned by the Agent; `attach(agent)` builds it, `start()` runs its timer task."""

    def __init__(self, agent):
        self.agent = agent
        settings = agent.settings
        peek = getattr(settings, "section", None) or settings.get
        self.cfg = peek("ota_update_settings")
        ident = peek("identity")
        self.factory_version = ident.get("firmware_version") or "0.0.0"
        self.target = ident.get("type") or "generic"
        self.slot_dir = ota_slot_dir(settings, agent.settings_path)
        self.store = None
        self.updater = None
        self.app = None
        self.info = None
        self.queue = []  # OtaStatus dicts not yet delivered (acknowledged) to the hub
        self.seq = 0  # OtaStatus.seq of the last status queued (this boot)
        self._sent = (None, 0)  # (stream, seq): what went out on that stream, awaiting acks
        self.busy = False
        self.rebooting = False
        self._failed = False
        self._lock = asyncio.Lock()

    # ---- boot ----------------------------------------------------------------------------
    def boot(self):
        """Selects the slot, sets the firmware version, imports the slot's app (if any)."""
        info = self._select()
        self.info = info
        version = info["version"]
        if version != self.factory_version:  # opening the section keeps the edit (in RAM)
            self.agent.settings["identity"]["firmware_version"] = version
            self.agent.session.firmware_version = version
            builder = getattr(self.agent, "builder", None)
            if builder is not None:  # what capabilities announce, across settings reloads
                builder.firmware_version = version
        path = info["path"]
        if path and (
            path_exists(path + "/" + APP_MODULE + ".py")
            or path_exists(path + "/" + APP_MODULE + ".mpy")
        ):
            sys.path.insert(0, path)
            try:
                self.app = __import__(APP_MODULE)
            except Exception as exc:  # noqa: BLE001 - a broken update: count the boot, restart
                if not info["trial"]:
                    raise
                self._write_crash("%s: %s" % (type(exc).__name__, exc))
                print("ota: %s %s crashed at start (%s): rebooting" % (APP_MODULE, version, exc))
                sys.exit(REBOOT_EXIT)
        return info

    def _select(self):
        max_attempts = self.cfg.get("max_boot_attempts", 3)
        state_path = self.slot_dir + "/boot.json"
        if path_exists(state_path):
            from jotunheim.device.ota import bootstate

            st = bootstate.read_state(state_path, self.factory_version)
            if st["confirmed"] and not st.get("unreported"):
                slot = st["active"]  # nothing to count or report: no OTA core needed
                return {
                    "slot": slot,
                    "version": st["versions"].get(slot, "") or self.factory_version,
                    "trial": False,
                    "path": "%s/%s/files" % (self.slot_dir, slot),
                }
        else:
            return {"slot": "a", "version": self.factory_version, "trial": False, "path": None}
        from jotunheim.device.ota.boot import select_boot_slot

        info = select_boot_slot(self._store(), max_attempts)
        self._updater().at_boot()  # queues the trial-boot or rolled_back report
        return info

    def _write_crash(self, text):
        try:
            with open(self.slot_dir + "/" + CRASH_FILE, "w") as f:
                f.write(text[:300])
        except OSError:
            pass

    def _take_crash(self):
        path = self.slot_dir + "/" + CRASH_FILE
        try:
            with open(path) as f:
                text = f.read()
            os.remove(path)
            return text
        except OSError:
            return ""

    def _store(self):
        if self.store is None:
            from jotunheim.device.ota.slots import FileSlotStore

            self.store = FileSlotStore(self.slot_dir, self.factory_version)
        return self.store

    def _updater(self):
        if self.updater is None:
            from jotunheim.device.ota.updater import Updater

            self.updater = Updater(self._store(), self.cfg, self.target, on_status=self._status)
        return self.updater

    # ---- statuses ------------------------------------------------------------------------
    def _status(self, st):
        if st["state"] == "rolled_back":
            crash = self._take_crash()
            if crash:
                st["reason"] = "%s; last crash: %s" % (st["reason"], crash)
        if st["state"] == "failed":
            self._failed = True
        self.seq += 1
        st["seq"] = self.seq
        self.queue.append(st)

    def _own_status(self, version, state, reason):
        running = self.store.running_version() if self.store else self.info["version"]
        self._status(
            {"version": version, "state": state, "reason": reason, "progress_bytes": 0,
             "total_bytes": 0, "running_version": running}
        )  # fmt: skip

    async def _flush(self):
        """Sends queued statuses in order; True once the hub has them all, False while it is
        unreachable or (a hub that acknowledges, hub.proto revision 4) has not acked them yet.

        A status written to a stream is not yet delivered: the stream may be dying (a busy
        device past the hub's dead-peer deadline). So, when the hub acks, each status stays
        queued until its OtaStatusAck; the ones sent on a stream that broke go out again on
        the next (the hub ignores a seq it already recorded)."""
        session = self.agent.session
        async with self._lock:
            acks = getattr(session, "ota_acks", False)
            for st in list(self.queue):
                stream, upto = self._sent
                call = session._call  # before the send: a reconnect may come during it
                if acks and stream is call and st["seq"] <= upto:
                    continue  # out on this stream already: its ack is on the way
                try:
                    sent = await session.send({"ota_status": st})
                except Exception:  # noqa: BLE001 - the stream broke: resend after reconnect
                    sent = False
                if not sent:
                    return False
                if acks:
                    self._sent = (call, st["seq"])
                else:  # a hub before revision 4: written is as delivered as it gets
                    self.queue.remove(st)
        return not self.queue

    async def on_status_ack(self, body):
        """OtaStatusAck{seq}: the hub recorded every status up to seq."""
        seq = body.get("seq", 0)
        self.queue = [st for st in self.queue if st["seq"] > seq]

    # ---- runtime -------------------------------------------------------------------------
    def start(self):
        asyncio.create_task(self._loop())

    async def _loop(self):
        session = self.agent.session
        while not self.rebooting and session.state != "stopped":
            await asyncio.sleep(TICK_S)
            if self.queue and session.state == "online":
                await self._flush()
            u = self.updater
            if u is None or u.state != "trial" or self.busy:
                continue
            if session.state == "online" and not self.queue:
                await self._self_test_and_confirm(u)
            elif u.poll():  # confirmation timeout: rolled back, boot the previous version
                await self._reboot()

    async def _self_test_and_confirm(self, u):
        why = ""
        test = getattr(self.app, "self_test", None)
        if test is not None:
            try:
                if test() is False:
                    why = "self-test failed"
            except Exception as exc:  # noqa: BLE001 - any error fails the trial
                why = "self-test failed: %s: %s" % (type(exc).__name__, exc)
        if why:
            u.rollback(why)
            await self._reboot()
            return
        u.confirm()
        await self._flush()
        prop = self.agent.propagator
        if prop is not None:  # re-announce: an "updated" event with the new version
            prop.last_encoded = None
            prop.after_update()

    async def on_update_notice(self, body):
        version = body.get("version", "")
        if self.busy or self.rebooting or not self.cfg.get("enabled", True):
            why = "ota disabled" if not self.cfg.get("enabled", True) else "busy"
            self._own_status(version, "failed", "update refused: " + why)
            return
        self.busy = True
        asyncio.create_task(self._update(version))

    async def _update(self, version):
        from jotunheim.device.ota.client import OtaClient
        from jotunheim.device.ota_link import LiveChannel, patient

        self._failed = False
        try:
            u = self._updater()
            client = OtaClient(
                LiveChannel(self.agent.session),
                self.agent.device_id,
                self.target,
                self.cfg.get("chunk_size", 4096),
            )
            resp = await client.manifest(self._store().running_version(), version)
            source = patient(self.agent.session, client.source(version))
            await u.apply_async(resp, source, max_resumes=MAX_RESUMES)
        except Exception as exc:  # noqa: BLE001 - reported to the hub, the device unchanged
            if not self._failed:
                self._own_status(version, "failed", "%s: %s" % (type(exc).__name__, exc))
            self.busy = False
            await self._flush()
            return
        await self._reboot()

    async def on_rollback(self, body):
        reason = body.get("reason") or "manual rollback"
        if self.busy or self.rebooting:
            self._own_status("", "failed", "rollback refused: an update is running")
            return
        try:
            self._updater().rollback(reason)
        except Exception as exc:  # noqa: BLE001 - e.g. no previous version on flash
            self._own_status(
                self._store().running_version(), "failed", "rollback refused: %s" % exc
            )
            await self._flush()
            return
        await self._reboot()

    async def _reboot(self):
        self.rebooting = True
        # Let the last statuses reach the hub, but never wait forever: long enough for a
        # session that dropped during the update (a busy device missing the hub's dead-peer
        # deadline) to reconnect, since progress statuses left unsent now are lost.
        for _ in range(int(FLUSH_BEFORE_REBOOT_S / TICK_S)):
            if await self._flush():
                break
            await asyncio.sleep(TICK_S)
        self._keep_unsent_rollback()
        # Half-close, then wait (bounded) until the hub ends the stream: it has then read every
        # status. Closing the channel at once let the hub's transport drop the last ones.
        session = self.agent.session
        call = session._call
        if call is not None:
            try:
                await call.done_writing()
                for _ in range(15):
                    if session._call is not call:
                        break
                    await asyncio.sleep(TICK_S)
            except Exception:  # noqa: BLE001 - the stream is already gone: nothing to wait for
                pass
        if sys.platform not in ("linux", "darwin", "win32"):
            import machine  # a board: boot.py selects the slot again

            machine.reset()
        self.agent.exit_code = REBOOT_EXIT  # the supervisor (`jotunheim device run`) restarts
        self.agent.stop()

    def _keep_unsent_rollback(self):
        # Updater.rollback() marks the rollback reported; if its status never left the device
        # (offline: e.g. the confirmation timeout), the next boot must report it instead.
        if self.store is None or not [s for s in self.queue if s["state"] == "rolled_back"]:
            return
        from jotunheim.device.ota import bootstate

        st = self.store.state()
        st["unreported"] = True
        bootstate.write_state(self.store.state_path, st)


def attach(agent):
    """Builds the OtaSession of an Agent: boot slot, app import, session message hooks."""
    ota = OtaSession(agent)
    ota.boot()
    agent.session.on_message("update_notice", ota.on_update_notice)
    agent.session.on_message("ota_rollback", ota.on_rollback)
    agent.session.on_message("ota_status_ack", ota.on_status_ack)
    return ota
