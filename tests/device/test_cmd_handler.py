"""CommandHandler: validation first, deadlines, concurrency, idempotency, structured errors."""

import asyncio
import json

from capsdev import RecordingHal, command, example_settings, fake_drivers

from jotunheim.device.capabilities import CapabilityBuilder
from jotunheim.device.commands import CommandHandler
from jotunheim.device.limiter import ConcurrencyLimiter
from jotunheim.device.memory import MemoryMonitor
from jotunheim.device.scheduler import PriorityScheduler
from jotunheim.device.tools import Tool, ToolError, ToolRegistry


def _handler(**kw):
    b = CapabilityBuilder(example_settings(), RecordingHal(), ToolRegistry(), fake_drivers())
    b.build()
    return CommandHandler(b.registry, **kw), b


class _Probe:
    """An async tool that records how many copies run at once."""

    def __init__(self, delay=0.02):
        self.delay = delay
        self.running = 0
        self.peak = 0
        self.calls = 0

    async def __call__(self, params):
        self.calls += 1
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.running -= 1
        return {"n": params.get("n", 0)}


def _add(reg, name, handler, params=None):
    reg.register(Tool(name, "", params or [{"name": "n", "type": "Integer"}], "Object", handler))


async def test_set_led_succeeds_with_json_result_and_duration():
    h, b = _handler()
    r = await h.handle(command("c1", "set_led", {"pin": 2, "on": True}))
    assert r["success"] is True and r["error_code"] == ""
    assert json.loads(r["result"]) == {"pin": 2, "on": True}
    assert r["command_id"] == "c1"
    assert r["duration_us"] >= 0
    assert b.drivers.get("status").state is True


async def test_sensor_read_returns_driver_values():
    h, _ = _handler()
    r = await h.handle(command("c1", "read_room"))
    assert json.loads(r["result"]) == {"temperature_c": 21.5, "humidity_pct": 40.0}


async def test_unknown_tool_is_not_found_and_nothing_runs():
    h, _ = _handler()
    r = await h.handle(command("c1", "launch_rocket", {}))
    assert r["success"] is False and r["error_code"] == "NOT_FOUND"
    assert "launch_rocket" in r["error_message"]
    assert h.executed == 0


async def test_invalid_arguments_are_refused_before_running():
    h, b = _handler()
    cases = [
        (command("a", "set_led", {"pin": 2}), "'on'"),
        (command("b", "set_led", {"pin": 99, "on": True}), "'pin'"),
        (command("c", "set_led", {"pin": 2, "on": "yes"}), "'on'"),
        (command("d", "set_led", {"pin": 2, "on": True, "x": 1}), "'x'"),
        ({"command_id": "e", "tool": "set_led", "args_json": "{nope"}, "args_json"),
        ({"command_id": "f", "tool": "set_led", "args_json": "[1]"}, "args_json"),
        ({"command_id": "g", "tool": "set_led", "args_json": b"\xff\xfe"}, "args_json"),
        ({"command_id": "h", "tool": "set_led", "args_json": 5}, "args_json"),
        (dict(command("i", "read_room"), deadline_ms=-1), "deadline_ms"),
        (dict(command("j", "read_room"), deadline_ms=True), "deadline_ms"),
        (dict(command("k", "read_room"), deadline_ms="5"), "deadline_ms"),
    ]
    for cmd, needle in cases:
        r = await h.handle(cmd)
        assert r["error_code"] == "INVALID_ARGUMENT", (cmd, r)
        assert needle in r["error_message"], (needle, r["error_message"])
    assert h.executed == 0
    assert b.drivers.get("status").history == []


async def test_malformed_commands_never_raise():
    h, _ = _handler()
    for bad in (None, "x", 5, [], {}, {"command_id": 7}, {"command_id": ""}):
        r = await h.handle(bad)
        assert r["error_code"] == "INVALID_ARGUMENT"
        assert "command_id" in r["error_message"]


async def test_repeated_id_returns_cached_result_and_runs_once():
    h, _ = _handler()
    probe = _Probe(0)
    _add(h.registry, "probe", probe)
    r1 = await h.handle(command("same", "probe", {"n": 1}))
    r2 = await h.handle(command("same", "probe", {"n": 2}))
    assert r1 == r2 and probe.calls == 1
    assert json.loads(r2["result"]) == {"n": 1}
    # errors are remembered too: the id is spent
    e1 = await h.handle(command("bad", "nope"))
    _add(h.registry, "nope", probe)
    e2 = await h.handle(command("bad", "nope"))
    assert e2 == e1 and e2["error_code"] == "NOT_FOUND"


