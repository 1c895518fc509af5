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
    [record length, varint][id length, varint][id][pack(result)]. A dict per result cost
    ~250 B on the 64-bit unix port and one bytes object per result in a list ~64 B; a record
    here costs its own bytes (~30 for a typical result). Lookups scan at most `size` records
    (16 by default): no dict beside them.
    """

    def __init__(self, size):
        self.size = max(1, size)
        self._buf = bytearray()
        self._n = 0  # records in _buf

    def __len__(self):
        return self._n

    def _find(self, cid):
        # -> (record start, entry start, entry end, id prefix length), or start -1.
        key = _id_prefix(cid)
        buf = self._buf
        at = 0
        while at < len(buf):
            rlen, body = read_varint(buf, at, len(buf))
            end = body + rlen
            if rlen >= len(key) and buf[body : body + len(key)] == key:
                return at, body, end, len(key)
            at = end
        return -1, 0, 0, 0

    def _cut(self, start, end):
        self._buf[start:end] = b""
        self._n -= 1

    def _append(self, entry):
        put_varint(self._buf, len(entry))
        self._buf.extend(entry)
        self._n += 1

    def get(self, cid, touch=True):
        """The CommandResult dict stored for `cid` (made most recent), or None."""
        start, body, end, skip = self._find(cid)
        if start < 0:
            return None
        entry = bytes(self._buf[body:end])
        if touch and end != len(self._buf):
            self._cut(start, end)
            self._append(entry)
        code = entry[skip]  # the record as pack() wrote it
        took, at = read_varint(entry, skip + 1, len(entry))
        body = entry[at:]
        return {
            "command_id": cid,
            "success": code == 0,
            "result": body if code == 0 else b"",
            "error_code": "" if code == 0 else CODES[code - 1],
            "error_message": "" if code == 0 else body.decode(),
            "duration_us": took,
        }

    def put(self, cid, result):
        start, _, end, _ = self._find(cid)
        if start >= 0:
            self._cut(start, end)
        elif self._n >= self.size:
            rlen, body = read_varint(self._buf, 0, len(self._buf))
            self._cut(0, body + rlen)
        self._append(_id_prefix(cid) + pack(result))

    def drop(self, cid):
        start, _, end, _ = self._find(cid)
        if start >= 0:
            self._cut(start, end)
        return start >= 0


def _id_prefix(cid):
    # Varints (LEB128): ids under 128 bytes and durations under ~2 s take 1 and 3 bytes,
    # which keeps a typical entry inside a 32-byte heap block.
    raw = cid.encode()
    out = bytearray()
    put_varint(out, len(raw))
    return bytes(out) + raw


def pack(result):
    """One CommandResult as bytes: [code index][duration_us, varint][payload or message]."""
    code = 0 if result["success"] else CODES.index(result["error_code"]) + 1
    body = result["result"] if result["success"] else result["error_message"].encode()
    out = bytearray((code,))
    put_varint(out, max(0, result["duration_us"]))
    return bytes(out) + body
