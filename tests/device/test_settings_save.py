"""Settings persistence: atomic save, crash recovery, reload with listeners, redaction."""

import json
import os

from devtest import raises, tmpdir
from settingsdev import KEY, complete, minimal

from jotunheim.device.log import Logger
from jotunheim.device.settings import TEMP_SUFFIX, Settings, SettingsError


def _write(path, doc):
    with open(path, "w") as f:
        f.write(doc if isinstance(doc, str) else json.dumps(doc))


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def test_load_save_round_trip_is_identical():
    d = tmpdir("set")
    path = d + "/device.json"
    _write(path, complete())
    s = Settings.load(path)
    s.save()
    again = Settings.load(path)
    assert again.data == s.data
    text = open(path).read()
    assert text.startswith('{\n  "schema_version": 1,\n  "identity": {')  # human-readable
    assert json.loads(text) == s.data
    assert not _exists(path + TEMP_SUFFIX)


def test_missing_file_is_a_settings_error():
    d = tmpdir("set")
    with raises(SettingsError, match="cannot read settings file"):
        Settings.load(d + "/nope.json")


def test_oversized_file_is_refused():
    d = tmpdir("set")
    path = d + "/device.json"
    _write(path, json.dumps(minimal()) + " " * 17000)
    with raises(SettingsError, match="larger than 16384 bytes"):
        Settings.load(path)


class _PowerCut(Settings):
    """Writes half of the temp file and then 'loses power' (raises) before the rename."""

    def _write_temp(self, tmp, payload):
        with open(tmp, "wb") as f:
            f.write(payload[: len(payload) // 2])
        raise OSError(5)


def test_power_cut_during_save_keeps_old_file_and_cleans_temp():
    d = tmpdir("set")
    path = d + "/device.json"
    _write(path, minimal())
    s = _PowerCut.load(path)
    s["logging"]["level"] = "DEBUG"
    with raises(OSError):
        s.save()
    assert _exists(path + TEMP_SUFFIX)  # the torn write is there ...
    again = Settings.load(path)  # ... but the old file still loads
    assert again["logging"]["level"] == "WARN"
    assert not _exists(path + TEMP_SUFFIX)  # and the leftover is cleaned up


def test_complete_temp_without_target_is_recovered():
    # FAT renames by removing the target first: a cut there leaves only the complete temp.
    d = tmpdir("set")
    path = d + "/device.json"
    _write(path + TEMP_SUFFIX, minimal())
    lines = []
    s = Settings.load(path, logger=Logger("settings", "WARN", lines.append))
    assert s["identity"]["device_id"] == "kitchen-1"
    assert _exists(path) and not _exists(path + TEMP_SUFFIX)
    assert lines == ["WARN settings: settings: finished an interrupted save of " + path]
    assert Settings.load(path).data == s.data


def test_torn_temp_without_target_is_an_error():
    d = tmpdir("set")
    path = d + "/device.json"
    _write(path + TEMP_SUFFIX, json.dumps(minimal())[:20])
    with raises(SettingsError):
        Settings.load(path)


def test_save_validates_before_writing():
    d = tmpdir("set")
    path = d + "/device.json"
    _write(path, minimal())
    s = Settings.load(path)
    s["resource_limits"]["max_concurrent_tools"] = 0
    with raises(SettingsError, match="resource_limits.max_concurrent_tools"):
        s.save()
    assert Settings.load(path)["resource_limits"]["max_concurrent_tools"] == 2


def test_save_to_new_path_and_from_dict():
    d = tmpdir("set")
    s = Settings(minimal())
    with raises(SettingsError, match="no path"):
        s.save()
    s.save(d + "/new.json")
    assert s.path == d + "/new.json"
    assert Settings.load(d + "/new.json").data == s.data
    s.save(path=d + "/kw.json")  # served lazily: keywords pass through
    assert s.path == d + "/kw.json"


def test_reload_notifies_listeners_with_changed_sections():
    d = tmpdir("set")
    path = d + "/device.json"
    _write(path, minimal())
    s = Settings.load(path)
    seen = []
    s.on_change(lambda settings, changed: seen.append((settings, changed)))
    assert s.reload() == []  # unchanged file: nobody is told
    assert seen == []
    doc = minimal()
    doc["logging"] = {"level": "DEBUG"}
    doc["hub"] = {"addresses": ["10.0.0.1:50051"]}
    _write(path, doc)
    assert s.reload() == ["hub", "logging"]
    assert seen == [(s, ["hub", "logging"])]
    assert s["logging"]["level"] == "DEBUG"


def test_bad_file_on_reload_raises_and_keeps_old_settings():
    d = tmpdir("set")
    path = d + "/device.json"
    _write(path, minimal())
    s = Settings.load(path)
    seen = []
    s.on_change(lambda settings, changed: seen.append(changed))
    _write(path, '{"identity": {"device_id": "x"')
    with raises(SettingsError, match="not valid JSON"):
        s.reload()
    _write(path, {"identity": {"device_id": "x", "key": KEY}, "logging": {"level": "nope"}})
    with raises(SettingsError, match="logging.level"):
        s.reload()
    assert s["identity"]["device_id"] == "kitchen-1" and seen == []


def test_failing_listener_does_not_block_others():
    s = Settings(minimal())
    seen = []

    def broken(settings, changed):
        raise RuntimeError("boom")

    s.on_change(broken)
    s.on_change(lambda settings, changed: seen.append(changed))
    doc = minimal()
    doc["loki"] = {"mode": "local"}
    assert s.apply(doc) == ["loki"]
    assert seen == [["loki"]]
    s.remove_listener(broken)
    assert len(s._listeners) == 1


def test_redacted_hides_secrets_and_leaves_data_alone():
    s = Settings(complete())
    r = s.redacted()
    assert r["identity"]["key"] == "***"
    assert r["network"]["wifi"]["password"] == "***"
    assert r["network"]["wifi"]["ssid"] == "home"
    assert s["identity"]["key"] == KEY  # the live data is untouched
    text = json.dumps(r)
    assert KEY not in text and "wifi-secret-pw" not in text
    r["hub"]["addresses"].append("x:1")
    assert len(s["hub"]["addresses"]) == 2  # a deep copy
    assert Settings(minimal()).redacted()["network"]["wifi"]["password"] is None


def test_repr_has_no_secrets():
    s = Settings(complete())
    text = repr(s) + str(s)
    assert "kitchen-1" in text
    assert KEY not in text and "wifi-secret-pw" not in text