async def test_duplicate_while_in_flight_awaits_the_same_result():
    h, _ = _handler()
    probe = _Probe(0.05)
    _add(h.registry, "probe", probe)
    results = await asyncio.gather(
        h.handle(command("dup", "probe", {"n": 5})),
        h.handle(command("dup", "probe", {"n": 6})),
        h.handle(command("dup", "probe", {"n": 7})),
    )
    assert probe.calls == 1
    assert results[0] == results[1] == results[2]
    assert json.loads(results[2]["result"]) == {"n": 5}


async def test_cache_is_bounded_lru():
    h, _ = _handler(cache_size=3)
    probe = _Probe(0)
    _add(h.registry, "probe", probe)
    for i in range(3):
        await h.handle(command("id%d" % i, "probe", {"n": i}))
    await h.handle(command("id0", "probe"))  # touch id0: id1 is now the oldest
    await h.handle(command("id3", "probe", {"n": 3}))
    assert h.cached("id1") is None
    assert h.cached("id0") is not None and h.cached("id3") is not None
    assert h._n == 3
    await h.handle(command("id1", "probe", {"n": 1}))  # evicted: runs again
    assert probe.calls == 5


async def test_deadline_exceeded_is_reported():
    h, _ = _handler()
    _add(h.registry, "slow", _Probe(5))
    r = await h.handle(command("s1", "slow", {}, deadline_ms=30))
    assert r["error_code"] == "DEADLINE_EXCEEDED"
    assert "30 ms" in r["error_message"]
    assert h.active == 0


async def test_a_command_held_back_by_critical_memory_says_so_at_its_deadline():
    free = [12 * 1024]  # below the 16 KB floor: user work waits for memory
    mon = MemoryMonitor(32, 16, mem_free=lambda: free[0], collect=lambda: None)
    h, _ = _handler(scheduler=PriorityScheduler(2, 4, mon, recheck_ms=5))
    probe = _Probe(0)
    _add(h.registry, "probe", probe)
    r = await h.handle(command("m1", "probe", {"n": 1}, deadline_ms=40))
    assert r["error_code"] == "RESOURCE_EXHAUSTED" and probe.calls == 0
    assert r["error_message"] == (
        "probe not run within 40 ms: device memory below the 16 KB floor at the last check "
        "(12 KB free now)"
    )
    free[0] = 64 * 1024  # memory back: it runs
    assert (await h.handle(command("m2", "probe", {"n": 2})))["success"]
    # Memory recovering after the last check, before the deadline: still memory's doing.
    h, _ = _handler(scheduler=PriorityScheduler(2, 4, mon, recheck_ms=1000))
    _add(h.registry, "probe", probe)
    free[0] = 12 * 1024
    task = asyncio.create_task(h.handle(command("m3", "probe", {"n": 3}, deadline_ms=60)))
    await asyncio.sleep(0.02)
    free[0] = 20 * 1024  # recovered, but the scheduler has not looked again
    r = await task
    assert r["error_message"].endswith("floor at the last check (20 KB free now)"), r
    slow = _Probe(5)
    _add(h.registry, "slow", slow)
    r = await h.handle(command("s1", "slow", {}, deadline_ms=30))
    assert r["error_code"] == "DEADLINE_EXCEEDED"  # it ran, and ran too long
    assert r["error_message"] == "slow did not finish within 30 ms"


async def test_default_limiter_is_devb_scheduler_with_the_limits():
    h, _ = _handler(max_concurrent=3, max_waiting=5)
    assert isinstance(h.limiter, PriorityScheduler)
    assert h.limiter.max_concurrent == 3 and h.limiter.user_queue_size == 5


async def test_own_limiter_enforces_limit_and_queue_overflow():
    h, _ = _handler(scheduler=ConcurrencyLimiter(2, 2))
    probe = _Probe(0.05)
    _add(h.registry, "probe", probe)
    rs = await asyncio.gather(*[h.handle(command("q%d" % i, "probe", {"n": i})) for i in range(5)])
    codes = [r["error_code"] for r in rs]
    assert probe.peak == 2
    assert codes.count("") == 4 and codes.count("RESOURCE_EXHAUSTED") == 1


