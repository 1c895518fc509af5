"""What the device session runs once per connection: dial the hub (TLS per the settings),
then Challenge -> Hello with its HMAC proof -> Welcome (hub.proto header); and once at
construction, setting the session up from the settings. DeviceSession imports it for each
of these and, on MicroPython, drops it again after (for a connect, once the hub has welcomed
the device): a connected device does not hold this code in its heap. The HMAC (RFC 2104 over
SHA-256 with hashlib alone: MicroPython ships no `hmac` module) is here for the same reason,
and so is the handling of a Refusal (loaded again for it: a device the hub accepts never
needs it after the Welcome)."""

import asyncio
import binascii
import hashlib
import sys
from collections import OrderedDict

from jotunheim.compat import IS_MICROPYTHON, const, ticks_ms, unload
from jotunheim.errors import JotunheimError

_PROTOCOL_VERSION = const(1)
_PROOF_LABEL = const(b"jotunheim-v1|")
_CONNECT_PATH = const("/jotunheim.hub.DeviceHub/Connect")
_HANDSHAKE_TIMEOUT_MS = const(10000)
_WIRE = const("jotunheim.device.session_wire")
# HTTP/2 receive window the device advertises: hub messages are small, and a window bounds
# how much the hub may have in flight towards a heap of ~128 KB (the channel's default is
# 256 KB, sized for large RPC payloads).
_RECEIVE_WINDOW = const(16 * 1024)


def setup(session, settings, negotiator, handler, propagator, monitor, logger, factory, rng):
    """DeviceSession.__init__: every attribute of the session, from the settings sections
    identity, hub and network_resilience_settings (Settings, or a dict of sections)."""
    # Settings.section() parses one section without keeping the whole document as dicts
    # (about 11 KB of live heap on MicroPython); plain dicts work too.
    peek = getattr(settings, "section", None) or settings.get
    ident = peek("identity")
    hub = peek("hub")
    res = peek("network_resilience_settings")
    # Who the device is: its id, firmware version and key, the key as bytes, never as its hex
    # text (what a log or an error could leak). Attributes of the session itself: a class
    # and an object of their own cost ~0.3 KB for three values.
    session.device_id = ident["device_id"]
    session.firmware_version = ident.get("firmware_version") or ""
    try:
        session._key = binascii.unhexlify(ident["key"])
    except (ValueError, TypeError):
        raise JotunheimError("identity.key: expected hex digits") from None
    session.addresses = tuple(hub["addresses"])
    tls = (hub.get("tls", False), hub.get("ca_cert"), hub.get("server_hostname"))
    if tls != session._tls:  # else the class default: no slot, no tuple
        session._tls = tls
    # The reconnect backoff is made on the first failed attempt (DeviceSession.run): a device
    # whose connection never fails does not load session_wire. Its arguments are checked now.
    args = session._backoff_args = (
        res.get("backoff_base_ms", 500),
        res.get("backoff_cap_ms", 30000),
        rng,
        res.get("jitter", "full"),
    )
    loaded = _WIRE in sys.modules
    from jotunheim.device.session_wire import Backoff

    Backoff(*args)  # JotunheimError for bad values, at construction as before
    if loaded:
        session._wire_shared = True  # never unloaded under its other user (a second copy)
    elif IS_MICROPYTHON:
        unload(_WIRE)
    if res.get("max_retries", 0):
        session.max_retries = res["max_retries"]
    # Heartbeat interval and dead-peer timeout from the settings; each Welcome agrees on the
    # ones used (session._beat).
    session._beat_cfg = (
        res.get("heartbeat_interval_ms", 15000),
        res.get("dead_peer_timeout_ms", 45000),
    )
    session.negotiator = negotiator
    session.handler = handler
    session.propagator = propagator
    session.monitor = monitor
    if logger is None:
        from jotunheim.device.log import NullLogger

        logger = NullLogger()
    session.log = logger
    if factory is not None:  # (the class default None: default_channel below)
        session._factory = factory
    session.resume_token = ""
    # CommandResults kept until the hub's ResultAck, oldest first (MicroPython's plain dicts
    # are unordered), at most session.max_pending of them.
    session.pending = OrderedDict()
    session._running = {}  # command_id -> task running it
    session.state = "idle"  # idle | connecting | online | waiting | stopped
    session.connects = 0  # Welcomes received
    session._call = None
    session._channel = None
    session._send_lock = asyncio.Lock()
    session._next = 0  # index into addresses
    session._seq = 0
    # Dead-peer detection: ticks of the last hub message (a DeadPeerDetector's job done in
    # two fields, so that deadpeer.py is not loaded for it).
    session._heard = ticks_ms()
    session._hb_task = None
    session._extra = {}
    if propagator is not None:
        propagator.add_listener(session._on_capability_event)


def default_channel(host, port, ssl, server_hostname):
    """The channel a session dials when given no channel_factory (the wire stack's)."""
    from jotunheim.wire.channel import Channel

    return Channel(
        host, port, ssl=ssl, server_hostname=server_hostname, receive_window=_RECEIVE_WINDOW
    )


