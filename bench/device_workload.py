"""Workload of bench_device.py, run unchanged under MicroPython and CPython; prints one JSON line.

Phases: import the device runtime; load the example settings; build capabilities (and the
encoded CapabilityResponse) on the simulated HAL; handle 100 commands; then time set_led.
"""

import asyncio
import gc
import json
import sys

MP = sys.implementation.name == "micropython"
SETTINGS = "examples/device/device.json"


def _scrub(depth=64):
    # MicroPython's GC is conservative: a dead object whose address is still in a stale stack
    # slot stays alive. Recursing overwrites those slots so only real references count.
    return _scrub(depth - 1) + 0 if depth else 0


def alloc():
    _scrub()
    gc.collect()
    return gc.mem_alloc() if MP else 0


def percentile(sorted_values, p):
    return sorted_values[int(round((len(sorted_values) - 1) * p / 100))]


async def _yield():
    # MicroPython's asyncio.sleep() returns a non-coroutine awaitable: wait_for needs a coroutine.
    await asyncio.sleep(0)


def main(timed_runs):
    out = {"runtime": sys.implementation.name}
    # Timing buffers first: allocated late, 8 KB blocks may not fit a fragmented 256 KB heap.
    total = [0] * timed_runs
    tool_us = [0] * timed_runs
    start = alloc()
    from jotunheim._gen.device import capability  # noqa: F401
    from jotunheim.compat import ticks_diff, ticks_us

    # Code the runtime imports on first use (CommandHandler: scheduler, and its default
    # limiter when no scheduler is given, as here; capability_build: declared_tools,
    # loki_call for the "add" tool; the first GPIO command: gpio_pins), loaded before the
    # baseline.
    from jotunheim.device import (  # noqa: F401
        declared_tools,
        gpio_pins,
        limiter,
        loki_call,
        scheduler,
    )
    from jotunheim.device.capabilities import (
        CapabilityBuilder,
        CapabilityNegotiator,
        CapabilityPropagator,
        encode_response,
    )
    from jotunheim.device.commands import CommandHandler
    from jotunheim.device.drivers import dht22, led, relay  # noqa: F401
    from jotunheim.device.hal import (
        sim_sensors,  # noqa: F401  (SimHal loads it lazily)
        sim_setup,  # noqa: F401  (attaching a driver loads it)
    )
    from jotunheim.device.hal.sim import SimHal
    from jotunheim.device.settings import Settings
    from jotunheim.device.tools import ToolRegistry
    from jotunheim.wire import protobuf  # noqa: F401

    # The codec materializes a descriptor's field tables on first use: per-firmware constants
    # (code, in effect), so they are made before the baseline too.
    warm = {"device_id": "w", "tools": [{"name": "t", "parameters": [{"name": "p"}]}]}
    warm["hardware"] = {"gpio": {"available_pins": [1]}, "sensors": ["a"]}
    warm["resources"] = {"max_cpu_percent": 1}
    warm["features"] = {"streaming": True}
    encode_response(warm)
    # Likewise the settings validator: it is imported for each validation and unloaded after
    # it (settings.py), but the identifiers of its .mpy stay interned on the heap (qstrs). On a
    # board the runtime is frozen and those qstrs live in flash, so they are code: validating
    # a minimal document here interns them before the baseline, and the settings step below
    # measures only the loaded document.
    Settings.from_json('{"identity": {"device_id": "w", "key": "%s"}}' % ("00" * 16))
    # Likewise capability_build / capability_announce, loaded per build or announcement and
    # dropped after it (tools.run_dropped): one throwaway announcement interns their qstrs.
    warm = CapabilityBuilder({"identity": {"device_id": "w"}}, None, ToolRegistry())
    CapabilityPropagator(warm).connected()
    warm = None
    out["import_heap"] = alloc() - start
    keep = []  # holds the runtime objects across measurements

    # Each phase is its own coroutine: a coroutine's frame lives on the heap and MicroPython's
    # GC scans all of it, so stale value-stack slots of one long coroutine (a dropped event
    # dict, encoded bytes) would be counted as live state. Returning ends the frame.
    async def load_settings():
        keep.append(Settings.load(SETTINGS))

    async def build_capabilities():
        settings = keep[0]
        hal = SimHal()
        builder = CapabilityBuilder(settings, hal, ToolRegistry())
        prop = CapabilityPropagator(builder, settings)
        neg = CapabilityNegotiator(builder, 2000, prop)
        encoded = await neg.respond_encoded({})
        prop.connected()
        keep.append((hal, builder, prop, neg))
        out["caps_bytes"] = len(encoded)
        out["tools"] = len(builder.registry)

    async def warm_up(kinds):
        mods_before = list(sys.modules)
        handler = CommandHandler(keep[1][1].registry)
        keep.append(handler)
        ok = 0
        for i in range(len(kinds)):  # first use of each tool creates its driver
            tool, args = kinds[i]
            w = {"command_id": "w%d" % i, "tool": tool, "args_json": args, "deadline_ms": 1000}
            ok += 1 if (await handler.handle(w))["success"] else 0
        out["late_imports"] = [m for m in sys.modules if m not in mods_before]
        out["warm_ok"] = ok

    async def commands(kinds):
        handler = keep[2]
        ok = 0
        for i in range(100):
            tool, args = kinds[i % len(kinds)]
            cmd = {"command_id": "c%d" % i, "tool": tool, "args_json": args, "deadline_ms": 1000}
            r = await handler.handle(cmd)
            ok += 1 if r["success"] else 0
        out["ok_commands"] = ok
        out["cached_results"] = handler._n

    async def timed():
        handler = keep[2]
        for i in range(timed_runs):
            args = '{"pin": 2, "on": true}' if i & 1 else '{"pin": 2, "on": false}'
            cmd = {"command_id": "t%d" % i, "tool": "set_led", "args_json": args}
            t0 = ticks_us()
            r = await handler.handle(cmd)
            total[i] = ticks_diff(ticks_us(), t0)
            tool_us[i] = r["duration_us"]

    async def run():
        # asyncio's own first-use state (loop queues) is not the runtime's: warm it first.
        await asyncio.wait_for(_yield(), 1)
        asyncio.Event()  # asyncio.event is imported on first use
        kinds = (
            ("set_led", '{"pin": 2, "on": true}'),
            ("set_pump", '{"on": false}'),
            ("gpio_write", '{"pin": 13, "value": 1}'),
            ("read_room", ""),
            ("gpio_read", '{"pin": 12}'),
        )
        baseline = alloc()
        await load_settings()
        out["settings_heap"] = alloc() - baseline
        await build_capabilities()
        out["after_caps_heap"] = alloc() - baseline
        await warm_up(kinds)
        out["after_warmup_heap"] = alloc() - baseline
        await commands(kinds)
        out["live_heap"] = alloc() - baseline
        await timed()
        total.sort()
        tool_us.sort()
        out["handle_p50_us"] = percentile(total, 50)
        out["handle_p99_us"] = percentile(total, 99)
        out["tool_p50_us"] = percentile(tool_us, 50)
        out["tool_p99_us"] = percentile(tool_us, 99)
        out["heap_free"] = gc.mem_free() if MP else -1

    asyncio.run(run())
    print(json.dumps(out))


main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
