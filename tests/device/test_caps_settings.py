"""Capabilities and commands over the real Settings, which keep sections as compact text:
the builder and its tools read them on demand and keep nothing open."""

from jotunheim.device.capabilities import CapabilityBuilder


async def test_configured_tools_read_the_real_settings_on_demand():
    # With real Settings the builder keeps no settings dicts: configured tools and sensor
    # descriptions are read from the settings when capabilities are built or a command runs.
    from jotunheim.device.commands import CommandHandler
    from jotunheim.device.hal.sim import SimHal
    from jotunheim.device.settings import Settings

    s = Settings.load("examples/device/device.json")
    b = CapabilityBuilder(s, SimHal())
    caps = b.build()
    tools = {t["name"]: t for t in caps["tools"]}
    assert tools["blink"]["description"] == "Blink the status LED"
    assert tools["blink"]["parameters"][0]["description"] == "How many blinks"
    assert tools["read_room"]["description"].startswith("Room temperature and humidity")
    assert s._open == {}  # the builder only peeked: no section was kept open
    h = CommandHandler(b.registry)
    r = await h.handle({"command_id": "c1", "tool": "blink", "args_json": '{"times": 11}'})
    assert r["error_code"] == "INVALID_ARGUMENT" and "<= 10" in r["error_message"]
    r = await h.handle({"command_id": "c2", "tool": "add", "args_json": '{"a": 1}'})
    assert r["error_code"] == "INVALID_ARGUMENT" and "'b'" in r["error_message"]
    r = await h.handle({"command_id": "c3", "tool": "read_room", "args_json": ""})
    assert r["success"] and b"temperature_c" in r["result"]
