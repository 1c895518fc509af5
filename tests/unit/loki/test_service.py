"""Loki over the wire: registration, dynamic Script_ calls, streaming, discovery, ExecuteScript."""

import json

import grpc

from jotunheim._gen import einherjar_pb2, einherjar_pb2_grpc
from jotunheim._gen import loki_pb2 as pb

from .lokihelp import rpc_error

ADD = "return params.a + params.b"


def test_registered_script_is_callable_at_once(loki):
    c = loki.client
    resp = c.register("add", ADD, [("a", "Number"), ("b", "Number")], "Number")
    assert resp.success and resp.script_name == "add"
    result = c.call("add", a=2, b=40)
    assert result.success and result.output == "42"
    assert result.metadata["type"] == "Integer"
    assert c.call("add", a="1.5", b=1).output == "2.5"


def test_reregistering_replaces_the_script_without_restart(loki):
    c = loki.client
    c.register("greet", "return 'hello'", return_type="String")
    assert c.call("greet").output == "hello"
    c.register("greet", "return 'bonjour'", return_type="String")
    assert c.call("greet").output == "bonjour"


def test_syntax_error_is_refused_at_registration_without_running(loki):
    c = loki.client
    c.register("probe", "return 1")
    resp = c.register("bad", "print('ran') return (")
    assert not resp.success
    assert "does not compile" in resp.error_message and "bad" in resp.error_message
    assert rpc_error(c.call, "bad").code() == grpc.StatusCode.NOT_FOUND


def test_registration_checks_names_types_and_language(loki):
    c = loki.client
    assert "unknown type" in c.register("t1", "return 1", [("a", "Float")]).error_message
    assert "return_type" in c.register("t2", "return 1", return_type="Widget").error_message
    assert "name" in c.register("1bad", "return 1").error_message
    resp = c.stub.RegisterScript(
        pb.RegisterScriptRequest(name="py", language="python", inline_script="return 1")
    )
    assert not resp.success and "lua" in resp.error_message
    resp = c.register("dup", "return 1", [("a", "String"), ("a", "Number")])
    assert "duplicate" in resp.error_message


def test_register_from_script_path_inside_data_dir(loki, tmp_path):
    scripts = tmp_path / "data" / "lib"
    scripts.mkdir(parents=True)
    (scripts / "twice.lua").write_text("return params.x * 2")
    resp = loki.client.stub.RegisterScript(
        pb.RegisterScriptRequest(
            name="twice",
            language="lua",
            script_path="lib/twice.lua",
            return_type="Integer",
            parameters=[pb.ParameterDefinition(name="x", type="Integer", required=True)],
        )
    )
    assert resp.success, resp.error_message
    assert loki.client.call("twice", x=21).output == "42"
    listed = loki.client.stub.ListScripts(pb.ListScriptsRequest(name_pattern="twi*")).scripts
    assert [s.script_path for s in listed] == ["lib/twice.lua"]
    assert not listed[0].has_inline_script


def test_script_path_traversal_is_refused(loki, tmp_path):
    (tmp_path / "secret.lua").write_text("return 'secret'")
    for path in ("../secret.lua", str(tmp_path / "secret.lua"), "a/../../secret.lua"):
        resp = loki.client.stub.RegisterScript(
            pb.RegisterScriptRequest(name="s", language="lua", script_path=path)
        )
        assert not resp.success and (
            "outside" in resp.error_message or "relative" in resp.error_message
        )


def test_unknown_script_is_not_found_with_a_message(loki):
    err = rpc_error(loki.client.call, "nothing_here")
    assert err.code() == grpc.StatusCode.NOT_FOUND and "nothing_here" in err.details()
    err = rpc_error(loki.client.stream, "nothing_here")
    assert err.code() == grpc.StatusCode.NOT_FOUND


