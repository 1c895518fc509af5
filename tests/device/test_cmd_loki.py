"""LokiClient over a scripted in-memory channel: calls, retries, fallback, Loki tools."""

import json

from capsdev import RecordingHal, command, example_settings, fake_drivers, write_file
from devtest import raises, tmpdir

from jotunheim.device.capabilities import CapabilityBuilder
from jotunheim.device.commands import CommandHandler
from jotunheim.device.loki_client import LokiClient, LokiError
from jotunheim.device.tools import ToolRegistry
from jotunheim.wire.grpc import GrpcError


class ScriptedChannel:
    """Answers unary calls from `replies` (path -> list of dicts or exceptions, consumed)."""

    def __init__(self, replies, fail_connect=0):
        self.replies = replies
        self.fail_connect = fail_connect
        self.calls = []
        self.connects = 0
        self.closed = 0

    async def connect(self):
        self.connects += 1
        if self.fail_connect:
            self.fail_connect -= 1
            raise OSError(111, "connection refused")

    async def close(self):
        self.closed += 1

    async def unary_unary(self, path, req_d, resp_d, request, timeout=None, metadata=None):
        self.calls.append((path, request, timeout))
        queue = self.replies.get(path) or [GrpcError(12, "unknown method")]
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(reply, Exception):
            raise reply
        return reply


def _client(replies, mode="remote", fallback="error", retries=2, fail_connect=0, local=None):
    ch = ScriptedChannel(replies, fail_connect)
    made = []

    def factory(host, port):
        made.append((host, port))
        return ch

    cfg = {"mode": mode, "address": "10.0.0.5:50052", "timeout_ms": 500, "retries": retries}
    cfg["fallback"] = fallback
    return LokiClient(cfg, factory, local=local, backoff_ms=(1, 2)), ch, made


def _ok(output):
    return {"success": True, "output": output, "metadata": []}


async def test_call_sends_string_parameters_and_decodes_json_output():
    c, ch, made = _client({"/loki.LokiService/Script_add": [_ok('{"sum": 5}')]})
    out = await c.call("add", {"a": 2, "b": 3, "label": "x", "flag": True, "skip": None})
    assert out == {"sum": 5}
    path, request, timeout = ch.calls[0]
    assert path == "/loki.LokiService/Script_add"
    # map<string, string> as its entry messages (tools/devicegen.py: no map code loads)
    sent = {"a": "2", "b": "3", "label": "x", "flag": "true"}
    entries = request["parameters"]
    assert list(request) == ["parameters"] and len(entries) == len(sent)
    assert all(sorted(e) == ["key", "value"] for e in entries)
    assert {e["key"]: e["value"] for e in entries} == sent
    assert timeout == 0.5
    assert made == [("10.0.0.5", 50052)]
    assert await c.call("add", {}) == {"sum": 5}
    assert ch.connects == 1  # the channel is reused


async def test_an_idle_channel_is_closed_and_the_next_call_dials_again():
    import asyncio

    c, ch, made = _client({"/loki.LokiService/Script_add": [_ok("5")]})
    assert c.idle_close_ms == 30000  # the default (settings loki.idle_close_ms)
    c.idle_close_ms = 500
    assert await c.call("add", {"a": 2}) == 5
    await asyncio.sleep(0.05)
    assert await c.call("add", {"a": 2}) == 5
    assert ch.connects == 1 and ch.closed == 0  # used within idle_close_ms: kept
    for _ in range(100):  # idle: closed about 0.5 s after the last call
        if ch.closed:
            break
        await asyncio.sleep(0.05)
    assert ch.closed == 1 and c._channel is None  # its heap given back
    assert await c.call("add", {"a": 2}) == 5
    assert ch.connects == 2 and len(made) == 2
    await c.close()


