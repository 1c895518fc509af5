"""HPACK dynamic tables (RFC 7541 section 2.3, 4): the decoder's, and the encoder's with a
reverse index; plus HpackError, the codec's error."""

from jotunheim.errors import DecodeError
from jotunheim.wire.hpack_static import STATIC_LENGTH, static_entry

ENTRY_OVERHEAD = 32  # RFC 7541 4.1


class HpackError(DecodeError):
    """Malformed or oversized HPACK data; HTTP/2 maps it to COMPRESSION_ERROR."""


class DynamicTable:
    """Entries newest-last in a list; `inserted` counts every insertion ever made so an
    entry's absolute sequence number survives evictions (the encoder indexes by it)."""

    def __init__(self, max_size):
        self.entries = []
        self.size = 0
        self.max_size = max_size
        self.inserted = 0

    def get(self, index):
        """Entry at HPACK index (static table first, then dynamic, newest first)."""
        if index <= STATIC_LENGTH:
            if index == 0:
                raise HpackError("hpack: index 0 is not valid")
            return static_entry(index)
        pos = len(self.entries) - (index - STATIC_LENGTH)
        if pos < 0:
            raise HpackError("hpack: index %d is beyond the table" % index)
        return self.entries[pos]

    def add(self, name, value):
        size = len(name) + len(value) + ENTRY_OVERHEAD
        # RFC 7541 4.4: an entry larger than the table empties it and is not added.
        while self.entries and self.size + size > self.max_size:
            self._evict()
        self.inserted += 1
        if size > self.max_size:
            return
        self.entries.append((name, value))
        self.size += size

    def resize(self, max_size):
        self.max_size = max_size
        while self.entries and self.size > max_size:
            self._evict()

    def _evict(self):
        name, value = self.entries.pop(0)
        self.size -= len(name) + len(value) + ENTRY_OVERHEAD
        self.evicted(self.inserted - len(self.entries) - 1, name, value)

    def evicted(self, seq, name, value):
        """Hook for the encoder's reverse index; the decoder keeps no index."""


class EncoderTable(DynamicTable):
    def __init__(self, max_size):
        DynamicTable.__init__(self, max_size)
        self.pairs = {}  # (name, value) -> sequence number of the newest copy
        self.names = {}  # name -> sequence number

    def add(self, name, value):
        DynamicTable.add(self, name, value)
        if self.entries and self.entries[-1] == (name, value):
            seq = self.inserted - 1
            self.pairs[(name, value)] = seq
            self.names[name] = seq

    def evicted(self, seq, name, value):
        if self.pairs.get((name, value)) == seq:
            del self.pairs[(name, value)]
        if self.names.get(name) == seq:
            del self.names[name]

    def index_of(self, seq):
        return STATIC_LENGTH + self.inserted - seq
