"""Encoding side of the compact settings form (settings_store reads it back): canonical JSON
and each section's difference from the defaults. Needed only when a document is validated
(load, reload, save), so Settings imports it for the call and drops it on MicroPython.
"""

import json

from jotunheim.device.settings_store import DEFAULTS, FULL_MARK, SECTIONS, decode

_SAME = object()  # "equal to the default": nothing stored


def dump(value):
    """Canonical compact JSON (sorted keys): equal values give equal text on one runtime."""
    if isinstance(value, dict):
        parts = [json.dumps(k) + ":" + dump(value[k]) for k in sorted(value)]
        return "{" + ",".join(parts) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join([dump(x) for x in value]) + "]"
    return json.dumps(value)


def _diff(value, default):
    # What `value` adds to `default`; _SAME when nothing; None when a default key is missing
    # (a difference that merging cannot express).
    if isinstance(value, dict) and isinstance(default, dict):
        out = {}
        for key in default:
            if key not in value:
                return None
        for key in value:
            d = _diff(value[key], default.get(key, _SAME))
            if d is None:
                return None
            if d is not _SAME:
                out[key] = d
        return out if out else _SAME
    if type(value) is type(default) and value == default:  # 1 == True: compare types too
        return _SAME
    return [value]  # boxed, so a stored None is not mistaken for "cannot express"


def _unbox(d):
    if isinstance(d, dict):
        return {k: _unbox(v) for k, v in d.items()}
    return d[0]


def encode(i, value):
    """Section `i`'s value as stored text ("" when it equals the defaults)."""
    d = _diff(value, json.loads(DEFAULTS[i]))
    text = "" if d is _SAME else FULL_MARK if d is None else dump(_unbox(d))
    if text[:1] != FULL_MARK and dump(decode(i, text)) != dump(value):
        text = FULL_MARK  # belt and braces: never store what does not read back exactly
    return text + dump(value) if text == FULL_MARK else text


def compact(data):
    """All sections' stored texts in one string, with the end offset of each."""
    texts = [encode(i, data[SECTIONS[i]]) for i in range(len(SECTIONS))]
    ends = []
    end = 0
    for text in texts:
        end += len(text)
        ends.append(end)
    return "".join(texts), tuple(ends)
