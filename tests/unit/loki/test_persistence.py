"""Persistence: registered scripts and Hel's key-value store survive a server restart."""

import json

from jotunheim._gen import loki_pb2 as pb


def test_registered_scripts_are_back_after_restart(start_loki, tmp_path):
    data = tmp_path / "data"
    loki = start_loki(data_dir=data)
    loki.client.register(
        "add",
        "return params.a + params.b",
        [("a", "Number"), ("b", "Number")],
        "Number",
        "adds two numbers",
    )
    loki.client.register("greet", "return 'hi ' .. params.who", [("who", "String")], "String")
    loki.client.register("greet", "return 'hello ' .. params.who", [("who", "String")], "String")
    loki.stop()

    again = start_loki(data_dir=data)
    assert again.client.call("add", a=2, b=3).output == "5"
    assert again.client.call("greet", who="bob").output == "hello bob"
    info = again.client.stub.ListScripts(pb.ListScriptsRequest(name_pattern="add")).scripts[0]
    assert info.description == "adds two numbers" and info.return_type == "Number"
    assert [p.name for p in info.parameters] == ["a", "b"]
    index = json.loads((data / "scripts" / "index.json").read_text())
    assert sorted(e["name"] for e in index["scripts"]) == ["add", "greet"]


def test_kv_store_survives_restart(start_loki, tmp_path):
    data = tmp_path / "data"
    loki = start_loki(data_dir=data)
    loki.client.register(
        "put", "return hel.kv_set(params.k, params.v)", [("k", "String"), ("v", "Object")]
    )
    loki.client.register("get", "return hel.kv_get(params.k)", [("k", "String")])
    assert loki.client.call("put", k="cfg", v='{"level": 3}').output == "true"
    loki.stop()
    again = start_loki(data_dir=data)
    assert json.loads(again.client.call("get", k="cfg").output) == {"level": 3}


def test_corrupt_persisted_entry_is_skipped_not_fatal(start_loki, tmp_path):
    data = tmp_path / "data"
    loki = start_loki(data_dir=data)
    loki.client.register("good", "return 1")
    loki.client.register("bad", "return 2")
    loki.stop()
    (data / "scripts" / "bad.lua").write_text("return (")  # damaged on disk
    again = start_loki(data_dir=data)
    assert again.client.call("good").output == "1"
    names = [s.name for s in again.client.stub.ListScripts(pb.ListScriptsRequest()).scripts]
    assert names == ["good"]
