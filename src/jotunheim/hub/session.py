"""The hub side of DeviceHub.Connect: handshake, capabilities, heartbeats, dead-peer
detection, resume and dispatch of device messages. One DeviceSession per stream; a device
that misbehaves is dropped with a logged reason and the hub keeps serving the others."""

import asyncio
import logging
import secrets
import time
import uuid

import grpc
from google.protobuf.message import DecodeError as ProtoDecodeError

from jotunheim._gen import capability_pb2, hub_pb2
from jotunheim.hub import auth as hub_auth
from jotunheim.hub import registry as reg

log = logging.getLogger("jotunheim.hub.session")

PROTOCOL_VERSION = 1
MAX_DEVICE_MESSAGE = 256 * 1024  # larger device messages are malformed (checked on parse)
_CLOSE = object()


class SessionConfig:
    """Timers of the session protocol (milliseconds); sent to the device in Welcome."""

    def __init__(
        self,
        heartbeat_interval_ms=15000,
        dead_peer_timeout_ms=45000,
        hello_timeout_ms=10000,
        capability_timeout_ms=5000,
        resume_ttl_ms=600_000,
    ):
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.dead_peer_timeout_ms = dead_peer_timeout_ms
        self.hello_timeout_ms = hello_timeout_ms
        self.capability_timeout_ms = capability_timeout_ms
        self.resume_ttl_ms = resume_ttl_ms


