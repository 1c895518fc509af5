"""Run under MicroPython by test_device_reconnect_memory: the agent with a line per Welcome
giving the live heap and the asyncio I/O-queue size after a collection."""

import asyncio
import asyncio.core as core
import gc
import sys

from jotunheim.device.agent import Agent


async def main(path):
    agent = Agent(path, watch_ms=0)
    task = asyncio.create_task(agent.run())
    seen = 0
    while True:
        await asyncio.sleep(0.1)
        if agent.session.connects != seen and agent.session.state == "online":
            seen = agent.session.connects
            await asyncio.sleep(0.3)  # let the session settle (capabilities, first beat)
            gc.collect()
            print("WELCOME %d alloc %d io %d" % (seen, gc.mem_alloc(), len(core._io_queue.map)))
        if task.done():
            return


asyncio.run(main(sys.argv[1]))