async def test_devb_priority_scheduler_enforces_the_limit():
    sched = PriorityScheduler(max_concurrent=1, user_queue_size=1)
    h, _ = _handler(scheduler=sched)
    probe = _Probe(0.03)
    _add(h.registry, "probe", probe)
    rs = await asyncio.gather(*[h.handle(command("p%d" % i, "probe")) for i in range(3)])
    codes = [r["error_code"] for r in rs]
    assert probe.peak == 1
    assert codes.count("") == 2 and codes.count("RESOURCE_EXHAUSTED") == 1


async def test_tool_failures_map_to_structured_errors():
    h, _ = _handler()

    def crash(params):
        raise ValueError("sensor bus stuck")

    def not_json(params):
        return {"x": object()}

    def oom(params):
        raise MemoryError()

    def huge(params):
        return "x" * 40000

    def nan(params):
        return [1.0, float("nan")]

    for name, fn in (
        ("crash", crash),
        ("not_json", not_json),
        ("oom", oom),
        ("huge", huge),
        ("nan", nan),
    ):
        _add(h.registry, name, fn, [])
    r = await h.handle(command("1", "crash"))
    assert r["error_code"] == "INTERNAL" and "sensor bus stuck" in r["error_message"]
    r = await h.handle(command("2", "not_json"))
    assert r["error_code"] == "INTERNAL" and "not JSON data" in r["error_message"]
    r = await h.handle(command("3", "oom"))
    assert r["error_code"] == "RESOURCE_EXHAUSTED"
    r = await h.handle(command("4", "huge"))
    assert r["error_code"] == "RESOURCE_EXHAUSTED" and "bytes" in r["error_message"]
    r = await h.handle(command("5", "nan"))
    assert r["error_code"] == "INTERNAL" and "non-finite" in r["error_message"]


async def test_cancelled_command_releases_duplicates_and_is_remembered():
    h, _ = _handler()
    _add(h.registry, "slow", _Probe(5))
    first = asyncio.create_task(h.handle(command("x", "slow")))
    await asyncio.sleep(0.01)
    dup = asyncio.create_task(h.handle(command("x", "slow")))
    await asyncio.sleep(0.01)
    first.cancel()
    try:
        await first
    except asyncio.CancelledError:
        pass
    r = await dup
    assert r["error_code"] == "INTERNAL" and "cancelled" in r["error_message"]
    assert h.cached("x") == r


async def test_cached_results_round_trip_every_field():
    h, _ = _handler()

    class OddError(ToolError):
        error_code = "TEAPOT"  # not a CommandResult code: reported as INTERNAL

    def odd(params):
        raise OddError("short and stout")

    _add(h.registry, "odd", odd, [])
    first = await h.handle(command("o", "odd"))
    assert first["error_code"] == "INTERNAL" and first["error_message"] == "short and stout"
    assert await h.handle(command("o", "odd")) == first
    ok = await h.handle(command("l", "set_led", {"pin": 2, "on": False}))
    again = await h.handle(command("l", "set_led", {"pin": 2, "on": True}))
    assert again == ok and json.loads(again["result"]) == {"pin": 2, "on": False}
    assert again["duration_us"] == ok["duration_us"]


async def test_own_limiter_survives_deadline_while_queued():
    limiter = ConcurrencyLimiter(1, 4)
    h, _ = _handler(scheduler=limiter)
    probe = _Probe(0.05)
    _add(h.registry, "probe", probe)
    first = asyncio.create_task(h.handle(command("a", "probe", {"n": 1})))
    await asyncio.sleep(0.005)
    late = await h.handle(command("b", "probe", {"n": 2}, deadline_ms=10))  # times out queued
    assert late["error_code"] == "RESOURCE_EXHAUSTED"  # it never ran: it says why
    assert late["error_message"] == "probe not run within 10 ms: every tool slot busy (1 of 1)"
    assert (await first)["success"]
    third = await h.handle(command("c", "probe", {"n": 3}))
    assert third["success"] and limiter.active == 0 and limiter._waiters == []
    assert probe.calls == 2 and probe.peak == 1


