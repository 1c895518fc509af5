"""Tool definitions and parameter validation (types, ranges, enum, unknown, required)."""

from devtest import raises

from jotunheim.device.tools import (
    InvalidArgument,
    Tool,
    ToolDefinitionError,
    ToolNotFound,
    ToolRegistry,
)


def _tool():
    params = [
        {"name": "times", "type": "Integer", "required": True, "min": 1, "max": 10},
        {"name": "speed", "type": "Number", "min": 0, "max": 1.5},
        {"name": "label", "type": "String"},
        {"name": "on", "type": "Boolean"},
        {"name": "opts", "type": "Object"},
        {"name": "items", "type": "Array"},
        {"name": "mode", "type": "String", "enum": ["fast", "slow"]},
    ]
    return Tool("blink", "Blink", params, "Object", lambda p: p)


def test_validate_accepts_every_declared_type():
    args = {
        "times": 3,
        "speed": 0.5,
        "label": "x",
        "on": True,
        "opts": {"a": 1},
        "items": [1, 2],
        "mode": "slow",
    }
    assert _tool().validate(args) == args


def test_validate_missing_required_names_the_parameter():
    with raises(InvalidArgument, match="'times'") as r:
        _tool().validate({"speed": 1})
    assert "missing required" in str(r.value)
    assert r.value.error_code == "INVALID_ARGUMENT"


def test_validate_rejects_unknown_parameter():
    with raises(InvalidArgument, match="unknown parameter 'colour'"):
        _tool().validate({"times": 1, "colour": "red"})


def test_validate_rejects_wrong_types():
    bad = [
        {"times": "3"},
        {"times": True},
        {"times": 2.5},
        {"times": 1, "speed": "fast"},
        {"times": 1, "speed": False},
        {"times": 1, "label": 5},
        {"times": 1, "on": 1},
        {"times": 1, "opts": []},
        {"times": 1, "items": {}},
    ]
    for args in bad:
        with raises(InvalidArgument, match="must be of type"):
            _tool().validate(args)


def test_validate_ranges_and_enum():
    with raises(InvalidArgument, match="'times' must be >= 1"):
        _tool().validate({"times": 0})
    with raises(InvalidArgument, match="'times' must be <= 10"):
        _tool().validate({"times": 11})
    with raises(InvalidArgument, match="'speed' must be <= 1.5"):
        _tool().validate({"times": 1, "speed": 2})
    with raises(InvalidArgument, match="one of: fast, slow"):
        _tool().validate({"times": 1, "mode": "medium"})


def test_integer_accepts_integral_float_and_null_optional_is_absent():
    out = _tool().validate({"times": 4.0, "speed": None})
    assert out == {"times": 4}
    assert isinstance(out["times"], int)


def test_number_rejects_nan_and_infinity():
    for v in (float("nan"), float("inf"), -float("inf")):
        with raises(InvalidArgument, match="'speed'"):
            _tool().validate({"times": 1, "speed": v})


def test_validate_rejects_non_object_arguments():
    with raises(InvalidArgument, match="JSON object"):
        _tool().validate([1, 2])


def test_bad_definitions_are_refused():
    with raises(ToolDefinitionError, match="tool name"):
        Tool("bad name")
    with raises(ToolDefinitionError, match="parameters[0].type"):
        Tool("t", parameters=[{"name": "a", "type": "Float"}])
    with raises(ToolDefinitionError, match="duplicate"):
        Tool("t", parameters=[{"name": "a", "type": "String"}, {"name": "a", "type": "String"}])
    with raises(ToolDefinitionError, match="kind"):
        Tool("t", kind="shell")


def test_definition_carries_only_wire_fields():
    d = _tool().definition()
    assert d["name"] == "blink"
    assert d["return_type"] == "Object"
    assert d["parameters"][0] == {
        "name": "times",
        "type": "Integer",
        "required": True,
        "description": "",
    }
    assert d["parameters"][1]["required"] is False


def test_registry_keeps_order_replaces_and_notifies():
    reg = ToolRegistry()
    seen = []
    reg.on_change(lambda r: seen.append(r.version))
    reg.register(Tool("b"))
    reg.register(Tool("a"))
    reg.register(Tool("b", "replaced"))
    assert reg.names() == ["b", "a"]
    assert reg.get("b").description == "replaced"
    assert len(seen) == 3
    reg.register(Tool("c"), notify=False)
    assert len(seen) == 3
    assert reg.unregister("a") is True
    assert reg.unregister("a") is False
    reg.register(Tool("d"))
    before = len(seen)
    assert reg.unregister("d", notify=False) is True  # served lazily: keywords pass through
    assert len(seen) == before
    assert "a" not in reg and "c" in reg
    with raises(ToolNotFound, match="'a'"):
        reg.get("a")
    with raises(ToolNotFound):
        reg.get(None)