async def connect(session, addr):
    """Dials `addr` ("host:port") for `session` and runs the handshake; returns the live
    DeviceHub.Connect call once the hub's Welcome has been applied to the session."""
    from jotunheim._gen.device import hub_session as hub_d

    host, _, port = addr.rpartition(":")
    tls, ca_cert, server_hostname = session._tls
    ssl = None
    if tls:  # verifying ca_cert when given
        from jotunheim.wire.transport import client_ssl_context

        ssl = client_ssl_context(cafile=ca_cert)
    factory = session._factory or default_channel
    ch = session._channel = factory(host, int(port), ssl, server_hostname)
    timeout = _HANDSHAKE_TIMEOUT_MS / 1000
    await asyncio.wait_for(ch.connect(), timeout)
    call = session._call = ch.stream_stream(_CONNECT_PATH, hub_d.DeviceMessage, hub_d.HubMessage)
    kind, body = await session._recv(call, timeout)
    if kind != "challenge":
        raise JotunheimError("hub protocol violation: expected a challenge, got %s" % kind)
    await session._send({"hello": hello(session, body["nonce"])})
    kind, w = await session._recv(call, timeout)
    if kind != "welcome":
        raise JotunheimError("hub protocol violation: expected welcome, got %s" % kind)
    session.resume_token = w["resume_token"]
    session.ota_acks = w["ota_status_acks"]  # revision 4: OTA statuses wait for their acks
    for cid in w["acked_results"]:
        session.pending.pop(cid, None)
    # Beat at least as often as the hub expects, and never call the hub dead before its
    # own ping period has had a chance to run (hub pings every <= heartbeat interval).
    hb = w["heartbeat_interval_ms"]
    beat_ms, dead_ms = session._beat_cfg
    session._beat = (
        min(beat_ms, hb) if hb else beat_ms,
        max(dead_ms, w["dead_peer_timeout_ms"], 3 * hb),
    )
    session.connects += 1  # (DeviceSession.run: this attempt was welcomed)
    session.state = "online"
    if session.backoff is not None:  # (made by a failed attempt)
        # Welcomed again: the next failure starts a fresh Backoff (what reset() gives), and
        # until then the device holds neither it nor session_wire (~1.1 KB from ROMFS), at
        # the end of a reconnect, when the heap is at its fullest.
        session.backoff = None
        if IS_MICROPYTHON and not session._wire_shared:
            unload(_WIRE)
    session.log.info("connected to the hub (session resumed: %s)", w["resumed"])
    return call


def hello(session, nonce):
    """The Hello answering a Challenge (dict form of hub.proto Hello); its proof is
    HMAC-SHA256(key, "jotunheim-v1|" + device_id + "|" + nonce)."""
    device_id = session.device_id
    mac = HmacSha256(session._key)
    version = sys.implementation.version  # 4 elements on MicroPython, 5 on CPython
    return {
        "device_id": device_id,
        "proof": mac.digest(_PROOF_LABEL + device_id.encode() + b"|" + nonce),
        "firmware_version": session.firmware_version,
        "protocol_version": _PROTOCOL_VERSION,
        "resume_token": session.resume_token,
        "runtime": "%s %d.%d.%d" % (sys.implementation.name, version[0], version[1], version[2]),
        "pending_results": list(session.pending),
    }


# --- The hub's Refusal of a Hello (hub.proto): the error it raises and the session's
# next step (redirect to the leader, or wait out the backoff cap).
# Refusals that another attempt with the same identity cannot fix: wait the backoff cap
# before trying again rather than hammering the hub with a bad key.
_FATAL_REFUSALS = const(("unknown_device", "revoked", "bad_proof", "unsupported_protocol"))


def refused(refusal):
    """The error for a hub.proto Refusal dict (code, reason, leader_address): a
    JotunheimError with `refusal` (the code) and `leader_address` (session.py says why)."""
    code = refusal["code"]
    exc = JotunheimError("hub refused the device: %s (%s)" % (code, refusal["reason"]))
    exc.refusal = code
    exc.leader_address = refusal["leader_address"]
    return exc


def after_refusal(session, exc):
    """Notes the refusal on `session`; returns the delay (ms) before the next attempt, or
    None for the usual backoff. not_leader with an address: dial that leader next."""
    code = session.last_refusal = exc.refusal
    if code == "not_leader" and exc.leader_address:
        session._redirect = exc.leader_address
    elif code in _FATAL_REFUSALS:
        return session._backoff_args[1]  # backoff_cap_ms
    return None


# --- HMAC-SHA256 (RFC 2104), the Hello proof's MAC.
_BLOCK_SIZE = const(64)  # SHA-256 block size in bytes (FIPS 180-4)


def _as_bytes(value, what):
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError("%s: expected bytes or str, got %s" % (what, type(value).__name__))


class HmacSha256:
    """`HmacSha256(key).digest(msg)` -> 32 bytes; the padded key is prepared once, so one
    object answers many challenges (MicroPython hash objects have no copy())."""

    def __init__(self, key):
        key = _as_bytes(key, "key")
        if len(key) > _BLOCK_SIZE:
            # RFC 2104 section 2: keys longer than the block are hashed first.
            key = hashlib.sha256(key).digest()
        key = key + b"\x00" * (_BLOCK_SIZE - len(key))
        self._ipad = bytes(b ^ 0x36 for b in key)
        self._opad = bytes(b ^ 0x5C for b in key)

    def digest(self, msg):
        inner = hashlib.sha256(self._ipad)
        inner.update(_as_bytes(msg, "message"))
        outer = hashlib.sha256(self._opad)
        outer.update(inner.digest())
        return outer.digest()


def hmac_sha256(key, msg):
    """HMAC-SHA256(key, msg) as 32 raw bytes."""
    return HmacSha256(key).digest(msg)
