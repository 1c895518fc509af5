"""Command routing: ids, deadlines, offline fail-fast or wait, and exactly-once results.

A command is logged before it is sent, re-sent only on a *resumed* session (the device still
remembers the ids it ran, so it applies each at most once), and its result is recorded the
first time it arrives; later copies are acknowledged and ignored."""

import asyncio
import json
import logging
import time
import uuid

import grpc

from jotunheim.hub import registry as reg
from jotunheim.hub.errors import StatusError

log = logging.getLogger("jotunheim.hub.router")

DEFAULT_TIMEOUT_S = 10.0  # when the caller sets no gRPC deadline
MAX_WAIT_MS = 600_000  # longest an operator may ask a command to wait for an offline device
MAX_ARGS_SIZE = 64 * 1024
COMMAND_ID_MAX = 128
# Device results are written to the log in batches, FLUSH_DELAY_S after the first unwritten
# one (at once when FLUSH_BATCH wait), off the caller's round trip. Safe because a device
# keeps each result until the hub acknowledges it, and the ack is sent only after the write:
# a hub that dies before writing gets the result again when the device reconnects.
FLUSH_DELAY_S = 0.002
FLUSH_BATCH = 16

# capability.proto parameter types -> the JSON types they accept (bool is not a number).
_TYPE_CHECKS = {
    "String": lambda v: isinstance(v, str),
    "Number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "Boolean": lambda v: isinstance(v, bool),
    "Object": lambda v: isinstance(v, dict),
    "Array": lambda v: isinstance(v, list),
}


class CommandError(StatusError):
    """A command the hub could not deliver or complete; carries the gRPC status to return."""


class Outcome:
    """What the caller gets back: the device's result, or the hub's recorded failure.
    `rec` is a CommandRecord, or the device's CommandResult just recorded (the hot path:
    no read back from the log)."""

    def __init__(self, rec, rtt_ms):
        self.command_id = rec.command_id
        self.success = bool(rec.success)
        self.result = bytes(rec.result)
        self.error_code = rec.error_code
        self.error_message = rec.error_message
        self.duration_us = rec.duration_us
        self.from_device = getattr(rec, "recorded_count", 1) > 0
        self.rtt_ms = rtt_ms


def tool_index(caps):
    """{tool name: {parameter name: ParameterDefinition}} of a capabilities message."""
    return {t.name: {p.name: p for p in t.parameters} for t in caps.tools}


def validate_args(caps, tool, args_json, index=None):
    """Parse args_json and check it against the tool's declared parameters; returns the
    canonical JSON. `index` is tool_index(caps) when the caller keeps one. Raises
    CommandError(INVALID_ARGUMENT / NOT_FOUND)."""
    bad = grpc.StatusCode.INVALID_ARGUMENT
    if len(args_json) > MAX_ARGS_SIZE:
        raise CommandError(bad, "parameters: larger than %d bytes" % MAX_ARGS_SIZE)
    try:
        args = json.loads(args_json) if args_json.strip() else {}
    except ValueError as exc:
        raise CommandError(bad, "parameters: not valid JSON (%s)" % exc) from None
    if not isinstance(args, dict):
        raise CommandError(bad, "parameters: expected a JSON object")
    if caps is not None:
        if index is None:
            index = tool_index(caps)
        params = index.get(tool)
        if params is None:
            raise CommandError(
                grpc.StatusCode.NOT_FOUND,
                "tool %r: not declared by device %s" % (tool, caps.device_id),
            )
        for name, value in args.items():
            if name not in params:
                raise CommandError(bad, "parameter %r: not declared by tool %s" % (name, tool))
            check = _TYPE_CHECKS.get(params[name].type)
            if check is not None and not check(value):
                raise CommandError(bad, "parameter %r: expected %s" % (name, params[name].type))
        for p in params.values():
            if p.required and p.name not in args:
                raise CommandError(bad, "parameter %r: required by tool %s" % (p.name, tool))
    return json.dumps(args, separators=(",", ":"))


