"""CommandResult dicts (hub.proto): error codes, JSON checks, compact storage.

Split from commands.py so the handler module stays small; everything here is pure. Mapping
an exception to an error code is in command_failures.py (loaded on the first failure).
"""

from jotunheim.compat import const
from jotunheim.device.tools import ToolError
from jotunheim.wire.pbwire import put_varint, read_varint

MAX_RESULT_BYTES = 32768  # a result must fit one DeviceMessage on a small heap
_MAX_MESSAGE_CHARS = const(200)
_MAX_RESULT_DEPTH = const(16)
CODES = (
    "INVALID_ARGUMENT",
    "NOT_FOUND",
    "DEADLINE_EXCEEDED",
    "RESOURCE_EXHAUSTED",
    "INTERNAL",
    "UNAVAILABLE",
)


def error_result(command_id, code, message, duration_us=0):
    """A failed CommandResult dict (an unknown code becomes INTERNAL)."""
    return {
        "command_id": command_id,
        "success": False,
        "result": b"",
        "error_code": code if code in CODES else "INTERNAL",
        "error_message": message[:_MAX_MESSAGE_CHARS],
        "duration_us": duration_us,
    }


def check_json(value, where, depth=0):
    """Raises ToolError unless `value` is plain JSON data.

    MicroPython's json.dumps writes `<object>` and `nan` instead of failing, so results are
    checked here rather than trusting the encoder.
    """
    if value is None or isinstance(value, (bool, str)):
        return
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not (value == value and value - value == 0):
            raise ToolError("%s: result holds a non-finite number" % where)
        return
    if depth >= _MAX_RESULT_DEPTH:
        raise ToolError("%s: result nested deeper than %d" % (where, _MAX_RESULT_DEPTH))
    if isinstance(value, (list, tuple)):
        for item in value:
            check_json(item, where, depth + 1)
        return
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise ToolError("%s: result has a non-string key %r" % (where, key))
            check_json(value[key], where, depth + 1)
        return
    raise ToolError("%s: result is not JSON data (%s)" % (where, type(value).__name__))


class ResultCache:
    """The last `size` CommandResults by command id, least recently used dropped first.

    All entries live in one bytearray, least recently used first, each a record
    [record length, varint][id length, varint][id][code index][duration_us, varint][payload
    or message]. A dict per result cost ~250 B on the 64-bit unix port and one bytes object
    per result in a list ~64 B; a record here costs its own bytes (~30 for a typical result).
    Lookups scan at most `size` records (16 by default): no dict beside them. Varints
    (LEB128): ids under 128 bytes and durations under ~2 s take 1 and 3 bytes, which keeps a
    typical entry inside a 32-byte heap block. Three methods only: each costs heap.
    """

    def __init__(self, size):
        self.size = max(1, size)
        self._buf = bytearray()
        self._n = 0  # records in _buf

    def _find(self, cid):
        # -> (record start, record end, id prefix, where the prefix ends in the record); a
        # start of -1 when cid has no record.
        raw = cid.encode()
        key = bytearray()
        put_varint(key, len(raw))
        key.extend(raw)
        buf = self._buf
        at = 0
        while at < len(buf):
            rlen, body = read_varint(buf, at, len(buf))
            end = body + rlen
            if rlen >= len(key) and buf[body : body + len(key)] == key:
                return at, end, key, body - at + len(key)
            at = end
        return -1, 0, key, 0

    def get(self, cid):
        """The CommandResult dict stored for `cid` (made most recent), or None."""
        start, end, _, skip = self._find(cid)
        if start < 0:
            return None
        buf = self._buf
        record = buf[start:end]
        if end != len(buf):  # most recently used last
            buf[start:end] = b""
            buf.extend(record)
        code = record[skip]
        took, at = read_varint(record, skip + 1, len(record))
        body = bytes(record[at:])
        return {
            "command_id": cid,
            "success": code == 0,
            "result": body if code == 0 else b"",
            "error_code": "" if code == 0 else CODES[code - 1],
            "error_message": "" if code == 0 else body.decode(),
            "duration_us": took,
        }

    def put(self, cid, result):
        """Stores `result` as cid's record (replacing one it had), dropping the least
        recently used record when `size` are stored."""
        start, end, entry, _ = self._find(cid)
        buf = self._buf
        if start < 0 and self._n >= self.size:  # full: cut the oldest, at the front
            rlen, end = read_varint(buf, 0, len(buf))
            start, end = 0, end + rlen
        if start >= 0:
            buf[start:end] = b""
            self._n -= 1
        ok = result["success"]
        entry.append(0 if ok else CODES.index(result["error_code"]) + 1)
        put_varint(entry, max(0, result["duration_us"]))
        entry.extend(result["result"] if ok else result["error_message"].encode())
        put_varint(buf, len(entry))
        buf.extend(entry)
        self._n += 1
