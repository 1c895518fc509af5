"""The project's exception family, shared by device and host code (MicroPython-safe)."""


class JotunheimError(Exception):
    """Root of every error Jotunheim raises on purpose."""


class DecodeError(JotunheimError):
    """Malformed or oversized input to a decoder (protobuf, HPACK, frames, settings, manifests)."""


class EncodeError(JotunheimError):
    """A value that cannot be encoded (wrong type, out of range)."""
