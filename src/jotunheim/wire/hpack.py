"""HPACK (RFC 7541) header compression: HpackEncoder and HpackDecoder with bounded tables.
Their error, HpackError, is in hpack_errors (loaded on the first malformed header block)."""

from jotunheim.compat import const
from jotunheim.wire.hpack_table import (
    DynamicTable,
    huffman_decode,
    huffman_encode,
    malformed,
    static_find,
)

# Limits on everything the peer controls (checked before allocating).
_DEFAULT_TABLE_SIZE = const(4096)  # RFC 7541 / RFC 9113 SETTINGS_HEADER_TABLE_SIZE default
# Decoded name + value + 32 per field (RFC 9113 6.5.2); 8 KiB is also gRPC's default limit.
_DEFAULT_MAX_HEADER_LIST_SIZE = const(8192)
_STATIC_LENGTH = const(61)  # entries of the static table (as in hpack_table)
_ENTRY_OVERHEAD = const(32)  # RFC 7541 4.1 (as in hpack_table)
_MAX_INTEGER_CONTINUATION_OCTETS = const(4)  # after the prefix: values up to ~2**28

# Names as one bytes each, b"\n" + name + b"\n" found in it (a tuple of bytes objects costs
# the device ~0.1 KB more heap). Names whose values we never let an intermediary index
# (RFC 7541 7.1.3: secrets):
_NEVER_INDEXED_NAMES = const(b"\nauthorization\nproxy-authorization\n")
# Names whose values change on every request; indexing them would churn the table:
_UNINDEXED_NAMES = const(b"\ngrpc-timeout\ncontent-length\n")


def _encode_int(out, value, prefix_bits, flags):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        out.append(flags | value)
        return
    out.append(flags | limit)
    value -= limit
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


# Each coder is its own dynamic table (a DynamicTable subclass) rather than holding one: one
# object per coder instead of two, and an HTTP/2 connection has two coders (DESIGN section 4).


class HpackEncoder(DynamicTable):
    """Encodes header lists (lists of (name, value) bytes pairs) into header blocks."""

    # Class defaults, stored on an encoder only once they change: fewer attribute slots per
    # connection. Table size changes to signal at the next block's start (smallest, final):
    _pending_min = None
    _pending_final = None
    # The size the peer's decoder holds its table to: the protocol's default until we signal
    # another. A smaller table of ours needs no signal (we index only entries we keep, the
    # newest, which its larger table keeps too), but a peer that lowers
    # SETTINGS_HEADER_TABLE_SIZE below this must hear the new size.
    _peer_size = 4096
    huffman = True

    def __init__(self, max_table_size=_DEFAULT_TABLE_SIZE, huffman=True):
        super().__init__(min(_DEFAULT_TABLE_SIZE, max_table_size))
        # Our own memory cap: the peer's SETTINGS_HEADER_TABLE_SIZE only lets us use up to
        # that much; we never use more than max_table_size.
        self._cap = max_table_size
        if not huffman:
            self.huffman = False

    @property
    def header_table_size(self):
        return self.max_size

    @header_table_size.setter
    def header_table_size(self, value):
        """Apply the peer's SETTINGS_HEADER_TABLE_SIZE; signalled at the next block's start."""
        must = value < self._peer_size  # its decoder now refuses a table that large
        value = min(value, self._cap)
        if self._pending_final is None:
            if value == self.max_size and not must:
                return
            self._pending_min = value
        else:
            self._pending_min = min(self._pending_min, value)
        self._pending_final = value

    def encode(self, headers):
        """Return the header block (bytes) for `headers`, updating the dynamic table; a
        third tuple item that is true marks a field sensitive (never indexed)."""
        # Validated (name, value, sensitive) triples first: a bad header list raises before
        # the table is touched, so it never leaves our table out of step with the peer's.
        fields = []
        for header in headers:
            if len(header) == 2 and type(header[0]) is bytes and type(header[1]) is bytes:
                sensitive = b"\n" + header[0] + b"\n" in _NEVER_INDEXED_NAMES
                fields.append((header[0], header[1], sensitive))
            else:  # str, bytearray, a sensitivity flag or a malformed header: rare, lazily
                from jotunheim.wire.hpack_input import field

                fields.append(field(header, _NEVER_INDEXED_NAMES))
        out = bytearray()
        if self._pending_final is not None:
            # RFC 7541 4.2: signal the smallest size reached, then the final one.
            if self._pending_min < self._pending_final:
                _encode_int(out, self._pending_min, 5, 0x20)
                self.resize(self._pending_min)
            _encode_int(out, self._pending_final, 5, 0x20)
            self.resize(self._pending_final)
            self._peer_size = self._pending_final
            self._pending_min = self._pending_final = None
        for name, value, sensitive in fields:
            entries = self.entries  # read per field: add() may have replaced an empty one
            pair = (name, value)
            if not sensitive and pair in entries:
                # Dynamic table first (a C-level search). A pair found there is there once
                # (found pairs are sent indexed, never inserted again) and is not in the static
                # table (static pairs are always sent indexed, never inserted).
                _encode_int(out, _STATIC_LENGTH + len(entries) - entries.index(pair), 7, 0x80)
                continue
            index, name_index = static_find(name, value)
            if index and not sensitive:
                _encode_int(out, index, 7, 0x80)
                continue
            if not name_index:  # the newest dynamic entry of that name, if any
                for pos in range(len(entries) - 1, -1, -1):
                    if entries[pos][0] == name:
                        name_index = _STATIC_LENGTH + len(entries) - pos
                        break
            size = len(name) + len(value) + _ENTRY_OVERHEAD
            if sensitive:
                _encode_int(out, name_index, 4, 0x10)  # never indexed
            elif size > self.max_size // 2 or b"\n" + name + b"\n" in _UNINDEXED_NAMES:
                _encode_int(out, name_index, 4, 0x00)  # without indexing
            else:
                _encode_int(out, name_index, 6, 0x40)  # incremental indexing
                self.add(name, value)
            if not name_index:
                _encode_string(out, name, self.huffman)
            _encode_string(out, value, self.huffman)
        return bytes(out)


