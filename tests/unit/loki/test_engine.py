"""LuaEngine in-process: limits relative to current use, reuse across calls, compile checks."""

import time

import pytest

from jotunheim.loki.engine import CallContext, LuaEngine
from jotunheim.loki.errors import ConfigError, ResourceExhausted
from jotunheim.loki.settings import Limits

ALLOC = "local t = {} for i = 1, params.n do t[i] = i end return #t"


def ctx():
    return CallContext("t", time.monotonic() + 5)


def test_memory_limit_counts_from_what_the_runtime_uses_now():
    engine = LuaEngine()
    limits = Limits(memory_bytes=3_000_000)
    # Grow the runtime (garbage left below the collection slack) well past the limit...
    for _ in range(3):
        assert engine.run("grow", ALLOC, {"n": 60_000}, Limits(), ctx()) == (60_000, None)
    # ...then a call within its own budget must still succeed, and one beyond it must not.
    assert engine.run("fits", ALLOC, {"n": 60_000}, limits, ctx()) == (60_000, None)
    with pytest.raises(ResourceExhausted, match="memory limit"):
        engine.run("bomb", ALLOC, {"n": 10_000_000}, limits, ctx())
    assert engine.run("after", "return 1", {}, limits, ctx()) == (1, None)


def test_compile_errors_carry_luas_message_and_nothing_runs():
    engine = LuaEngine()
    with pytest.raises(ConfigError, match="bad:1:"):
        engine.compile("error('ran') (", "bad")


def test_chunk_is_reused_with_a_fresh_environment_each_call():
    engine = LuaEngine()
    source = "counter = (counter or 0) + 1 return counter"
    results = [engine.run("c", source, {}, Limits(), ctx())[0] for _ in range(3)]
    assert results == [1, 1, 1]
