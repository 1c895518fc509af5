"""OTA rollout on the hub: UpdateNotice to devices batch by batch through their live sessions,
following each device's OtaStatus to confirmed, rolled_back or failed (docs/ota.md, "Rollout").

Every OtaStatus a device sends is recorded in the registry (`jotunheim devices` shows it); the
hub records its own verdicts (device offline, no final status in time) as `failed`."""

import asyncio
import logging

import grpc

from jotunheim._gen import hub_pb2

log = logging.getLogger("jotunheim.hub.rollout")

FINAL_STATES = ("confirmed", "rolled_back", "failed")
DEFAULT_TIMEOUT_MS = 300_000


class RolloutError(Exception):
    """A rollout that cannot start; `status` is the gRPC status to answer with."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class OtaTracker:
    """Records every device OtaStatus and feeds the rollouts waiting for them."""

    def __init__(self, hub):
        self.hub = hub
        self._watchers = []  # asyncio.Queue per running rollout
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


def _progress(device_id, batch, batches, status):
    return hub_pb2.RolloutProgress(device_id=device_id, batch=batch, batches=batches, status=status)


async def run(hub, tracker, request):
    """Async generator of RolloutProgress: every status change, then a final done message."""
    update, batches = plan(hub, request)
    version = update.version
    timeout_s = (request.timeout_ms or DEFAULT_TIMEOUT_MS) / 1000.0
    finals = {}
    q = tracker.watch()
    try:
        for n, batch in enumerate(batches, 1):
            waiting = set()
            for device_id in batch:
                session = hub.router.sessions.get(device_id)
                if session is None:
                    st = tracker.verdict(device_id, version, "device offline")
                    finals[device_id] = st.state
                    yield _progress(device_id, n, len(batches), st)
                    continue
                session.send(
                    hub_pb2.HubMessage(
                        update_notice=hub_pb2.UpdateNotice(version=version, size=update.size)
                    )
                )
                waiting.add(device_id)
                log.info("rollout %s: notified %s (batch %d)", version, device_id, n)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout_s
            while waiting:
                left = deadline - loop.time()
                try:
                    device_id, st = await asyncio.wait_for(q.get(), max(0.0, left))
                except asyncio.TimeoutError:
                    for device_id in sorted(waiting):
                        st = tracker.verdict(
                            device_id,
                            version,
                            "no final status within %d ms" % (timeout_s * 1000),
                        )
                        finals[device_id] = st.state
                        yield _progress(device_id, n, len(batches), st)
                    break
                # Statuses of other devices or versions are not this rollout's (a failure
                # before the manifest was parsed carries no version: it is this one's).
                if device_id not in waiting or st.version not in (version, ""):
                    continue
                yield _progress(device_id, n, len(batches), st)
                if st.state in FINAL_STATES:
                    finals[device_id] = st.state
                    waiting.discard(device_id)
        counts = {s: 0 for s in FINAL_STATES}
        for state in finals.values():
            counts[state] += 1
        summary = ", ".join("%d %s" % (counts[s], s) for s in FINAL_STATES)
        log.info("rollout %s finished: %s", version, summary)
        yield hub_pb2.RolloutProgress(done=True, summary=summary, batches=len(batches))
    finally:
        tracker.unwatch(q)


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
