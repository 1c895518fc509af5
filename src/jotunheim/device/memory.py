"""Memory monitor (free-heap levels ok / warning / critical, and what to do at critical) and
the resource monitor built on it (the RAM, CPU and network figures a hub.proto Heartbeat
carries; the CPU load sources are in cpuload). One module: the agent always loads both.

MicroPython reports its heap (gc.mem_free / gc.mem_alloc). CPython has no fixed heap, so
"free" is a configured budget minus the process RSS (from /proc/self/statm); without a
budget the level is always "ok".
"""

import gc

from jotunheim import compat
from jotunheim.compat import const, ticks_diff, ticks_ms
from jotunheim.errors import JotunheimError

OK = "ok"
WARNING = "warning"
CRITICAL = "critical"


class MemoryMonitor:
    """Levels from free memory: below `warning_kb` -> warning, below `critical_kb` -> critical.

    At critical the monitor runs gc.collect() and measures again (MicroPython counts
    unreachable garbage as allocated until a collection), and if still critical it refuses
    new user work (`allow_user_work()`) and calls `on_critical(free_bytes)` once per episode.
    """

    def __init__(
        self,
        warning_kb=32,
        critical_kb=16,
        mem_free=None,
        mem_alloc=None,
        budget_kb=0,
        on_critical=None,
        collect=gc.collect,
        logger=None,
        rss=None,
    ):
        # critical_kb is checked first, so warning_kb's bound is an int when it is used.
        for name, value, least in (
            ("critical_kb", critical_kb, 0),
            ("warning_kb", warning_kb, critical_kb),
        ):
            if not isinstance(value, int) or value < least:
                raise JotunheimError(
                    "memory %s: expected an integer >= %r, got %r" % (name, least, value)
                )
        self.warning_bytes = warning_kb * 1024
        self.critical_bytes = critical_kb * 1024
        if logger is None:
            from jotunheim.device.log import NullLogger

            logger = NullLogger()
        self.log = logger
        # Only values that differ from the class defaults below take an instance slot (the
        # monitor lives for the whole run on a small heap).
        if budget_kb:
            self.budget_bytes = budget_kb * 1024
        if mem_free is not None:
            self._mem_free = mem_free
        if mem_alloc is not None:
            self._mem_alloc = mem_alloc
        if rss is not None:
            self._rss = rss
        if collect is not gc.collect:
            self._collect = collect
        if on_critical is not None:
            self.on_critical = on_critical

    budget_bytes = 0
    _mem_free = None
    _mem_alloc = None
    _rss = None
    _collect = staticmethod(gc.collect)  # staticmethod: never bound as a method
    on_critical = None
    last_level = OK
    critical_episodes = 0
    collections = 0

    @classmethod
    def from_settings(cls, limits, **kw):
        """From `resource_limits`: memory_warning_kb, memory_floor_kb (critical), max_memory_kb."""
        return cls(
            limits.get("memory_warning_kb", 32),
            limits.get("memory_floor_kb", 16),
            budget_kb=limits.get("max_memory_kb", 0),
            **kw,
        )

    def free(self):
        """Free bytes, or -1 when the runtime cannot tell (CPython without a budget)."""
        if self._mem_free is not None:
            return self._mem_free()
        free = compat.mem_free()
        if free >= 0:
            return free
        from jotunheim.device.rss import host_free  # (CPython: no heap to ask)

        return host_free(self)

    def alloc(self):
        """Allocated bytes (MicroPython heap) or RSS (CPython), -1 when unknown."""
        if self._mem_alloc is not None:
            return self._mem_alloc()
        used = compat.mem_alloc()
        if used >= 0:
            return used
        from jotunheim.device.rss import read_rss  # (CPython: no heap to ask)

        return self._rss() if self._rss is not None else read_rss()

    def _classify(self, free):
        if free < 0:
            return OK
        if free < self.critical_bytes:
            return CRITICAL
        if free < self.warning_bytes:
            return WARNING
        return OK

    def level(self):
        """Current level; at critical, collect first and act if still critical."""
        free = self.free()
        level = self._classify(free)
        if level == CRITICAL:
            self._collect()
            self.collections += 1
            free = self.free()
            level = self._classify(free)
        previous = self.last_level
        self.last_level = level
        if level != previous:
            if level == CRITICAL:
                self.critical_episodes += 1
                self.log.error("memory critical: %d bytes free, refusing user work", free)
                if self.on_critical is not None:
                    self.on_critical(free)
            elif level == WARNING:
                self.log.warn("memory low: %d bytes free", free)
            else:
                self.log.info("memory back to ok: %d bytes free", free)
        return level

    def allow_user_work(self):
        """False while memory is critical (system work is never refused here)."""
        return self.level() != CRITICAL


# --- ResourceMonitor: the Heartbeat figures.
# Heartbeat.mem_free/mem_alloc are int32; a 64-bit host's RSS can exceed that.
_INT32_MAX = const(2147483647)


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
        if cpu is None and not compat.IS_MICROPYTHON:  # MicroPython: 0 unless a sampler is given
            from jotunheim.device.cpuload import default_cpu

            cpu = default_cpu(now)
        self.cpu = cpu
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
