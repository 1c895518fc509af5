"""OTA rollout on the hub: UpdateNotice to devices batch by batch through their live sessions,
following each device's OtaStatus to confirmed, rolled_back or failed (docs/ota.md, "Rollout").

Every OtaStatus a device sends is recorded in the registry (`jotunheim devices` shows it); the
hub records its own verdicts (device offline, no final status in time) as `failed`. A rollout's
plan and progress live in the registry: it runs on without its caller and a restarted hub
resumes it. It stops before the next batch once more than `max_failures` devices failed or
rolled back (docs/hub.md, "Rollouts")."""

import asyncio
import logging
import uuid

import grpc

from jotunheim._gen import hub_pb2
from jotunheim.hub.errors import StatusError

log = logging.getLogger("jotunheim.hub.rollout")

FINAL_STATES = ("confirmed", "rolled_back", "failed")
DEFAULT_TIMEOUT_MS = 300_000
MAX_FAILURES_KEY = "x-jotunheim-max-failures"  # Rollout call metadata; absent = 0
NOTIFY_RETRY_S = 0.2  # a resumed batch checks this often whether its offline devices are back


class RolloutError(StatusError):
    """A rollout that cannot start; `status` is the gRPC status to answer with."""


class OtaTracker:
    """Records every device OtaStatus, feeds the rollouts waiting for them and owns the
    running rollouts (tasks that outlive the call that started them)."""

    def __init__(self, hub):
        self.hub = hub
        self._watchers = []  # asyncio.Queue per running rollout
        self._tasks = set()
        hub.ota_status_listeners.append(self.on_status)

    def on_status(self, device_id, status):
        self.hub.registry.record_ota_status(device_id, status)
        log.info(
            "device %s: ota %s %s %d/%d %s", device_id, status.version[:32], status.state[:16],
            status.progress_bytes, status.total_bytes, status.reason[:200],
        )  # fmt: skip
        for q in self._watchers:
            q.put_nowait((device_id, status))

    def verdict(self, device_id, version, reason):
        """The hub's own final word on a device (recorded like a device status)."""
        info = self.hub.registry.device_info(device_id)
        status = hub_pb2.OtaStatus(
            version=version,
            state="failed",
            reason=reason,
            running_version=info.firmware_version if info is not None else "",
        )
        self.on_status(device_id, status)
        return status

    def watch(self):
        q = asyncio.Queue()
        self._watchers.append(q)
        return q

    def unwatch(self, q):
        if q in self._watchers:
            self._watchers.remove(q)

    def start(self, request, max_failures=0):
        """Plan and start a rollout (RolloutError when impossible); returns the queue its
        RolloutProgress messages are put on, the final one with done set."""
        update, batches = plan(self.hub, request)
        timeout_ms = request.timeout_ms or DEFAULT_TIMEOUT_MS
        ro = Rollout(self, uuid.uuid4().hex, update, batches, timeout_ms, max_failures)
        self.hub.registry.create_rollout(
            ro.rollout_id, update.version, batches, timeout_ms, max_failures
        )
        q = asyncio.Queue()
        ro.subscribers.append(q)
        self._spawn(ro)
        return q

    def resume(self):
        """Carry on every rollout a previous run of this hub left unfinished."""
        from jotunheim.ota.store import UpdateStore

        for row in self.hub.registry.rollouts(state="running"):
            update = UpdateStore(self.hub.data_dir).get(row["version"])
            if update is None:
                self.hub.registry.update_rollout(
                    row["rollout_id"], row["batch"], row["finals"], "stopped",
                    "update %s is no longer published" % row["version"],
                )  # fmt: skip
                continue
            ro = Rollout(
                self, row["rollout_id"], update, row["batches"], row["timeout_ms"],
                row["max_failures"], row["batch"], row["finals"],
            )  # fmt: skip
            log.info("rollout %s: resumed at batch %d", update.version, max(1, row["batch"]))
            self._spawn(ro)

    def _spawn(self, ro):
        task = asyncio.ensure_future(ro.drive())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def stop(self):
        """Hub shutdown: running rollouts stop here and resume at the next start."""
        for task in list(self._tasks):
            task.cancel()


def plan(hub, request):
    """(update, [[device_id, ...], ...]) for a RolloutRequest; RolloutError when impossible."""
    from jotunheim.ota.store import UpdateStore

    if not request.version:
        raise RolloutError(grpc.StatusCode.INVALID_ARGUMENT, "version: required")
    update = UpdateStore(hub.data_dir).get(request.version)
    if update is None:
        raise RolloutError(
            grpc.StatusCode.NOT_FOUND,
            "version %r: not published (jotunheim ota publish)" % request.version,
        )
    known = {i.device_id: i for i in hub.registry.device_infos()}
    if request.all:
        devices = sorted(d for d, i in known.items() if not i.revoked)
    else:
        devices = []
        for d in request.device_ids:
            if d not in known:
                raise RolloutError(grpc.StatusCode.NOT_FOUND, "device %r: unknown" % d[:64])
            if d not in devices:
                devices.append(d)
    if not devices:
        raise RolloutError(grpc.StatusCode.INVALID_ARGUMENT, "no devices to update")
    size = request.batch_size or len(devices)
    return update, [devices[i : i + size] for i in range(0, len(devices), size)]


