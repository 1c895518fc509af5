"""Pieces of the device session (DeviceHub.Connect): the device's identity and its Hello
proof (hub.proto header), hub message parsing, the session's errors and the store of
results the hub has not acknowledged yet."""

import sys

from jotunheim.device.hmac_sha256 import HmacSha256
from jotunheim.errors import JotunheimError

PROTOCOL_VERSION = 1
PROOF_LABEL = b"jotunheim-v1|"
CONNECT_PATH = "/jotunheim.hub.DeviceHub/Connect"
HANDSHAKE_TIMEOUT_MS = 10000
# Refusals that another attempt with the same identity cannot fix: wait the backoff cap
# before trying again rather than hammering the hub with a bad key.
FATAL_REFUSALS = ("unknown_device", "revoked", "bad_proof", "unsupported_protocol")
# Unacknowledged results kept for re-sending: CommandHandler keeps 16 results for
# idempotency, so more than twice that pending means the hub is not acknowledging at all.
MAX_PENDING = 32
# HTTP/2 receive window the device advertises: hub messages are small, and a window bounds
# how much the hub may have in flight towards a heap of ~128 KB (the channel's default is
# 256 KB, sized for large RPC payloads).
RECEIVE_WINDOW = 16 * 1024


class SessionRefused(JotunheimError):
    """The hub refused the Hello (`code` is the hub.proto Refusal code)."""

    def __init__(self, code, reason, leader_address=""):
        # super(): MicroPython exposes no __init__ attribute on exception base classes.
        super().__init__("hub refused the device: %s (%s)" % (code, reason))
        self.code = code
        self.leader_address = leader_address


class SessionProtocolError(JotunheimError):
    """The hub sent something the session protocol does not allow at that point."""


def runtime_name():
    impl = sys.implementation
    return "%s %s" % (impl.name, ".".join(str(v) for v in impl.version[:3]))


def default_channel(host, port, ssl, server_hostname):
    from jotunheim.wire.channel import Channel  # lazy: the wire stack loads only here

    return Channel(
        host, port, ssl=ssl, server_hostname=server_hostname, receive_window=RECEIVE_WINDOW
    )


def make_channel(factory, addr, tls=False, ca_cert=None, server_hostname=None):
    """A channel to "host:port", TLS per the hub settings (verifying ca_cert when given)."""
    host, _, port = addr.rpartition(":")
    ssl = None
    if tls:
        from jotunheim.wire.transport import client_ssl_context

        ssl = client_ssl_context(cafile=ca_cert)
    return factory(host, int(port), ssl, server_hostname)


class DeviceIdentity:
    """Who the device is and how it proves it; keeps the HMAC state, never the key text."""

    def __init__(self, ident):
        self.device_id = ident["device_id"]
        self.firmware_version = ident.get("firmware_version") or ""
        self._mac = HmacSha256(_unhex(ident["key"]))
        self._runtime = runtime_name()

    def proof(self, nonce):
        """HMAC-SHA256(key, "jotunheim-v1|" + device_id + "|" + nonce)."""
        return self._mac.digest(PROOF_LABEL + self.device_id.encode() + b"|" + nonce)

    def hello(self, nonce, resume_token, pending_results):
        """The Hello answering a Challenge (dict form of hub.proto Hello)."""
        return {
            "device_id": self.device_id,
            "proof": self.proof(nonce),
            "firmware_version": self.firmware_version,
            "protocol_version": PROTOCOL_VERSION,
            "resume_token": resume_token,
            "runtime": self._runtime,
            "pending_results": pending_results,
        }


class PendingResults:
    """CommandResult dicts by command id, oldest first, until the hub acknowledges them."""

    def __init__(self, limit=MAX_PENDING):
        self.limit = limit
        self._results = {}
        self._order = []  # ids, oldest first (MicroPython dicts are unordered)

    def add(self, cid, result):
        if cid not in self._results:
            self._order.append(cid)
        self._results[cid] = result
        if len(self._order) > self.limit:  # a hub that never acknowledges: drop the oldest
            del self._results[self._order.pop(0)]

    def get(self, cid):
        return self._results.get(cid)

    def forget(self, cid):
        if self._results.pop(cid, None) is not None:
            self._order.remove(cid)

    def ids(self):
        return list(self._order)

    def results(self):
        return [self._results[cid] for cid in self._order]

    def __contains__(self, cid):
        return cid in self._results

    def __len__(self):
        return len(self._order)


def parse_hub_message(msg):
    """(kind, body) of a decoded HubMessage; raises SessionRefused for a Refusal."""
    from jotunheim._gen.device import hub_session as hub_d
    from jotunheim.wire import protobuf as pb

    kind = pb.which_oneof(hub_d.HubMessage, msg, "body")
    if kind == "refusal":
        r = msg["refusal"]
        raise SessionRefused(r["code"], r["reason"], r["leader_address"])
    if kind is None:
        raise SessionProtocolError("empty HubMessage")
    return kind, msg[kind]


def _unhex(text):
    import binascii

    try:
        return binascii.unhexlify(text)
    except (ValueError, TypeError):
        raise JotunheimError("identity.key: expected hex digits") from None
