"""Compact in-memory form of validated settings: each section as canonical compact JSON of
its difference from the schema defaults, all sections in one string (see Settings).

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
_SAME = object()  # "equal to the default": nothing stored
_FULL = "="  # prefix of a section stored whole (it lacks a key the defaults have)


def dump(value):
    """Canonical compact JSON (sorted keys): equal values give equal text on one runtime."""
    if isinstance(value, dict):
        parts = [json.dumps(k) + ":" + dump(value[k]) for k in sorted(value)]
        return "{" + ",".join(parts) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join([dump(x) for x in value]) + "]"
    return json.dumps(value)


def _diff(value, default):
    # What `value` adds to `default`; _SAME when nothing; None when a default key is missing
    # (a difference that merging cannot express).
    if isinstance(value, dict) and isinstance(default, dict):
        out = {}
        for key in default:
            if key not in value:
                return None
        for key in value:
            d = _diff(value[key], default.get(key, _SAME))
            if d is None:
                return None
            if d is not _SAME:
                out[key] = d
        return out if out else _SAME
    if type(value) is type(default) and value == default:  # 1 == True: compare types too
        return _SAME
    return [value]  # boxed, so a stored None is not mistaken for "cannot express"


def _unbox(d):
    if isinstance(d, dict):
        return {k: _unbox(v) for k, v in d.items()}
    return d[0]


def encode(i, value):
    """Section `i`'s value as stored text ("" when it equals the defaults)."""
    d = _diff(value, json.loads(DEFAULTS[i]))
    text = "" if d is _SAME else _FULL if d is None else dump(_unbox(d))
    if text[:1] != _FULL and dump(decode(i, text)) != dump(value):
        text = _FULL  # belt and braces: never store what does not read back exactly
    return text + dump(value) if text == _FULL else text


def decode(i, text):
    """The value of section `i` from its stored text (a fresh object)."""
    if text[:1] == _FULL:
        return json.loads(text[1:])
    value = json.loads(DEFAULTS[i])
    return _merge(value, json.loads(text)) if text else value


def _merge(base, diff):
    if not isinstance(base, dict) or not isinstance(diff, dict):
        return diff
    for key in diff:
        base[key] = _merge(base.get(key), diff[key])
    return base


def compact(data):
    """All sections' stored texts in one string, with the end offset of each."""
    texts = [encode(i, data[SECTIONS[i]]) for i in range(len(SECTIONS))]
    ends = []
    end = 0
    for text in texts:
        end += len(text)
        ends.append(end)
    return "".join(texts), tuple(ends)


def text_of(docs, i):
    text, ends = docs
    return text[ends[i - 1] if i else 0 : ends[i]]
