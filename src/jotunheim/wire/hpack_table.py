"""HPACK tables (RFC 7541): the static table in one bytes blob (Appendix A), the dynamic table
(2.3), and the Huffman code (Appendix B) with its coder. One module: the HPACK codec always
loads them all. Its error, HpackError, is in hpack_errors (loaded on the first one)."""

from array import array

from jotunheim.compat import const

# Private const()s (no qstr or global on the device); hpack has its own copies.
_STATIC_LENGTH = const(61)  # entries of the static table
_ENTRY_OVERHEAD = const(32)  # RFC 7541 4.1


def malformed(code, *args):
    """The HpackError with message `code` of hpack_errors.MESSAGES, formatted with args (the
    class and the text load on the first error only; each raise names the message in a
    comment)."""
    from jotunheim.wire.hpack_errors import MESSAGES, HpackError

    return HpackError("hpack: " + MESSAGES[code] % args)


# Entry i (1-based) is b"\n" + name + b"\x00" + value; a final b"\n" closes the last one.
# Neither byte occurs in the table's names or values, so `find` can search whole entries:
# on a microcontroller this is ~0.8 KB instead of ~8 KB of tuples and ~4 KB of lookup dicts.
_BLOB = const(
    b"\n:authority\x00"
    b"\n:method\x00GET"
    b"\n:method\x00POST"
    b"\n:path\x00/"
    b"\n:path\x00/index.html"
    b"\n:scheme\x00http"
    b"\n:scheme\x00https"
    b"\n:status\x00200"
    b"\n:status\x00204"
    b"\n:status\x00206"
    b"\n:status\x00304"
    b"\n:status\x00400"
    b"\n:status\x00404"
    b"\n:status\x00500"
    b"\naccept-charset\x00"
    b"\naccept-encoding\x00gzip, deflate"
    b"\naccept-language\x00"
    b"\naccept-ranges\x00"
    b"\naccept\x00"
    b"\naccess-control-allow-origin\x00"
    b"\nage\x00"
    b"\nallow\x00"
    b"\nauthorization\x00"
    b"\ncache-control\x00"
    b"\ncontent-disposition\x00"
    b"\ncontent-encoding\x00"
    b"\ncontent-language\x00"
    b"\ncontent-length\x00"
    b"\ncontent-location\x00"
    b"\ncontent-range\x00"
    b"\ncontent-type\x00"
    b"\ncookie\x00"
    b"\ndate\x00"
    b"\netag\x00"
    b"\nexpect\x00"
    b"\nexpires\x00"
    b"\nfrom\x00"
    b"\nhost\x00"
    b"\nif-match\x00"
    b"\nif-modified-since\x00"
    b"\nif-none-match\x00"
    b"\nif-range\x00"
    b"\nif-unmodified-since\x00"
    b"\nlast-modified\x00"
    b"\nlink\x00"
    b"\nlocation\x00"
    b"\nmax-forwards\x00"
    b"\nproxy-authenticate\x00"
    b"\nproxy-authorization\x00"
    b"\nrange\x00"
    b"\nreferer\x00"
    b"\nrefresh\x00"
    b"\nretry-after\x00"
    b"\nserver\x00"
    b"\nset-cookie\x00"
    b"\nstrict-transport-security\x00"
    b"\ntransfer-encoding\x00"
    b"\nuser-agent\x00"
    b"\nvary\x00"
    b"\nvia\x00"
    b"\nwww-authenticate\x00"
    b"\n"
)


def static_find(name, value):
    """(index of the entry (name, value) or 0, lowest index of an entry named name or 0)."""
    # A name or value holding a separator could match across entries; no real one does.
    if b"\n" in name or b"\x00" in name:
        return 0, 0
    key = b"\n" + name + b"\x00"
    pos = _BLOB.find(key)
    if pos < 0:
        return 0, 0
    name_index = _BLOB.count(b"\n", 0, pos) + 1
    if b"\n" in value or b"\x00" in value:
        return 0, name_index
    pos = _BLOB.find(key + value + b"\n", pos)
    if pos < 0:
        return 0, name_index
    return _BLOB.count(b"\n", 0, pos) + 1, name_index


class DynamicTable:
    """Entries newest-last in a list; the base class of both HPACK coders. The encoder finds
    its entries by searching this short list (a 4 KB table holds a few dozen) instead of
    keeping reverse-index dicts: less code, and no dicts per connection on the heap."""

    # An empty table as class defaults: a coder whose table stays empty (a device's both
    # do, with SETTINGS_HEADER_TABLE_SIZE 0) holds no list and no counter of its own.
    entries = ()
    size = 0

    def __init__(self, max_size):
        self.max_size = max_size

    def get(self, index):
        """Entry at HPACK index (static table first, then dynamic, newest first)."""
        if index <= _STATIC_LENGTH:
            if index == 0:
                raise malformed(0)  # index 0 is not valid
            # Entry i starts after the i-th b"\n" (a short walk: no offset table on the heap).
            start = 0
            for _ in range(index):
                start = _BLOB.find(b"\n", start) + 1
            end = _BLOB.find(b"\n", start)
            sep = _BLOB.find(b"\x00", start, end)
            return _BLOB[start:sep], _BLOB[sep + 1 : end]
        pos = len(self.entries) - (index - _STATIC_LENGTH)
        if pos < 0:
            raise malformed(1, index)  # index beyond the table
        return self.entries[pos]

    def add(self, name, value):
        size = len(name) + len(value) + _ENTRY_OVERHEAD
        # RFC 7541 4.4: an entry larger than the table empties it and is not added.
        self.resize(self.max_size, size)
        if size <= self.max_size:
            if not self.entries:  # the shared empty tuple, or a list emptied by evictions
                self.entries = []
            self.entries.append((name, value))
            self.size += size

    def resize(self, max_size, room=0):
        """Set the maximum size, evicting the oldest entries until the table holds `room`
        bytes more within it (or is empty)."""
        self.max_size = max_size
        while self.entries and self.size + room > max_size:
            name, value = self.entries.pop(0)
            self.size -= len(name) + len(value) + _ENTRY_OVERHEAD


# -- the Huffman code ----------------------------------------------------------------------
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

_EOS = const(256)  # the end-of-string symbol
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


# One global for the four derived tables (first code, count and first rank per code length,
# symbols in code order): each module-level name would be one more qstr.
_HUFFMAN = _canonical()
del _canonical  # import-time only: drop its bytecode


def huffman_encode(data):
    """Huffman-encode bytes; the last octet is padded with the EOS prefix (all ones)."""
    lengths = _LENGTHS
    first, _count, base, order = _HUFFMAN
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
    first, count, base, order = _HUFFMAN
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
            if index >= _EOS:  # EOS sorts last of all codes
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
