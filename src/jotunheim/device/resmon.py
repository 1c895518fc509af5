"""Resource monitor: the RAM, CPU and network figures a hub.proto Heartbeat carries (the CPU
load sources are in cpuload)."""

from jotunheim import compat
from jotunheim.compat import ticks_diff, ticks_ms

# Heartbeat.mem_free/mem_alloc are int32; a 64-bit host's RSS can exceed that.
_INT32_MAX = 2147483647


def default_cpu(now=ticks_ms):
    """ProcessCpu where os.times exists (CPython), else None (MicroPython: add a sampler)."""
    if compat.IS_MICROPYTHON:
        return None
    try:
        from jotunheim.device.cpuload import ProcessCpu

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
            "mem_free": min(free, _INT32_MAX),
            "mem_alloc": min(alloc, _INT32_MAX),
            "cpu_percent": self.cpu.percent() if self.cpu is not None else 0,
            "bytes_sent": bw.bytes_sent if bw is not None else 0,
            "bytes_received": bw.bytes_received if bw is not None else 0,
            "active_tools": self.scheduler.active if self.scheduler is not None else 0,
            "rssi": rssi,
        }
