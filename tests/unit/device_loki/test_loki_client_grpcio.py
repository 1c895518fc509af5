"""The device LokiClient (over the wire Channel) against a real grpcio LokiService, on CPython
and under MicroPython (subprocess), including retries and the Loki-down fallback."""

import asyncio
import json
import os
import subprocess
import sys

import grpc
import pytest

from jotunheim.device.capabilities import CapabilityBuilder
from jotunheim.device.commands import CommandHandler
from jotunheim.device.loki_client import LokiClient, LokiError
from jotunheim.device.tools import ToolRegistry
from tests.interop.mpbuild import compile_device_runtime
from tests.mp import ROOT, micropython_binary
from tests.unit.device_loki import lokiserver

HERE = ROOT / "tests" / "unit" / "device_loki"
MP_HEAP = "384k"  # the wire channel reads 16 KB at a time: fails below ~320k today


@pytest.fixture()
def loki():
    server, port, state = lokiserver.start()

    def add(ps):
        try:
            return json.dumps(int(ps["a"]) + int(ps["b"]))
        except (KeyError, ValueError) as exc:
            raise ValueError("add needs integers a and b") from exc

    state.add("add", add, "adds a and b")
    yield port, state
    server.stop(0)


def _client(port, **kw):
    cfg = {"mode": "remote", "address": "127.0.0.1:%d" % port, "timeout_ms": 2000}
    cfg.update(kw)
    return LokiClient(
        cfg, backoff_ms=(1, 5), **({"local": kw.pop("local")} if "local" in kw else {})
    )


def test_call_and_fixed_rpcs_against_grpcio(loki):
    port, state = loki

    async def go():
        c = _client(port)
        try:
            assert await c.call("add", {"a": 2, "b": 40}) == 42
            caps = await c.get_capabilities()
            assert caps["service_name"] == "loki"
            assert [s["script_name"] for s in caps["capabilities"]] == ["add"]
            resp = await c.register_script("greet", "return 'hi'", "greets")
            assert resp == {"success": True, "script_name": "greet", "error_message": ""}
            # the new dynamic method is callable at once
            out = await c.call("greet", {"who": "odin", "n": 3})
            assert out == {"script": "greet", "params": {"who": "odin", "n": "3"}}
            assert [s["name"] for s in await c.list_scripts("gr*")] == ["greet"]
            assert [s["name"] for s in await c.list_scripts(name_pattern="ad*")] == ["add"]
            with pytest.raises(LokiError, match="bad name"):
                await c.register_script("no good", "x")
            with pytest.raises(LokiError, match="integers") as r:
                await c.call("add", {"a": "x", "b": 1})
            assert r.value.error_code == "INVALID_ARGUMENT"
            with pytest.raises(LokiError) as r:
                await c.call("missing", {})
            assert r.value.error_code == "INTERNAL"  # UNIMPLEMENTED from grpcio: not retried
        finally:
            await c.close()

    asyncio.run(go())
    methods = [m for m, _ in state.calls]
    assert methods.count("Script_add") == 2
    request = [r for m, r in state.calls if m == "Script_greet"][0]
    assert dict(request.parameters) == {"who": "odin", "n": "3"}


def test_unavailable_is_retried_within_settings_retries(loki):
    port, state = loki

    async def go():
        c = _client(port, retries=2)
        try:
            state.fail_next = [grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNAVAILABLE]
            assert await c.call("add", {"a": 1, "b": 1}) == 2
            state.fail_next = [grpc.StatusCode.UNAVAILABLE] * 3
            with pytest.raises(LokiError) as r:
                await c.call("add", {"a": 1, "b": 1})
            assert r.value.error_code == "UNAVAILABLE"
        finally:
            await c.close()

    asyncio.run(go())
    assert [m for m, _ in state.calls].count("Script_add") == 6


def test_deadline_exceeded_is_not_resent(loki):
    port, state = loki

    async def go():
        c = _client(port, retries=3)
        try:
            state.fail_next = [grpc.StatusCode.DEADLINE_EXCEEDED]
            with pytest.raises(LokiError) as r:
                await c.call("add", {"a": 1, "b": 1})
            assert r.value.error_code == "DEADLINE_EXCEEDED"
        finally:
            await c.close()

    asyncio.run(go())
    assert len(state.calls) == 1


