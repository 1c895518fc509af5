"""HPACK Huffman code (RFC 7541 Appendix B): canonical code lengths as bytes, codes derived."""

from array import array

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
    # and shifting left whenever the length grows. Compact containers: codes in a 4-byte
    # array, symbol order in a bytearray (EOS, the very last code, is index 256 implicitly).
    order = sorted(range(257), key=lambda s: (_LENGTHS[s], s))
    codes = array("I", bytes(4 * 257))
    first = array("I", bytes(4 * (MAX_CODE_LENGTH + 2)))  # first code value of each length
    count = bytearray(MAX_CODE_LENGTH + 2)  # number of codes of each length
    base = array("H", bytes(2 * (MAX_CODE_LENGTH + 2)))  # index in order of each length's first
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
    return codes, first, count, base, bytearray(order[:256])


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


def _build_fast():
    # Lookup by the next 8 bits for every code of 8 bits or fewer (all lowercase letters,
    # digits and common punctuation): 512 bytes that decode most symbols in one step.
    fast_len = bytearray(256)
    fast_sym = bytearray(256)
    for sym in range(256):
        length = _LENGTHS[sym]
        if length <= 8:
            lo = _CODES[sym] << (8 - length)
            for peek in range(lo, lo + (1 << (8 - length))):
                fast_len[peek] = length
                fast_sym[peek] = sym
    return fast_len, fast_sym


_FAST_LEN, _FAST_SYM = _build_fast()


def huffman_decode(data, max_length):
    """Decode a Huffman string; raises DecodeError on EOS, bad padding or > max_length bytes."""
    fast_len = _FAST_LEN
    fast_sym = _FAST_SYM
    out = bytearray()
    acc = 0
    bits = 0
    for byte in data:
        acc = (acc << 8) | byte
        bits += 8
        while bits >= 8:
            peek = (acc >> (bits - 8)) & 0xFF
            length = fast_len[peek]
            if length:
                sym = fast_sym[peek]
            else:
                sym, length = _long_code(acc, bits)
                if not length:
                    break  # a code longer than the bits we hold: wait for the next byte
            if len(out) >= max_length:
                raise DecodeError("hpack: Huffman string longer than %d bytes" % max_length)
            out.append(sym)
            bits -= length
        acc &= (1 << bits) - 1  # keep the accumulator a small int
    # Fewer than 8 bits left: short codes may still end here; the rest must be padding.
    while 5 <= bits < 8:
        pad = 8 - bits
        peek = ((acc << pad) | ((1 << pad) - 1)) & 0xFF
        length = fast_len[peek]
        if not length or length > bits:
            break
        if len(out) >= max_length:
            raise DecodeError("hpack: Huffman string longer than %d bytes" % max_length)
        out.append(fast_sym[peek])
        bits -= length
        acc &= (1 << bits) - 1
    # RFC 7541 5.2: padding is at most 7 bits, all ones (the most significant bits of EOS).
    if bits > 7:
        raise DecodeError("hpack: Huffman padding longer than 7 bits")
    if acc != (1 << bits) - 1:
        raise DecodeError("hpack: Huffman padding is not the EOS prefix")
    return bytes(out)


def _long_code(acc, bits):
    """(symbol, length) of a code of 9..30 bits at the top of the `bits` held in acc, or
    (0, 0) when more bits are needed. Canonical code: a complete code of length n lies in
    [first[n], first[n] + count[n]); prefixes of longer codes lie above that range."""
    first = _FIRST
    count = _COUNT
    for n in range(9, min(bits, MAX_CODE_LENGTH) + 1):
        code = (acc >> (bits - n)) & ((1 << n) - 1)
        if first[n] <= code < first[n] + count[n]:
            index = _BASE[n] + code - first[n]
            if index >= EOS:  # EOS sorts last of all codes
                raise DecodeError("hpack: Huffman string contains EOS")
            return _ORDER[index], n
    if bits >= MAX_CODE_LENGTH:
        # Unreachable with the RFC table (every 30-bit string is a code); kept as a guard.
        raise DecodeError("hpack: invalid Huffman code")
    return 0, 0
