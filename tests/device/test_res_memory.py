"""Memory monitor (device/memory.py): levels, collect-then-recheck, refusal, reporting."""

from devtest import raises

from jotunheim import compat
from jotunheim.device.memory import CRITICAL, OK, WARNING, MemoryMonitor
from jotunheim.device.rss import read_rss
from jotunheim.errors import JotunheimError


class Heap:
    """Injectable free-memory figure; `collect()` frees `reclaim` bytes like gc would."""

    def __init__(self, free, reclaim=0):
        self.value = free
        self.reclaim = reclaim
        self.collections = 0

    def free(self):
        return self.value

    def collect(self):
        self.collections += 1
        self.value += self.reclaim
        self.reclaim = 0


def test_levels_follow_thresholds():
    heap = Heap(100 * 1024)
    mon = MemoryMonitor(32, 16, mem_free=heap.free, collect=heap.collect)
    assert mon.level() == OK
    heap.value = 20 * 1024
    assert mon.level() == WARNING
    assert mon.allow_user_work()
    heap.value = 10 * 1024
    assert mon.level() == CRITICAL
    assert not mon.allow_user_work()
    heap.value = 64 * 1024
    assert mon.level() == OK and mon.allow_user_work()


def test_critical_collects_before_deciding():
    heap = Heap(8 * 1024, reclaim=16 * 1024)  # garbage that a collection frees
    reports = []
    mon = MemoryMonitor(
        32, 16, mem_free=heap.free, collect=heap.collect, on_critical=reports.append
    )
    assert mon.level() == WARNING  # 24 KB after collecting: not critical after all
    assert heap.collections == 1
    assert reports == [] and mon.critical_episodes == 0


def test_critical_reports_once_per_episode():
    heap = Heap(4 * 1024)
    reports = []
    mon = MemoryMonitor(
        32, 16, mem_free=heap.free, collect=heap.collect, on_critical=reports.append
    )
    for _ in range(3):
        assert mon.level() == CRITICAL
    assert reports == [4096]
    assert heap.collections == 3  # but it keeps trying to collect
    heap.value = 50 * 1024
    mon.level()
    heap.value = 1024
    mon.level()
    assert reports == [4096, 1024] and mon.critical_episodes == 2


def test_unknown_free_memory_is_ok():
    mon = MemoryMonitor(32, 16, mem_free=lambda: -1)
    assert mon.level() == OK and mon.allow_user_work()


def test_budget_minus_rss_on_hosts_without_a_heap_figure():
    mon = MemoryMonitor(32, 16, budget_kb=1024, rss=lambda: 1000 * 1024)
    if compat.mem_free() >= 0:
        return  # MicroPython reports its heap directly; the RSS path is CPython's
    assert mon.alloc() == 1000 * 1024
    assert mon.free() == 24 * 1024
    assert mon.level() == WARNING
    no_budget = MemoryMonitor(32, 16, rss=lambda: 10**9)
    assert no_budget.free() == -1 and no_budget.level() == OK


def test_real_runtime_figures_are_sane():
    mon = MemoryMonitor(1, 0)
    alloc = mon.alloc()
    assert alloc > 0
    if compat.IS_MICROPYTHON:
        assert mon.free() > 0
    assert mon.level() == OK


def test_read_rss_parses_statm_and_tolerates_absence():
    from devtest import tmpdir

    d = tmpdir("statm")
    with open(d + "/statm", "w") as f:
        f.write("5000 1200 300 10 0 900 0\n")
    assert read_rss(d + "/statm", 4096) == 1200 * 4096
    assert read_rss(d + "/missing") == -1
    with open(d + "/bad", "w") as f:
        f.write("garbage")
    assert read_rss(d + "/bad") == -1


def test_from_settings_uses_floor_as_critical():
    mon = MemoryMonitor.from_settings({"memory_warning_kb": 40, "memory_floor_kb": 20})
    assert mon.warning_bytes == 40 * 1024 and mon.critical_bytes == 20 * 1024


def test_bad_thresholds_are_rejected():
    with raises(JotunheimError, "warning_kb"):
        MemoryMonitor(8, 16)
    with raises(JotunheimError, "critical_kb"):
        MemoryMonitor(8, -1)
