-- Blink an LED: toggles `pin` `times` times, `period_ms` apart. Returns how often it blinked.
local pin = params.pin
local times = params.times or 3
local period = params.period_ms or 100
for i = 1, times do
  fenrir.gpio_write(pin, 1)
  fenrir.sleep_ms(period / 2)
  fenrir.gpio_write(pin, 0)
  fenrir.sleep_ms(period / 2)
  print("blink", i)
end
return times
