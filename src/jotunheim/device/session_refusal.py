"""The hub's Refusal of a Hello (hub.proto) on the device side: the SessionRefused it raises
and the session's next step (redirect to the leader, or wait out the backoff cap). Loaded at
the first refusal only: a device the hub accepts never holds this code (heap)."""

from jotunheim.device.session_wire import SessionRefused

# Refusals that another attempt with the same identity cannot fix: wait the backoff cap
# before trying again rather than hammering the hub with a bad key.
FATAL_REFUSALS = ("unknown_device", "revoked", "bad_proof", "unsupported_protocol")


def refused(refusal):
    """The SessionRefused for a hub.proto Refusal dict (code, reason, leader_address)."""
    code = refusal["code"]
    exc = SessionRefused("hub refused the device: %s (%s)" % (code, refusal["reason"]))
    exc.code = code
    exc.leader_address = refusal["leader_address"]
    return exc


def after_refusal(session, exc):
    """Notes the refusal on `session`; returns the delay (ms) before the next attempt, or
    None for the usual backoff. not_leader with an address: dial that leader next."""
    session.last_refusal = exc.code
    if exc.code == "not_leader" and exc.leader_address:
        session._redirect = exc.leader_address
    elif exc.code in FATAL_REFUSALS:
        return session.backoff.cap_ms
    return None
