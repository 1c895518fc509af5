"""WiFi manager (device/wifi.py) over SimWlan and a fake network module, in virtual time."""

import asyncio

from devtest import raises

from jotunheim.compat import ticks_add
from jotunheim.device.session_wire import Backoff
from jotunheim.device.wifi import (
    NO_AP_FOUND,
    TIMEOUT,
    WRONG_PASSWORD,
    NetworkWlan,
    SimWlan,
    WifiError,
    WifiManager,
)

SECRET = "hunter2-very-secret"


class VirtualTime:
    """A tick clock advanced only by the code under test's sleeps (no real waiting)."""

    def __init__(self):
        self.t = 0
        self.slept = []

    def now(self):
        return self.t

    async def sleep(self, ms):
        self.slept.append(ms)
        self.t = ticks_add(self.t, ms)
        await asyncio.sleep(0)


class ListLogger:
    def __init__(self):
        self.lines = []

    def _add(self, msg, *args):
        self.lines.append(msg % args if args else msg)

    error = warn = info = debug = _add


def _manager(vt, wlan=None, log=None, **kw):
    wlan = wlan or SimWlan(latency_ms=300, now=vt.now)
    kw.setdefault("backoff", Backoff(100, 1000, rng=lambda: 0.5))
    mgr = WifiManager(
        wlan, "home", SECRET, connect_timeout_ms=2000, logger=log, now=vt.now, sleep=vt.sleep, **kw
    )
    return mgr, wlan


async def _until(predicate, steps=5000):
    for _ in range(steps):
        if predicate():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition not reached")


async def test_connect_returns_ip_after_latency():
    vt = VirtualTime()
    mgr, wlan = _manager(vt)
    ip = await mgr.connect()
    assert ip == "192.168.4.2"
    assert 300 <= vt.t < 500  # polled every 100 ms until the simulated association finished
    st = mgr.status()
    assert st["connected"] and st["ip"] == "192.168.4.2" and st["rssi"] == -60
    assert st["reconnects"] == 0 and st["connects"] == 1
    assert wlan.last_ssid == "home"


async def test_connect_times_out_and_names_the_reason():
    vt = VirtualTime()
    mgr, wlan = _manager(vt)
    wlan.succeed = False
    with raises(WifiError, "timeout") as r:
        await mgr.connect()
    assert r.value.reason == TIMEOUT and r.value.retryable
    assert 2000 <= vt.t <= 2100
    assert not mgr.status()["connected"] and mgr.status()["last_error"] == TIMEOUT


async def test_driver_reported_failures_end_the_attempt_early():
    vt = VirtualTime()
    mgr, wlan = _manager(vt)
    wlan.fail_next(1, WRONG_PASSWORD)
    with raises(WifiError) as r:
        await mgr.connect()
    assert r.value.reason == WRONG_PASSWORD and not r.value.retryable
    assert vt.t < 2000
    wlan.fail_next(1, NO_AP_FOUND)
    with raises(WifiError, "no_ap_found"):
        await mgr.connect(timeout_ms=500)


async def test_password_never_appears_in_logs_errors_status_or_repr():
    vt = VirtualTime()
    log = ListLogger()
    mgr, wlan = _manager(vt, log=log)
    wlan.fail_next(2, WRONG_PASSWORD)
    texts = []
    for _ in range(2):
        try:
            await mgr.connect()
        except WifiError as exc:
            texts.append(str(exc))
    await mgr.connect()
    texts.extend(log.lines)
    texts.append(repr(mgr))
    texts.append(repr(mgr.status()))
    assert len(log.lines) >= 3
    for text in texts:
        assert SECRET not in text, text


async def test_supervisor_reconnects_after_drop_with_backoff():
    vt = VirtualTime()
    log = ListLogger()
    mgr, wlan = _manager(vt, log=log, check_ms=500)
    changes = []
    mgr.on_change(changes.append)
    mgr.start()
    await _until(mgr.is_connected)
    assert changes == [True]
    wlan.drop()  # AP outage: connects cannot succeed until restore()
    await _until(lambda: mgr.status()["failures"] >= 3)
    assert changes == [True, False]
    assert not mgr.status()["connected"]
    wlan.restore()
    await _until(mgr.is_connected)
    st = mgr.status()
    assert st["reconnects"] == 1 and st["connects"] == 2
    assert changes == [True, False, True]
    retry_lines = [line for line in log.lines if "retry in" in line]
    # rng 0.5 of ceilings 100, 200, 400: full jitter grows with each failed attempt
    assert retry_lines[0].endswith("retry in 50 ms") and retry_lines[1].endswith("retry in 100 ms")
    assert retry_lines[2].endswith("retry in 200 ms")
    assert mgr.backoff.attempt == 0  # reset once connected
    await mgr.stop()
    assert mgr.state == "stopped" and not mgr.is_connected()


async def test_wait_connected_and_stop_cancel_cleanly():
    vt = VirtualTime()
    mgr, wlan = _manager(vt)
    task = mgr.start()
    assert mgr.start() is task  # idempotent
    await mgr.wait_connected(timeout_ms=2000)
    assert mgr.is_connected()
    await mgr.stop(disconnect=False)
    assert wlan.connected  # left associated on request