class DeviceSession:
    """One device's live stream. `hub` is the server's Hub (registry, router, auth, leader)."""

    def __init__(self, hub, context):
        self.hub = hub
        self.cfg = hub.session_config
        self.context = context
        self.device_id = ""
        self.session_id = ""
        self.out = asyncio.Queue()
        self.last_seen = time.monotonic()
        self.close_status = None
        self.close_reason = ""
        self.closed = False
        self.last_ota_status = None
        self._cap_waiters = []
        self._tasks = []

    # ---- lifecycle -----------------------------------------------------------------------

    async def run(self):
        ctx = self.context
        leader = self.hub.leader
        if not leader.is_leader():
            await self._refuse(
                hub_pb2.Refusal(
                    code="not_leader",
                    reason="this hub follows; connect to the leader",
                    leader_address=leader.leader_address(),
                ),
                grpc.StatusCode.UNAVAILABLE,
            )
            return
        nonce = hub_auth.new_nonce()
        await ctx.write(
            hub_pb2.HubMessage(
                challenge=hub_pb2.Challenge(nonce=nonce, protocol_version=PROTOCOL_VERSION)
            )
        )
        hello = await self._read_hello()
        if hello is None:
            return
        try:
            self.hub.authenticator.verify(hello.device_id, nonce, hello.proof)
        except hub_auth.AuthError as exc:
            log.warning("refused device %r: %s", hello.device_id[:64], exc.code)
            await self._refuse(hub_pb2.Refusal(code=exc.code, reason=exc.reason), exc.status)
            return
        self.device_id = hello.device_id
        try:
            await self._welcome(hello)
            await self._serve()
        finally:
            for task in self._tasks:
                task.cancel()
            self.closed = True
            self.hub.router.detach(self)
            self.hub.streams.session_closed(self)  # its watches end with UNAVAILABLE
            self.hub.registry.touch(self.device_id)
            for fut in self._cap_waiters:
                if not fut.done():
                    fut.set_result(None)
            log.info("device %s disconnected: %s", self.device_id, self.close_reason or "ended")
            self.hub.notify_device_change()
        if self.close_status is not None:
            await ctx.abort(self.close_status, self.close_reason)

    async def _read_hello(self):
        try:
            raw = await asyncio.wait_for(self.context.read(), self.cfg.hello_timeout_ms / 1000.0)
        except asyncio.TimeoutError:
            log.warning("dropped a connection: no hello within %d ms", self.cfg.hello_timeout_ms)
            await self._refuse(
                hub_pb2.Refusal(code="malformed", reason="no hello in time"),
                grpc.StatusCode.DEADLINE_EXCEEDED,
            )
            return None
        except Exception as exc:  # the client went away before saying hello
            log.info("connection closed before hello: %s", type(exc).__name__)
            return None
        if raw is grpc.aio.EOF:
            return None
        msg, why = self._parse(raw)
        if msg is not None and msg.WhichOneof("body") != "hello":
            why = "expected hello, got %s" % (msg.WhichOneof("body") or "an empty message")
        if why:
            log.warning("dropped a connection before hello: %s", why)
            await self._refuse(
                hub_pb2.Refusal(code="malformed", reason=why), grpc.StatusCode.INVALID_ARGUMENT
            )
            return None
        hello = msg.hello
        if hello.protocol_version not in (0, PROTOCOL_VERSION):
            await self._refuse(
                hub_pb2.Refusal(
                    code="unsupported_protocol",
                    reason="hub speaks protocol %d" % PROTOCOL_VERSION,
                ),
                grpc.StatusCode.FAILED_PRECONDITION,
            )
            return None
        return hello

    async def _refuse(self, refusal, status):
        await self.context.write(hub_pb2.HubMessage(refusal=refusal))
        await self.context.abort(status, "%s: %s" % (refusal.code, refusal.reason))

    async def _welcome(self, hello):
        hub = self.hub
        resumed_id = hub.registry.check_resume(self.device_id, hello.resume_token)
        resumed = resumed_id is not None
        self.session_id = resumed_id or uuid.uuid4().hex
        token = secrets.token_urlsafe(24)  # rotated on every connect
        hub.registry.set_resume(self.device_id, self.session_id, token, self.cfg.resume_ttl_ms)
        hub.registry.record_hello(self.device_id, hello.firmware_version, hello.runtime)
        acked, resend = hub.router.start_session(
            self.device_id, resumed, list(hello.pending_results)
        )
        await self.context.write(
            hub_pb2.HubMessage(
                welcome=hub_pb2.Welcome(
                    session_id=self.session_id,
                    resume_token=token,
                    resumed=resumed,
                    heartbeat_interval_ms=self.cfg.heartbeat_interval_ms,
                    dead_peer_timeout_ms=self.cfg.dead_peer_timeout_ms,
                    server_time_ms=reg.now_ms(),
                    acked_results=acked,
                    ota_status_acks=True,
                )
            )
        )
        hub.router.attach(self)
        log.info(
            "device %s connected (%s, session %s%s)",
            self.device_id,
            hello.runtime or "?",
            self.session_id[:8],
            ", resumed" if resumed else "",
        )
        for rec in resend:
            self.send_command(
                rec.command_id, rec.tool, rec.args_json, rec.deadline_at_ms - reg.now_ms()
            )
        cached = hub.registry.capabilities(self.device_id)
        if not resumed or cached is None or not cached[2]:
            self._tasks.append(asyncio.ensure_future(self._initial_capabilities()))
        hub.notify_device_change()

    async def _serve(self):
        self._tasks.append(asyncio.ensure_future(self._reader()))
        self._tasks.append(asyncio.ensure_future(self._ticker()))
        while True:
            item = await self.out.get()
            if item is _CLOSE:
                return
            try:
                await self.context.write(item)
            except Exception as exc:  # the stream is gone (cancelled, reset)
                self._set_close(None, "write failed: %s" % type(exc).__name__)
                return

    def close(self, status, reason):
        """Drop the session; the stream ends with `status` (None: a normal end)."""
        if self._set_close(status, reason):
            self.out.put_nowait(_CLOSE)

    def _set_close(self, status, reason):
        if self.close_reason:
            return False
        self.close_status = status
        self.close_reason = reason
        if status is not None:
            log.warning("dropping device %s: %s", self.device_id, reason)
        return True

    # ---- outbound ------------------------------------------------------------------------

    def send(self, msg):
        if not self.closed and not self.close_reason:
            self.out.put_nowait(msg)

    def send_command(self, command_id, tool, args_json, deadline_ms):
        self.send(
            hub_pb2.HubMessage(
                command=hub_pb2.Command(
                    command_id=command_id,
                    tool=tool,
                    args_json=args_json,
                    deadline_ms=max(1, int(deadline_ms)),
                )
            )
        )

    async def request_capabilities(self, timeout_ms=None):
        """Ask the device for its capabilities; the JotunheimCapabilities or None on timeout."""
        if self.closed or self.close_reason:
            return None
        fut = asyncio.get_running_loop().create_future()
        self._cap_waiters.append(fut)
        self.send(hub_pb2.HubMessage(capability_request=capability_pb2.CapabilityRequest()))
        timeout_ms = self.cfg.capability_timeout_ms if timeout_ms is None else timeout_ms
        try:
            return await asyncio.wait_for(asyncio.shield(fut), timeout_ms / 1000.0)
        except asyncio.TimeoutError:
            return None
        finally:
            if fut in self._cap_waiters:
                self._cap_waiters.remove(fut)

    async def _initial_capabilities(self):
        caps = await self.request_capabilities()
        if caps is None and not self.closed:
            self.close(
                grpc.StatusCode.DEADLINE_EXCEEDED,
                "no capability response within %d ms" % self.cfg.capability_timeout_ms,
            )

    # ---- inbound -------------------------------------------------------------------------

    def _parse(self, raw):
        """(DeviceMessage, None) or (None, reason)."""
        if not isinstance(raw, bytes):
            return None, "unexpected frame type"
        if len(raw) > MAX_DEVICE_MESSAGE:
            return None, "DeviceMessage of %d bytes exceeds %d" % (len(raw), MAX_DEVICE_MESSAGE)
        try:
            return hub_pb2.DeviceMessage.FromString(raw), None
        except (ProtoDecodeError, RuntimeError, ValueError) as exc:
            return None, "malformed DeviceMessage (%d bytes): %s" % (len(raw), exc)

    async def _reader(self):
        try:
            while True:
                raw = await self.context.read()
                if raw is grpc.aio.EOF:
                    self.close(None, "device ended the stream")
                    return
                msg, why = self._parse(raw)
                kind = msg.WhichOneof("body") if msg is not None else None
                handler = getattr(self, "_handle_" + kind, None) if kind else None
                if handler is None:
                    self.close(grpc.StatusCode.INVALID_ARGUMENT, why or "empty DeviceMessage")
                    return
                self.last_seen = time.monotonic()
                try:
                    handler(getattr(msg, kind))
                except Exception:  # our bug or a registry failure: drop this device only
                    log.exception("device %s: handling %s failed", self.device_id, kind)
                    self.close(grpc.StatusCode.INTERNAL, "hub failed to handle " + kind)
                    return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the transport failed under us
            self.close(None, "stream error: %s" % type(exc).__name__)

    def _handle_hello(self, hello):
        self.close(grpc.StatusCode.INVALID_ARGUMENT, "unexpected hello after welcome")

    def _handle_capabilities(self, resp):
        caps = resp.capabilities
        if caps.device_id and caps.device_id != self.device_id:
            self.close(
                grpc.StatusCode.INVALID_ARGUMENT,
                "capabilities name device %r" % caps.device_id[:64],
            )
            return
        caps.device_id = self.device_id
        self.hub.registry.store_capabilities(self.device_id, caps)
        for fut in self._cap_waiters:
            if not fut.done():
                fut.set_result(caps)
        self.hub.notify_device_change()

    def _handle_capability_update(self, event):
        # An event carrying capabilities replaces the cache; one without only invalidates it,
        # so the next reader asks the device again.
        if event.event_type in ("connected", "updated") and event.HasField("capabilities"):
            self._handle_capabilities(
                capability_pb2.CapabilityResponse(capabilities=event.capabilities)
            )
        else:
            self.hub.registry.invalidate_capabilities(self.device_id)
            self.hub.notify_device_change()
        log.info("device %s: capability event %r", self.device_id, event.event_type[:32])

    def _handle_command_result(self, res):
        if not res.command_id:
            self.close(grpc.StatusCode.INVALID_ARGUMENT, "command_result without command_id")
            return
        self.hub.router.on_result(self.device_id, res, self)

    def ack_results(self, command_ids):
        """Tell the device these results are in the hub's log (router.flush_results)."""
        self.send(hub_pb2.HubMessage(result_ack=hub_pb2.ResultAck(command_ids=command_ids)))

    def _handle_heartbeat(self, hb):
        self.hub.registry.touch(self.device_id, hb)

    def _handle_stream_data(self, data):
        self.hub.streams.on_data(self, data)  # to its watcher (hub/streams.py)

    def _handle_ota_status(self, status):
        # Revision 4: a status with a seq is acknowledged once recorded. The device sends
        # again, after a reconnect, every status it saw no ack for: a seq this session (kept
        # across resumes and hub restarts; a rebooted device starts a new one) already
        # recorded is only acked. The registry remembers it, so a hub restart does too.
        registry = self.hub.registry
        seen = registry.ota_seen(self.device_id) if status.seq else None
        again = seen is not None and seen[0] == self.session_id and status.seq <= seen[1]
        if not again:
            self.last_ota_status = status
            for callback in self.hub.ota_status_listeners:
                callback(self.device_id, status)
            if status.seq:
                registry.record_ota_seen(self.device_id, self.session_id, status.seq)
        if status.seq:
            self.send(hub_pb2.HubMessage(ota_status_ack=hub_pb2.OtaStatusAck(seq=status.seq)))

    def _handle_pong(self, pong):
        pass  # last_seen is already updated

    # ---- timers --------------------------------------------------------------------------

    async def _ticker(self):
        """Pings the device (so it can detect a dead hub) and drops it when silent too long."""
        interval = self.cfg.heartbeat_interval_ms / 1000.0
        nonce = 0
        while True:
            await asyncio.sleep(min(interval, self.cfg.dead_peer_timeout_ms / 4000.0))
            silent_ms = (time.monotonic() - self.last_seen) * 1000
            if silent_ms > self.cfg.dead_peer_timeout_ms:
                self.close(grpc.StatusCode.UNAVAILABLE, "dead peer: silent for %d ms" % silent_ms)
                return
            nonce += 1
            self.send(hub_pb2.HubMessage(ping=hub_pb2.Ping(nonce=nonce)))
            self.hub.registry.extend_resume(self.device_id, self.cfg.resume_ttl_ms)