def test_tables_are_returned_as_json(loki):
    c = loki.client
    c.register("tbl", "return {name='x', list={1, 2, 3}, nested={ok=true}}", return_type="Object")
    assert json.loads(c.call("tbl").output) == {
        "name": "x",
        "list": [1, 2, 3],
        "nested": {"ok": True},
    }
    c.register("empty", "return {}", return_type="Array")
    assert c.call("empty").output == "[]"
    c.register("nothing", "local x = 1")
    result = c.call("nothing")
    assert result.success and result.output == "" and result.metadata["type"] == "Nil"


def test_lua_error_is_a_grpc_status_carrying_the_message(loki):
    c = loki.client
    c.register("boom", "error('the pump is on fire')")
    err = rpc_error(c.call, "boom")
    assert err.code() == grpc.StatusCode.UNKNOWN and "the pump is on fire" in err.details()
    assert ("loki-error-type", "LuaError") in err.trailing_metadata()
    c.register("ok", "return 1")
    assert c.call("ok").output == "1"  # the service keeps serving


def test_nil_message_return_is_an_in_band_failure(loki):
    loki.client.register("soft", "return nil, 'sensor offline'")
    result = loki.client.call("soft")
    assert not result.success and result.output == "sensor offline"
    assert result.metadata["error_type"] == "ScriptFailure"


def test_return_type_mismatch_is_reported(loki):
    loki.client.register("liar", "return 'text'", return_type="Integer")
    err = rpc_error(loki.client.call, "liar")
    assert "returned String but declares return type Integer" in err.details()


def test_cyclic_table_result_is_an_error_not_a_hang(loki):
    loki.client.register("cycle", "local t = {} t.self = t return t")
    err = rpc_error(loki.client.call, "cycle")
    assert "nested deeper" in err.details()


def test_streaming_sends_output_then_result(loki):
    c = loki.client
    c.register(
        "count",
        "for i = 1, params.n do print('tick', i) end return params.n",
        [("n", "Integer")],
        "Integer",
    )
    chunks = c.stream("count", n=3)
    kinds = [ch.WhichOneof("chunk_type") for ch in chunks]
    assert kinds == ["output", "output", "output", "result"]
    assert [ch.output.data for ch in chunks[:3]] == ["tick\t1", "tick\t2", "tick\t3"]
    assert chunks[-1].result.success and chunks[-1].result.output == "3"
    assert all(ch.timestamp > 0 for ch in chunks)


def test_streaming_error_chunk(loki):
    loki.client.register("fails", "print('before') error('after print')")
    chunks = loki.client.stream("fails")
    assert chunks[0].output.data == "before"
    assert chunks[-1].error.error_type == "LuaError"
    assert "after print" in chunks[-1].error.error_message


def test_stream_script_execution_rpc(loki):
    loki.client.register("echo", "print(params.s) return #params.s", [("s", "String")], "Integer")
    chunks = list(
        loki.client.stub.StreamScriptExecution(
            pb.StreamScriptExecutionRequest(
                script_name="echo", input=pb.ScriptInput(parameters={"s": "abc"})
            )
        )
    )
    assert chunks[0].output.data == "abc" and chunks[-1].result.output == "3"


def test_printed_output_is_returned_in_metadata(loki):
    loki.client.register("chatty", "print('a', 1) print('b') return true", return_type="Boolean")
    result = loki.client.call("chatty")
    assert result.output == "true" and result.metadata["printed"] == "a\t1\nb"


def test_capabilities_and_list_scripts_describe_parameters(loki):
    c = loki.client
    c.register("add", ADD, [("a", "Number"), ("b", "Number", False)], "Number", "adds")
    c.register("other", "return 1")
    caps = c.stub.GetCapabilities(pb.GetCapabilitiesRequest())
    assert caps.service_name == "loki" and caps.purpose
    add = next(s for s in caps.capabilities if s.script_name == "add")
    assert add.description == "adds" and add.return_type == "Number" and add.supports_streaming
    assert [(p.name, p.type, p.required) for p in add.parameters] == [
        ("a", "Number", True),
        ("b", "Number", False),
    ]
    assert {ch.name for ch in caps.children} == {"fenrir", "jormungandr", "hel"}
    listed = c.stub.ListScripts(pb.ListScriptsRequest(name_pattern="a*")).scripts
    assert [s.name for s in listed] == ["add"] and listed[0].language == "lua"
    assert len(c.stub.ListScripts(pb.ListScriptsRequest()).scripts) == 2


