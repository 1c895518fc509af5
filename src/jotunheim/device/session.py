"""The device end of DeviceHub.Connect: dial the hub, prove the device key, then serve the
hub's capability requests, commands and pings over one bidi stream, with heartbeats,
dead-peer detection and reconnects (full-jitter backoff, resume token) - hub.proto header."""

import asyncio
import gc

from jotunheim.compat import IS_MICROPYTHON, ticks_diff, ticks_ms, unload
from jotunheim.errors import JotunheimError

# The session's own failures are JotunheimErrors, not exception classes of their own
# (a class costs ~0.2 KB of heap even with the code in ROMFS, and nothing outside the session
# catches them apart from other failures): a hub that breaks the session protocol (a message
# not allowed at that point) gets one whose text says "hub protocol violation", and the hub's
# Refusal of a Hello raises one with the attributes `refusal` (the hub.proto Refusal code) and
# `leader_address` (the hub to dial instead, not_leader), made by session_connect.refused(),
# to which _connect adds `delay_ms` (the wait before the next attempt, None: the usual
# backoff).


class DeviceSession:
    """`await run()` keeps the device connected until `stop()`; see the module docstring."""

    def __init__(
        self, settings, negotiator, handler, propagator=None, monitor=None, logger=None,
        channel_factory=None, rng=None,
    ):  # fmt: skip
        # Reading the settings runs once: session_connect holds that code (as it holds the
        # per-connection handshake) and is dropped again on MicroPython, so the running
        # session does not keep it. Every attribute is set there (session_connect.setup).
        from jotunheim.device import session_connect

        try:
            session_connect.setup(
                self, settings, negotiator, handler, propagator, monitor, logger,
                channel_factory, rng,
            )  # fmt: skip
        finally:
            if IS_MICROPYTHON:
                unload("jotunheim.device.session_connect")

    # Unacknowledged results kept for re-sending: CommandHandler keeps 16 results for
    # idempotency, so more than twice that pending means the hub is not acknowledging at all.
    max_pending = 32
    # Class defaults for what a connected device seldom or never changes: an attribute
    # takes a slot in the instance's dict only once it is set (the dict grows in steps of
    # ~5 slots, ~96 B each on the 64-bit unix port). session_connect.setup sets the others.
    max_retries = 0  # network_resilience_settings.max_retries (0 = retry forever)
    _tls = (False, None, None)  # hub.tls, hub.ca_cert, hub.server_hostname
    _factory = None  # the channel factory (None: session_connect.default_channel)
    backoff = None  # the reconnect Backoff, made by the first failed attempt
    _wire_shared = False  # session_wire was loaded by another part (wifi's Backoff): kept
    last_error = None
    last_refusal = None  # the code of the hub's last Refusal
    _redirect = None  # the leader's address from a not_leader refusal: dialled next
    _stopped = False

    # ---- connection loop -----------------------------------------------------------------
    async def run(self):
        """Connects, serves, reconnects; returns after stop(). Raises once max_retries
        consecutive attempts failed (0 = retry forever)."""
        failures = 0
        while not self._stopped:
            addr = self._redirect
            if addr is None:
                addr = self.addresses[self._next % len(self.addresses)]
            else:
                self._redirect = None
            self.state = "connecting"
            delay = None
            welcomes = self.connects  # one more once the hub welcomed this attempt
            try:
                if IS_MICROPYTHON:
                    gc.collect()  # a new connection allocates its buffers: give it whole blocks
                await self._serve(await self._connect(addr))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - any failure means: reconnect later
                self._note_error(exc)
                # a Refusal's wait, set by _connect (session_connect.after_refusal)
                delay = getattr(exc, "delay_ms", None)
            finally:
                await self._drop_connection()
            if self._stopped:
                break
            if self.connects != welcomes:
                failures = 0  # the stream was up: count failures from here
            else:
                failures += 1
                self._next += 1  # try the next hub address
            if self.max_retries and failures >= self.max_retries:
                self.state = "stopped"
                raise JotunheimError("hub unreachable after %d attempts" % failures)
            if delay is None:
                if self.backoff is None:  # the first failed attempt: session_wire loads now
                    from jotunheim.device.session_wire import Backoff

                    self.backoff = Backoff(*self._backoff_args)
                delay = self.backoff.next_delay_ms()
            self.state = "waiting"
            self.log.info("reconnecting to the hub in %d ms", delay)
            await self._sleep_ms(delay)
        self.state = "stopped"

    def on_message(self, kind, callback):
        """`await callback(body)` for HubMessages of `kind` the session does not handle
        itself (update_notice for OTA, stream_control)."""
        self._extra[kind] = callback

    async def send(self, message):
        """Sends a DeviceMessage dict (ota_status, stream_data); False while offline."""
        return self.state == "online" and await self._send(message)

    def stop(self):
        """Ends run(): closes the stream; running commands keep their results."""
        self._stopped = True
        if self._channel is not None:
            asyncio.create_task(self._drop_connection())

    async def _sleep_ms(self, ms):
        # In short slices, so that stop() is noticed quickly.
        start = ticks_ms()
        while not self._stopped:
            left = ms - ticks_diff(ticks_ms(), start)
            if left <= 0:
                return
            await asyncio.sleep(min(200, left) / 1000)

    async def _connect(self, addr):
        # Dialling and the handshake run once per connection: session_connect (with the HMAC
        # it needs) is imported for them and, on MicroPython, dropped again once the hub
        # welcomed us or refused, so that a connected device does not hold that code. A
        # refusal is handled here too, before the drop: run() must not import it again.
        from jotunheim.device import session_connect

        try:
            return await session_connect.connect(self, addr)
        except JotunheimError as exc:
            if getattr(exc, "refusal", None) is not None:  # the hub refused the Hello
                exc.delay_ms = session_connect.after_refusal(self, exc)
            raise
        finally:
            if IS_MICROPYTHON:
                unload("jotunheim.device.session_connect")

    async def _serve(self, call):
        self._hb_task = asyncio.create_task(self._heartbeats(call))
        for result in list(self.pending.values()):  # the hub has not acknowledged these yet
            await self._send_result(result)
        if self.propagator is not None:
            self.propagator.connected()  # emits "connected": sent by _on_capability_event
        while True:
            kind, body = await self._recv(call, None)
            if kind is None:
                self.state = "ended"
                return
            # One chain of comparisons instead of a `_handle_<kind>` method per message: each
            # method costs a function object and its name as a qstr on the device's heap.
            if kind == "command":
                cid = body["command_id"]
                done = self.pending.get(cid)
                if done is not None:  # already applied: report the kept result again
                    await self._send_result(done)
                elif cid not in self._running:  # (a re-sent id still running: answered when done)
                    self._running[cid] = asyncio.create_task(self._run_command(body))
            elif kind == "ping":
                await self._send({"pong": {"nonce": body["nonce"]}})
            elif kind == "capability_request":
                # the negotiator hands out its cached, already-encoded DeviceMessage
                await self._send(None, await self.negotiator.device_message(body))
            elif kind == "result_ack":
                for cid in body["command_ids"]:
                    self.pending.pop(cid, None)
            elif kind == "welcome":
                raise JotunheimError(
                    "hub protocol violation: unexpected welcome after the handshake"
                )
            else:
                handler = self._extra.get(kind)
                if handler is None:
                    self.log.info("ignoring hub message %s", kind)
                else:
                    await handler(body)

    async def _recv(self, call, timeout):
        """(kind, body) of the next HubMessage, (None, None) at the end of the stream;
        raises session_connect.refused()'s error for a Refusal."""
        from jotunheim._gen.device import hub_session as hub_d
        from jotunheim.wire import protobuf as pb

        msg = await (call.recv() if timeout is None else asyncio.wait_for(call.recv(), timeout))
        if msg is None:
            return None, None
        self._heard = ticks_ms()
        kind = pb.which_oneof(hub_d.HubMessage, msg, "body")
        if kind == "refusal":
            from jotunheim.device.session_connect import refused

            raise refused(msg["refusal"])
        if kind is None:
            raise JotunheimError("hub protocol violation: empty HubMessage")
        return kind, msg[kind]

    async def _drop_connection(self):
        if self.state == "online":
            self.state = "ended"
        if self.propagator is not None and self.propagator.is_connected:
            self.propagator.is_connected = False  # nothing to tell the hub: the stream is gone
        task, self._hb_task = self._hb_task, None
        if task is not None:
            task.cancel()
        ch, self._channel, self._call = self._channel, None, None
        if ch is not None:
            try:
                await ch.close()
            except Exception:  # noqa: BLE001 - already broken
                pass

    # ---- sending -------------------------------------------------------------------------
    async def _send(self, message, raw=None):
        """Sends a DeviceMessage dict (or pre-encoded bytes) on the live stream, if any."""
        call = self._call
        if call is None:
            return False
        async with self._send_lock:
            if raw is None:
                await call.send(message)
            else:  # already encoded: the negotiator's DeviceMessage, or the propagator's
                # cached capability update re-sent unchanged at a reconnect
                await call.start()
                await self._channel.send_message(call, raw, False)
        return True

    async def _send_result(self, result, kind="command_result", raw=None):
        # A lost result stays in pending and a lost event is re-announced: both are resent
        # after the reconnect, so a failed write is only worth a log line.
        try:
            await self._send({kind: result}, raw)
        except Exception as exc:  # noqa: BLE001
            self._note_error(exc)

    def _on_capability_event(self, event):
        if self._call is not None and self.state == "online":
            # a reconnect's "connected" may come as cached DeviceMessage bytes
            raw = event.get("device_message")
            asyncio.create_task(self._send_result(event, "capability_update", raw))

    async def _heartbeats(self, call):
        try:
            while self._call is call:
                beat_ms, dead_ms = self._beat  # agreed with this hub's Welcome
                await asyncio.sleep(beat_ms / 1000)
                # Ticks wrap: a negative span means more than half a tick period passed.
                silent = ticks_diff(ticks_ms(), self._heard)
                if silent < 0 or silent >= dead_ms:
                    self.log.info("hub silent for %d ms: reconnecting", silent)
                    await call.cancel()  # the serve loop's recv() fails -> reconnect
                    return
                self._seq += 1
                hb = self.monitor.snapshot() if self.monitor is not None else {}
                hb["seq"] = self._seq
                hb["active_tools"] = getattr(self.handler, "active", 0)
                await self._send({"heartbeat": hb})
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # noqa: BLE001 - a failed write ends the session elsewhere
            self._note_error(exc)
            await call.cancel()

    # ---- hub messages (answered in _serve, commands run here) --------------------------------
    async def _run_command(self, cmd):
        cid = cmd["command_id"]
        try:
            result = await self.handler.handle(cmd)
        finally:
            self._running.pop(cid, None)
        if cid:
            pending = self.pending
            pending[cid] = result  # (an OrderedDict: a known id keeps its place)
            if len(pending) > self.max_pending:  # a hub that never acknowledges
                pending.pop(next(iter(pending)))  # drop the oldest
        if IS_MICROPYTHON:
            gc.collect()  # tools (script compiles above all) fragment a small heap
        await self._send_result(result)

    def _note_error(self, exc):
        # Logged without the key, the proof or the resume token.
        self.last_error = "%s: %s" % (type(exc).__name__, exc)
        self.log.warn("hub session: %s", self.last_error)
