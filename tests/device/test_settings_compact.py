"""The compact in-memory settings form: schema defaults kept in code, sections stored as
their difference from them, read back exactly."""

import json

from jotunheim.device import settings as store
from jotunheim.device import settings_io as enc
from jotunheim.device.settings import SECTIONS, Settings, validate

EXAMPLE = "examples/device/device.json"
KEY = "00112233445566778899aabbccddeeff"


def test_defaults_are_the_schemas():
    # The DEFAULTS lines must follow the schema: a minimal file validates to exactly them.
    data, _ = validate({"identity": {"device_id": "d1", "key": KEY}})
    for i in range(len(SECTIONS)):
        value = data[SECTIONS[i]]
        if SECTIONS[i] == "identity":
            value = dict(value)
            for key in ("device_id", "key", "name"):  # no fixed default: always stored
                del value[key]
        assert enc.dump(value) == store.default_text(i), SECTIONS[i]


def test_example_reads_back_exactly_and_stores_less():
    s = Settings.load(EXAMPLE)
    raw = json.loads(open(EXAMPLE).read())
    for name in SECTIONS:
        assert enc.dump(s.section(name)) == enc.dump(raw[name]), name
    full = sum([len(enc.dump(raw[name])) for name in SECTIONS])
    assert len(s._docs[0]) < full - 500  # defaults are not stored again
    assert store.text_of(s._docs, SECTIONS.index("resource_limits")) == ""


def test_values_differing_in_type_or_shape_are_kept():
    cases = [
        (SECTIONS.index("hub"), {"addresses": ["10.0.0.1:1"], "ca_cert": "ca.pem",
                                 "server_hostname": None, "tls": True}),
        (SECTIONS.index("network"), {"ip": {"address": "10.0.0.2", "dns": None,
                                            "gateway": None, "mode": "static",
                                            "netmask": "255.0.0.0"},
                                     "wifi": {"connect_timeout_ms": 15000, "password": "",
                                              "ssid": "x"}}),
        (SECTIONS.index("logging"), {"level": "WARN", "extra": {"a": [1, None]}}),
        (SECTIONS.index("resource_limits"), {"max_cpu_percent": 80}),  # lacks default keys
        (SECTIONS.index("schema_version"), 2),
        (SECTIONS.index("loki"), None),
    ]  # fmt: skip
    for i, value in cases:
        text = enc.encode(i, value)
        assert enc.dump(store.decode(i, text)) == enc.dump(value), (i, text)
    assert enc.encode(SECTIONS.index("resource_limits"), {"max_cpu_percent": 80})[:1] == "="
    # 1 is not true: a default is only dropped when type and value both match
    i = SECTIONS.index("ota_update_settings")
    value = json.loads(store.default_text(i))
    value["enabled"] = 1
    back = store.decode(i, enc.encode(i, value))
    assert enc.dump(back) == enc.dump(value) and enc.dump(back["enabled"]) == "1"


def test_sections_read_fresh_until_opened():
    s = Settings.load(EXAMPLE)
    a = s.section("hub")
    a["tls"] = True  # a peeked copy: editing it changes nothing
    assert s.section("hub")["tls"] is False
    s["hub"]["tls"] = True  # an opened section is the settings' own
    assert s.section("hub")["tls"] is True and s.data["hub"]["tls"] is True
