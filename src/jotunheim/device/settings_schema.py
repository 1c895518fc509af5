"""The device settings schema (CONTRACTS.md §4, docs/settings.md) as data for settings_check.

A spec is a tuple `(kind, default, arg)`; `REQUIRED` as default means the key must be present,
`None` as default means the key may also be null. Loaded only while validating (see settings).
"""

REQUIRED = "<required>"
SCHEMA_VERSION = 1
# Any list in the file holds at most this many items; strings have per-key limits below.
MAX_LIST_ITEMS = 64
PARAM_TYPES = ("String", "Number", "Integer", "Boolean", "Object", "Array")

_NAME = ("str", REQUIRED, (1, 32, "name"))
_PIN = ("int", REQUIRED, (0, 255))
_DESC = ("str", "", (0, 256, None))
_INTERFACE_REF = ("str", REQUIRED, (1, 32, "name"))
# Keys every interface/sensor/actuator has, besides its "type"/"driver" discriminator.
VARIANT_COMMON = (("name", _NAME), ("description", _DESC))

_IDENTITY = (
    ("device_id", ("str", REQUIRED, (1, 64, "id"))),
    ("name", ("str", None, (1, 64, None))),
    ("type", ("str", "generic", (1, 32, None))),
    ("key", ("str", REQUIRED, (32, 128, "hex"))),
    ("firmware_version", ("str", "0.0.0", (1, 32, None))),
)
_HUB = (
    ("addresses", ("list", ["127.0.0.1:50051"], (("addr", REQUIRED, None), 8, 1))),
    ("tls", ("bool", False, None)),
    ("ca_cert", ("str", None, (1, 128, None))),
    ("server_hostname", ("str", None, (1, 253, None))),
)
_LOKI = (
    ("mode", ("enum", "off", ("remote", "local", "off"))),
    ("address", ("addr", "127.0.0.1:50052", None)),
    ("timeout_ms", ("int", 2000, (1, 600000))),
    ("retries", ("int", 2, (0, 100))),
    ("fallback", ("enum", "error", ("local", "error"))),
)
_WIFI = (
    ("ssid", ("str", None, (1, 32, None))),
    ("password", ("str", None, (0, 64, None))),
    ("connect_timeout_ms", ("int", 15000, (100, 600000))),
)
_IP = (
    ("mode", ("enum", "dhcp", ("dhcp", "static"))),
    ("address", ("ipv4", None, None)),
    ("netmask", ("ipv4", None, None)),
    ("gateway", ("ipv4", None, None)),
    ("dns", ("ipv4", None, None)),
)
_NETWORK = (("wifi", ("obj", {}, _WIFI)), ("ip", ("obj", {}, _IP)))
_GPIO = (
    ("pins", ("list", [], (_PIN, MAX_LIST_ITEMS, 0))),
    ("digital", ("bool", True, None)),
    ("analog", ("bool", False, None)),
    ("pwm", ("bool", False, None)),
)
_INTERFACE_KINDS = (
    (
        "i2c",
        (
            ("sda", _PIN),
            ("scl", _PIN),
            ("freq", ("int", 400000, (1000, 3400000))),
            ("bus_id", ("int", None, (0, 7))),
        ),
    ),
    ("onewire", (("pin", _PIN),)),
)
_SENSOR_KINDS = (
    ("dht22", (("pin", _PIN),)),
    ("ds18b20", (("interface", _INTERFACE_REF), ("rom", ("str", None, (16, 16, "hex"))))),
    ("bmp280", (("interface", _INTERFACE_REF), ("address", ("int", 0x76, (0x08, 0x77))))),
)
_ACTUATOR_KINDS = (
    (
        "led",
        (
            ("pin", _PIN),
            ("pwm", ("bool", False, None)),
            ("freq", ("int", 1000, (1, 40000000))),
            ("active_low", ("bool", False, None)),
        ),
    ),
    ("relay", (("pin", _PIN), ("active_low", ("bool", False, None)))),
)
_PARAM = (
    ("name", _NAME),
    ("type", ("enum", "String", PARAM_TYPES)),
    ("required", ("bool", False, None)),
    ("min", ("num", None, (None, None))),
    ("max", ("num", None, (None, None))),
    ("description", _DESC),
)
_TOOL = (
    ("name", _NAME),
    ("description", _DESC),
    ("kind", ("enum", "script", ("script", "loki"))),
    ("script", ("str", None, (1, 128, None))),
    ("loki_script", ("str", None, (1, 64, "name"))),
    ("parameters", ("list", [], (("obj", REQUIRED, _PARAM), 16, 0))),
    ("return_type", ("enum", "Object", PARAM_TYPES)),
)
_CAPS = (
    ("gpio", ("obj", {}, _GPIO)),
    ("interfaces", ("list", [], (("variant", REQUIRED, ("type", _INTERFACE_KINDS)), 8, 0))),
    ("sensors", ("list", [], (("variant", REQUIRED, ("driver", _SENSOR_KINDS)), 32, 0))),
    ("actuators", ("list", [], (("variant", REQUIRED, ("driver", _ACTUATOR_KINDS)), 32, 0))),
    ("tools", ("list", [], (("obj", REQUIRED, _TOOL), MAX_LIST_ITEMS, 0))),
)
_RESILIENCE = (
    ("backoff_base_ms", ("int", 500, (1, 3600000))),
    ("backoff_cap_ms", ("int", 30000, (1, 3600000))),
    ("jitter", ("enum", "full", ("full", "none"))),
    ("heartbeat_interval_ms", ("int", 15000, (100, 3600000))),
    ("dead_peer_timeout_ms", ("int", 45000, (100, 3600000))),
    ("max_retries", ("int", 0, (0, 1000000))),
    ("retry_delay_ms", ("int", 1000, (0, 3600000))),
)
_RESOURCES = (
    ("memory_floor_kb", ("int", 16, (0, 1048576))),
    ("memory_warning_kb", ("int", 32, (0, 1048576))),
    ("max_concurrent_tools", ("int", 2, (1, 64))),
    ("bandwidth_bps", ("int", 0, (0, 1 << 31))),
    ("max_memory_kb", ("int", 0, (0, 1048576))),
    ("max_cpu_percent", ("int", 80, (1, 100))),
    ("user_queue_size", ("int", 8, (0, 1024))),
)
_TRUSTED_KEY = (
    ("id", ("str", REQUIRED, (1, 32, "id"))),
    ("scheme", ("enum", "rsa-pkcs1v15-sha256", ("rsa-pkcs1v15-sha256",))),
    ("n", ("str", REQUIRED, (128, 1024, "hex"))),
    ("e", ("int", 65537, (3, (1 << 31) - 1))),
)
_OTA = (
    ("enabled", ("bool", True, None)),
    ("trusted_keys", ("list", [], (("obj", REQUIRED, _TRUSTED_KEY), 8, 0))),
    ("slot_dir", ("str", "ota", (1, 64, None))),
    ("max_boot_attempts", ("int", 3, (1, 100))),
    ("confirm_timeout_ms", ("int", 120000, (1000, 86400000))),
    ("allow_downgrade", ("bool", False, None)),
    ("chunk_size", ("int", 4096, (256, 65536))),
)
SCHEMA = (
    ("schema_version", ("int", SCHEMA_VERSION, (SCHEMA_VERSION, SCHEMA_VERSION))),
    ("identity", ("obj", REQUIRED, _IDENTITY)),
    ("hub", ("obj", {}, _HUB)),
    ("loki", ("obj", {}, _LOKI)),
    ("network", ("obj", {}, _NETWORK)),
    ("capability_configuration", ("obj", {}, _CAPS)),
    ("network_resilience_settings", ("obj", {}, _RESILIENCE)),
    ("resource_limits", ("obj", {}, _RESOURCES)),
    ("ota_update_settings", ("obj", {}, _OTA)),
    ("logging", ("obj", {}, (("level", ("enum", "WARN", ("ERROR", "WARN", "INFO", "DEBUG"))),))),
)
