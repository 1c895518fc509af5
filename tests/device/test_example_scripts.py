"""The example device's script tools (examples/device/scripts) run through the agent's tools."""

import json

from capsdev import command

from jotunheim.device.capabilities import CapabilityBuilder
from jotunheim.device.commands import CommandHandler
from jotunheim.device.hal.sim import SimHal
from jotunheim.device.settings import Settings
from jotunheim.device.tools import ToolRegistry


async def test_blink_toggles_the_status_led_and_leaves_it_as_it_was():
    settings = Settings.load("examples/device/device.json")
    sim = SimHal()
    b = CapabilityBuilder(settings, sim, ToolRegistry(), script_dir="examples/device")
    b.build()
    h = CommandHandler(b.registry)
    led = b.drivers.get("status")
    seen = []
    set_level = led.set

    def spy(value):  # every level the script drives the LED to
        seen.append(set_level(value))
        return seen[-1]

    led.set = spy
    r = await h.handle(command("1", "blink", {"times": 2}))
    assert r["error_code"] == "", r
    assert json.loads(r["result"]) == {"blinks": 2, "on": False}
    assert seen == [True, False, True, False, False]  # two blinks, then the state it had
    assert led.state is False