def test_einherjar_lists_scripts_with_json_schema_types(loki):
    loki.client.register(
        "add", ADD, [("a", "Number"), ("n", "Integer"), ("o", "Object", False)], "Object", "adds"
    )
    stub = einherjar_pb2_grpc.EinherjarProtocolStub(loki.client.channel)
    resp = stub.GetCapabilities(einherjar_pb2.CapabilityRequest())
    assert resp.god_name == "loki"
    fn = next(f for f in resp.functions if f.name == "add")
    assert [(p.name, p.type, p.required) for p in fn.parameters] == [
        ("a", "number", True),
        ("n", "integer", True),
        ("o", "object", False),
    ]
    assert fn.return_type == "object"
    assert "grpc:/loki.LokiService/Script_add" in fn.capabilities


def test_execute_script_by_id_and_inline(loki):
    c = loki.client
    c.register("add", ADD, [("a", "Number"), ("b", "Number")], "Number")
    resp = c.stub.ExecuteScript(
        pb.ExecuteScriptRequest(script_id="add", parameters={"a": "1", "b": "2"})
    )
    assert resp.success and resp.output == "3"
    resp = c.stub.ExecuteScript(
        pb.ExecuteScriptRequest(
            script_content="return {v = params.v}", script_type="lua", parameters={"v": "raw"}
        )
    )
    assert resp.success and json.loads(resp.output) == {"v": "raw"}
    resp = c.stub.ExecuteScript(pb.ExecuteScriptRequest(script_content="error('no')"))
    assert not resp.success and "no" in resp.error
    err = rpc_error(c.stub.ExecuteScript, pb.ExecuteScriptRequest(script_content="return ("))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    err = rpc_error(c.stub.ExecuteScript, pb.ExecuteScriptRequest(script_id="missing"))
    assert err.code() == grpc.StatusCode.NOT_FOUND
    err = rpc_error(
        c.stub.ExecuteScript, pb.ExecuteScriptRequest(script_id="add", parameters={"a": "x"})
    )
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_printed_output_is_bounded(start_loki):
    loki = start_loki(max_output_bytes=1000)
    loki.client.register("flood", "for i = 1, 10000 do print(string.rep('x', 50)) end return 1")
    result = loki.client.call("flood")
    assert result.metadata["printed_truncated"] == "true"
    assert len(result.metadata["printed"]) <= 1000
    chunks = loki.client.stream("flood")
    assert len(chunks) <= 1000 // 51 + 1 and chunks[-1].result.output == "1"


def test_binary_strings_cannot_leave_lua_but_the_error_is_clear(loki):
    loki.client.register("bin", "return string.char(255, 254)")
    err = rpc_error(loki.client.call, "bin")
    assert err.code() == grpc.StatusCode.UNKNOWN and "not valid UTF-8" in err.details()
    loki.client.register(
        "hex",
        "return (string.char(255, 254):gsub('.', function(c) "
        "return string.format('%02x', c:byte()) end))",
    )
    assert loki.client.call("hex").output == "fffe"


def test_json_module_encodes_and_decodes(loki):
    loki.client.register(
        "js",
        "local t = json.decode(params.s) t.added = true "
        "return {json.encode({1, 2}), t, pcall(json.decode, '{bad')}",
        [("s", "String")],
    )
    out = json.loads(loki.client.call("js", s='{"k": [1, {"n": null}]}').output)
    assert out[0] == "[1,2]" and out[1] == {"k": [1, {}], "added": True} and out[2] is False