def test_result_cache_keys_are_exact_ids():
    # Entries are found by a length-prefixed id: "id1" must never match "id10" or "id1x".
    from jotunheim.device.commands import error_result

    c = CommandHandler(ToolRegistry(), cache_size=4)
    ok = {"command_id": "id10", "success": True, "result": b'{"v": 1}', "error_code": "",
          "error_message": "", "duration_us": 70000}  # fmt: skip
    c.remember("id10", ok)
    assert c.cached("id1") is None and c.cached("id1x") is None
    assert c.cached("id10") == ok
    c.remember("\u00e9" * 300, error_result("\u00e9" * 300, "NOT_FOUND", "no tool", 5))
    back = c.cached("\u00e9" * 300)
    assert back["error_code"] == "NOT_FOUND" and back["error_message"] == "no tool"
    assert back["duration_us"] == 5 and back["command_id"] == "\u00e9" * 300
    c.remember("id10", error_result("id10", "INTERNAL", "again"))  # replaces, no duplicate
    assert c._n == 2 and c.cached("id10")["error_message"] == "again"
    for i in range(4):
        c.remember("n%d" % i, ok)
    assert c._n == 4 and c.cached("id10") is None
    assert [c.cached("n%d" % i)["duration_us"] for i in range(4)] == [70000] * 4


def test_result_cache_drops_the_least_recently_used():
    # One buffer of records: a get() moves its record to the end, eviction cuts the front.
    from jotunheim.device.commands import error_result

    c = CommandHandler(ToolRegistry(), cache_size=3)
    for cid in ("a", "b", "c"):
        c.remember(cid, error_result(cid, "NOT_FOUND", "m-" + cid, 300))
    assert c.cached("a")["error_message"] == "m-a"  # a is now the most recent
    c.remember("d", error_result("d", "INTERNAL", "m-d"))  # evicts b, the oldest
    assert c.cached("b") is None and c._n == 3
    assert [c.cached(x)["error_message"] for x in ("c", "a", "d")] == ["m-c", "m-a", "m-d"]
    c.remember("e", error_result("e", "INTERNAL", "x" * 150))  # longer than 127 bytes; evicts c
    c.remember("f", error_result("f", "NOT_FOUND", "m-f"))  # evicts a
    assert c.cached("c") is None and c.cached("a") is None and c._n == 3
    assert c.cached("e")["error_message"] == "x" * 150 and c.cached("d")["duration_us"] == 0
    assert c.cached("f")["error_code"] == "NOT_FOUND"


async def test_successful_commands_do_not_load_the_failure_code():
    # Refusals, error codes and failure messages live in command_failures, imported on the
    # first failure only; the limiter fallback only when no scheduler is injected.
    import sys

    sys.modules.pop("jotunheim.device.command_failures", None)
    h, _ = _handler(scheduler=PriorityScheduler(2, 8))
    r = await h.handle(command("ok", "set_led", {"pin": 2, "on": True}))
    assert r["success"] and "jotunheim.device.command_failures" not in sys.modules
    r = await h.handle(command("bad", "set_led", {"pin": 2}))
    assert r["error_code"] == "INVALID_ARGUMENT" and "'on'" in r["error_message"]
    r = await h.handle({"command_id": "j", "tool": "set_led", "args_json": "[1]"})
    assert (
        r["error_code"] == "INVALID_ARGUMENT" and "jotunheim.device.command_failures" in sys.modules
    )


async def test_a_full_heap_while_caching_loses_neither_the_result_nor_the_id():
    # The cache record is written after the tool ran; on a full heap that write can fail.
    # The result must still come back (it goes to the hub), duplicates must be released, and
    # the id must stay spent: a repeat never runs the tool again.
    h, _ = _handler()
    probe = _Probe(0.02)
    _add(h.registry, "probe", probe)
    real = h.remember
    fails = [2]  # the result's record fails twice; the short "spent" record then fits

    def remember(cid, result):
        if fails[0]:
            fails[0] -= 1
            raise MemoryError("memory allocation failed")
        real(cid, result)

    h.remember = remember
    first, dup = await asyncio.gather(
        h.handle(command("oom", "probe", {"n": 3})),
        h.handle(command("oom", "probe", {"n": 4})),
    )
    assert first == dup and json.loads(first["result"]) == {"n": 3}
    again = await h.handle(command("oom", "probe", {"n": 5}))
    assert probe.calls == 1
    assert again["error_code"] == "RESOURCE_EXHAUSTED" and not again["success"]
    fails[0] = 1  # one failure: the collection lets the real record in
    await h.handle(command("oom2", "probe", {"n": 6}))
    assert json.loads((await h.handle(command("oom2", "probe", {"n": 7})))["result"]) == {"n": 6}
    assert probe.calls == 2
