"""Pieces of the device session (DeviceHub.Connect) that stay loaded: the device's identity,
the session's errors and the store of results the hub has not acknowledged yet. Dialling
and the handshake (Hello proof) are in session_connect.py, a Refusal in session_refusal.py:
both loaded when needed."""

from collections import OrderedDict

from jotunheim.compat import const
from jotunheim.errors import JotunheimError

# Unacknowledged results kept for re-sending: CommandHandler keeps 16 results for
# idempotency, so more than twice that pending means the hub is not acknowledging at all.
_MAX_PENDING = const(32)
# HTTP/2 receive window the device advertises: hub messages are small, and a window bounds
# how much the hub may have in flight towards a heap of ~128 KB (the channel's default is
# 256 KB, sized for large RPC payloads).
RECEIVE_WINDOW = 16 * 1024


class SessionRefused(JotunheimError):
    """The hub refused the Hello: `code` is the hub.proto Refusal code, `leader_address` the
    hub to dial instead (not_leader). Built by session_refusal.refused(); no __init__ here,
    so a device that is never refused loads only this name."""


class SessionProtocolError(JotunheimError):
    """The hub sent something the session protocol does not allow at that point."""


class DeviceIdentity:
    """Who the device is: device_id, firmware_version and the key as bytes (never its hex
    text, which is what a log or an error message could leak). session_connect proves it."""

    def __init__(self, ident):
        import binascii

        self.device_id = ident["device_id"]
        self.firmware_version = ident.get("firmware_version") or ""
        try:
            self.key = binascii.unhexlify(ident["key"])
        except (ValueError, TypeError):
            raise JotunheimError("identity.key: expected hex digits") from None


class PendingResults(OrderedDict):
    """CommandResult dicts by command id, oldest first, until the hub acknowledges them
    (`in`, len() and get() are the dict's own; MicroPython's plain dicts are unordered)."""

    def __init__(self, limit=_MAX_PENDING):
        super().__init__()
        self.limit = limit

    def add(self, cid, result):
        self[cid] = result  # a known id keeps its place
        if len(self) > self.limit:  # a hub that never acknowledges: drop the oldest
            self.pop(next(iter(self)))

    def forget(self, cid):
        self.pop(cid, None)

    def ids(self):
        return list(self)

    def results(self):
        return list(self.values())
