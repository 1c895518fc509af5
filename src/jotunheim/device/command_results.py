"""CommandResult dicts (hub.proto): error codes, exception mapping, JSON checks, compact storage.

Split from commands.py so the handler module stays small; everything here is pure.
"""

import asyncio

from jotunheim.device.tools import ToolError

MAX_RESULT_BYTES = 32768  # a result must fit one DeviceMessage on a small heap
MAX_MESSAGE_CHARS = 200
MAX_RESULT_DEPTH = 16
CODES = (
    "INVALID_ARGUMENT",
    "NOT_FOUND",
    "DEADLINE_EXCEEDED",
    "RESOURCE_EXHAUSTED",
    "INTERNAL",
    "UNAVAILABLE",
)
# gRPC status (int) -> CommandResult error_code, for tools that call over gRPC (Loki).
_GRPC_CODES = {3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED", 5: "NOT_FOUND"}
_GRPC_CODES[8] = "RESOURCE_EXHAUSTED"
_GRPC_CODES[14] = "UNAVAILABLE"


def error_result(command_id, code, message, duration_us=0):
    """A failed CommandResult dict (an unknown code becomes INTERNAL)."""
    return {
        "command_id": command_id,
        "success": False,
        "result": b"",
        "error_code": code if code in CODES else "INTERNAL",
        "error_message": message[:MAX_MESSAGE_CHARS],
        "duration_us": duration_us,
    }


def error_code_of(exc):
    """The CommandResult error_code for an exception raised by a tool."""
    code = getattr(exc, "error_code", None)
    if code in CODES:
        return code
    if isinstance(exc, asyncio.TimeoutError):
        return "DEADLINE_EXCEEDED"
    if isinstance(exc, MemoryError) or type(exc).__name__ == "ResourceExhausted":
        return "RESOURCE_EXHAUSTED"
    status = getattr(exc, "status", None)
    if isinstance(status, int) and status in _GRPC_CODES:
        return _GRPC_CODES[status]
    return "INTERNAL"


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
    if depth >= MAX_RESULT_DEPTH:
        raise ToolError("%s: result nested deeper than %d" % (where, MAX_RESULT_DEPTH))
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

    Each entry is one bytes object: [id length, varint][id][pack(result)]. A dict per result
    cost ~250 B on the 64-bit unix port, a dict of packed entries ~160 B; one bytes object in
    a list ~64 B. Lookups scan at most `size` entries (16 by default): no dict beside them.
    """

    def __init__(self, size):
        self.size = max(1, size)
        self._entries = []  # least recently used first

    def __len__(self):
        return len(self._entries)

    def _find(self, cid):
        key = _id_prefix(cid)
        entries = self._entries
        for i in range(len(entries)):
            if entries[i].startswith(key):
                return i, len(key)
        return -1, 0

    def get(self, cid, touch=True):
        """The CommandResult dict stored for `cid` (made most recent), or None."""
        i, skip = self._find(cid)
        if i < 0:
            return None
        entry = self._entries[i]
        if touch and i != len(self._entries) - 1:
            self._entries.append(self._entries.pop(i))
        return _expand(cid, entry, skip)

    def put(self, cid, result):
        i, _ = self._find(cid)
        if i >= 0:
            self._entries.pop(i)
        elif len(self._entries) >= self.size:
            self._entries.pop(0)
        self._entries.append(_id_prefix(cid) + pack(result))

    def drop(self, cid):
        i, _ = self._find(cid)
        if i >= 0:
            self._entries.pop(i)
        return i >= 0


def _id_prefix(cid):
    raw = cid.encode()
    return _varint(len(raw)) + raw


def _varint(n):
    # LEB128: ids under 128 bytes and durations under ~2 s take 1 and 3 bytes, which keeps a
    # typical entry inside a 32-byte heap block.
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _read_varint(data, at):
    n = 0
    shift = 0
    while True:
        b = data[at]
        n |= (b & 0x7F) << shift
        at += 1
        if b < 0x80:
            return n, at
        shift += 7


def pack(result):
    """One CommandResult as bytes: [code index][duration_us, varint][payload or message]."""
    code = 0 if result["success"] else CODES.index(result["error_code"]) + 1
    body = result["result"] if result["success"] else result["error_message"].encode()
    return bytes((code,)) + _varint(max(0, result["duration_us"])) + body


def expand(cid, entry):
    """The CommandResult dict for `cid` from pack()'s bytes."""
    return _expand(cid, entry, 0)


def _expand(cid, entry, at):
    code = entry[at]
    took, at = _read_varint(entry, at + 1)
    body = entry[at:]
    return {
        "command_id": cid,
        "success": code == 0,
        "result": body if code == 0 else b"",
        "error_code": "" if code == 0 else CODES[code - 1],
        "error_message": "" if code == 0 else body.decode(),
        "duration_us": took,
    }
