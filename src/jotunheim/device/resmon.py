"""Resource monitor: the RAM, CPU and network figures a hub.proto Heartbeat carries."""

from jotunheim import compat
from jotunheim.compat import ticks_diff, ticks_ms

_INT32_MAX = 2147483647


def _int32(value):
    # Heartbeat.mem_free/mem_alloc are int32; a 64-bit host's RSS can exceed that.
    return value if value <= _INT32_MAX else _INT32_MAX


class ProcessCpu:
    """CPU use of this process since the previous reading (CPython: os.times deltas)."""

    def __init__(self, now=ticks_ms, times=None):
        import os

        self._times = times or os.times
        self._now = now
        self._last_cpu = self._cpu_s()
        self._last_t = now()

    def _cpu_s(self):
        t = self._times()
        return t[0] + t[1]

    def percent(self):
        cpu = self._cpu_s()
        now = self._now()
        wall_ms = ticks_diff(now, self._last_t)
        used_ms = (cpu - self._last_cpu) * 1000
        self._last_cpu = cpu
        self._last_t = now
        if wall_ms <= 0:
            return 0
        return max(0, min(100, int(used_ms * 100 / wall_ms)))


class LoopLoadSampler:
    """Estimate of how busy the asyncio loop is, for runtimes without os.times (MicroPython).

    A task asks to sleep `period_ms` and measures how late it wakes: lateness is time the
    single core spent on other work (tasks, interrupts, GC). Busy share = lateness / elapsed
    since the previous reading. It under-reports work done while the sampler itself runs
    and reads 0 until `run()` is started.
    """

    def __init__(self, period_ms=100, now=ticks_ms, sleep=None):
        self.period_ms = period_ms
        self._now = now
        self._sleep = sleep
        self._late_ms = 0
        self._span_ms = 0
        self._running = False

    def record(self, asked_ms, took_ms):
        """Account one sleep of `asked_ms` that took `took_ms` (used by run(); testable)."""
        self._span_ms += took_ms
        if took_ms > asked_ms:
            self._late_ms += took_ms - asked_ms

    def percent(self):
        if self._span_ms <= 0:
            return 0
        pct = self._late_ms * 100 // self._span_ms
        self._late_ms = self._span_ms = 0
        return min(100, pct)

    async def run(self):
        """Sample forever (start with asyncio.create_task; cancel to stop)."""
        sleep = self._sleep
        if sleep is None:
            from jotunheim.device.retry import sleep_ms as sleep
        self._running = True
        try:
            while True:
                t0 = self._now()
                await sleep(self.period_ms)
                self.record(self.period_ms, ticks_diff(self._now(), t0))
        finally:
            self._running = False


def default_cpu(now=ticks_ms):
    """ProcessCpu where os.times exists (CPython), else None (MicroPython: add a sampler)."""
    if compat.IS_MICROPYTHON:
        return None
    try:
        return ProcessCpu(now)
    except (ImportError, AttributeError, OSError):
        return None


class ResourceMonitor:
    """`snapshot()` -> dict with the Heartbeat fields (all but `seq`, which the session owns).

    Every source is optional: memory (MemoryMonitor), bandwidth (BandwidthMonitor),
    scheduler (PriorityScheduler, for active_tools), wifi (WifiManager, for rssi) and cpu
    (anything with `percent()`; default ProcessCpu on CPython, 0 on MicroPython unless a
    LoopLoadSampler is passed). Uptime accumulates tick deltas, so it stays right past the
    2**30 ms tick wrap as long as snapshots come more often than every ~6 days.
    """

    def __init__(
        self, memory=None, bandwidth=None, scheduler=None, wifi=None, cpu=None, now=ticks_ms
    ):
        self.memory = memory
        self.bandwidth = bandwidth
        self.scheduler = scheduler
        self.wifi = wifi
        self.cpu = cpu if cpu is not None else default_cpu(now)
        self._now = now
        self._last = now()
        self._uptime_ms = 0

    def uptime_s(self):
        now = self._now()
        delta = ticks_diff(now, self._last)
        if delta > 0:
            self._uptime_ms += delta
        self._last = now
        return self._uptime_ms // 1000

    def snapshot(self):
        """Current figures: uptime_s, mem_free, mem_alloc, cpu_percent, bytes_sent,
        bytes_received, active_tools, rssi."""
        if self.memory is not None:
            free, alloc = self.memory.free(), self.memory.alloc()
        else:
            free, alloc = compat.mem_free(), compat.mem_alloc()
        bw = self.bandwidth
        rssi = 0
        if self.wifi is not None:
            rssi = self.wifi.status().get("rssi", 0) or 0
        return {
            "uptime_s": self.uptime_s(),
            "mem_free": _int32(free),
            "mem_alloc": _int32(alloc),
            "cpu_percent": self.cpu.percent() if self.cpu is not None else 0,
            "bytes_sent": bw.bytes_sent if bw is not None else 0,
            "bytes_received": bw.bytes_received if bw is not None else 0,
            "active_tools": self.scheduler.active if self.scheduler is not None else 0,
            "rssi": rssi,
        }
