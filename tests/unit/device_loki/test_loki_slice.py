"""The device's Loki slice (ScriptInput, ScriptResult) has its map fields as repeated entry
messages: the same bytes on the wire as protobuf's maps, both ways, with no map code loaded."""

from jotunheim._gen import loki_pb2
from jotunheim._gen.device import loki_script
from jotunheim.wire import protobuf as pb


def test_script_input_entries_are_what_protobuf_reads_as_its_map():
    params = {"a": "2", "label": "x y", "empty": "", "json": '{"k": [1]}'}
    entries = [{"key": k, "value": v} for k, v in params.items()]
    data = pb.encode(loki_script.ScriptInput, {"parameters": entries})
    parsed = loki_pb2.ScriptInput.FromString(data)
    assert dict(parsed.parameters) == params
    # protobuf's own (deterministic) bytes decode to the same entries
    expected = loki_pb2.ScriptInput(parameters=params).SerializeToString(deterministic=True)
    decoded = pb.decode(loki_script.ScriptInput, expected)["parameters"]
    assert {e["key"]: e["value"] for e in decoded} == params


def test_script_result_metadata_decodes_as_entries():
    msg = loki_pb2.ScriptResult(
        success=False, output="bad", metadata={"error_type": "InvalidArgument", "n": "1"}
    )
    out = pb.decode(loki_script.ScriptResult, msg.SerializeToString())
    assert out["success"] is False and out["output"] == "bad"
    assert {e["key"]: e["value"] for e in out["metadata"]} == dict(msg.metadata)
    assert isinstance(out["metadata"], list)  # a repeated message, not a map (dict)
