"""CPU load sources for ResourceMonitor: ProcessCpu (os.times deltas, CPython) and
LoopLoadSampler (asyncio loop lateness, for runtimes without os.times). Loaded only when one
is used, so a MicroPython device that reports cpu_percent 0 does not carry them."""

from jotunheim.compat import IS_MICROPYTHON, ticks_diff, ticks_ms


def default_cpu(now=ticks_ms):
    """ResourceMonitor's CPU source when none is given: ProcessCpu where os.times exists
    (CPython), else None (MicroPython: 0 unless a LoopLoadSampler is passed)."""
    if IS_MICROPYTHON:
        return None
    try:
        return ProcessCpu(now)
    except (ImportError, AttributeError, OSError):
        return None


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
