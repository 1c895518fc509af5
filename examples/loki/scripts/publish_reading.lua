-- Publish the room reading to MQTT (needs children.jormungandr.mqtt pointing at a broker).
local reading = fenrir.sensor_read("room")
local client = jormungandr.mqtt_connect()
jormungandr.mqtt_publish(client, params.topic or "jotunheim/room", reading, 1)
jormungandr.mqtt_disconnect(client)
return reading
