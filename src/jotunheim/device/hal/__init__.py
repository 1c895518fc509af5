"""Hardware abstraction (CONTRACTS.md §6): `get_hal()` picks the `machine` backend on boards,
the simulated backend elsewhere (CPython, and the unix port whose stub `machine` has no Pin).

Every backend offers pin(num, mode), pwm(num, freq, duty_u16), adc(num), i2c(name, sda, scl,
freq, bus_id), onewire(pin) and dht_readinto(pin, buf) with MicroPython's object interfaces.
"""

_hal = [None]


def get_hal():
    """The process-wide HAL: MachineHal on boards (a `machine` module with Pin), else SimHal
    (CPython, and the unix port, whose `machine` has no Pin); created on first call."""
    if _hal[0] is None:
        try:
            import machine

            on_board = hasattr(machine, "Pin")
        except ImportError:
            on_board = False
        if on_board:
            from jotunheim.device.hal.machine_hal import MachineHal

            _hal[0] = MachineHal()
        else:
            from jotunheim.device.hal.sim import SimHal

            _hal[0] = SimHal()
    return _hal[0]


def set_hal(hal):
    """Replace the process-wide HAL (tests, simulators); None makes get_hal() choose again."""
    _hal[0] = hal
