"""Simulated PWM outputs and ADC inputs for SimHal, loaded on the first `pwm()` / `adc()`
(a simulation whose settings declare neither does not pay for them). SimHal serves the two
functions below as its methods (`hal.pwm(5)` is `pwm(hal, 5)`)."""


def pwm(hal, num, freq=1000, duty_u16=0):
    p = hal.pwms[num] = SimPWM(num, freq, duty_u16)
    return p


def adc(hal, num):
    return SimADC(hal, num)


class SimPWM:
    def __init__(self, num, freq, duty):
        self.num = num
        self.active = True
        self._freq = 0
        self._duty = 0
        self.freq(freq)
        self.duty_u16(duty)

    def freq(self, f=None):
        if f is None:
            return self._freq
        if not 0 < f <= 40000000:
            raise ValueError("freq out of range")
        self._freq = f
        return None

    def duty_u16(self, d=None):
        if d is None:
            return self._duty
        if not 0 <= d <= 65535:
            raise ValueError("duty_u16 must be 0..65535")
        self._duty = d
        return None

    def deinit(self):
        self.active = False


class SimADC:
    def __init__(self, hal, num):
        self._hal = hal
        self.num = num

    def read_u16(self):
        return self._hal.adc_values.get(self.num, 0)
