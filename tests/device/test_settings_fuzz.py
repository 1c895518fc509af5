"""Seeded mutation fuzzing of settings: any input either loads or raises SettingsError with a
key path, never another exception, and secrets never leak into the message."""

import json

from settingsdev import KEY, complete

from jotunheim.device.settings import Settings, SettingsError

PASSWORD = "wifi-secret-pw"
VALUES = (None, True, False, 0, -1, 7, 1.5, -0.0, 2**40, "", "x", "a" * 300, "1.2.3.4:5")
VALUES += ([], [1], ["x"], {}, {"a": 1}, [{}], "0" * 40, 118, 65535, "ow0", "i2c0")


class Rng:
    """A small LCG so both runtimes see the same sequence."""

    def __init__(self, seed):
        self.state = seed

    def below(self, n):
        self.state = (self.state * 1103515245 + 12345) & 0x7FFFFFFF
        return (self.state >> 8) % n


def _containers(node, out):
    if isinstance(node, dict):
        out.append(node)
        for v in node.values():
            _containers(v, out)
    elif isinstance(node, list):
        out.append(node)
        for v in node:
            _containers(v, out)
    return out


def _mutate(doc, rng):
    nodes = _containers(doc, [])
    node = nodes[rng.below(len(nodes))]
    action = rng.below(4)
    if isinstance(node, dict):
        keys = sorted(node)
        if action == 0 or not keys:
            node["extra%d" % rng.below(3)] = VALUES[rng.below(len(VALUES))]
        elif action == 1:
            del node[keys[rng.below(len(keys))]]
        else:
            node[keys[rng.below(len(keys))]] = VALUES[rng.below(len(VALUES))]
    elif node:
        i = rng.below(len(node))
        if action == 1:
            del node[i]
        elif action == 2:
            node.append(node[i])  # duplicates: same names, same pins
        else:
            node[i] = VALUES[rng.below(len(VALUES))]
    else:
        node.append(VALUES[rng.below(len(VALUES))])


def _check(doc, strict=True):
    try:
        s = Settings(doc, strict=strict)
    except SettingsError as exc:
        msg = str(exc)
        assert ": " in msg and exc.key is not None or msg.startswith("("), msg
        assert KEY not in msg and PASSWORD not in msg, msg
        return False
    again = Settings.from_json(s.to_json())  # what loads also saves and reloads
    assert again.data == s.data
    text = json.dumps(s.redacted())
    assert KEY not in text and PASSWORD not in text
    return True


def test_mutated_documents_load_or_fail_cleanly():
    rng = Rng(12345)
    ok = 0
    for i in range(300):
        doc = complete()
        for _ in range(1 + rng.below(3)):
            _mutate(doc, rng)
        if _check(doc, strict=i & 1 == 0):
            ok += 1
    assert 10 < ok < 290, ok  # the fuzzer explores both outcomes


def test_truncated_and_garbled_files_fail_cleanly():
    text = json.dumps(complete())
    for n in range(0, len(text), 7):
        try:
            Settings.from_json(text[:n])
        except SettingsError as exc:
            assert KEY not in str(exc) and PASSWORD not in str(exc)
    rng = Rng(7)
    for _ in range(100):
        raw = bytearray(text.encode())
        for _ in range(3):
            raw[rng.below(len(raw))] = rng.below(256)
        try:
            Settings.from_json(bytes(raw))
        except SettingsError as exc:
            assert KEY not in str(exc) and PASSWORD not in str(exc)


def test_utf8_bom_is_accepted():
    s = Settings.from_json(b"\xef\xbb\xbf" + json.dumps(complete()).encode())
    assert s["identity"]["device_id"] == "kitchen-1"
