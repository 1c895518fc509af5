"""HPACK Huffman code (RFC 7541 Appendix B): canonical code lengths as bytes, codes derived."""

from jotunheim.errors import DecodeError

# Code length in bits of each symbol 0..255 and EOS (256), from RFC 7541 Appendix B. The
# table there is a canonical Huffman code (codes ascend with (length, symbol)), so the
# lengths alone define every code; storing 257 bytes instead of a dict of tuples keeps it
# small on a microcontroller.
_LENGTHS = (
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
MAX_CODE_LENGTH = 30


def _build():
    # Canonical assignment: walk symbols ordered by (length, symbol), incrementing the code
    # and shifting left whenever the length grows.
    order = sorted(range(257), key=lambda s: (_LENGTHS[s], s))
    codes = [0] * 257
    first = [0] * (MAX_CODE_LENGTH + 2)  # first code value of each length
    count = [0] * (MAX_CODE_LENGTH + 2)  # number of codes of each length
    base = [0] * (MAX_CODE_LENGTH + 2)  # index in `order` of the first code of each length
    code = 0
    prev = _LENGTHS[order[0]]
    for i, sym in enumerate(order):
        length = _LENGTHS[sym]
        if i:
            code = (code + 1) << (length - prev)
            prev = length
        if count[length] == 0:
            first[length] = code
            base[length] = i
        count[length] += 1
        codes[sym] = code
    return codes, first, count, base, order


_CODES, _FIRST, _COUNT, _BASE, _ORDER = _build()


def encoded_length(data):
    """Length in bytes of `data` once Huffman-encoded (with padding)."""
    lengths = _LENGTHS
    bits = 0
    for byte in data:
        bits += lengths[byte]
    return (bits + 7) >> 3


def huffman_encode(data):
    """Huffman-encode bytes; the last octet is padded with the EOS prefix (all ones)."""
    codes = _CODES
    lengths = _LENGTHS
    out = bytearray()
    acc = 0
    bits = 0
    for byte in data:
        acc = (acc << lengths[byte]) | codes[byte]
        bits += lengths[byte]
        while bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
        acc &= (1 << bits) - 1  # keep the accumulator a small int
    if bits:
        out.append(((acc << (8 - bits)) | ((1 << (8 - bits)) - 1)) & 0xFF)
    return bytes(out)


def huffman_decode(data, max_length):
    """Decode a Huffman string; raises DecodeError on EOS, bad padding or > max_length bytes."""
    first = _FIRST
    count = _COUNT
    base = _BASE
    order = _ORDER
    out = bytearray()
    code = 0
    n = 0
    for byte in data:
        mask = 0x80
        while mask:
            code = (code << 1) | (1 if byte & mask else 0)
            mask >>= 1
            n += 1
            # Canonical code: a complete code of length n lies in [first[n], first[n]+count[n]);
            # a prefix of a longer code lies above that range (section 5.2 ordering).
            if n >= 5 and code - first[n] < count[n]:
                sym = order[base[n] + code - first[n]]
                if sym == EOS:
                    raise DecodeError("hpack: Huffman string contains EOS")
                if len(out) >= max_length:
                    raise DecodeError("hpack: Huffman string longer than %d bytes" % max_length)
                out.append(sym)
                code = 0
                n = 0
    # RFC 7541 5.2: padding is at most 7 bits, all ones (the most significant bits of EOS).
    if n > 7:
        raise DecodeError("hpack: Huffman padding longer than 7 bits")
    if code != (1 << n) - 1:
        raise DecodeError("hpack: Huffman padding is not the EOS prefix")
    return bytes(out)
