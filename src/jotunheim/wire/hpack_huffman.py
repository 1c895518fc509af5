"""HPACK Huffman code (RFC 7541 Appendix B): canonical code lengths as bytes, codes derived."""

from array import array

from jotunheim.compat import const
from jotunheim.wire.hpack_table import malformed

# Code length in bits of each symbol 0..255 and EOS (256), from RFC 7541 Appendix B. The
# table there is a canonical Huffman code (codes ascend with (length, symbol)), so the
# lengths alone define every code; storing 257 bytes instead of a dict of tuples keeps it
# small on a microcontroller.
_LENGTHS = const(
    b"\x0d\x17\x1c\x1c\x1c\x1c\x1c\x1c\x1c\x18\x1e\x1c\x1c\x1e\x1c\x1c\x1c\x1c\x1c\x1c\x1c\x1c"
    b"\x1e\x1c\x1c\x1c\x1c\x1c\x1c\x1c\x1c\x1c\x06\x0a\x0a\x0c\x0d\x06\x08\x0b\x0a\x0a\x08\x0b"
    b"\x08\x06\x06\x06\x05\x05\x05\x06\x06\x06\x06\x06\x06\x06\x07\x08\x0f\x06\x0c\x0a\x0d\x06"
    b"\x07\x07\x07\x07\x07\x07\x07\x07\x07\x07\x07\x07\x07\x07\x07\x07\x07\x07\x07\x07\x07\x07"
    b"\x08\x07\x08\x0d\x13\x0d\x0e\x06\x0f\x05\x06\x05\x06\x05\x06\x06\x06\x05\x07\x07\x06\x06"
    b"\x06\x05\x06\x07\x06\x05\x05\x06\x07\x07\x07\x07\x07\x0f\x0b\x0e\x0d\x1c\x14\x16\x14\x14"
    b"\x16\x16\x16\x17\x16\x17\x17\x17\x17\x17\x18\x17\x18\x18\x16\x17\x18\x17\x17\x17\x17\x15"
    b"\x16\x17\x16\x17\x17\x18\x16\x15\x14\x16\x16\x17\x17\x15\x17\x16\x16\x18\x15\x16\x17\x17"
    b"\x15\x15\x16\x15\x17\x16\x17\x17\x14\x16\x16\x16\x17\x16\x16\x17\x1a\x1a\x14\x13\x16\x17"
    b"\x16\x19\x1a\x1a\x1a\x1b\x1b\x1a\x18\x19\x13\x15\x1a\x1b\x1b\x1a\x1b\x18\x15\x15\x1a\x1a"
    b"\x1c\x1b\x1b\x1b\x14\x18\x14\x15\x16\x15\x15\x17\x16\x16\x19\x19\x18\x18\x1a\x17\x1a\x1b"
    b"\x1a\x1a\x1b\x1b\x1b\x1b\x1b\x1c\x1b\x1b\x1b\x1b\x1b\x1a\x1e"
)

EOS = 256
_MAX_CODE_LENGTH = const(30)
_MIN_CODE_LENGTH = const(5)


def _canonical():
    # The code is canonical, so per code length the first code value, the number of codes
    # and where that length's symbols start in the (length, symbol) order define it all.
    # Those ~0.5 KB replace a per-symbol code array and a byte-lookup table (~1.5 KB more
    # on a microcontroller's heap); this function runs once and is then deleted.
    count = bytearray(_MAX_CODE_LENGTH + 1)
    for length in _LENGTHS:
        count[length] += 1
    first = array("I", bytes(4 * (_MAX_CODE_LENGTH + 1)))
    base = array("H", bytes(2 * (_MAX_CODE_LENGTH + 1)))
    index = 0
    for length in range(1, _MAX_CODE_LENGTH + 1):
        # RFC 7541 B is canonical: each length's first code follows the previous length's
        # last code, shifted left by one bit.
        first[length] = (first[length - 1] + count[length - 1]) << 1
        base[length] = index
        index += count[length]
    order = bytearray(256)  # symbols by (length, symbol); EOS, the very last code, is 256
    place = array("H", base)
    for sym in range(256):
        length = _LENGTHS[sym]
        order[place[length]] = sym
        place[length] += 1
    return first, count, base, order


_FIRST, _COUNT, _BASE, _ORDER = _canonical()
del _canonical  # import-time only: drop its bytecode


def encoded_length(data):
    """Length in bytes of `data` once Huffman-encoded (with padding)."""
    lengths = _LENGTHS
    bits = 0
    for byte in data:
        bits += lengths[byte]
    return (bits + 7) >> 3


def huffman_encode(data):
    """Huffman-encode bytes; the last octet is padded with the EOS prefix (all ones)."""
    lengths = _LENGTHS
    first = _FIRST
    base = _BASE
    order = _ORDER
    out = bytearray()
    acc = 0
    bits = 0
    for byte in data:
        length = lengths[byte]
        # A symbol's code is its length's first code plus its rank among that length.
        start = base[length]
        acc = (acc << length) | (first[length] + order.find(byte, start) - start)
        bits += length
        while bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
        acc &= (1 << bits) - 1  # keep the accumulator a small int
    if bits:
        out.append(((acc << (8 - bits)) | ((1 << (8 - bits)) - 1)) & 0xFF)
    return bytes(out)


def huffman_decode(data, max_length):
    """Decode a Huffman string; raises HpackError on EOS, bad padding or > max_length bytes."""
    first = _FIRST
    count = _COUNT
    base = _BASE
    order = _ORDER
    out = bytearray()
    acc = 0
    bits = 0
    for byte in data:
        acc = (acc << 8) | byte
        bits += 8
        # Take every complete code at the top of the bits held: a code of length n lies in
        # [first[n], first[n] + count[n]); a prefix of a longer code lies above that range.
        length = _MIN_CODE_LENGTH
        while length <= bits:
            code = (acc >> (bits - length)) - first[length]
            if code >= count[length]:
                length += 1
                continue
            index = base[length] + code
            if index >= EOS:  # EOS sorts last of all codes
                raise malformed(10)  # Huffman string contains EOS
            if len(out) >= max_length:
                raise malformed(11, max_length)  # longer than max_length
            out.append(order[index])
            bits -= length
            acc &= (1 << bits) - 1  # keep the accumulator a small int
            length = _MIN_CODE_LENGTH
    # What is left is no complete code. RFC 7541 5.2: padding is at most 7 bits, all ones
    # (the most significant bits of EOS).
    if bits > 7:
        raise malformed(12)  # padding longer than 7 bits
    if acc != (1 << bits) - 1:
        raise malformed(13)  # padding is not the EOS prefix
    return bytes(out)
