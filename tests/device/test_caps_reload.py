"""Settings.reload() (devA's real Settings) re-derives tools and emits one "updated" event.

Its own module: reloading re-imports the settings schema, which needs heap of its own.
"""

import json

from capsdev import RecordingHal, example_settings, fake_drivers
from devtest import tmpdir

# The capability code loaded per build/announcement (tools.run_dropped), imported here, stays
# loaded instead of being compiled from .py again during the reload (256 KB test heap).
from jotunheim.device import capability_announce, capability_build  # noqa: F401
from jotunheim.device.capabilities import CapabilityBuilder, CapabilityPropagator
from jotunheim.device.settings import Settings
from jotunheim.device.tools import ToolRegistry

# The codec at import, while the heap is empty: compiling it from .py after the settings
# schema was loaded needs more than MicroPython's 256 KB test heap.
from jotunheim.wire import protobuf  # noqa: F401


def _connected(tag, firmware_version=None):
    """(settings file data, its path, the builder, the events its propagator emitted) after
    a first "connected" announcement from the example settings written to a file."""
    path = tmpdir(tag) + "/device.json"
    data = example_settings()
    _write(path, data)
    settings = Settings.load(path)
    b = CapabilityBuilder(settings, RecordingHal(), ToolRegistry(), fake_drivers())
    if firmware_version:
        b.firmware_version = firmware_version  # as ota_session sets it after an OTA boot
    prop = CapabilityPropagator(b, settings)
    events = []
    prop.add_listener(events.append)
    prop.connected()
    return data, path, settings, events


def _write(path, data):
    with open(path, "w") as f:
        f.write(json.dumps(data))


def test_real_settings_reload_emits_updated():
    data, path, settings, events = _connected("capset")
    data["capability_configuration"]["actuators"] = data["capability_configuration"]["actuators"][
        1:
    ]
    data["identity"]["name"] = "Kitchen 2"
    _write(path, data)
    settings.reload()
    assert [e["event_type"] for e in events] == ["connected", "updated"]
    caps = events[-1]["capabilities"]
    assert caps["device_name"] == "Kitchen 2"
    names = [t["name"] for t in caps["tools"]]
    assert "set_status" not in names and "set_led" not in names and "set_pump" in names
    settings.reload()  # same file again: nothing changed, nothing emitted
    assert len(events) == 2


def test_the_running_ota_version_survives_a_settings_reload():
    # OTA booted 9.9.9; the file keeps the factory version, and a reload of the file must not
    # announce that one again.
    data, path, settings, events = _connected("capfw", firmware_version="9.9.9")
    data["identity"]["name"] = "Kitchen 3"
    _write(path, data)
    settings.reload()
    assert [e["event_type"] for e in events] == ["connected", "updated"]
    caps = events[-1]["capabilities"]
    assert caps["device_name"] == "Kitchen 3" and caps["firmware_version"] == "9.9.9"
