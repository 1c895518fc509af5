"""Handler of kind "loki" tools (capability_configuration.tools): a call to a Loki script.

Kept out of declared_tools.py so that a device without Loki tools never loads it.
"""

import gc

from jotunheim.compat import IS_MICROPYTHON, const, mem_free, unload

# Under this much free heap a call collects first (twice the default 16 KB memory floor, as
# LokiClient.close_below): see LokiCall.__call__.
_SHORT_HEAP = const(32768)


class LokiCall:
    """Handler of a kind "loki" tool: calls Script_<script> through the LokiClient of
    `builder` (the CapabilityBuilder, which makes it on the first call; None: Loki is off)."""

    def __init__(self, script, builder):
        self.script = script
        self.builder = builder

    async def __call__(self, params):
        builder = self.builder
        if builder is None:
            # imported here: tools makes the class (~0.25 KB) when first imported
            from jotunheim.device.tools import Unavailable

            raise Unavailable("loki tool %s: Loki is off on this device" % self.script)
        if 0 <= mem_free() < _SHORT_HEAP:
            # A call on a short heap dials Loki and loads the call code (~10 KB in many small
            # blocks): collecting first returns the garbage's holes at the front of the heap,
            # where the allocator looks first, so that the call packs into them instead of
            # failing on a fragmented heap (the Loki flow at 120k in ROMFS failed 1 run in 3
            # without it, 0 in 6 with it). A roomy heap keeps its channel open: no collect.
            gc.collect()
        # Counted from before the client is fetched: a call waiting for the client's lock or
        # still dialing is not in client._calls yet, and the client must not be let go then
        # (the next call would make a second one and dial Loki beside it).
        builder._loki_calls += 1
        client = None
        try:
            client = builder._loki_client()
            return await client.call(self.script, params)
        finally:
            builder._loki_calls -= 1
            if client is not None and not builder._loki_calls:
                _let_go(builder, client)


def _let_go(builder, client):
    # A call that leaves the heap short closes its channel at once (LokiClient.close_below).
    # Then the client goes too, with its module on MicroPython (~2 KB of heap even with the
    # code in ROMFS), when the builder made it: the next call makes a new one from the
    # settings (~0.5 ms; on a short heap it dials Loki again anyway). A client given to the
    # builder, one still open or busy (another call in flight: the caller checks), and any
    # client on a roomy heap stay.
    if not IS_MICROPYTHON or builder._loki is not client or not builder._made_loki:
        return
    if client._channel is None and not client._calls:
        free = client.free_heap()
        if 0 <= free < client.close_below:
            builder._loki = None
            unload("jotunheim.device.loki_client")
