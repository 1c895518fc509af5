"""Sensor and actuator drivers over the HAL (CONTRACTS.md §6); `make_driver` picks one by
config["driver"] and imports only that driver's module, so a device loads what it declares.

Sensors: `kind == "sensor"`, `FIELDS`, `read() -> dict` and `await read_async()` (which
yields while a DS18B20 converts, up to 750 ms). Actuators: `kind == "actuator"`, `set(value)`,
`state`. Every failure is a DriverError naming the sensor or actuator.
"""

import sys

from jotunheim.errors import JotunheimError


class DriverError(JotunheimError):
    """A driver could not talk to its part (no answer, bad checksum, bad value)."""


# driver name -> (module under jotunheim.device.drivers, class name, interface type or None)
DRIVERS = {
    "led": ("led", "LED", None),
    "relay": ("relay", "Relay", None),
    "dht22": ("dht22", "DHT22", None),
    "ds18b20": ("ds18b20", "DS18B20", "onewire"),
    "bmp280": ("bmp280", "BMP280", "i2c"),
}


def find_interface(interfaces, name):
    """The interface config called `name` from a list (or a name -> config dict)."""
    if isinstance(interfaces, dict):
        return interfaces.get(name)
    for iface in interfaces or ():
        if iface.get("name") == name:
            return iface
    return None


def open_interface(hal, iface):
    """The HAL bus object for an interface config (buses are shared: the HAL caches them)."""
    if iface["type"] == "i2c":
        return hal.i2c(
            name=iface["name"],
            sda=iface["sda"],
            scl=iface["scl"],
            freq=iface.get("freq", 400000),
            bus_id=iface.get("bus_id"),
        )
    return hal.onewire(iface["pin"])


def make_driver(hal, config, interfaces=()):
    """A driver for one sensor/actuator config (validated settings form)."""
    kind = config.get("driver")
    entry = DRIVERS.get(kind)
    if entry is None:
        raise DriverError(
            "%s: unknown driver %r (known: %s)"
            % (config.get("name"), kind, ", ".join(sorted(DRIVERS)))
        )
    module, cls_name, bus_type = entry
    iface = None
    bus = None
    if bus_type is not None:
        iface = find_interface(interfaces, config.get("interface"))
        if iface is None or iface.get("type") != bus_type:
            raise DriverError(
                "%s: needs a %s interface, %r is not one"
                % (config.get("name"), bus_type, config.get("interface"))
            )
    attach = getattr(hal, "attach_simulated", None)
    if attach is not None:
        attach(config, iface)  # the simulator plugs in the part before the driver probes it
    if iface is not None:
        bus = open_interface(hal, iface)
    full = "jotunheim.device.drivers." + module
    __import__(full)
    return getattr(sys.modules[full], cls_name)(hal, config, bus)
