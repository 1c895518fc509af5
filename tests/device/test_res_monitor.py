"""Resource monitor (ResourceMonitor in device/memory.py): heartbeat figures from the other
monitors."""

import asyncio

from devtest import Clock

from jotunheim import compat
from jotunheim.compat import ticks_add
from jotunheim.device.bandwidth import BandwidthMonitor
from jotunheim.device.cpuload import LoopLoadSampler, ProcessCpu, default_cpu
from jotunheim.device.memory import MemoryMonitor, ResourceMonitor
from jotunheim.device.scheduler import PriorityScheduler
from jotunheim.device.wifi import SimWlan, WifiManager

HEARTBEAT_FIELDS = (
    "uptime_s",
    "mem_free",
    "mem_alloc",
    "cpu_percent",
    "bytes_sent",
    "bytes_received",
    "active_tools",
    "rssi",
)


class FixedCpu:
    def percent(self):
        return 37


def test_snapshot_has_exactly_the_heartbeat_fields():
    snap = ResourceMonitor().snapshot()
    assert sorted(snap) == sorted(HEARTBEAT_FIELDS)
    for name in HEARTBEAT_FIELDS:
        assert isinstance(snap[name], int), name
    if compat.IS_MICROPYTHON:
        assert snap["mem_free"] > 0 and snap["mem_alloc"] > 0


async def test_snapshot_collects_figures_from_every_source():
    clock = Clock()
    bw = BandwidthMonitor(now=clock)
    bw.sent(1500)
    bw.received(4000)
    mem = MemoryMonitor(32, 16, mem_free=lambda: 50000, mem_alloc=lambda: 70000)
    sched = PriorityScheduler(2, 2)
    wlan = SimWlan(rssi=-71)
    wifi = WifiManager(wlan, "ap")
    await wifi.connect()
    gate = asyncio.Event()
    task = asyncio.create_task(sched.run(gate.wait, priority="user"))
    await asyncio.sleep(0)
    mon = ResourceMonitor(mem, bw, sched, wifi, cpu=FixedCpu(), now=clock)
    clock.advance(65432)
    snap = mon.snapshot()
    gate.set()
    await task
    assert snap == {
        "uptime_s": 65,
        "mem_free": 50000,
        "mem_alloc": 70000,
        "cpu_percent": 37,
        "bytes_sent": 1500,
        "bytes_received": 4000,
        "active_tools": 1,
        "rssi": -71,
    }


def test_uptime_accumulates_across_tick_wrap():
    clock = Clock(ticks_add(0, -1500))
    mon = ResourceMonitor(cpu=FixedCpu(), now=clock)
    clock.advance(1000)
    assert mon.uptime_s() == 1
    clock.advance(2600)  # crosses the wrap
    assert mon.uptime_s() == 3


def test_memory_figures_are_clamped_to_int32():
    mem = MemoryMonitor(32, 16, mem_free=lambda: -1, mem_alloc=lambda: 5 * 2**31)
    snap = ResourceMonitor(mem, cpu=FixedCpu()).snapshot()
    assert snap["mem_alloc"] == 2**31 - 1 and snap["mem_free"] == -1


def test_process_cpu_percent_from_times_deltas():
    clock = Clock()
    cpu_s = [10.0]

    def times():
        return (cpu_s[0] * 0.75, cpu_s[0] * 0.25, 0, 0, 0)

    cpu = ProcessCpu(now=clock, times=times)
    clock.advance(1000)
    cpu_s[0] += 0.25
    assert cpu.percent() == 25
    clock.advance(1000)
    cpu_s[0] += 3.0  # more than one core's worth is clamped
    assert cpu.percent() == 100
    assert cpu.percent() == 0  # no wall time elapsed


def test_default_cpu_source_per_runtime():
    cpu = default_cpu()
    if compat.IS_MICROPYTHON:
        assert cpu is None  # no os.times: 0 unless a LoopLoadSampler runs
        assert ResourceMonitor().snapshot()["cpu_percent"] == 0
    else:
        assert 0 <= cpu.percent() <= 100


def test_loop_load_sampler_measures_lateness():
    s = LoopLoadSampler(period_ms=100)
    assert s.percent() == 0
    s.record(100, 100)
    s.record(100, 300)  # woke 200 ms late: the loop was busy
    assert s.percent() == 50
    assert s.percent() == 0  # each reading covers the time since the previous one


async def test_loop_load_sampler_task_samples_virtual_sleeps():
    clock = Clock()
    done = asyncio.Event()
    count = [0]

    async def sleep(ms):
        count[0] += 1
        clock.advance(ms * 4 if count[0] % 2 else ms)  # every other sleep is 3x late
        if count[0] >= 10:
            done.set()
        await asyncio.sleep(0)

    s = LoopLoadSampler(period_ms=10, now=clock, sleep=sleep)
    task = asyncio.create_task(s.run())
    await done.wait()
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    pct = s.percent()
    assert 55 <= pct <= 65, pct  # 30 late of 50 per pair of sleeps = 60 %