async def test_closing_the_channel_ends_its_idle_close_task():
    import asyncio

    # A sleeping idle-close task would keep the closed channel (and the call code) alive
    # for up to idle_close_ms: close() cancels it, as does a channel dropped after a failure.
    c, ch, _ = _client(
        {"/loki.LokiService/Script_add": [_ok("5"), GrpcError(14, "gone"), _ok("5")]}
    )
    assert await c.call("add", {}) == 5
    first = c._idle
    assert first is not None and not first.done()
    assert await c.call("add", {}) == 5  # UNAVAILABLE: dropped, retried on a new channel
    await asyncio.sleep(0)
    assert first.done() and ch.connects == 2
    second = c._idle
    assert second is not None and second is not first
    await c.close()
    await asyncio.sleep(0)
    assert second.done() and c._idle is None and ch.closed == 2


async def test_idle_close_ms_0_keeps_the_channel_open():
    import asyncio

    c, ch, _ = _client({"/loki.LokiService/Script_add": [_ok("5")]})
    c.idle_close_ms = 0
    assert await c.call("add", {}) == 5
    await asyncio.sleep(0.2)
    assert ch.closed == 0 and c._channel is ch


async def test_a_call_on_a_short_heap_closes_its_channel_at_once():
    # Free heap under close_below (twice the default memory floor) after a call: the
    # channel is closed at its end, not idle_close_ms later; a roomy heap keeps it open.
    c, ch, made = _client({"/loki.LokiService/Script_add": [_ok("5")]})
    assert c.close_below == 32768
    free = [40000]
    c.free_heap = lambda: free[0]
    assert await c.call("add", {}) == 5
    assert ch.closed == 0 and c._channel is ch and c._idle is not None
    assert await c.call("add", {}) == 5
    assert ch.connects == 1  # reused
    free[0] = 20000
    assert await c.call("add", {}) == 5
    assert ch.closed == 1 and c._channel is None and c._idle is None
    assert await c.call("add", {}) == 5  # dials again, closes again
    assert ch.connects == 2 and ch.closed == 2 and len(made) == 2
    free[0] = -1  # a runtime without a fixed heap (CPython): never closed early
    assert await c.call("add", {}) == 5
    assert ch.connects == 3 and ch.closed == 2 and c._channel is ch
    c.close_below = 0  # 0: never closed early
    free[0] = 100
    assert await c.call("add", {}) == 5
    assert ch.connects == 3 and ch.closed == 2
    await c.close()


async def test_a_short_heap_does_not_close_a_channel_another_call_is_using():
    import asyncio

    c, ch, _ = _client({"/loki.LokiService/Script_add": [_ok("5")]})
    c.free_heap = lambda: 100
    slow = ch.unary_unary

    async def unary_unary(*args, **kwargs):
        await asyncio.sleep(0.05 if args[3]["parameters"] else 0)
        return await slow(*args, **kwargs)

    ch.unary_unary = unary_unary
    first = asyncio.create_task(c.call("add", {"a": 1}))  # still running when the next ends
    await asyncio.sleep(0)
    assert await c.call("add", {}) == 5
    assert ch.closed == 0 and c._channel is ch  # kept for the call in flight
    assert await first == 5
    assert ch.closed == 1 and c._channel is None  # closed by the last call to end


async def test_plain_string_output_is_returned_as_is():
    c, ch, _ = _client({"/loki.LokiService/Script_hi": [_ok("hello there")]})
    assert await c.call("hi") == "hello there"


async def test_script_failure_maps_error_type():
    # ScriptResult.metadata (a map) comes as entry dicts: the device slice has no map fields
    meta = [{"key": "error_type", "value": "InvalidArgument"}]
    failed = {"success": False, "output": "bad n", "metadata": meta}
    c, ch, _ = _client({"/loki.LokiService/Script_f": [failed]})
    with raises(LokiError, match="bad n") as r:
        await c.call("f", {"n": 1})
    assert r.value.error_code == "INVALID_ARGUMENT"


async def test_unavailable_is_retried_then_succeeds():
    replies = {"/loki.LokiService/Script_add": [GrpcError(14, "down"), _ok("7")]}
    c, ch, _ = _client(replies, retries=2)
    assert await c.call("add", {"a": 1}) == 7
    assert len(ch.calls) == 2
    assert ch.connects == 2  # dropped and reconnected after UNAVAILABLE


