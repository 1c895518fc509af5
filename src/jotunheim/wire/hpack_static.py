"""HPACK static table (RFC 7541 Appendix A) in one bytes blob, looked up without building dicts."""

from array import array

STATIC_LENGTH = 61

# Entry i (1-based) is b"\n" + name + b"\x00" + value; a final b"\n" closes the last one.
# Neither byte occurs in the table's names or values, so `find` can search whole entries:
# on a microcontroller this is ~0.8 KB instead of ~8 KB of tuples and ~4 KB of lookup dicts.
_BLOB = (
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


def _offsets():
    offsets = array("H", bytes(2 * (STATIC_LENGTH + 1)))
    for i in range(1, STATIC_LENGTH + 1):
        offsets[i] = _BLOB.find(b"\n", offsets[i - 1] + 1)
    return offsets


_OFFSETS = _offsets()  # _OFFSETS[i - 1] is the position of entry i's leading b"\n"


def static_entry(index):
    """(name, value) of static-table index 1..61."""
    start = _OFFSETS[index - 1] + 1
    end = _OFFSETS[index]
    sep = _BLOB.find(b"\x00", start, end)
    return _BLOB[start:sep], _BLOB[sep + 1 : end]


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
