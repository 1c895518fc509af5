"""The machine backend's mapping onto `machine`, checked against a recording fake module
(real boards are not available here); import safety on this runtime."""

from jotunheim.device.hal.machine_hal import MachineHal

CALLS = []


class FakePin:
    IN = 1
    OUT = 3
    PULL_UP = 2

    def __init__(self, num, mode=-1, pull=-1):
        CALLS.append(("Pin", num, mode, pull))
        self.num = num
        self._v = 0

    def value(self, v=None):
        if v is None:
            return self._v
        self._v = v


class FakePWM:
    def __init__(self, pin):
        CALLS.append(("PWM", pin.num))

    def freq(self, f):
        CALLS.append(("freq", f))

    def duty_u16(self, d):
        CALLS.append(("duty_u16", d))


class FakeADC:
    ATTN_11DB = 3

    def __init__(self, pin):
        CALLS.append(("ADC", pin.num))

    def atten(self, value):
        CALLS.append(("atten", value))


class FakeI2C:
    def __init__(self, *args, **kw):
        CALLS.append(("I2C", args, kw["sda"].num, kw["scl"].num, kw["freq"]))


class FakeSoftI2C:
    def __init__(self, scl, sda, freq):
        CALLS.append(("SoftI2C", sda.num, scl.num, freq))


class FakeMachine:
    Pin = FakePin
    PWM = FakePWM
    ADC = FakeADC
    I2C = FakeI2C
    SoftI2C = FakeSoftI2C


class FakeOneWireModule:
    class OneWire:
        def __init__(self, pin):
            CALLS.append(("OneWire", pin.num))


class FakeDhtModule:
    frame = b"\x02\x8c\x01\x5f\xee"

    @staticmethod
    def dht_readinto(pin, buf):
        CALLS.append(("dht_readinto", pin.num))
        buf[:] = FakeDhtModule.frame


class _Hal(MachineHal):
    def _onewire_module(self):
        return FakeOneWireModule

    def _dht_module(self):
        return FakeDhtModule


def test_pins_map_modes_and_are_cached():
    del CALLS[:]
    hal = _Hal(FakeMachine)
    assert not hal.is_simulated and hal.dht_min_interval_ms == 2000
    p = hal.pin(2, "out")
    assert hal.pin(2, "out") is p
    hal.pin(4, "in_pullup")
    hal.pin(2, "in")  # mode change re-creates
    assert CALLS == [("Pin", 2, 3, None), ("Pin", 4, 1, 2), ("Pin", 2, 1, None)]


def test_pwm_adc_and_buses():
    del CALLS[:]
    hal = _Hal(FakeMachine)
    pwm = hal.pwm(5, freq=2000, duty_u16=10)
    assert hal.pwm(5, freq=3000, duty_u16=20) is pwm  # one hardware channel per pin
    assert [c for c in CALLS if c[0] == "PWM"] == [("PWM", 5)]
    assert ("freq", 3000) in CALLS and ("duty_u16", 20) in CALLS
    hal.adc(34)
    bus = hal.i2c(name="i2c0", sda=21, scl=22, freq=100000)
    assert hal.i2c(name="i2c0", sda=21, scl=22, freq=100000) is bus
    hal.i2c(name="i2c1", sda=18, scl=19, freq=400000, bus_id=1)
    ow = hal.onewire(4)
    assert hal.onewire(4) is ow
    assert ("PWM", 5) in CALLS and ("freq", 2000) in CALLS and ("duty_u16", 10) in CALLS
    assert ("ADC", 34) in CALLS and ("atten", 3) in CALLS
    assert ("SoftI2C", 21, 22, 100000) in CALLS
    assert ("I2C", (1,), 18, 19, 400000) in CALLS
    assert [c for c in CALLS if c[0] == "OneWire"] == [("OneWire", 4)]


def test_dht_readinto_uses_the_raw_routine():
    del CALLS[:]
    hal = _Hal(FakeMachine)
    buf = bytearray(5)
    hal.dht_readinto(15, buf)
    assert bytes(buf) == FakeDhtModule.frame and ("dht_readinto", 15) in CALLS


def test_get_hal_picks_the_machine_backend_when_machine_has_pin():
    import sys

    from jotunheim.device.hal import get_hal, set_hal

    saved = sys.modules.get("machine")
    sys.modules["machine"] = FakeMachine  # a board's machine module has Pin
    try:
        set_hal(None)
        hal = get_hal()
        assert isinstance(hal, MachineHal) and not hal.is_simulated
        assert hal._machine is FakeMachine
    finally:
        if saved is None:
            del sys.modules["machine"]
        else:
            sys.modules["machine"] = saved
        set_hal(None)
