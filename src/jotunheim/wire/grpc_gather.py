"""The zero-copy encoding sink for outgoing messages that hold a large `bytes` value,
imported by Call.encode only for such a message (the device's own messages never hold one)."""

from jotunheim.wire import grpc


class Gather:
    """The `out` of pb.encode_into for outgoing messages: it supports the bytearray
    operations the encoder uses (append, extend, len, item and slice assignment) but keeps
    `bytes` values of grpc.GATHER_MIN bytes or more by reference instead of copying them. The
    message is then a list of buffers (`parts`): small bytearrays holding tags and lengths,
    and the caller's large values, which the channel sends piece by piece. Whole-message
    peak memory on send is thus the request itself, not request + encoding (+ prefix copy).
    """

    def __init__(self, reserve=0):
        self._tail = bytearray(reserve)
        self.parts = [self._tail]
        self._n = reserve

    def __len__(self):
        return self._n

    def append(self, v):
        self._tail.append(v)
        self._n += 1

    def extend(self, v):
        n = len(v)
        if n >= grpc.GATHER_MIN and type(v) is bytes:  # immutable: safe to send later as is
            self.parts.append(v)
            self._tail = bytearray()
            self.parts.append(self._tail)
        else:
            self._tail.extend(v)
        self._n += n

    def __setitem__(self, key, value):
        # The encoder only rewrites bytes it appended itself (a reserved length byte), so
        # the target always lies inside one of our bytearrays.
        is_slice = isinstance(key, slice)
        start = key.start if is_slice else key  # made relative to each part in turn
        for part in self.parts:
            if start < len(part):
                if type(part) is not bytearray:
                    raise TypeError("cannot rewrite a gathered value")
                if is_slice:
                    old = len(part)
                    part[start : start + key.stop - key.start] = value
                    self._n += len(part) - old
                else:
                    part[start] = value
                return
            start -= len(part)
        raise IndexError("gather index out of range")