async def test_wait_connected_times_out():
    vt = VirtualTime()
    mgr, wlan = _manager(vt)
    with raises(asyncio.TimeoutError):
        await mgr.wait_connected(timeout_ms=5)


async def test_static_ip_is_configured_before_connecting():
    vt = VirtualTime()
    ip = {"mode": "static", "address": "10.1.2.3", "netmask": "255.255.0.0"}
    ip["gateway"] = "10.1.0.1"
    ip["dns"] = "10.1.0.2"
    mgr, wlan = _manager(vt, ip=ip)
    assert await mgr.connect() == "10.1.2.3"
    assert wlan.ifconfig() == ("10.1.2.3", "255.255.0.0", "10.1.0.1", "10.1.0.2")


def test_static_ip_requires_every_field_and_valid_mode():
    vt = VirtualTime()
    with raises(WifiError, "network.ip.gateway"):
        _manager(vt, ip={"mode": "static", "address": "10.0.0.2", "netmask": "255.0.0.0"})
    with raises(WifiError, "network.ip.mode"):
        _manager(vt, ip={"mode": "auto"})


def test_manager_validates_ssid_and_password():
    with raises(WifiError, "network.wifi.ssid"):
        WifiManager(SimWlan(), None)
    with raises(WifiError, "network.wifi.password"):
        WifiManager(SimWlan(), "x", 1234)


async def test_from_settings_reads_network_and_resilience_sections():
    vt = VirtualTime()
    data = {
        "network": {
            "wifi": {"ssid": "lab", "password": SECRET, "connect_timeout_ms": 700},
            "ip": {"mode": "dhcp"},
        },
        "network_resilience_settings": {"backoff_base_ms": 40, "backoff_cap_ms": 80},
    }
    wlan = SimWlan(now=vt.now)
    wlan.succeed = False
    mgr = WifiManager.from_settings(data, wlan, rng=lambda: 0.99, now=vt.now, sleep=vt.sleep)
    assert mgr.ssid == "lab" and mgr.connect_timeout_ms == 700
    assert [mgr.backoff.next_delay_ms() for _ in range(3)] == [40, 80, 80]
    with raises(WifiError):
        await mgr.connect()
    assert 700 <= vt.t <= 800


def test_network_wlan_is_import_safe_without_network_module():
    try:
        import network  # noqa: F401
    except ImportError:
        with raises(WifiError, "network"):
            NetworkWlan()


class FakeWLAN:
    def __init__(self, iface):
        self.iface = iface
        self.calls = []
        self._status = 1001
        self.up = False

    def active(self, on=None):
        self.calls.append(("active", on))

    def connect(self, ssid, password):
        self.calls.append(("connect", ssid))
        self.up = True

    def disconnect(self):
        self.up = False
        raise OSError("not connected")

    def isconnected(self):
        return self.up

    def status(self, param=None):
        if param == "rssi":
            if not self.up:
                raise OSError("not connected")
            return -48
        return self._status

    def ifconfig(self, config=None):
        if config is None:
            return ("172.16.0.9", "255.255.255.0", "172.16.0.1", "8.8.8.8")
        self.calls.append(("ifconfig", config))


class FakeNetwork:
    STA_IF = 0
    STAT_WRONG_PASSWORD = 202
    STAT_NO_AP_FOUND = 201

    def __init__(self):
        self.wlan = None

    def WLAN(self, iface):  # noqa: N802 (mirrors network.WLAN)
        self.wlan = FakeWLAN(iface)
        return self.wlan


async def test_network_wlan_adapts_the_network_module():
    net = FakeNetwork()
    backend = NetworkWlan(network_module=net)
    assert backend.failure() is None
    assert backend.rssi() == 0  # status("rssi") raises while disconnected
    vt = VirtualTime()
    mgr = WifiManager(backend, "ap", SECRET, now=vt.now, sleep=vt.sleep)
    assert await mgr.connect() == "172.16.0.9"
    assert ("connect", "ap") in net.wlan.calls and ("active", True) in net.wlan.calls
    assert mgr.status()["rssi"] == -48
    net.wlan._status = 202
    assert backend.failure() == WRONG_PASSWORD
    net.wlan._status = 201
    assert backend.failure() == NO_AP_FOUND
    backend.disconnect()  # the OSError of an idle interface is swallowed
    assert not backend.isconnected()


class BrokenWlan(SimWlan):
    def connect(self, ssid, password):
        raise OSError("Wifi Internal Error")


async def test_driver_oserror_becomes_wifi_error_and_supervisor_keeps_going():
    vt = VirtualTime()
    mgr, wlan = _manager(vt, wlan=BrokenWlan(now=vt.now))
    with raises(WifiError, "driver error") as r:
        await mgr.connect()
    assert r.value.reason == "connect_failed" and mgr.status()["failures"] == 1
    assert SECRET not in str(r.value)
    task = mgr.start()
    await _until(lambda: mgr.status()["failures"] >= 4)
    assert not task.done()  # the supervisor survived the driver errors
    await mgr.stop()
