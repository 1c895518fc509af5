-- Read the room sensor, remember the reading in Hel, switch the fan when it is too warm.
local reading = fenrir.sensor_read("room")
local warm = reading.temperature_c > (params.max_c or 25)
fenrir.actuator_set("fan", warm)
hel.kv_set("climate/last", reading)
return {temperature_c = reading.temperature_c, humidity_pct = reading.humidity_pct, fan_on = warm}
