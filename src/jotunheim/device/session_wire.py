"""The DeviceHub.Connect handshake pieces of the device session: the device's identity and
its Hello proof (hub.proto header), hub message parsing, and the session's errors."""

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

    return Channel(host, port, ssl=ssl, server_hostname=server_hostname)


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


def parse_hub_message(msg):
    """(kind, body) of a decoded HubMessage; raises SessionRefused for a Refusal."""
    from jotunheim._gen.device import hub as hub_d
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
