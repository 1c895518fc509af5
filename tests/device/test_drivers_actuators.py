"""LED and relay drivers on the simulated HAL."""

from devtest import raises

from jotunheim.device.drivers import DriverError, make_driver
from jotunheim.device.hal.sim import SimHal


def test_led_on_off_drives_the_pin():
    sim = SimHal()
    led = make_driver(sim, {"name": "status", "driver": "led", "pin": 2})
    assert led.kind == "actuator" and led.state is False
    assert sim.pins[2].mode == "out" and sim.pins[2].value() == 0
    led.set(True)
    assert sim.pins[2].value() == 1 and led.state is True
    led.toggle()
    assert sim.pins[2].value() == 0 and led.state is False
    led.on()
    led.off()
    assert sim.pins[2].history == [0, 1, 0, 1, 0]


def test_active_low_led_inverts_and_starts_dark():
    sim = SimHal()
    led = make_driver(sim, {"name": "s", "driver": "led", "pin": 2, "active_low": True})
    assert sim.pins[2].value() == 1  # dark
    led.set(True)
    assert sim.pins[2].value() == 0


def test_pwm_led_brightness():
    sim = SimHal()
    led = make_driver(sim, {"name": "lamp", "driver": "led", "pin": 5, "pwm": True, "freq": 500})
    assert sim.pwms[5].freq() == 500 and sim.pwms[5].duty_u16() == 0 and led.state == 0.0
    led.set(0.5)
    assert sim.pwms[5].duty_u16() == 32768 and led.state == 0.5
    led.set(True)
    assert sim.pwms[5].duty_u16() == 65535 and led.state == 1.0
    led.set(0)
    assert sim.pwms[5].duty_u16() == 0
    inv = make_driver(
        sim, {"name": "x", "driver": "led", "pin": 6, "pwm": True, "active_low": True}
    )
    inv.set(0.25)
    assert sim.pwms[6].duty_u16() == 65535 - 16384


def test_led_rejects_bad_values():
    sim = SimHal()
    led = make_driver(sim, {"name": "status", "driver": "led", "pin": 2})
    for bad in (0.5, 2, -1, "on", None):
        with raises(DriverError, match="status"):
            led.set(bad)
    led.set(1.0)  # full brightness is "on" even without PWM
    assert led.state is True
    pwm = make_driver(sim, {"name": "lamp", "driver": "led", "pin": 5, "pwm": True})
    with raises(DriverError):
        pwm.set(1.5)


def test_relay_active_low_starts_released():
    sim = SimHal()
    relay = make_driver(sim, {"name": "pump", "driver": "relay", "pin": 5, "active_low": True})
    assert relay.kind == "actuator" and relay.state is False
    assert sim.pins[5].value() == 1  # released: coil off on an active-low board
    relay.set(True)
    assert sim.pins[5].value() == 0 and relay.state is True
    relay.off()
    assert sim.pins[5].value() == 1
    plain = make_driver(sim, {"name": "fan", "driver": "relay", "pin": 6})
    plain.on()
    assert sim.pins[6].value() == 1
    with raises(DriverError, match="fan: expected true or false"):
        plain.set(1)


def test_relay_takes_true_or_false_only_though_it_shares_the_led_code():
    # An LED accepts 1.0 and 0.0 as full on and off; a relay (an LED subclass) refuses any
    # level, and a refused value leaves its output as it was.
    sim = SimHal()
    relay = make_driver(sim, {"name": "pump", "driver": "relay", "pin": 5})
    assert relay.set(True) is True and sim.pins[5].value() == 1
    for bad in (1.0, 0.0, 0.5, "on", None):
        with raises(DriverError, match="pump: expected true or false"):
            relay.set(bad)
    assert relay.state is True and sim.pins[5].value() == 1
    assert relay.set(False) is False and sim.pins[5].value() == 0
    assert make_driver(sim, {"driver": "relay", "pin": 7}).name == "relay"
