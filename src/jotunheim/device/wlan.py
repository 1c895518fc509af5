"""WLAN backends for the WiFi manager: NetworkWlan over MicroPython's network.WLAN and
SimWlan, a simulated station for host tests (latency, failures, link drops)."""

from jotunheim.compat import ticks_diff, ticks_ms
from jotunheim.errors import JotunheimError

TIMEOUT = "timeout"
WRONG_PASSWORD = "wrong_password"
NO_AP_FOUND = "no_ap_found"
CONNECT_FAILED = "connect_failed"


class WifiError(JotunheimError):
    """A connection attempt failed; `reason` is one of the module's reason constants."""

    def __init__(self, message, reason=CONNECT_FAILED):
        super().__init__(message)
        self.reason = reason
        # errors_policy.classify: a wrong password will not fix itself by retrying soon.
        self.retryable = reason != WRONG_PASSWORD


class NetworkWlan:
    """Backend over MicroPython's network.WLAN(STA_IF). Importing this module never imports
    `network` (absent on the unix port and CPython); constructing without it raises WifiError.
    `network_module` lets tests substitute a fake."""

    def __init__(self, network_module=None):
        if network_module is None:
            try:
                import network as network_module
            except ImportError:
                raise WifiError("no `network` module on this runtime; use SimWlan") from None
        self._net = network_module
        self._wlan = network_module.WLAN(network_module.STA_IF)

    def active(self, on):
        self._wlan.active(on)

    def connect(self, ssid, password):
        self._wlan.connect(ssid, password)

    def disconnect(self):
        try:
            self._wlan.disconnect()
        except OSError:  # not connected: nothing to undo
            pass

    def isconnected(self):
        return self._wlan.isconnected()

    def ifconfig(self, config=None):
        if config is None:
            return self._wlan.ifconfig()
        self._wlan.ifconfig(config)
        return config

    def failure(self):
        """A reason constant when the driver reports a definite failure, else None."""
        status = self._wlan.status()
        net = self._net
        # Status names differ per port (ESP32 vs ESP8266 vs Pico W); absent ones never match.
        for name, reason in (
            ("STAT_WRONG_PASSWORD", WRONG_PASSWORD),
            ("STAT_NO_AP_FOUND", NO_AP_FOUND),
            ("STAT_CONNECT_FAIL", CONNECT_FAILED),
        ):
            code = getattr(net, name, None)
            if code is not None and status == code:
                return reason
        return None

    def rssi(self):
        try:
            return self._wlan.status("rssi")
        except (OSError, ValueError, TypeError):  # not connected, or port without it
            return 0


class SimWlan:
    """Simulated station for host tests: configurable latency, failures, link drops.

    `fail_next(n, reason)` makes the next n connects fail (TIMEOUT: never associates; other
    reasons: reported by failure()); `drop()` takes the link down (and keeps it down, like
    an AP outage) until `restore()`; `succeed = False` fails every connect by timeout.
    """

    def __init__(self, latency_ms=0, succeed=True, ip="192.168.4.2", rssi=-60, now=ticks_ms):
        self.latency_ms = latency_ms
        self.succeed = succeed
        self.ip = ip
        self._rssi = rssi
        self._now = now
        self.is_active = False
        self.link_up = True
        self.connected = False
        self.connect_calls = 0
        self.last_ssid = None
        self._started = None
        self._fail = []
        self._failure = None
        self._config = None

    def fail_next(self, n=1, reason=TIMEOUT):
        self._fail.extend([reason] * n)

    def drop(self):
        self.link_up = False
        self.connected = False
        self._started = None

    def restore(self):
        self.link_up = True

    def active(self, on):
        self.is_active = bool(on)
        if not on:
            self.connected = False

    def connect(self, ssid, password):
        if not self.is_active:
            raise OSError("WLAN interface not active")
        self.connect_calls += 1
        self.last_ssid = ssid
        self.connected = False
        self._failure = None
        self._started = self._now()
        if self._fail:
            reason = self._fail.pop(0)
            self._started = None
            if reason != TIMEOUT:
                self._failure = reason

    def disconnect(self):
        self.connected = False
        self._started = None

    def isconnected(self):
        if not self.connected and self._started is not None and self.link_up and self.succeed:
            if ticks_diff(self._now(), self._started) >= self.latency_ms:
                self.connected = True
                self._started = None
        return self.connected

    def failure(self):
        return self._failure

    def ifconfig(self, config=None):
        if config is not None:
            self._config = tuple(config)
            return self._config
        if self._config is not None:
            return self._config
        return (self.ip, "255.255.255.0", "192.168.4.1", "192.168.4.1")

    def rssi(self):
        return self._rssi if self.connected else 0
