"""docs/settings.md and examples/device/device.json stay complete and loadable."""

import json

from jotunheim.device.settings import Settings

EXAMPLE = "examples/device/device.json"
DOC = "docs/settings.md"


def _doc_example():
    text = open(DOC).read()
    start = text.index("## Complete example")
    block = text[text.index("```json\n", start) + 8 :]
    return block[: block.index("```")]


def _keys(value, out):
    if isinstance(value, dict):
        for k, v in value.items():
            out.append(k)
            _keys(v, out)
    elif isinstance(value, list):
        for v in value:
            _keys(v, out)
    return out


def test_example_file_loads_and_spells_out_every_key():
    s = Settings.load(EXAMPLE)
    raw = json.loads(open(EXAMPLE).read())
    assert s.data == raw  # nothing left to defaults: the example shows every key
    caps = s["capability_configuration"]
    assert sorted(x["driver"] for x in caps["sensors"]) == ["bmp280", "dht22", "ds18b20"]
    assert sorted(x["driver"] for x in caps["actuators"]) == ["led", "relay"]
    assert sorted(x["type"] for x in caps["interfaces"]) == ["i2c", "onewire"]


def test_doc_example_block_is_the_example_file():
    doc = Settings.from_json(_doc_example())
    assert doc.data == Settings.load(EXAMPLE).data


def test_doc_describes_every_key():
    text = open(DOC).read()
    missing = [k for k in _keys(Settings.load(EXAMPLE).data, []) if "`%s`" % k not in text]
    assert missing == [], missing


def test_minimal_file_from_the_doc_is_valid():
    s = Settings({"identity": {"device_id": "d1", "key": "ab" * 16}})
    assert s["identity"]["name"] == "d1"
