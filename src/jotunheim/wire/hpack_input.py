"""Header fields the HPACK encoder gets in a form other than a (bytes, bytes) pair: str or
bytearray names and values, a sensitivity flag, malformed entries. Loaded on first use: the
gRPC layer always passes bytes pairs."""

from jotunheim.errors import EncodeError


def _as_bytes(value, what):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    # bytes(5) would silently become five zero bytes: refuse anything else.
    raise EncodeError(
        "hpack: header %s must be bytes or str, not %s" % (what, type(value).__name__)
    )


def field(header, never_indexed):
    """(name, value, sensitive) of one header: (name, value) or (name, value, sensitive);
    never_indexed holds the names always sensitive, each between two b"\n"."""
    if len(header) < 2:
        raise EncodeError("hpack: a header is a (name, value) pair")
    name = _as_bytes(header[0], "name")
    value = _as_bytes(header[1], "value")
    sensitive = (len(header) > 2 and header[2]) or b"\n" + name + b"\n" in never_indexed
    return name, value, sensitive