async def test_deadline_exceeded_script_call_is_not_resent():
    replies = {"/loki.LokiService/Script_slow": [GrpcError(4, "deadline")]}
    c, ch, _ = _client(replies, retries=3, fallback="local")
    with raises(LokiError) as r:
        await c.call("slow")
    assert r.value.error_code == "DEADLINE_EXCEEDED"
    assert len(ch.calls) == 1  # at most once: it may have run on Loki


async def test_a_timed_out_script_call_is_not_resent_nor_run_locally():
    import asyncio

    # asyncio.TimeoutError is an OSError on CPython 3.11: it must still not read as "down"
    reg = _local_registry(tmpdir("loki"))
    replies = {"/loki.LokiService/Script_add": [asyncio.TimeoutError()]}
    c, ch, _ = _client(replies, retries=3, fallback="local", local=reg)
    with raises(LokiError, match="timed out") as r:
        await c.call("add", {"a": 1})
    assert r.value.error_code == "DEADLINE_EXCEEDED"
    assert len(ch.calls) == 1 and c.fallbacks == 0 and ch.closed == 0


async def test_a_loki_error_from_the_channel_is_not_read_as_unreachable():
    # Only the client's own "cannot reach Loki" means nothing was sent; any other LokiError
    # (here from an injected channel) is an answer: sent once, no fallback, channel kept.
    reg = _local_registry(tmpdir("loki"))
    replies = {"/loki.LokiService/Script_add": [LokiError("INTERNAL", "boom")]}
    c, ch, _ = _client(replies, retries=3, fallback="local", local=reg)
    with raises(LokiError, match="boom") as r:
        await c.call("add", {"a": 1})
    assert r.value.error_code == "INTERNAL" and not r.value.unreachable
    assert len(ch.calls) == 1 and c.fallbacks == 0 and ch.closed == 0


async def test_running_out_of_heap_in_a_call_is_resource_exhausted():
    replies = {"/loki.LokiService/Script_add": [MemoryError("allocating 1280 bytes")]}
    c, ch, _ = _client(replies, retries=2)
    with raises(LokiError, match="device out of memory") as r:
        await c.call("add", {"a": 1})
    assert r.value.error_code == "RESOURCE_EXHAUSTED" and len(ch.calls) == 1


async def test_a_fixed_rpc_is_retried_after_a_deadline():
    replies = {"/loki.LokiService/ListScripts": [GrpcError(4, "deadline"), {"scripts": []}]}
    c, ch, _ = _client(replies, retries=2)
    assert await c.list_scripts(name_pattern="x*") == []  # idempotent: sent again
    assert [call[1] for call in ch.calls] == [{"name_pattern": "x*"}] * 2


async def test_down_with_fallback_error_reports_unavailable():
    c, ch, _ = _client({}, retries=1, fail_connect=10)
    with raises(LokiError, match="10.0.0.5:50052") as r:
        await c.call("add", {"a": 1})
    assert r.value.error_code == "UNAVAILABLE" and r.value.unreachable
    assert ch.connects == 2  # first try + one retry


def _local_registry(d):
    data = example_settings()
    data["capability_configuration"]["tools"] = [
        {
            "name": "add",
            "kind": "script",
            "script": "add.py",
            "parameters": [
                {"name": "a", "type": "Integer", "required": True},
                {"name": "b", "type": "Integer"},
            ],
        }
    ]
    write_file(d + "/add.py", "def run(params):\n    return params['a'] + params.get('b', 0)\n")
    b = CapabilityBuilder(data, RecordingHal(), ToolRegistry(), fake_drivers(), script_dir=d)
    b.build()
    return b.registry


async def test_down_with_fallback_local_runs_the_device_script():
    reg = _local_registry(tmpdir("loki"))
    c, ch, _ = _client({}, retries=0, fail_connect=10, fallback="local", local=reg)
    assert await c.call("add", {"a": 2, "b": 40}) == 42
    assert c.fallbacks == 1
    with raises(LokiError, match="10.0.0.5") as r:
        await c.call("other", {})  # no local script of that name
    assert r.value.error_code == "UNAVAILABLE"