def _device(tmp_path, loki_cfg):
    (tmp_path / "add.py").write_text("def run(params):\n    return params['a'] + params['b']\n")
    ints = [
        {"name": "a", "type": "Integer", "required": True},
        {"name": "b", "type": "Integer", "required": True},
    ]
    data = {
        "identity": {"device_id": "d1"},
        "loki": loki_cfg,
        "capability_configuration": {
            "tools": [
                {"name": "add", "kind": "script", "script": "add.py", "parameters": ints},
                {"name": "sum", "kind": "loki", "loki_script": "add", "parameters": ints},
            ]
        },
    }
    b = CapabilityBuilder(data, None, ToolRegistry(), script_dir=str(tmp_path))
    b.build()
    return CommandHandler(b.registry), b


def test_loki_tool_command_runs_remotely_when_loki_is_up(loki, tmp_path):
    port, state = loki
    cfg = {"mode": "remote", "address": "127.0.0.1:%d" % port, "fallback": "local"}
    h, b = _device(tmp_path, cfg)
    r = asyncio.run(h.handle({"command_id": "c", "tool": "sum", "args_json": '{"a":3,"b":4}'}))
    assert r["success"] and json.loads(r["result"]) == 7
    assert [m for m, _ in state.calls] == ["Script_add"]
    assert b._loki.fallbacks == 0


def test_loki_down_fallback_local_and_error(tmp_path):
    dead = lokiserver.free_port()
    base = {"mode": "remote", "address": "127.0.0.1:%d" % dead, "retries": 1, "timeout_ms": 500}
    h, b = _device(tmp_path, dict(base, fallback="local"))
    r = asyncio.run(h.handle({"command_id": "c", "tool": "sum", "args_json": '{"a":3,"b":4}'}))
    assert r["success"] and json.loads(r["result"]) == 7
    assert b._loki.fallbacks == 1
    h, b = _device(tmp_path, dict(base, fallback="error"))
    r = asyncio.run(h.handle({"command_id": "c", "tool": "sum", "args_json": '{"a":3,"b":4}'}))
    assert r["error_code"] == "UNAVAILABLE"
    assert "127.0.0.1:%d" % dead in r["error_message"]


def test_micropython_device_calls_grpcio_loki(loki, tmp_path):
    port, state = loki
    (tmp_path / "add.py").write_text("def run(params):\n    return params['a'] + params['b']\n")
    dead = lokiserver.free_port()
    mpy = compile_device_runtime()  # as on a board: precompiled, no compile-time heap peak
    proc = subprocess.run(
        [micropython_binary(), "-X", "heapsize=" + MP_HEAP, str(HERE / "mp_loki_client.py")]
        + [str(port), str(tmp_path), str(dead)],
        env=dict(os.environ, MICROPYPATH=".frozen:" + str(mpy)),
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    steps = {}
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            msg = json.loads(line)
            steps[msg["step"]] = msg["value"]
    assert steps["add"] == 42
    assert steps["caps"] == ["add"]
    assert steps["register"] is True
    assert steps["echo"] == {"script": "mp_echo", "params": {"k": "v", "n": "1.5"}}
    assert steps["list"] == ["add", "mp_echo"]
    assert steps["bad"] == "INVALID_ARGUMENT"
    assert steps["fallback"] == [True, 3]


LAZY_CHECK = """
import sys
import asyncio
from jotunheim.device.capabilities import CapabilityBuilder
from jotunheim.device.commands import CommandHandler
from jotunheim.device.tools import ToolRegistry
data = {"identity": {"device_id": "d"}, "loki": {"mode": "remote", "address": "127.0.0.1:1"},
        "capability_configuration": {"gpio": {"pins": [3]},
            "tools": [{"name": "sum", "kind": "loki", "loki_script": "add"}]}}
b = CapabilityBuilder(data, None, ToolRegistry())
b.build()
h = CommandHandler(b.registry)
r = asyncio.run(h.handle({"command_id": "1", "tool": "nope"}))
loaded = [m for m in ("jotunheim.wire.channel", "jotunheim.wire.grpc",
                      "jotunheim.device.loki_client") if m in sys.modules]
print("LOADED", ",".join(loaded) or "-", r["error_code"])
"""


@pytest.mark.parametrize("runtime", ["cpython", "micropython"])
def test_loki_and_grpc_code_is_not_loaded_until_a_loki_tool_runs(runtime):
    if runtime == "cpython":
        cmd = [sys.executable, "-c", LAZY_CHECK]
        env = dict(os.environ)
    else:
        cmd = [micropython_binary(), "-X", "heapsize=256k", "-c", LAZY_CHECK]
        env = dict(os.environ, MICROPYPATH=".frozen:" + str(ROOT / "src"))
    proc = subprocess.run(cmd, env=env, cwd=str(ROOT), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "LOADED - NOT_FOUND" in proc.stdout, proc.stdout
