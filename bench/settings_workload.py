"""Workload for bench_settings.py, run under MicroPython and CPython: settings load/validate
time and heap, plain json.loads of the same file (the floor), and simulated driver reads."""

import gc
import json
import sys
import time

try:
    from time import ticks_diff, ticks_us
except ImportError:  # CPython

    def ticks_us():
        return int(time.perf_counter() * 1000000)

    def ticks_diff(a, b):
        return a - b


EXAMPLE = "examples/device/device.json"


def heap():
    gc.collect()
    try:
        return gc.mem_alloc()
    except AttributeError:
        return -1


def per_call_us(fn, runs):
    fn()
    t = ticks_us()
    for _ in range(runs):
        fn()
    return ticks_diff(ticks_us(), t) / runs


def main(runs):
    base = heap()
    from jotunheim.device.settings import Settings

    after_import = heap()
    s = Settings.load(EXAMPLE)
    after_load = heap()
    text = open(EXAMPLE).read()
    out = {
        "import_heap": after_import - base,
        "settings_heap": after_load - after_import,
        "load_us": per_call_us(lambda: Settings.load(EXAMPLE), runs),
        "json_us": per_call_us(lambda: json.loads(text), runs),
        "save_us": 0,
    }
    from jotunheim.device.drivers import make_driver
    from jotunheim.device.hal.sim import SimHal

    caps = s["capability_configuration"]
    sim = SimHal()
    drivers = {c["name"]: make_driver(sim, c, caps["interfaces"]) for c in caps["sensors"]}
    for name in ("room", "water", "air"):
        out["read_%s_us" % name] = per_call_us(drivers[name].read, runs)
    led = make_driver(sim, caps["actuators"][0], caps["interfaces"])
    out["led_set_us"] = per_call_us(lambda: led.set(not led.state), runs)
    print(json.dumps(out))


main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