class CommandRouter:
    """Routes commands to live sessions and records their results (one per hub)."""

    def __init__(self, registry):
        self.registry = registry
        self.sessions = {}  # device_id -> live DeviceSession (on the leader)
        self._done = {}  # command_id -> Future set when the command completes
        self._owner = {}  # command_id -> device_id, for the commands in _done
        self._unwritten = []  # (device_id, CommandResult, session) not yet in the log
        self._flush_timer = None
        self._online = {}  # device_id -> Event set while a session is attached
        self.last_disconnect = {}  # device_id -> (grpc status or None, reason) of the last drop
        self._tools = {}  # device_id -> (capabilities message, tool_index of it)
        # A command still queued in the log was never sent: its caller went with the last
        # run of the hub, and nobody will send it now. Its outcome is certain: not run.
        registry.fail_queued("hub restarted before sending it; not run")

    # ---- sessions ------------------------------------------------------------------------

    def _event(self, device_id):
        ev = self._online.get(device_id)
        if ev is None:
            ev = self._online[device_id] = asyncio.Event()
        return ev

    def attach(self, session):
        old = self.sessions.get(session.device_id)
        if old is not None and old is not session:
            old.close(grpc.StatusCode.UNAVAILABLE, "superseded by a new session")
        self.sessions[session.device_id] = session
        self._event(session.device_id).set()

    def detach(self, session):
        self.last_disconnect[session.device_id] = (session.close_status, session.close_reason)
        if self.sessions.get(session.device_id) is session:
            del self.sessions[session.device_id]
            self._event(session.device_id).clear()

    def close_all(self, status, reason):
        for session in list(self.sessions.values()):
            session.close(status, reason)

    def start_session(self, device_id, resumed, pending_results):
        """Reconcile the command log with a new session. Returns (acked, resend): the pending
        results the hub already holds, and the commands to send again (resumed sessions only)."""
        self.flush_results()
        acked = self.registry.results_held(device_id, pending_results)
        pending = set(pending_results)
        resend = []
        now = reg.now_ms()
        for rec in self.registry.in_flight(device_id):
            if rec.command_id in pending:
                continue  # the device re-sends its result
            if rec.deadline_at_ms <= now:
                self.fail(rec.command_id, "DEADLINE_EXCEEDED", "deadline passed while offline")
            elif rec.origin_hub:
                # Logged by another hub (copied, hub.proto rev 5): that hub may have recorded
                # and acknowledged its result after our copy, and the device forgets a result
                # once acknowledged, so sending it again could apply it twice. A result the
                # device still brings replaces this failure.
                self.fail(rec.command_id, "UNAVAILABLE", "leader changed; outcome unknown")
            elif resumed:
                resend.append(rec)
            else:
                # A fresh session means the device lost its memory of applied ids: sending
                # again could apply the command twice, so its outcome stays unknown.
                self.fail(rec.command_id, "UNAVAILABLE", "device restarted; outcome unknown")
        return acked, resend

    # ---- results -------------------------------------------------------------------------

    def on_result(self, device_id, res, session=None):
        """A CommandResult from the device: its waiting caller gets it now; it is written to
        the log (exactly once) and acknowledged to `session` by the next flush_results()."""
        cid = res.command_id
        if self._owner.get(cid) == device_id:  # in flight: the first copy of its result
            self._complete(cid, res)
        self._unwritten.append((device_id, res, session))
        if len(self._unwritten) >= FLUSH_BATCH:
            self.flush_results()
        elif self._flush_timer is None:
            self._flush_timer = asyncio.get_running_loop().call_later(
                FLUSH_DELAY_S, self.flush_results
            )

    def flush_results(self):
        """Write the unwritten results in one transaction, then acknowledge every copy, first
        or duplicate, so the devices can forget them."""
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        if not self._unwritten:
            return
        batch, self._unwritten = self._unwritten, []
        try:
            firsts = self.registry.record_results([(d, r) for d, r, _ in batch])
        except Exception:  # the log failed: unacked, so the devices send them again
            log.exception("recording %d device results failed", len(batch))
            for session in {s for _, _, s in batch if s is not None}:
                session.close(grpc.StatusCode.INTERNAL, "hub failed to record results")
            return
        acks = {}
        for (device_id, res, session), first in zip(batch, firsts, strict=True):
            if first:
                self._complete(res.command_id, res)  # callers that rejoined meanwhile
            else:
                log.info("device %s: duplicate or unknown result %s ignored", device_id,
                         res.command_id[:COMMAND_ID_MAX])  # fmt: skip
            if session is not None:
                acks.setdefault(session, []).append(res.command_id)
        for session, ids in acks.items():
            session.ack_results(ids)

    def adopted(self, command_ids):
        """Rows copied from a peer (hub.proto rev 5) finished these commands: callers that
        wait here read the outcome from the log now."""
        for command_id in command_ids:
            self._complete(command_id)

    def waiting(self):
        """Ids of the commands a caller of this hub waits on."""
        return set(self._done)

    def fail(self, command_id, code, message):
        self.registry.fail_command(command_id, code, message)
        self._complete(command_id)

    def _complete(self, command_id, res=None):
        """Wake the callers of a finished command: with the recorded CommandResult, or None
        when the hub failed it (they read the failure from the log)."""
        fut = self._done.pop(command_id, None)
        self._owner.pop(command_id, None)
        if fut is not None and not fut.done():
            fut.set_result(res)

    # ---- calls ---------------------------------------------------------------------------

    def _validate(self, device_id, tool, args_json):
        cached = self.registry.capabilities(device_id)
        if cached is None:
            return validate_args(None, tool, args_json)
        caps = cached[0]
        entry = self._tools.get(device_id)
        if entry is None or entry[0] is not caps:  # new capabilities: index them once
            entry = self._tools[device_id] = (caps, tool_index(caps))
        return validate_args(caps, tool, args_json, entry[1])

    async def call(self, device_id, tool, args_json, timeout_s=None, wait_ms=0, command_id=""):
        """Run `tool` on the device and return an Outcome. Raises CommandError for hub-level
        failures: NOT_FOUND, INVALID_ARGUMENT, FAILED_PRECONDITION, UNAVAILABLE (offline and
        not waiting, or still offline after wait_ms), DEADLINE_EXCEEDED."""
        start = time.monotonic()
        key = self.registry.device_key(device_id)
        if key is None:
            raise CommandError(grpc.StatusCode.NOT_FOUND, "device %r: unknown" % device_id)
        if key[1]:
            raise CommandError(
                grpc.StatusCode.FAILED_PRECONDITION, "device %r: revoked" % device_id
            )
        if not tool:
            raise CommandError(grpc.StatusCode.INVALID_ARGUMENT, "tool: empty")
        args_json = self._validate(device_id, tool, args_json)
        wait_ms = max(0, min(int(wait_ms), MAX_WAIT_MS))
        timeout_s = DEFAULT_TIMEOUT_S if timeout_s is None else max(0.001, timeout_s)
        # Answer a little before the caller's own deadline so it gets our status, not its own.
        margin_s = min(0.2 * timeout_s, 0.25)
        budget_s = timeout_s - margin_s
        if len(command_id) > COMMAND_ID_MAX:
            raise CommandError(grpc.StatusCode.INVALID_ARGUMENT, "command id: too long")
        if command_id:
            rec = self.registry.command(command_id)
            if rec is not None:
                return await self._rejoin(rec, device_id, start, budget_s)
        else:
            command_id = uuid.uuid4().hex
        deadline_at = reg.now_ms() + int(budget_s * 1000)
        session = self.sessions.get(device_id)
        # Logged before it is sent; straight as `sent` when the device is online (one write).
        self.registry.add_command(
            command_id, device_id, tool, args_json, deadline_at, reg.QUEUED if session is None
            else reg.SENT,
        )  # fmt: skip
        loop = asyncio.get_running_loop()
        fut = self._done[command_id] = loop.create_future()
        self._owner[command_id] = device_id
        if session is None:
            try:
                session = await self._wait_online(device_id, command_id, wait_ms, budget_s)
            except asyncio.CancelledError:  # the caller went away: it will not be sent
                self.fail(command_id, "UNAVAILABLE", "caller went away before sending it; not run")
                raise
            if reg.now_ms() < deadline_at and not self.registry.mark_sent(command_id):
                # No longer queued: a peer's copy of the log finished it meanwhile (a hub
                # that led while this one did not failed it as not run). Never send it now.
                return self._outcome(command_id, start)
        remaining_ms = deadline_at - reg.now_ms()
        if remaining_ms <= 0:
            self.fail(command_id, "DEADLINE_EXCEEDED", "deadline passed before sending")
            return self._outcome(command_id, start)
        session.send_command(command_id, tool, args_json, remaining_ms)
        # A timer, not wait_for: the common case (a result in time) costs one cancel.
        timer = loop.call_later(
            remaining_ms / 1000.0 + margin_s / 2,
            self.fail,
            command_id,
            "DEADLINE_EXCEEDED",
            "no result before the deadline",
        )
        try:
            # Shielded: a caller that goes away must not cancel the future other callers
            # (retries by command id) wait on; it stays until the command finishes.
            res = await asyncio.shield(fut)
        finally:
            timer.cancel()
        if res is not None:
            return Outcome(res, (time.monotonic() - start) * 1000.0)
        return self._outcome(command_id, start)

    async def _wait_online(self, device_id, command_id, wait_ms, budget_s):
        if wait_ms <= 0:
            self.fail(command_id, "UNAVAILABLE", "device offline")
            raise CommandError(grpc.StatusCode.UNAVAILABLE, "device %r: offline" % device_id)
        try:
            await asyncio.wait_for(self._event(device_id).wait(), min(wait_ms / 1000.0, budget_s))
        except asyncio.TimeoutError:
            self.fail(command_id, "UNAVAILABLE", "device offline after waiting")
            raise CommandError(
                grpc.StatusCode.UNAVAILABLE,
                "device %r: still offline after %d ms" % (device_id, wait_ms),
            ) from None
        session = self.sessions.get(device_id)
        if session is None:  # attached and gone again in between
            self.fail(command_id, "UNAVAILABLE", "device offline")
            raise CommandError(grpc.StatusCode.UNAVAILABLE, "device %r: offline" % device_id)
        return session

    async def _rejoin(self, rec, device_id, start, budget_s):
        """A caller retried with a known command id: never send it again, report its outcome
        (waiting for it while it is still in flight, up to its own deadline or the caller's,
        whichever comes first — also when the caller that sent it went with a hub restart)."""
        if rec.device_id != device_id:
            raise CommandError(
                grpc.StatusCode.INVALID_ARGUMENT, "command id: already used for another device"
            )
        if rec.state in (reg.QUEUED, reg.SENT) and self._unwritten:
            self.flush_results()  # its result may be here, not yet in the log
            rec = self.registry.command(rec.command_id)
        if rec.state in (reg.QUEUED, reg.SENT):
            fut = self._done.get(rec.command_id)
            if fut is None:  # its first caller is gone (hub restart): wait here instead
                fut = self._done[rec.command_id] = asyncio.get_running_loop().create_future()
                self._owner[rec.command_id] = device_id
            left_s = (rec.deadline_at_ms - reg.now_ms()) / 1000.0
            try:
                res = await asyncio.wait_for(asyncio.shield(fut), max(0.0, min(budget_s, left_s)))
                if res is not None:  # the device's result (maybe not yet in the log)
                    return Outcome(res, (time.monotonic() - start) * 1000.0)
            except asyncio.TimeoutError:
                if left_s <= budget_s:  # the command's own deadline passed: it is over
                    self.fail(rec.command_id, "DEADLINE_EXCEEDED", "no result before the deadline")
                else:
                    raise CommandError(
                        grpc.StatusCode.DEADLINE_EXCEEDED, "command still in flight"
                    ) from None
        return self._outcome(rec.command_id, start)

    def _outcome(self, command_id, start):
        rec = self.registry.command(command_id)
        rtt_ms = (time.monotonic() - start) * 1000.0
        if rec.state == reg.FAILED and rec.recorded_count == 0:
            status = {
                "UNAVAILABLE": grpc.StatusCode.UNAVAILABLE,
                "DEADLINE_EXCEEDED": grpc.StatusCode.DEADLINE_EXCEEDED,
            }.get(rec.error_code, grpc.StatusCode.INTERNAL)
            raise CommandError(status, "command %s: %s" % (command_id, rec.error_message))
        if rec.state in (reg.QUEUED, reg.SENT):
            raise CommandError(grpc.StatusCode.DEADLINE_EXCEEDED, "command still in flight")
        return Outcome(rec, rtt_ms)
