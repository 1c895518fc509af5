"""Tool config: validation naming the bad entry, hot reload, atomic replacement, last good kept."""

import json
import os
import time

import grpc
import pytest

from jotunheim.loki.errors import ConfigError
from jotunheim.loki.settings import Limits
from jotunheim.loki.toolconfig import load_tool_config

from .lokihelp import rpc_error, wait_until, write_json


def _config(tools, **extra):
    data = {"version": 1, "tools": tools}
    data.update(extra)
    return data


def test_valid_config_loads_tools_with_limits(tmp_path):
    (tmp_path / "s.lua").write_text("return 1")
    path = tmp_path / "tools.json"
    write_json(
        path,
        _config(
            [
                {"name": "a", "script": "return 1", "system": True, "limits": {"timeout_ms": 50}},
                {
                    "name": "b",
                    "script_path": "s.lua",
                    "return_type": "integer",
                    "parameters": [{"name": "x", "type": "number", "required": False}],
                },
            ],
            defaults={"max_concurrent": 2},
        ),
    )
    cfg = load_tool_config(str(path), Limits())
    a, b = cfg.tools
    assert a.system and a.limits.timeout_ms == 50 and a.limits.max_concurrent == 2
    assert b.return_type == "Integer" and b.parameters[0].type == "Number"
    assert not b.parameters[0].required and b.source == "return 1"
    assert str(tmp_path / "s.lua") in cfg.watched


@pytest.mark.parametrize(
    "tools, fragment",
    [
        ([{"name": "x"}], "tools[0] (x): give exactly one"),
        (
            [{"name": "x", "script": "return 1", "parameters": [{"name": "p", "type": "Blob"}]}],
            "tools[0] (x).parameters[0].type: unknown type",
        ),
        (
            [{"name": "ok", "script": "return 1"}, {"name": "bad", "script": "return ("}],
            "tools[1] (bad): bad: does not compile",
        ),
        (
            [{"name": "x", "script": "return 1", "limits": {"timeout_ms": 0}}],
            "tools[0] (x).limits.timeout_ms",
        ),
        ([{"name": "x", "script": "return 1", "colour": "red"}], "unknown key(s) ['colour']"),
        ([{"name": "x", "script_path": "../../etc/passwd"}], "outside"),
        ([{"name": "x", "script": "return 1"}, {"name": "x", "script": "return 2"}], "duplicate"),
        ([{"name": "x", "script": "return 1", "language": "python"}], "language"),
    ],
)
def test_invalid_entries_are_named(loki, tmp_path, tools, fragment):
    path = tmp_path / "tools.json"
    write_json(path, _config(tools))
    with pytest.raises(ConfigError) as info:
        load_tool_config(str(path), Limits(), loki.core.compile_check)
    assert fragment in str(info.value) and str(path) in str(info.value)


def test_not_json_is_refused(tmp_path):
    path = tmp_path / "tools.json"
    path.write_text("{ nope")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_tool_config(str(path), Limits())


def test_hot_reload_replaces_changed_scripts_and_keeps_last_good(start_loki, tmp_path):
    path = tmp_path / "tools.json"
    write_json(
        path,
        _config(
            [
                {"name": "ver", "script": "return 1", "return_type": "Integer"},
                {"name": "gone", "script": "return 'x'"},
            ]
        ),
    )
    loki = start_loki(tools=str(path))
    c = loki.client
    assert c.call("ver").output == "1" and c.call("gone").output == "x"
    watcher = loki.core.watcher
    generation = watcher.generation

    write_json(
        path,
        _config(
            [
                {"name": "ver", "script": "return 2", "return_type": "Integer"},
                {"name": "new", "script": "return 'n'"},
            ]
        ),
    )
    assert wait_until(lambda: watcher.generation > generation)
    assert c.call("ver").output == "2" and c.call("new").output == "n"
    assert rpc_error(c.call, "gone").code() == grpc.StatusCode.NOT_FOUND

    # A broken file (syntax error in one script) keeps the whole last good config.
    generation = watcher.generation
    write_json(
        path,
        _config(
            [
                {"name": "ver", "script": "return 3", "return_type": "Integer"},
                {"name": "new", "script": "return ("},
            ]
        ),
    )
    assert wait_until(lambda: watcher.last_error is not None)
    assert "tools[1] (new)" in watcher.last_error and watcher.generation == generation
    assert c.call("ver").output == "2" and c.call("new").output == "n"

    path.write_text("{ not json")
    assert wait_until(lambda: "not valid JSON" in (watcher.last_error or ""))
    assert c.call("ver").output == "2"

    write_json(path, _config([{"name": "ver", "script": "return 4", "return_type": "Integer"}]))
    assert wait_until(lambda: watcher.last_error is None)
    assert c.call("ver").output == "4"


def test_changing_a_script_file_triggers_reload(start_loki, tmp_path):
    script = tmp_path / "s.lua"
    script.write_text("return 'one'")
    path = tmp_path / "tools.json"
    write_json(path, _config([{"name": "f", "script_path": "s.lua"}]))
    loki = start_loki(tools=str(path))
    assert loki.client.call("f").output == "one"
    tmp = tmp_path / "s.lua.new"
    tmp.write_text("return 'two'")
    os.replace(tmp, script)
    assert wait_until(lambda: loki.client.call("f").output == "two")


def test_calls_during_reload_see_old_or_new_never_a_mix(start_loki, tmp_path):
    path = tmp_path / "tools.json"

    def version(n):
        return _config(
            [{"name": "a", "script": "return %d" % n}, {"name": "b", "script": "return %d" % n}]
        )

    write_json(path, version(0))
    loki = start_loki(tools=str(path))
    core = loki.core
    seen = set()
    for n in range(1, 6):
        write_json(path, version(n))
        end = time.monotonic() + 0.3
        while time.monotonic() < end:
            # both definitions are read from one registry snapshot
            snapshot = core.registry._merged
            seen.add((snapshot["a"].source, snapshot["b"].source))
    assert all(a == b for a, b in seen)


def test_config_tool_names_cannot_be_taken_over_by_register_script(start_loki, tmp_path):
    path = tmp_path / "tools.json"
    write_json(path, _config([{"name": "owned", "script": "return 1"}]))
    loki = start_loki(tools=str(path))
    resp = loki.client.register("owned", "return 2")
    assert not resp.success and "tool config" in resp.error_message


def test_broken_config_at_start_is_an_error(tmp_path):
    from jotunheim.loki.server import LokiServer
    from jotunheim.loki.settings import LokiSettings

    path = tmp_path / "tools.json"
    path.write_text(json.dumps(_config([{"name": "x", "script": "return ("}])))
    with pytest.raises(ConfigError, match="does not compile"):
        LokiServer(LokiSettings(data_dir=str(tmp_path / "d"), port=0, tools_path=str(path)))


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("{ nope", "not valid JSON"),
        (json.dumps({"children": {"odin": {}}, "tools": []}), "children.odin"),
        (
            json.dumps({"children": {"fenrir": {"actuators": {"pump": {"pin": "x"}}}}}),
            "pin must be",
        ),
    ],
)
def test_bad_children_or_json_at_start_is_a_config_error(tmp_path, content, fragment):
    from jotunheim.loki.server import LokiServer
    from jotunheim.loki.settings import LokiSettings

    path = tmp_path / "tools.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=fragment):
        LokiServer(LokiSettings(data_dir=str(tmp_path / "d"), port=0, tools_path=str(path)))
