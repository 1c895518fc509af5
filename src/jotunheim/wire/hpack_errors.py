"""HpackError and the text of its messages, imported by hpack_table.malformed() only when a
header block is malformed or too large: a device that only ever sees good blocks never holds
the class or these strings on its heap. The codec raises malformed(code, *args); code indexes
MESSAGES. Callers that catch HpackError import it from here."""

from jotunheim.errors import DecodeError


class HpackError(DecodeError):
    """Malformed or oversized HPACK data; HTTP/2 maps it to COMPRESSION_ERROR."""


MESSAGES = (
    "index 0 is not valid",  # 0
    "index %d is beyond the table",  # 1
    "table size update after a header field",  # 2
    "table size update %d above the allowed %d",  # 3
    "header list larger than %d bytes",  # 4
    "integer truncated",  # 5
    "integer longer than %d octets",  # 6
    "string literal missing",  # 7
    "string of %d bytes runs past the block",  # 8
    "string of %d bytes exceeds the header list limit",  # 9
    "Huffman string contains EOS",  # 10
    "Huffman string longer than %d bytes",  # 11
    "Huffman padding longer than 7 bits",  # 12
    "Huffman padding is not the EOS prefix",  # 13
)
