"""Typed parameters: ScriptInput strings become typed Lua values; bad input names the parameter."""

import json

import grpc
import pytest

from jotunheim.loki.errors import ConfigError, InvalidArgument
from jotunheim.loki.params import convert_value, normalize_type

from .lokihelp import rpc_error

TYPES = "return {t = type(params.v), sub = math.type(params.v), v = params.v}"


@pytest.mark.parametrize(
    "declared, raw, lua_type, subtype, value",
    [
        ("Number", "7", "number", "integer", 7),
        ("Number", "7.25", "number", "float", 7.25),
        ("Number", "-1e3", "number", "float", -1000.0),
        ("Integer", "-42", "number", "integer", -42),
        ("Boolean", "true", "boolean", None, True),
        ("Boolean", "FALSE", "boolean", None, False),
        ("String", " 12 ", "string", None, " 12 "),
        ("Object", '{"k": [1, 2]}', "table", None, {"k": [1, 2]}),
        ("Array", '[1, "two", 3.5]', "table", None, [1, "two", 3.5]),
    ],
)
def test_parameters_arrive_typed_in_lua(loki, declared, raw, lua_type, subtype, value):
    loki.client.register("types", TYPES, [("v", declared)], "Object")
    got = json.loads(loki.client.call("types", v=raw).output)
    assert got["t"] == lua_type and got.get("sub") == subtype and got["v"] == value


@pytest.mark.parametrize(
    "declared, raw, fragment",
    [
        ("Number", "ten", "expected a Number"),
        ("Number", "nan", "finite"),
        ("Integer", "1.5", "expected an Integer"),
        ("Integer", "99999999999999999999", "64-bit"),
        ("Boolean", "maybe", "expected a Boolean"),
        ("Object", "[1]", "expected a JSON object"),
        ("Object", "{broken", "as JSON"),
        ("Array", '{"a": 1}', "expected a JSON array"),
    ],
)
def test_wrong_type_is_invalid_argument_naming_the_parameter(loki, declared, raw, fragment):
    loki.client.register("typed", "return 1", [("speed", declared)])
    err = rpc_error(loki.client.call, "typed", speed=raw)
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "'speed'" in err.details() and fragment in err.details()


def test_missing_required_and_unknown_parameters(loki):
    loki.client.register(
        "p", "return params.opt == nil", [("need", "String"), ("opt", "Integer", False)], "Boolean"
    )
    err = rpc_error(loki.client.call, "p")
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "'need'" in err.details()
    err = rpc_error(loki.client.call, "p", need="x", extra="1")
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "'extra'" in err.details()
    assert loki.client.call("p", need="x").output == "true"


def test_stream_bad_input_is_invalid_argument(loki):
    loki.client.register("s", "return 1", [("n", "Integer")])
    err = rpc_error(loki.client.stream, "s", n="x")
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "'n'" in err.details()


def test_type_names_are_normalized():
    assert normalize_type("integer") == "Integer"
    assert normalize_type("STRING") == "String"
    with pytest.raises(ConfigError, match="unknown type"):
        normalize_type("Nil")  # not a parameter type


def test_oversized_parameter_is_refused():
    with pytest.raises(InvalidArgument, match="longer than"):
        convert_value("blob", "String", "x" * (1024 * 1024 + 1))
