"""Script tool `blink` (examples/device/device.json): blinks the status LED `times` times.

A script tool is a file with `run(params)`, plain or `async def`; the agent checks the
declared parameters before calling it and gives it `hal` and `drivers` (docs/settings.md).
"""

import asyncio


async def run(params):
    led = drivers.get("status")  # noqa: F821 - given by the agent
    was = led.state
    for _ in range(params["times"]):
        led.toggle()
        await asyncio.sleep(0.1)
        led.toggle()
        await asyncio.sleep(0.1)
    led.set(was)
    return {"blinks": params["times"], "on": bool(led.state)}