async def test_mode_local_and_off():
    reg = _local_registry(tmpdir("loki"))
    c, ch, _ = _client({}, mode="local", local=reg)
    assert await c.call("add", {"a": 1}) == 1
    assert ch.connects == 0
    c, ch, _ = _client({}, mode="off", local=reg)
    with raises(LokiError, match="off") as r:
        await c.call("add", {"a": 1})
    assert r.value.error_code == "UNAVAILABLE"
    with raises(LokiError, match="not remote"):
        await c.list_scripts()


async def test_fixed_rpcs():
    replies = {
        "/loki.LokiService/GetCapabilities": [{"service_name": "loki", "capabilities": []}],
        "/loki.LokiService/ListScripts": [{"scripts": [{"name": "add"}]}],
        "/loki.LokiService/RegisterScript": [
            {"success": True, "script_name": "add", "error_message": ""},
            {"success": False, "script_name": "", "error_message": "bad name"},
        ],
    }
    c, ch, _ = _client(replies)
    assert (await c.get_capabilities())["service_name"] == "loki"
    assert await c.list_scripts("a*") == [{"name": "add"}]
    assert ch.calls[-1][1] == {"name_pattern": "a*"}
    params = [{"name": "n", "type": "Integer", "required": True}]
    resp = await c.register_script("add", "return 1", "adds", params, "Number")
    assert resp["success"] is True
    req = ch.calls[-1][1]
    assert req["inline_script"] == "return 1" and req["language"] == "lua"
    assert req["parameters"][0]["type"] == "Number"  # Loki has no Integer type
    with raises(LokiError, match="bad name"):
        await c.register_script("1x", "return 1")
    ch.replies["/loki.LokiService/ListScripts"] = [GrpcError(7, "denied")]
    with raises(LokiError, match="denied") as r:
        await c.list_scripts()
    assert r.value.error_code == "INTERNAL"


async def test_loki_tool_through_command_handler():
    data = example_settings()
    data["loki"] = {"mode": "remote", "address": "127.0.0.1:1", "fallback": "error"}
    data["capability_configuration"]["tools"] = [
        {
            "name": "water",
            "kind": "loki",
            "loki_script": "water_plants",
            "parameters": [{"name": "ml", "type": "Integer", "required": True, "max": 500}],
        }
    ]
    c, ch, _ = _client({"/loki.LokiService/Script_water_plants": [_ok('{"watered": 200}')]})
    b = CapabilityBuilder(data, RecordingHal(), ToolRegistry(), fake_drivers(), loki=c)
    b.build()
    h = CommandHandler(b.registry)
    r = await h.handle(command("w1", "water", {"ml": 200}))
    assert r["success"] is True and json.loads(r["result"]) == {"watered": 200}
    r = await h.handle(command("w2", "water", {"ml": 900}))
    assert r["error_code"] == "INVALID_ARGUMENT"
    assert len(ch.calls) == 1
    ch.replies["/loki.LokiService/Script_water_plants"] = [GrpcError(14, "gone")]
    r = await h.handle(command("w3", "water", {"ml": 1}))
    assert r["error_code"] == "UNAVAILABLE"


async def test_parameters_travel_as_strings_non_strings_as_json():
    c, ch, _ = _client({"/loki.LokiService/Script_p": [_ok("1")]})
    await c.call("p", {"s": "x", "n": 1.5, "o": {"k": [1]}, "b": False})
    out = {e["key"]: e["value"] for e in ch.calls[0][1]["parameters"]}
    assert out["s"] == "x" and out["n"] == "1.5" and out["b"] == "false"
    assert json.loads(out["o"]) == {"k": [1]}


async def test_close_idle_only_keeps_a_channel_a_call_is_using():
    import asyncio

    # close(True) is the agent's answer to critical memory (Agent._release_memory)
    c, ch, _ = _client({"/loki.LokiService/Script_add": [_ok("5")]})
    slow = ch.unary_unary

    async def unary_unary(*args, **kwargs):
        await asyncio.sleep(0.05)
        return await slow(*args, **kwargs)

    ch.unary_unary = unary_unary
    running = asyncio.create_task(c.call("add", {}))
    await asyncio.sleep(0.01)
    await c.close(True)
    assert ch.closed == 0 and c._channel is ch  # a call is using it
    assert await running == 5
    await c.close(True)
    assert ch.closed == 1 and c._channel is None
