"""HPACK tables (RFC 7541 section 2.3): the static table in one bytes blob, the dynamic
table, and HpackError, the codec's error."""

from jotunheim.compat import const
from jotunheim.errors import DecodeError

STATIC_LENGTH = 61
ENTRY_OVERHEAD = 32  # RFC 7541 4.1


class HpackError(DecodeError):
    """Malformed or oversized HPACK data; HTTP/2 maps it to COMPRESSION_ERROR."""


def malformed(code, *args):
    """The HpackError with message `code` of hpack_errors.MESSAGES, formatted with args (the
    text loads on the first error only; each raise names the message in a comment)."""
    from jotunheim.wire.hpack_errors import MESSAGES

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
    """Entries newest-last in a list. The encoder finds its entries by searching this short
    list (a 4 KB table holds a few dozen) instead of keeping reverse-index dicts: less code,
    and no dicts per connection on the heap."""

    def __init__(self, max_size):
        self.entries = []
        self.size = 0
        self.max_size = max_size

    def get(self, index):
        """Entry at HPACK index (static table first, then dynamic, newest first)."""
        if index <= STATIC_LENGTH:
            if index == 0:
                raise malformed(0)  # index 0 is not valid
            # Entry i starts after the i-th b"\n" (a short walk: no offset table on the heap).
            start = 0
            for _ in range(index):
                start = _BLOB.find(b"\n", start) + 1
            end = _BLOB.find(b"\n", start)
            sep = _BLOB.find(b"\x00", start, end)
            return _BLOB[start:sep], _BLOB[sep + 1 : end]
        pos = len(self.entries) - (index - STATIC_LENGTH)
        if pos < 0:
            raise malformed(1, index)  # index beyond the table
        return self.entries[pos]

    def name_index(self, name):
        """HPACK index of the newest entry named name, or 0."""
        entries = self.entries
        for pos in range(len(entries) - 1, -1, -1):
            if entries[pos][0] == name:
                return STATIC_LENGTH + len(entries) - pos
        return 0

    def add(self, name, value):
        size = len(name) + len(value) + ENTRY_OVERHEAD
        # RFC 7541 4.4: an entry larger than the table empties it and is not added.
        while self.entries and self.size + size > self.max_size:
            self._evict()
        if size <= self.max_size:
            self.entries.append((name, value))
            self.size += size

    def resize(self, max_size):
        self.max_size = max_size
        while self.entries and self.size > max_size:
            self._evict()

    def _evict(self):
        name, value = self.entries.pop(0)
        self.size -= len(name) + len(value) + ENTRY_OVERHEAD
