"""Fenrir: GPIO, PWM, sensors and actuators for scripts (simulated board or Linux GPIO)."""

import glob
import threading
import time

from jotunheim.loki.children import Child
from jotunheim.loki.errors import ChildError


class SimBoard:
    """A stateful simulated board: tests and `make demo` set inputs/sensors and observe outputs."""

    backend = "sim"

    def __init__(self, config: dict):
        self.lock = threading.Lock()
        self.pins = {}  # pin -> {"mode": "in"|"out", "value": 0|1}
        self.pwm = {}  # pin -> {"duty": 0..1, "freq": Hz}
        self.sensors = {str(k): dict(v) for k, v in (config.get("sensors") or {}).items()}
        for pin, value in (config.get("inputs") or {}).items():
            self.pins[int(pin)] = {"mode": "in", "value": 1 if value else 0}

    def set_input(self, pin: int, value: int) -> None:
        with self.lock:
            self.pins[int(pin)] = {"mode": "in", "value": 1 if value else 0}

    def set_sensor(self, name: str, **readings) -> None:
        with self.lock:
            self.sensors.setdefault(name, {}).update(readings)

    def gpio_read(self, pin):
        with self.lock:
            return self.pins.get(pin, {"value": 0})["value"]

    def gpio_write(self, pin, value):
        with self.lock:
            self.pins[pin] = {"mode": "out", "value": value}

    def pwm_set(self, pin, duty, freq):
        with self.lock:
            self.pwm[pin] = {"duty": duty, "freq": freq}

    def sensor_read(self, name):
        with self.lock:
            if name not in self.sensors:
                raise ChildError(
                    "fenrir: no sensor %r (configured: %s)" % (name, sorted(self.sensors))
                )
            return dict(self.sensors[name])

    def close(self):
        pass


class ChipBoard(SimBoard):
    """GPIO on a real /dev/gpiochipN; PWM and sensors stay simulated (no generic kernel API)."""

    def __init__(self, config: dict, chip_path: str):
        super().__init__(config)
        from jotunheim.loki.children.gpiochip import GpioChip

        self.chip = GpioChip(chip_path)
        self.backend = "gpiochip:" + chip_path

    def gpio_read(self, pin):
        return self.chip.read(pin)

    def gpio_write(self, pin, value):
        self.chip.write(pin, value)

    def close(self):
        self.chip.close()


def _pin(pin):
    if isinstance(pin, bool) or not isinstance(pin, int) or not 0 <= pin < 1024:
        raise ChildError("fenrir: pin must be an integer 0..1023, got %r" % (pin,))
    return pin


class Fenrir(Child):
    name = "fenrir"
    purpose = "GPIO read/write, PWM, sensor reads and actuator control"

    def __init__(self, config: dict):
        backend = config.get("backend", "auto")
        chip = config.get("chip") or (sorted(glob.glob("/dev/gpiochip*")) or [None])[0]
        self.error = None
        board = None
        if backend in ("auto", "gpiochip") and chip:
            try:
                board = ChipBoard(config, chip)
            except OSError as exc:
                self.error = "cannot open %s: %s" % (chip, exc.strerror)
        if board is None:
            if backend == "gpiochip":
                self.error = self.error or "no /dev/gpiochip* on this host"
            board = SimBoard(config)
        self.board = board
        # actuators: name -> {"pin": n, "kind": "digital"|"pwm", "active_low": bool}
        self.actuators = {}
        self.actuator_state = {}
        for name, spec in (config.get("actuators") or {}).items():
            self.actuators[str(name)] = {
                "pin": _pin(spec.get("pin")),
                "kind": spec.get("kind", "digital"),
                "active_low": bool(spec.get("active_low", False)),
            }
        self.pins = config.get("pins")  # optional allow-list of usable pins
        if self.pins is not None:
            if not isinstance(self.pins, list):
                raise ChildError("fenrir.pins: expected a list of pin numbers")
            self.pins = [_pin(p) for p in self.pins]

    def _allowed(self, pin):
        pin = _pin(pin)
        if self.pins is not None and pin not in self.pins:
            raise ChildError("fenrir: pin %d is not in the configured pins %s" % (pin, self.pins))
        return pin

    def functions(self):
        return {
            "gpio_read": self.gpio_read,
            "gpio_write": self.gpio_write,
            "pwm": self.pwm,
            "sensor_read": self.sensor_read,
            "actuator_set": self.actuator_set,
            "actuator_get": self.actuator_get,
            "sleep_ms": self.sleep_ms,
        }

    def sleep_ms(self, ctx, ms):
        """Blocks the script (not the service) for `ms`, never past the script's deadline."""
        if isinstance(ms, bool) or not isinstance(ms, (int, float)) or ms < 0:
            raise ChildError("fenrir: sleep_ms takes a non-negative number")
        left = ctx.remaining()
        time.sleep(min(ms / 1000.0, left))
        if ms / 1000.0 > left:
            ctx.remaining()  # raises DeadlineExceeded: the sleep ran into the time limit
        return True

    def gpio_read(self, ctx, pin):
        return self.board.gpio_read(self._allowed(pin))

    def gpio_write(self, ctx, pin, value):
        if isinstance(value, bool):
            value = int(value)
        if value not in (0, 1):
            raise ChildError("fenrir: gpio_write value must be 0, 1, true or false")
        self.board.gpio_write(self._allowed(pin), value)
        return True

    def pwm(self, ctx, pin, duty, freq=1000):
        if isinstance(duty, bool) or not isinstance(duty, (int, float)) or not 0 <= duty <= 1:
            raise ChildError("fenrir: pwm duty must be a number in 0..1")
        if isinstance(freq, bool) or not isinstance(freq, int) or not 1 <= freq <= 40_000_000:
            raise ChildError("fenrir: pwm freq must be an integer in 1..40000000 Hz")
        self.board.pwm_set(self._allowed(pin), float(duty), freq)
        return True

    def sensor_read(self, ctx, name):
        if not isinstance(name, str):
            raise ChildError("fenrir: sensor name must be a string")
        return self.board.sensor_read(name)

    def actuator_set(self, ctx, name, value):
        spec = self.actuators.get(name)
        if spec is None:
            raise ChildError(
                "fenrir: no actuator %r (configured: %s)" % (name, sorted(self.actuators))
            )
        if spec["kind"] == "pwm":
            self.pwm(ctx, spec["pin"], value)
        else:
            if not isinstance(value, bool):
                raise ChildError("fenrir: actuator %r takes true or false" % name)
            self.board.gpio_write(spec["pin"], int(value != spec["active_low"]))
        self.actuator_state[name] = value
        return value

    def actuator_get(self, ctx, name):
        if name not in self.actuators:
            raise ChildError("fenrir: no actuator %r" % (name,))
        return self.actuator_state.get(name)

    def status(self):
        if self.error:
            return False, "%s (using %s)" % (self.error, self.board.backend)
        return True, "backend %s; %d sensors, %d actuators" % (
            self.board.backend,
            len(self.board.sensors),
            len(self.actuators),
        )

    def close(self):
        self.board.close()
