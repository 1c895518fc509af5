"""The A/B boot state: which slot boots, trial attempts, confirmation, last rollback reason.

Stored as one small JSON file replaced atomically (write temp, then rename), so a power cut
leaves either the old or the new state, never a mix (docs/ota.md "Power cuts").
"""

import json

from jotunheim.errors import DecodeError

SLOTS = ("a", "b")


class SlotError(DecodeError):
    """A slot operation that cannot be done (e.g. nothing to roll back to)."""


def other(slot):
    return "b" if slot == "a" else "a"


def default_state(factory_version):
    return {
        "active": "a",
        "previous": "",
        "confirmed": True,
        "attempts": 0,
        "versions": {"a": factory_version, "b": ""},
        "last_rollback": "",
        "rolled_back_version": "",
    }


def _valid(d):
    if not isinstance(d, dict):
        return False
    if d.get("active") not in SLOTS or d.get("previous") not in ("", "a", "b"):
        return False
    if not isinstance(d.get("versions"), dict) or not isinstance(d.get("attempts"), int):
        return False
    return isinstance(d.get("confirmed"), bool) and isinstance(d.get("last_rollback"), str)


def _load(path):
    from jotunheim.device.ota.flashfs import read_json

    d = read_json(path, 4096)
    return d if _valid(d) else None


def read_state(path, factory_version):
    """The current state; falls back to the temp file only when the main file is gone."""
    d = _load(path)
    if d is None:
        # Only reachable after a cut between remove and rename on a filesystem whose rename
        # does not replace (FAT): the temp file is then complete, since we remove only after.
        d = _load(path + ".tmp")
    if d is None:
        d = default_state(factory_version)
    d.setdefault("rolled_back_version", "")
    return d


def write_state(path, state, step=None):
    """Replace the state file atomically; `step(label)` marks each durable mutation (tests)."""
    from jotunheim.device import durable

    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(json.dumps(state).encode())
        durable.flush(f)
    if step:
        step("state-tmp")
    # read_state covers a cut between FAT's remove and rename by reading the temp file.
    durable.replace(tmp, path, step)
    if step:
        step("state-renamed")
