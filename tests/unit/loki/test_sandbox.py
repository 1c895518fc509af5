"""Sandbox escapes: each must fail, and nothing a script changes leaks into the next call."""

import json

import grpc
import pytest

from .lokihelp import rpc_error

ABSENT = [
    "io",
    "debug",
    "require",
    "dofile",
    "loadfile",
    "package",
    "python",
    "os.execute",
    "os.exit",
    "os.getenv",
    "os.remove",
    "os.rename",
    "os.tmpname",
    "string.dump",
    "('x').dump",
    "module",
    "newproxy",
    "setfenv",
    "getfenv",
    "loadstring",
]


@pytest.mark.parametrize("expr", ABSENT)
def test_dangerous_globals_are_absent(loki, expr):
    loki.client.register(
        "probe", "return %s == nil" % expr if " " not in expr else "return " + expr
    )
    result = loki.client.call("probe")
    assert result.output in ("true", ""), (expr, result.output)


def test_os_keeps_only_clock_time_date(loki):
    loki.client.register(
        "os_keys", "local k = {} for n in pairs(os) do k[#k+1] = n end table.sort(k) return k"
    )
    assert json.loads(loki.client.call("os_keys").output) == ["clock", "date", "time"]


def test_bytecode_cannot_be_loaded(loki):
    # string.dump is gone, so build a fake binary chunk header ("\27Lua")
    loki.client.register("bc", "local f, err = load('\\27Lua\\84\\0') return err")
    assert "binary chunk" in loki.client.call("bc").output


def test_load_of_text_gets_the_sandbox_not_the_real_globals(loki):
    loki.client.register(
        "ld",
        "local f = load('return io, debug, params.x') "
        "local a, b, c = f() return {a == nil, b == nil, c}",
        [("x", "String")],
    )
    assert json.loads(loki.client.call("ld", x="seen").output) == [True, True, "seen"]


def test_string_metatable_is_hidden_and_shared_libs_cannot_be_poisoned(loki):
    c = loki.client
    c.register("mt", "return getmetatable('')")
    assert c.call("mt").output == "false"
    c.register(
        "poison",
        "string.upper = function() return 'pwned' end "
        "_G.print = nil rawset(_G, 'leak', 1) return string.upper('a')",
    )
    assert c.call("poison").output == "pwned"
    c.register("check", "return {string.upper('a'), leak == nil, type(print)}")
    for _ in range(4):  # several runtimes may serve the calls: all must be clean
        assert json.loads(c.call("check").output) == ["A", True, "function"]


def test_gc_metamethods_are_refused(loki):
    loki.client.register("gc", "setmetatable({}, {__gc = function() while true do end end})")
    err = rpc_error(loki.client.call, "gc")
    assert "__gc" in err.details()


def test_collectgarbage_only_counts(loki):
    loki.client.register("cg", "return collectgarbage('stop')")
    assert 'only "count"' in rpc_error(loki.client.call, "cg").details()
    loki.client.register("cg2", "return collectgarbage('count') > 0")
    assert loki.client.call("cg2").output == "true"


def test_python_objects_are_unreachable(loki):
    # A child function is a wrapped Python callable underneath: nothing of it is reachable.
    loki.client.register(
        "py",
        "local ok, e = pcall(function() return hel.kv_get.__class__ end) "
        "return {ok, type(hel.kv_get), python == nil}",
    )
    got = json.loads(loki.client.call("py").output)
    assert got == [False, "function", True]


def test_error_objects_from_children_are_strings(loki):
    loki.client.register("ce", "local ok, e = pcall(hel.fs_read, '../x') return type(e)")
    assert loki.client.call("ce").output == "string"


def test_escape_attempt_does_not_stop_the_service(loki):
    loki.client.register("esc", "return io.open('/etc/passwd')")
    err = rpc_error(loki.client.call, "esc")
    assert err.code() == grpc.StatusCode.UNKNOWN and "io" in err.details()
    loki.client.register("ok", "return 'fine'")
    assert loki.client.call("ok").output == "fine"


def test_environment_metatable_is_protected(loki):
    loki.client.register(
        "envmt", "local ok = pcall(setmetatable, _G, {}) return {getmetatable(_G), ok, _G == _ENV}"
    )
    assert json.loads(loki.client.call("envmt").output) == [False, False, True]


def test_error_values_with_metamethods_cannot_hang_the_error_path(loki):
    loki.client.register(
        "meta_err", "error(setmetatable({}, {__tostring = function() while true do end end}))"
    )
    err = rpc_error(loki.client.call, "meta_err")
    assert err.code() == grpc.StatusCode.UNKNOWN and "non-string error" in err.details()
