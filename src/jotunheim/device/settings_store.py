"""Compact in-memory form of validated settings: each section as canonical compact JSON of
its difference from the schema defaults, all sections in one string (see Settings). This
module reads sections back; settings_encode makes the form (load, reload and save only).

The defaults below are code, not state (on a board they are frozen into flash with the
module); tests/device/test_settings_store.py checks them against the schema's.
"""

import json

# The top-level sections in file order (the schema's order); settings.SECTIONS.
SECTIONS = (
    "schema_version",
    "identity",
    "hub",
    "loki",
    "network",
    "capability_configuration",
    "network_resilience_settings",
    "resource_limits",
    "ota_update_settings",
    "logging",
)
# Canonical compact JSON of each section's defaults, in SECTIONS order: what validation fills
# in for a minimal file. identity.device_id/key/name have no fixed default: always stored.
DEFAULTS = (
    "1",
    '{"firmware_version":"0.0.0","type":"generic"}',
    '{"addresses":["127.0.0.1:50051"],"ca_cert":null,"server_hostname":null,"tls":false}',
    '{"address":"127.0.0.1:50052","fallback":"error","mode":"off","retries":2,"timeout_ms":2000}',
    '{"ip":{"address":null,"dns":null,"gateway":null,"mode":"dhcp","netmask":null},'
    '"wifi":{"connect_timeout_ms":15000,"password":null,"ssid":null}}',
    '{"actuators":[],"gpio":{"analog":false,"digital":true,"pins":[],"pwm":false},'
    '"interfaces":[],"sensors":[],"tools":[]}',
    '{"backoff_base_ms":500,"backoff_cap_ms":30000,"dead_peer_timeout_ms":45000,'
    '"heartbeat_interval_ms":15000,"jitter":"full","max_retries":0,"retry_delay_ms":1000}',
    '{"bandwidth_bps":0,"max_concurrent_tools":2,"max_cpu_percent":80,"max_memory_kb":0,'
    '"memory_floor_kb":16,"memory_warning_kb":32,"user_queue_size":8}',
    '{"allow_downgrade":false,"chunk_size":4096,"confirm_timeout_ms":120000,"enabled":true,'
    '"max_boot_attempts":3,"slot_dir":"ota","trusted_keys":[]}',
    '{"level":"WARN"}',
)
FULL_MARK = "="  # prefix of a section stored whole (it lacks a key the defaults have)


def decode(i, text):
    """The value of section `i` from its stored text (a fresh object)."""
    if text[:1] == FULL_MARK:
        return json.loads(text[1:])
    value = json.loads(DEFAULTS[i])
    return _merge(value, json.loads(text)) if text else value


def _merge(base, diff):
    if not isinstance(base, dict) or not isinstance(diff, dict):
        return diff
    for key in diff:
        base[key] = _merge(base.get(key), diff[key])
    return base


def text_of(docs, i):
    text, ends = docs
    return text[ends[i - 1] if i else 0 : ends[i]]
