"""Simulated HAL backend: stateful, inspectable pins, PWM, ADC, I2C and OneWire buses with
simulated devices, used on CPython and the MicroPython unix port. Only pins, I2C and the
DHT22 read live here; the other parts (sim_pwm_adc, sim_onewire, sim_sensors) load on first
use, and so does the test API that plugs parts in and drives inputs (sim_setup).

Tests inspect `sim.pins[2].value()`, drive inputs with `sim.set_input(4, 1)` and set sensor
values by sensor name with `sim.set_sensor("room", temperature_c=22.0, humidity_pct=50.0)`.
"""

from jotunheim.compat import const

_ENODEV = const(19)  # what MicroPython's I2C raises when no device acknowledges the address
_ETIMEDOUT = const(110)  # what dht_readinto raises when the sensor does not answer
_HISTORY = const(32)  # writes remembered per pin, enough for tests of blink patterns


class SimPin:
    """A machine.Pin look-alike; `level` is what the outside world drives on an input."""

    # Class defaults: a pin holds only num, mode and what was written to it (a simulated pin
    # stands in for a register that costs no heap on a board, so it stays small: the live
    # state budget of bench/bench_device.py counts it).
    level = None
    _hist = b""

    def __init__(self, num, mode):
        self.num = num
        self.mode = mode

    @property
    def history(self):
        """The last (up to 32) levels written, oldest first."""
        return list(self._hist[-_HISTORY:])

    def value(self, v=None):
        hist = self._hist
        if v is None:
            if self.mode == "out":  # the level last written (0 before any write)
                return hist[-1] if hist else 0
            if self.level is not None:
                return self.level
            return 1 if self.mode == "in_pullup" else 0
        # Written levels, oldest first, as bytes: a list of ints costs 8 bytes a write on a
        # 64-bit port. Made on the first write; a bytearray grows 8 bytes at a time, so it is
        # trimmed back to _HISTORY every 8 writes and never holds more than 48 bytes.
        if not hist:
            hist = self._hist = bytearray()
        elif len(hist) >= _HISTORY + 8:
            hist = self._hist = hist[-_HISTORY:]
        hist.append(1 if v else 0)
        return None

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)


class SimI2C:
    """An I2C bus; `devices` maps 7-bit address -> simulated register device."""

    def __init__(self, name, sda, scl, freq):
        self.name = name
        self.sda = sda
        self.scl = scl
        self.freq = freq
        self.devices = {}

    def _dev(self, addr):
        dev = self.devices.get(addr)
        if dev is None:
            raise OSError(_ENODEV)
        return dev

    def scan(self):
        return sorted(self.devices)

    def readfrom_mem(self, addr, memaddr, nbytes, addrsize=8):
        return bytes(self._dev(addr).read_registers(memaddr, nbytes))

    def readfrom_mem_into(self, addr, memaddr, buf, addrsize=8):
        buf[:] = self._dev(addr).read_registers(memaddr, len(buf))

    def writeto_mem(self, addr, memaddr, buf, addrsize=8):
        self._dev(addr).write_registers(memaddr, bytes(buf))


class SimHal:
    """The simulated hardware; simulated parts are plugged in explicitly (add_*) or on demand
    when a driver is created for them (auto_attach, the default)."""

    is_simulated = True
    dht_min_interval_ms = 0  # a simulated DHT22 answers every time

    # Inspectable tables by pin, bus or sensor name (`_pending` holds sensor values set
    # before the sensor is attached). Each dict is made on first access (__getattr__), so a
    # simulation pays only for the kinds of parts it uses: eight empty dicts made up front
    # cost ~0.4 KB of the live state budget (bench/bench_device.py).
    # (Name lists are one string each, split when used: with the code in ROMFS a tuple and
    # each of its strings longer than 10 characters are heap objects.)
    _TABLES = "pins pwms adc_values i2c_buses onewire_buses dht_devices sensors _pending"
    auto_attach = True

    def __init__(self, auto_attach=True):
        if not auto_attach:
            self.auto_attach = False

    # The test API that plugs parts in and drives inputs (sim_setup), and the PWM, ADC and
    # OneWire parts (sim_pwm_adc, sim_onewire) are served from their modules, loaded on first
    # use: `hal.pwm(5)` calls sim_pwm_adc.pwm(hal, 5). A simulation pays only for the kinds of
    # parts it uses, and a method kept here would cost its function object.
    _SETUP = "set_input set_adc add_dht22 add_ds18b20 add_bmp280 set_sensor"

    def __getattr__(self, name):
        # Called only for attributes not found normally: the tables above, on first access,
        # and the parts served from other modules.
        if name in SimHal._TABLES.split():
            table = {}
            setattr(self, name, table)
            return table
        if name == "pwm" or name == "adc":
            from jotunheim.device.hal import sim_pwm_adc as module
        elif name == "onewire":
            from jotunheim.device.hal import sim_onewire as module
        elif name in SimHal._SETUP.split():
            from jotunheim.device.hal import sim_setup as module
        else:
            raise AttributeError(name)
        fn = getattr(module, name)
        return lambda *args, **values: fn(self, *args, **values)

    def pin(self, num, mode="in"):
        if mode != "in" and mode != "out" and mode != "in_pullup":  # (no tuple object)
            raise ValueError("pin mode must be in, out or in_pullup, got %r" % (mode,))
        p = self.pins.get(num)
        if p is None:
            p = self.pins[num] = SimPin(num, mode)
        else:
            p.mode = mode  # machine.Pin(num, mode) on a pin in use re-initialises it
        return p

    def i2c(self, name=None, sda=None, scl=None, freq=400000, bus_id=None):
        key = name or "i2c-%s-%s" % (sda, scl)
        bus = self.i2c_buses.get(key)
        if bus is None:
            bus = self.i2c_buses[key] = SimI2C(key, sda, scl, freq)
        elif bus.sda is None:  # created by add_bmp280() before the pins were known
            bus.sda, bus.scl, bus.freq = sda, scl, freq
        return bus

    def dht_readinto(self, pin, buf):
        dev = self.dht_devices.get(pin)
        if dev is None or dev.fault == "timeout":
            raise OSError(_ETIMEDOUT)
        buf[:] = dev.frame()

    def attach_simulated(self, config, interface=None):
        """Called by make_driver: plug in the simulated part a sensor config describes (or
        name the one a test already plugged in at that pin or address). The code is in
        sim_setup, loaded for the call and dropped after it on MicroPython (a driver is made
        once), unless a test loaded it before."""
        from jotunheim.device.tools import run_dropped

        run_dropped("hal.sim_setup", "attach_simulated", self, config, interface)
