"""Sensor and actuator drivers over the HAL (CONTRACTS.md §6); `make_driver` picks one by
config["driver"] and imports only that driver's module, so a device loads what it declares.
The picking itself (driver table, interface lookup) lives in `factory`, loaded for each
make_driver() and dropped after it on MicroPython (tools.run_dropped): a device makes its
drivers once.

Sensors: `kind == "sensor"`, `FIELDS`, `read() -> dict` and `await read_async()` (which
yields while a DS18B20 converts, up to 750 ms). Actuators: `kind == "actuator"`, `set(value)`,
`state`. Every failure is a DriverError naming the sensor or actuator; its text comes from
`messages`, loaded on the first failure (`failure`).
"""

from jotunheim.errors import JotunheimError


class DriverError(JotunheimError):
    """A driver could not talk to its part (no answer, bad checksum, bad value)."""


def failure(kind, number, *args):
    """The DriverError with message `number` of driver class `kind` (drivers/messages.py),
    formatted with `args`."""
    from jotunheim.device.drivers import messages

    return DriverError(getattr(messages, kind)[number] % args)


def make_driver(hal, config, interfaces=()):
    """A driver for one sensor/actuator config (validated settings form); `interfaces` is a
    list of interface configs or a name -> config dict."""
    from jotunheim.device.tools import run_dropped

    return run_dropped("drivers.factory", "make_driver", hal, config, interfaces)
