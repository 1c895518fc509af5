"""Device-side OTA over the network for MicroPython tests: fetch, verify, install from a hub.

Usage: ota_netrun.py HOST PORT SLOT_DIR TRUSTED_JSON — prints "INSTALLED <version> <slot>".
"""

import json
import sys

try:
    import asyncio
except ImportError:  # pragma: no cover
    import uasyncio as asyncio

from jotunheim.device.ota.client import OtaClient
from jotunheim.device.ota.slots import FileSlotStore
from jotunheim.device.ota.updater import Updater
from jotunheim.wire.channel import Channel

CHUNK = int(sys.argv[5]) if len(sys.argv) > 5 else 4096


async def main(host, port, slot_dir, trusted_path):
    with open(trusted_path) as f:
        keys = json.loads(f.read())
    # A small receive window: the hub may not run 256 KB ahead of what we write to flash.
    ch = Channel(host, port, receive_window=4 * CHUNK)
    await ch.connect()
    try:
        store = FileSlotStore(slot_dir, "1.0.0")
        statuses = []
        up = Updater(store, {"trusted_keys": keys}, "sim", on_status=statuses.append)
        client = OtaClient(ch, "mp-1", "sim", chunk_size=CHUNK)
        resp = await client.manifest(store.running_version())
        await up.apply_async(resp, client.source(up.version or _version(resp)))
        st = store.state()
        print("STATES %s" % ",".join(s["state"] for s in statuses))
        print("INSTALLED %s %s" % (st["versions"][st["active"]], st["active"]))
    finally:
        await ch.close()


def _version(resp):
    return json.loads(resp["manifest"])["version"]


asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]))
