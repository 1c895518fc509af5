"""WiFi station manager: connect with a timeout, reconnect with backoff in an asyncio task,
and report status, over a WLAN backend (network.WLAN on boards, SimWlan on host)."""

import asyncio

from jotunheim.compat import ticks_diff, ticks_ms
from jotunheim.device.session_wire import Backoff
from jotunheim.device.wlan import (  # noqa: F401  (backends re-exported for callers)
    CONNECT_FAILED,
    NO_AP_FOUND,
    TIMEOUT,
    WRONG_PASSWORD,
    NetworkWlan,
    SimWlan,
    WifiError,
)


class _QuietLogger:
    def error(self, msg, *args):
        pass

    warn = info = debug = error


def _quiet():
    try:
        from jotunheim.device.log import NullLogger

        return NullLogger()
    except ImportError:
        return _QuietLogger()


async def _sleep_ms(ms):
    await asyncio.sleep(ms / 1000)


class WifiManager:
    """Keeps the station connected. `await connect()` once, or `start()` the supervisor task
    that reconnects with backoff whenever the link drops. The password is kept privately and
    never logged, formatted into errors, or returned by status()."""

    def __init__(self, backend, ssid, password=None, connect_timeout_ms=15000, ip=None,
                 backoff=None, logger=None, now=ticks_ms, sleep=_sleep_ms, poll_ms=100,
                 check_ms=2000):  # fmt: skip
        if not isinstance(ssid, str) or not ssid:
            raise WifiError("network.wifi.ssid: expected a non-empty string")
        if password is not None and not isinstance(password, str):
            raise WifiError("network.wifi.password: expected a string")
        self.backend = backend
        self.ssid = ssid
        self._password = password
        self.connect_timeout_ms = connect_timeout_ms
        self._static = _static_config(ip)
        self.backoff = backoff or Backoff()
        self.log = logger or _quiet()
        self._now = now
        self._sleep = sleep
        self.poll_ms = poll_ms
        self.check_ms = check_ms
        self.state = "idle"
        self.reconnects = 0
        self.connects = 0
        self.failures = 0
        self.last_error = None
        self._up = False
        self._event = asyncio.Event()
        self._listeners = []
        self._task = None

    @classmethod
    def from_settings(cls, data, backend, logger=None, rng=None, **kw):
        """From the settings dict: network.wifi, network.ip, network_resilience_settings."""
        wifi = data["network"]["wifi"]
        return cls(backend, wifi.get("ssid"), wifi.get("password"),
                   wifi.get("connect_timeout_ms", 15000), data["network"].get("ip"),
                   Backoff.from_settings(data.get("network_resilience_settings", {}), rng),
                   logger, **kw)  # fmt: skip

    def __repr__(self):
        return "<WifiManager ssid=%r state=%s>" % (self.ssid, self.state)

    def on_change(self, callback):
        """callback(connected: bool) on every link up / link down."""
        self._listeners.append(callback)

    def is_connected(self):
        return self._up and self.backend.isconnected()

    def status(self):
        """connected, state, ssid, ip, rssi, reconnects, connects, failures, last_error."""
        up = self.is_connected()
        return {
            "connected": up,
            "state": self.state,
            "ssid": self.ssid,
            "ip": self.backend.ifconfig()[0] if up else None,
            "rssi": self.backend.rssi() if up else 0,
            "reconnects": self.reconnects,
            "connects": self.connects,
            "failures": self.failures,
            "last_error": self.last_error,
        }

    async def connect(self, timeout_ms=None):
        """Associate and get an address within the timeout; returns the IP, raises WifiError."""
        b = self.backend
        if b.isconnected():
            self._mark_up()
            return b.ifconfig()[0]
        timeout = self.connect_timeout_ms if timeout_ms is None else timeout_ms
        self.state = "connecting"
        self.log.info("wifi: connecting to %s", self.ssid)
        try:
            b.active(True)
            if self._static is not None:
                b.ifconfig(self._static)  # before connect, so DHCP is never started
            b.connect(self.ssid, self._password)
        except OSError as exc:
            # Drivers raise OSError for internal states ("Wifi Internal Error" on ESP32);
            # translated once here so the supervisor sees one failure type.
            self._failed(CONNECT_FAILED)
            raise WifiError("wifi: cannot join %r: driver error %s" % (self.ssid, exc)) from None
        start = self._now()
        while True:
            if b.isconnected():
                self._mark_up()
                return b.ifconfig()[0]
            reason = b.failure()
            if reason is None and ticks_diff(self._now(), start) >= timeout:
                reason = TIMEOUT
                b.disconnect()  # stop the driver's own retries before ours
            if reason is not None:
                self._failed(reason)
                raise WifiError("wifi: cannot join %r: %s" % (self.ssid, reason), reason)
            await self._sleep(self.poll_ms)

    async def wait_connected(self, timeout_ms=None):
        """Wait until the link is up; asyncio.TimeoutError after timeout_ms."""
        if timeout_ms is None:
            await self._event.wait()
        else:
            await asyncio.wait_for(self._event.wait(), timeout_ms / 1000)

    def start(self):
        """Start the supervisor task (idempotent); returns it."""
        if self._task is None:
            self._task = asyncio.create_task(self._supervise())
        return self._task

    async def stop(self, disconnect=True):
        """Stop the supervisor and optionally disconnect."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        if disconnect:
            self.backend.disconnect()
            if self._up:
                self._mark_down("stopped")
        self.state = "stopped"

    async def _supervise(self):
        while True:
            if not self.backend.isconnected():
                if self._up:
                    self._mark_down("link lost")
                try:
                    await self.connect()
                except WifiError as exc:
                    delay = self.backoff.next_delay_ms()
                    self.state = "backoff"
                    self.log.warn(
                        "wifi: join %s failed (%s); retry in %d ms", self.ssid, exc.reason, delay
                    )
                    await self._sleep(delay)
                    continue
            await self._sleep(self.check_ms)

    def _failed(self, reason):
        self.failures += 1
        self.last_error = reason
        self.state = "failed"

    def _mark_up(self):
        self.state = "connected"
        if self._up:
            return
        self._up = True
        if self.connects:
            self.reconnects += 1
        self.connects += 1
        self.last_error = None
        self.backoff.reset()
        self._event.set()
        self.log.info("wifi: connected to %s", self.ssid)
        self._notify(True)

    def _mark_down(self, why):
        self._up = False
        self._event.clear()
        self.state = "disconnected"
        self.log.warn("wifi: %s (%s)", why, self.ssid)
        self._notify(False)

    def _notify(self, connected):
        for cb in self._listeners:
            cb(connected)


def _static_config(ip):
    """(address, netmask, gateway, dns) for network.ip mode "static", else None."""
    if not ip or ip.get("mode", "dhcp") == "dhcp":
        return None
    if ip.get("mode") != "static":
        raise WifiError("network.ip.mode: expected 'dhcp' or 'static', got %r" % (ip.get("mode"),))
    out = []
    for key in ("address", "netmask", "gateway", "dns"):
        value = ip.get(key)
        if not isinstance(value, str) or not value:
            raise WifiError("network.ip.%s: required for static IP" % key)
        out.append(value)
    return tuple(out)


def agent_wifi(settings, log):
    """The agent's WifiManager (settings that name a network, on a runtime with a WLAN
    interface: agent_build checks both). Here rather than in the agent so that a device
    without WiFi never loads these names."""
    return WifiManager.from_settings(
        {
            "network": settings.section("network"),
            "network_resilience_settings": settings.section("network_resilience_settings"),
        },
        NetworkWlan(),
        log.child("wifi"),
    )
