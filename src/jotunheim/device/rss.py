"""Resident set size of this process from Linux /proc (CPython hosts): MemoryMonitor's
allocated and free figures where the runtime has no heap to report, loaded only there."""


def host_free(monitor):
    """MemoryMonitor.free() without a heap: its budget (max_memory_kb) minus what alloc()
    reports, or -1 without a budget or an allocation figure."""
    if monitor.budget_bytes > 0:
        rss = monitor.alloc()
        if rss >= 0:
            return max(0, monitor.budget_bytes - rss)
    return -1


def read_rss(path="/proc/self/statm", page_size=None):
    """Resident set size in bytes from Linux statm, or -1 when unavailable; statm counts
    pages of `page_size` bytes (default: the kernel's)."""
    if page_size is None:
        page_size = system_page_size()
    try:
        with open(path) as f:
            fields = f.read().split()
        return int(fields[1]) * page_size
    except (OSError, ValueError, IndexError):
        return -1


def system_page_size():
    """The kernel page size (statm counts pages), 4096 when it cannot be asked."""
    try:
        import os

        return os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError, ImportError):
        return 4096