class Rollout:
    """One rollout's driver; `batch` and `finals` are its persisted progress (resume)."""

    def __init__(self, tracker, rollout_id, update, batches, timeout_ms, max_failures,
                 batch=0, finals=None):  # fmt: skip
        self.tracker = tracker
        self.hub = tracker.hub
        self.rollout_id = rollout_id
        self.update = update
        self.version = update.version
        self.batches = batches
        self.timeout_s = timeout_ms / 1000.0
        self.max_failures = max_failures
        self.batch = batch
        self.finals = dict(finals or {})
        self.subscribers = []  # queues of the callers streaming this rollout's progress

    def _emit(self, progress):
        for q in self.subscribers:
            q.put_nowait(progress)

    def _save(self, state="running", summary=""):
        self.hub.registry.update_rollout(self.rollout_id, self.batch, self.finals, state, summary)

    def _final(self, device_id, n, status):
        self.finals[device_id] = status.state
        self._save()
        self._emit(_progress(device_id, n, len(self.batches), status))

    def _notify(self, device_id, n):
        session = self.hub.router.sessions.get(device_id)
        if session is None:
            return False
        session.send(
            hub_pb2.HubMessage(
                update_notice=hub_pb2.UpdateNotice(version=self.version, size=self.update.size)
            )
        )
        log.info("rollout %s: notified %s (batch %d)", self.version, device_id, n)
        return True

    async def drive(self):
        try:
            await self._drive()
        except asyncio.CancelledError:
            raise  # hub shutdown: the registry keeps the progress for the next start
        except Exception:
            log.exception("rollout %s failed", self.version)
            self._save("failed", "hub error")
            self._emit(hub_pb2.RolloutProgress(done=True, summary="hub error",
                                               batches=len(self.batches)))  # fmt: skip

    async def _drive(self):
        q = self.tracker.watch()
        stopped = ""
        try:
            for n in range(max(1, self.batch), len(self.batches) + 1):
                await self._run_batch(n, q, resumed=(n == self.batch))
                failures = sum(1 for s in self.finals.values() if s != "confirmed")
                if failures > self.max_failures and n < len(self.batches):
                    left = sum(len(b) for b in self.batches[n:])
                    stopped = "; stopped after batch %d of %d: %d failed > max %d, %d not sent" % (
                        n, len(self.batches), failures, self.max_failures, left)  # fmt: skip
                    break
        finally:
            self.tracker.unwatch(q)
        counts = {s: 0 for s in FINAL_STATES}
        for state in self.finals.values():
            counts[state] += 1
        summary = ", ".join("%d %s" % (counts[s], s) for s in FINAL_STATES) + stopped
        self._save("stopped" if stopped else "done", summary)
        log.info("rollout %s finished: %s", self.version, summary)
        self._emit(hub_pb2.RolloutProgress(done=True, summary=summary, batches=len(self.batches)))

    async def _run_batch(self, n, q, resumed):
        """Notify batch n and follow it to a final status per device. A resumed batch (its
        notices may be out already) takes each device's recorded status for this version as
        where it stands, and waits for offline devices to come back instead of failing them."""
        self.batch = n
        self._save()  # before the notices: a restart re-checks this batch
        total = len(self.batches)
        waiting, unsent = set(), set()
        for device_id in self.batches[n - 1]:
            if device_id in self.finals:
                continue
            last = self.hub.registry.ota_status(device_id) if resumed else None
            if last is not None and last.version == self.version:
                if last.state in FINAL_STATES:
                    self._final(device_id, n, last)
                else:
                    waiting.add(device_id)
                continue
            if self._notify(device_id, n):
                waiting.add(device_id)
            elif resumed:
                waiting.add(device_id)
                unsent.add(device_id)
            else:
                self._final(device_id, n, self.tracker.verdict(device_id, self.version,
                                                                "device offline"))  # fmt: skip
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_s
        while waiting:
            left = deadline - loop.time()
            if left <= 0:
                for device_id in sorted(waiting):
                    reason = "no final status within %d ms" % (self.timeout_s * 1000)
                    if device_id in unsent:
                        reason = "device offline"
                    self._final(device_id, n, self.tracker.verdict(device_id, self.version,
                                                                    reason))  # fmt: skip
                return
            try:
                wait = min(left, NOTIFY_RETRY_S) if unsent else left
                device_id, st = await asyncio.wait_for(q.get(), wait)
            except asyncio.TimeoutError:
                for device_id in sorted(unsent):
                    if self._notify(device_id, n):
                        unsent.discard(device_id)
                continue
            # Statuses of other devices or versions are not this rollout's (a failure
            # before the manifest was parsed carries no version: it is this one's).
            if device_id not in waiting or st.version not in (self.version, ""):
                continue
            unsent.discard(device_id)
            if st.state in FINAL_STATES:
                waiting.discard(device_id)
                self._final(device_id, n, st)
            else:
                self._emit(_progress(device_id, n, total, st))


def _progress(device_id, batch, batches, status):
    return hub_pb2.RolloutProgress(device_id=device_id, batch=batch, batches=batches, status=status)


def rollback(hub, request):
    """Sends OtaRollback to an online device; RolloutError otherwise."""
    if hub.registry.device_key(request.device_id) is None:
        raise RolloutError(grpc.StatusCode.NOT_FOUND, "device %r: unknown" % request.device_id)
    session = hub.router.sessions.get(request.device_id)
    if session is None:
        raise RolloutError(grpc.StatusCode.UNAVAILABLE, "device %r: offline" % request.device_id)
    reason = request.reason[:200] or "manual rollback"
    session.send(hub_pb2.HubMessage(ota_rollback=hub_pb2.OtaRollback(reason=reason)))
    log.info("sent a manual rollback to %s", request.device_id)
    return hub_pb2.RollbackResponse(sent=True)
