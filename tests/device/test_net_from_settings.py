"""The network and resource classes built from a real validated Settings document."""

from jotunheim.device.bandwidth import TokenBucket
from jotunheim.device.deadpeer import DeadPeerDetector
from jotunheim.device.memory import MemoryMonitor
from jotunheim.device.retry import RetryPolicy
from jotunheim.device.scheduler import PriorityScheduler
from jotunheim.device.session_wire import Backoff
from jotunheim.device.settings import Settings
from jotunheim.device.wifi import SimWlan, WifiManager

RAW = {
    "identity": {"device_id": "d1", "key": "00112233445566778899aabbccddeeff"},
    "network": {
        "wifi": {"ssid": "lab", "password": "pw-secret-1", "connect_timeout_ms": 5000},
        "ip": {
            "mode": "static",
            "address": "10.0.0.7",
            "netmask": "255.255.255.0",
            "gateway": "10.0.0.1",
            "dns": "10.0.0.1",
        },
    },
    "network_resilience_settings": {"backoff_base_ms": 200, "backoff_cap_ms": 1600},
    "resource_limits": {"max_concurrent_tools": 3, "user_queue_size": 4, "bandwidth_bps": 2000},
}


async def test_every_class_builds_from_settings_defaults_and_overrides():
    s = Settings(RAW)
    nrs = s["network_resilience_settings"]
    limits = s["resource_limits"]
    b = Backoff.from_settings(nrs, rng=lambda: 0.9999)
    assert [b.next_delay_ms() for _ in range(5)] == [200, 400, 800, 1600, 1600]
    policy = RetryPolicy.from_settings(nrs, b)
    assert policy.max_retries is None and policy.delay_ms == 1000  # defaults: forever, 1 s
    assert DeadPeerDetector(nrs["dead_peer_timeout_ms"]).timeout_ms == 45000
    mem = MemoryMonitor.from_settings(limits)
    assert mem.warning_bytes == 32 * 1024 and mem.critical_bytes == 16 * 1024
    sched = PriorityScheduler.from_settings(limits, mem)
    assert sched.max_concurrent == 3 and sched.user_queue_size == 4 and sched.memory is mem
    tb = TokenBucket.from_settings(limits)
    assert tb.rate_bps == 2000 and tb.burst == 2000
    assert TokenBucket.from_settings({}).unlimited()
    wlan = SimWlan()
    wifi = WifiManager.from_settings(s.data, wlan)
    assert wifi.connect_timeout_ms == 5000
    assert await wifi.connect() == "10.0.0.7"  # static address applied
    assert "pw-secret-1" not in repr(wifi.status())
