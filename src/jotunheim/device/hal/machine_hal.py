"""HAL backend over MicroPython's `machine`, `onewire` and `dht` modules (boards only).

Deliberately thin: each method maps to one constructor so board quirks stay visible. It is
import-safe everywhere (hardware modules are imported inside methods) but only runs on a board;
the unix port and CPython use hal.sim. Port differences are listed in docs/micropython-notes.md.
"""

_MODES = {"in": "IN", "out": "OUT", "in_pullup": "IN"}


class MachineHal:
    """Pins, PWM, ADC, I2C/SoftI2C and OneWire through `machine`; buses cached by name/pin."""

    is_simulated = False
    dht_min_interval_ms = 2000  # DHT22 datasheet: at most one reading every 2 s

    def __init__(self, machine=None):
        if machine is None:
            import machine
        self._machine = machine  # injectable so tests can check the mapping with a fake
        self._pins = {}
        self._buses = {}

    def pin(self, num, mode="in"):
        """A machine.Pin in mode "in", "out" or "in_pullup" (re-initialised on mode change)."""
        m = self._machine.Pin
        if mode not in _MODES:
            raise ValueError("pin mode must be in, out or in_pullup, got %r" % (mode,))
        pull = m.PULL_UP if mode == "in_pullup" else None
        entry = self._pins.get(num)
        if entry is None or entry[1] != mode:
            obj = m(num, getattr(m, _MODES[mode]), pull)
            self._pins[num] = (obj, mode)
            return obj
        return entry[0]

    def pwm(self, num, freq=1000, duty_u16=0):
        """One PWM object per pin (a repeated request re-tunes it rather than taking another
        hardware channel); freq/duty are set by method since rp2's constructor has no keywords."""
        key = ("pwm", num)
        pwm = self._buses.get(key)
        if pwm is None:
            pwm = self._buses[key] = self._machine.PWM(self._machine.Pin(num))
        pwm.freq(freq)
        pwm.duty_u16(duty_u16)
        return pwm

    def adc(self, num):
        ADC = self._machine.ADC
        try:
            adc = ADC(self._machine.Pin(num))
        except (TypeError, ValueError):
            return ADC(num)  # ESP8266 (ADC(0)) and ports taking a channel id
        if hasattr(ADC, "ATTN_11DB") and hasattr(adc, "atten"):
            adc.atten(ADC.ATTN_11DB)  # ESP32: full 0..3.3 V range instead of 0..1.1 V
        return adc

    def i2c(self, name=None, sda=None, scl=None, freq=400000, bus_id=None):
        """Hardware I2C when bus_id is given, else SoftI2C (works on any pair of pins)."""
        key = name or ("i2c", sda, scl)
        bus = self._buses.get(key)
        if bus is None:
            Pin = self._machine.Pin
            if bus_id is not None:
                bus = self._machine.I2C(bus_id, scl=Pin(scl), sda=Pin(sda), freq=freq)
            else:
                bus = self._machine.SoftI2C(scl=Pin(scl), sda=Pin(sda), freq=freq)
            self._buses[key] = bus
        return bus

    def onewire(self, pin):
        key = ("ow", pin)
        bus = self._buses.get(key)
        if bus is None:
            bus = self._onewire_module().OneWire(self._machine.Pin(pin))
            self._buses[key] = bus
        return bus

    def _onewire_module(self):
        import onewire

        return onewire

    def _dht_module(self):
        import dht

        return dht

    def dht_readinto(self, pin, buf):
        """Fill `buf` with the raw 5-byte DHT frame (the driver checks it)."""
        dht = self._dht_module()
        raw = getattr(dht, "dht_readinto", None)  # the port's C routine, re-exported by dht.py
        if raw is not None:
            raw(self._machine.Pin(pin), buf)
            return
        sensor = dht.DHT22(self._machine.Pin(pin))
        sensor.measure()
        buf[:] = sensor.buf
