"""make_driver's work: the driver table, the interface lookup and the bus, then the driver
class of config["driver"], imported on demand. Loaded by `drivers.make_driver` for the call
and dropped after it on MicroPython (drivers are made once, at their first use)."""

import sys

from jotunheim.device.drivers import DriverError

# driver name -> (module under jotunheim.device.drivers, class name, interface type or None)
DRIVERS = {
    "led": ("led", "LED", None),
    "relay": ("relay", "Relay", None),
    "dht22": ("dht22", "DHT22", None),
    "ds18b20": ("ds18b20", "DS18B20", "onewire"),
    "bmp280": ("bmp280", "BMP280", "i2c"),
}


def make_driver(hal, config, interfaces=()):
    """drivers.make_driver: a driver for one sensor/actuator config."""
    name = config.get("name")
    kind = config.get("driver")
    entry = DRIVERS.get(kind)
    if entry is None:
        known = ", ".join(sorted(DRIVERS))
        raise DriverError("%s: unknown driver %r (known: %s)" % (name, kind, known))
    module, cls_name, bus_type = entry
    iface = None
    if bus_type is not None:
        wanted = config.get("interface")
        if isinstance(interfaces, dict):
            iface = interfaces.get(wanted)
        else:
            for item in interfaces or ():
                if item.get("name") == wanted:
                    iface = item
                    break
        if iface is None or iface.get("type") != bus_type:
            raise DriverError("%s: needs a %s interface, %r is not one" % (name, bus_type, wanted))
    attach = getattr(hal, "attach_simulated", None)
    if attach is not None:
        attach(config, iface)  # the simulator plugs in the part before the driver probes it
    bus = None
    if bus_type == "i2c":  # buses are shared: the HAL caches them by name / pin
        freq = iface.get("freq", 400000)
        bus = hal.i2c(name=iface["name"], sda=iface["sda"], scl=iface["scl"], freq=freq,
                      bus_id=iface.get("bus_id"))  # fmt: skip
    elif bus_type is not None:
        bus = hal.onewire(iface["pin"])
    full = "jotunheim.device.drivers." + module
    __import__(full)
    return getattr(sys.modules[full], cls_name)(hal, config, bus)
