"""Helpers for the OTA device tests: a slot store in a temp dir, settings, chunk sources."""

import hashlib

import ota_fixtures as fx
import ota_testdata as td
from devtest import tmpdir

from jotunheim.device.ota.slots import FileSlotStore
from jotunheim.device.ota.updater import Updater


def settings(**over):
    s = {
        "enabled": True,
        "trusted_keys": [fx.KEY_K1, fx.KEY_K2],
        "slot_dir": "ota",
        "max_boot_attempts": 3,
        "confirm_timeout_ms": 120000,
        "allow_downgrade": False,
        "chunk_size": 1024,
    }
    s.update(over)
    return s


class Clock:
    def __init__(self):
        self.now = 1000

    def __call__(self):
        return self.now


def make(**over):
    """(store, updater, statuses, clock) over a fresh slot dir."""
    d = tmpdir("ota")
    store = FileSlotStore(d + "/ota", td.FACTORY_VERSION)
    statuses = []
    clock = Clock()
    up = Updater(store, settings(**over), td.TARGET, on_status=statuses.append, clock=clock)
    return store, up, statuses, clock


def reopen(store, statuses=None, **over):
    """A new store + updater on the same slot dir: what the next boot sees."""
    s2 = FileSlotStore(store.slot_dir, td.FACTORY_VERSION)
    out = [] if statuses is None else statuses
    up = Updater(s2, settings(**over), td.TARGET, on_status=out.append, clock=Clock())
    return s2, up, out


def source_for(payload, chunk=1024, fail_after=None, stop_at=None):
    """source(offset) -> list of (offset, data); fail_after bytes raises OSError once."""
    state = {"failed": False}

    def source(offset):
        end = len(payload) if stop_at is None else stop_at
        pos = offset
        while pos < end:
            if fail_after is not None and not state["failed"] and pos >= fail_after:
                state["failed"] = True
                raise OSError(104, "connection reset")
            data = payload[pos : min(pos + chunk, end)]
            yield pos, data
            pos += len(data)

    return source


def slot_digest(store, slot):
    """SHA-256 over a slot's files (name + bytes), to prove a slot was left unchanged."""
    import os

    h = hashlib.sha256()
    d = store.files_dir(slot)
    try:
        names = sorted(os.listdir(d))
    except OSError:
        return h.digest()
    for name in names:
        h.update(name.encode())
        with open(d + "/" + name, "rb") as f:
            h.update(f.read())
    return h.digest()
