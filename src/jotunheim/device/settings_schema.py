"""The device settings schema (CONTRACTS.md §4, docs/settings.md) as a compact text table,
read line by line while validating (a table of tuples costs ~20 KB of MicroPython heap).

Each `@block` lists keys as `key kind default arg...`. Defaults: REQ = required, null = may
be null, {} = an object filled from its own defaults. Args: `lo..hi` ranges (string length
for str, item count for list), `a|b` enum choices, a charset (name, id, hex) for str, the
item spec after a list's range, a block name for obj, `key prefix` for a variant whose
choices are the blocks `@prefix=<value>` plus the common `@variant` keys.
"""

import json

from jotunheim.compat import const

REQUIRED = "<required>"

_SCHEMA = const("""
@root
schema_version int 1 1..1
identity obj REQ identity
hub obj {} hub
loki obj {} loki
network obj {} network
capability_configuration obj {} caps
network_resilience_settings obj {} resilience
resource_limits obj {} resources
ota_update_settings obj {} ota
logging obj {} logging
@identity
device_id str REQ 1..64 id
name str null 1..64
type str generic 1..32
key str REQ 32..128 hex
firmware_version str 0.0.0 1..32
@hub
addresses list ["127.0.0.1:50051"] 1..8 addr
tls bool false
ca_cert str null 1..128
server_hostname str null 1..253
@loki
mode enum off remote|local|off
address addr 127.0.0.1:50052
timeout_ms int 2000 1..600000
retries int 2 0..100
fallback enum error local|error
idle_close_ms int 30000 0..86400000
@network
wifi obj {} wifi
ip obj {} ip
@wifi
ssid str null 1..32
password str null 0..64
connect_timeout_ms int 15000 100..600000
@ip
mode enum dhcp dhcp|static
address ipv4 null
netmask ipv4 null
gateway ipv4 null
dns ipv4 null
@caps
gpio obj {} gpio
interfaces list [] 0..8 variant type interface
sensors list [] 0..32 variant driver sensor
actuators list [] 0..32 variant driver actuator
tools list [] 0..64 obj tool
@gpio
pins list [] 0..64 int 0..255
digital bool true
analog bool false
pwm bool false
@variant
name str REQ 1..32 name
description str "" 0..256
@interface=i2c
sda int REQ 0..255
scl int REQ 0..255
freq int 400000 1000..3400000
bus_id int null 0..7
@interface=onewire
pin int REQ 0..255
@sensor=dht22
pin int REQ 0..255
@sensor=ds18b20
interface str REQ 1..32 name
rom str null 16..16 hex
@sensor=bmp280
interface str REQ 1..32 name
address int 118 8..119
@actuator=led
pin int REQ 0..255
pwm bool false
freq int 1000 1..40000000
active_low bool false
@actuator=relay
pin int REQ 0..255
active_low bool false
@tool
name str REQ 1..32 name
description str "" 0..256
kind enum script script|loki
script str null 1..128
loki_script str null 1..64 name
parameters list [] 0..16 obj param
return_type enum Object String|Number|Integer|Boolean|Object|Array
@param
name str REQ 1..32 name
type enum String String|Number|Integer|Boolean|Object|Array
required bool false
min num null
max num null
description str "" 0..256
@resilience
backoff_base_ms int 500 1..3600000
backoff_cap_ms int 30000 1..3600000
jitter enum full full|none
heartbeat_interval_ms int 15000 100..3600000
dead_peer_timeout_ms int 45000 100..3600000
max_retries int 0 0..1000000
retry_delay_ms int 1000 0..3600000
@resources
memory_floor_kb int 16 0..1048576
memory_warning_kb int 32 0..1048576
max_concurrent_tools int 2 1..64
bandwidth_bps int 0 0..2147483648
max_memory_kb int 0 0..1048576
max_cpu_percent int 80 1..100
user_queue_size int 8 0..1024
@ota
enabled bool true
trusted_keys list [] 0..8 obj trusted_key
slot_dir str ota 1..64
max_boot_attempts int 3 1..100
confirm_timeout_ms int 120000 1000..86400000
allow_downgrade bool false
chunk_size int 4096 256..65536
@trusted_key
id str REQ 1..32 id
scheme enum rsa-pkcs1v15-sha256 rsa-pkcs1v15-sha256
n str REQ 128..1024 hex
e int 65537 3..2147483647
@logging
level enum WARN ERROR|WARN|INFO|DEBUG
@end
""")


def fields(block):
    """[(key, spec)] of one block; a spec is (kind, default, arg) as the checker reads it."""
    start = _SCHEMA.find("\n@" + block + "\n")
    if start < 0:
        raise ValueError("settings schema has no block " + block)
    start += len(block) + 3
    out = []
    for line in _SCHEMA[start : _SCHEMA.find("\n@", start)].split("\n"):
        t = line.split()
        out.append((t[0], _spec(t[1], t[2] if len(t) > 2 else "REQ", t[3:])))
    return out


def choices(prefix):
    """The values of a variant's discriminator: the X of every `@prefix=X` block, in order."""
    out = []
    tag = "\n@" + prefix + "="
    at = _SCHEMA.find(tag)
    while at >= 0:
        at += len(tag)
        out.append(_SCHEMA[at : _SCHEMA.find("\n", at)])
        at = _SCHEMA.find(tag, at)
    return out


def _range(token):
    lo, hi = token.split("..")
    return int(lo), int(hi)


def _spec(kind, token, rest):
    if token == "REQ":
        default = REQUIRED
    elif token == "null":
        default = None
    elif token == '""':
        default = ""
    elif token == "true" or token == "false":
        default = token == "true"
    elif kind == "int":
        default = int(token)
    elif kind == "list" or kind == "obj":
        default = json.loads(token)
    else:
        default = token
    arg = None
    if kind == "int":
        arg = _range(rest[0])
    elif kind == "str":
        arg = _range(rest[0]) + ((rest[1] if len(rest) > 1 else None),)
    elif kind == "list":
        lo, hi = _range(rest[0])
        arg = (_spec(rest[1], "REQ", rest[2:]), hi, lo)
    elif kind == "enum":
        arg = tuple(rest[0].split("|"))
    elif kind == "obj":
        arg = rest[0]
    elif kind == "variant":
        arg = (rest[0], rest[1])
    return (kind, default, arg)