def _encode_string(out, data, huffman):
    if huffman and data:
        # Encoded, then compared: Huffman is shorter for nearly every header a client sends,
        # and a function less for the length alone is heap saved on the device.
        encoded = huffman_encode(data)
        # Ties go to Huffman, as in RFC 7541 Appendix C.6 (":status 307" is 3 bytes either way).
        if len(encoded) <= len(data):
            _encode_int(out, len(encoded), 7, 0x80)
            out += encoded
            return
    _encode_int(out, len(data), 7, 0x00)
    out += data


class HpackDecoder(DynamicTable):
    """Decodes header blocks into lists of (name, value) bytes pairs, bounded in size."""

    def __init__(
        self,
        max_table_size=_DEFAULT_TABLE_SIZE,
        max_header_list_size=_DEFAULT_MAX_HEADER_LIST_SIZE,
    ):
        super().__init__(max_table_size)
        # The largest table the peer's encoder may ask for: our SETTINGS_HEADER_TABLE_SIZE.
        self.max_allowed_table_size = max_table_size
        self.max_header_list_size = max_header_list_size

    def decode(self, data):
        """Decode one complete header block; raises HpackError on malformed/oversized input."""
        limit = self.max_header_list_size
        headers = []
        total = 0
        pos = 0
        end = len(data)
        updates_allowed = True
        while pos < end:
            first = data[pos]
            if first & 0xE0 == 0x20:  # dynamic table size update (6.3)
                if not updates_allowed:
                    raise malformed(2)  # size update after a header field
                size, pos = _decode_int(data, pos, 5)
                if size > self.max_allowed_table_size:
                    # table size update above the allowed size
                    raise malformed(3, size, self.max_allowed_table_size)
                self.resize(size)
                continue
            if first & 0x80:  # indexed header field (6.1)
                index, pos = _decode_int(data, pos, 7)
                name, value = self.get(index)
            else:
                # Literal with incremental indexing (6.2.1, 6-bit index prefix), without
                # indexing or never indexed (6.2.2, 6.2.3, 4-bit prefix).
                index, pos = _decode_int(data, pos, 6 if first & 0x40 else 4)
                budget = limit - total - _ENTRY_OVERHEAD
                if index:
                    name = self.get(index)[0]
                else:
                    name, pos = _decode_string(data, pos, budget)
                value, pos = _decode_string(data, pos, budget - len(name))
                if first & 0x40:
                    self.add(name, value)
            updates_allowed = False
            total += len(name) + len(value) + _ENTRY_OVERHEAD
            if total > limit:
                raise malformed(4, limit)  # header list larger than the limit
            headers.append((name, value))
        return headers


def _decode_int(data, pos, prefix_bits):
    limit = (1 << prefix_bits) - 1
    value = data[pos] & limit
    pos += 1
    if value < limit:
        return value, pos
    shift = 0
    end = len(data)
    for _ in range(_MAX_INTEGER_CONTINUATION_OCTETS):
        if pos >= end:
            raise malformed(5)  # integer truncated
        octet = data[pos]
        pos += 1
        value += (octet & 0x7F) << shift
        shift += 7
        if not octet & 0x80:
            return value, pos
    raise malformed(6, _MAX_INTEGER_CONTINUATION_OCTETS + 1)  # integer too long


def _decode_string(data, pos, budget):
    """Read a string literal (5.2) no longer than `budget` bytes once decoded."""
    if pos >= len(data):
        raise malformed(7)  # string literal missing
    huffman = data[pos] & 0x80
    length, pos = _decode_int(data, pos, 7)
    end = pos + length
    if end > len(data):
        raise malformed(8, length)  # string runs past the block
    if budget < 0:
        budget = 0
    if huffman:
        # Huffman codes are >= 5 bits, so decoded length <= 8/5 of the encoded length; the
        # decoder stops at the budget itself (raising HpackError), so only the raw slice is
        # allocated up front.
        return huffman_decode(data[pos:end], budget), end
    if length > budget:
        raise malformed(9, length)  # string exceeds the header list limit
    return bytes(data[pos:end]), end
