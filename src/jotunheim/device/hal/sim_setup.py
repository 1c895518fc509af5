"""Plugging simulated parts into a SimHal and driving its inputs: the test API (set_input,
set_adc, add_dht22/ds18b20/bmp280, set_sensor) and make_driver's attach_simulated. SimHal
serves these names from here (its __getattr__), so a running simulation keeps none of this
code: make_driver loads it for the attach and drops it again on MicroPython
(SimHal.attach_simulated); a test that drives inputs loads it once and keeps it.

Each function takes the SimHal first; `hal.add_dht22(pin)` calls `add_dht22(hal, pin)`.
"""


def set_input(hal, num, level):
    """Drive pin `num` from outside (what pin.value() reads in an input mode)."""
    p = hal.pins.get(num) or hal.pin(num, "in")
    p.level = 1 if level else 0


def set_adc(hal, num, value_u16):
    if not 0 <= value_u16 <= 65535:
        raise ValueError("ADC value must be 0..65535")
    hal.adc_values[num] = value_u16


# Device models are imported when first plugged in, so a simulation loads only the models of
# the parts it declares (as make_driver does for drivers).


def add_dht22(hal, pin, name=None, **values):
    from jotunheim.device.hal.sim_sensors import SimDHT22

    dev = hal.dht_devices[pin] = SimDHT22(**values)
    return _named(hal, name, dev)


def add_ds18b20(hal, bus_pin, rom=None, name=None, **values):
    from jotunheim.device.hal.sim_onewire import SimDS18B20

    dev = SimDS18B20(rom, **values)
    hal.onewire(bus_pin).devices.append(dev)
    return _named(hal, name, dev)


def add_bmp280(hal, bus_name, address=0x76, name=None, **values):
    from jotunheim.device.hal.sim_sensors import SimBMP280

    dev = SimBMP280(**values)
    hal.i2c(name=bus_name).devices[address] = dev
    return _named(hal, name, dev)


def _named(hal, name, dev):
    # Files `dev` under its settings name, applying values set_sensor() kept for it.
    if name is not None:
        hal.sensors[name] = dev
        if name in hal._pending:
            dev.set(**hal._pending.pop(name))
    return dev


def set_sensor(hal, name, **values):
    """Set a simulated sensor's values by its settings name (kept until it is attached)."""
    dev = hal.sensors.get(name)
    if dev is None:
        hal._pending[name] = values
    else:
        dev.set(**values)


def attach_simulated(hal, config, interface=None):
    """Called by make_driver: plug in the simulated part a sensor config describes (or name
    the one a test already plugged in at that pin or address)."""
    name = config.get("name")
    if not hal.auto_attach or name in hal.sensors:
        return
    driver = config.get("driver")
    if driver == "dht22":
        dev = hal.dht_devices.get(config["pin"])
        if dev is None:
            dev = add_dht22(hal, config["pin"])
    elif driver == "bmp280" and interface is not None:
        addr = config.get("address", 0x76)
        bus = interface["name"]
        dev = hal.i2c(name=bus).devices.get(addr)
        if dev is None:
            dev = add_bmp280(hal, bus, addr)
    elif driver == "ds18b20" and interface is not None:
        # Name the DS18B20 on the bus whose ROM matches (any one when the config has no
        # ROM), else plug in a new one.
        rom = config.get("rom")
        for dev in hal.onewire(interface["pin"]).devices:
            if rom is None or dev.rom_hex() == rom.lower():
                break
        else:
            add_ds18b20(hal, interface["pin"], rom, name)
            return
    else:
        return
    _named(hal, name, dev)
