"""Handler of kind "loki" tools (capability_configuration.tools): a call to a Loki script.

Kept out of declared_tools.py so that a device without Loki tools never loads it.
"""


class LokiCall:
    """Handler of a kind "loki" tool: calls Script_<script> through the device's LokiClient."""

    def __init__(self, script, loki):
        self.script = script
        self.loki = loki  # a LokiClient, or a zero-argument callable returning one (lazy)

    async def __call__(self, params):
        client = self.loki
        if client is None:
            # imported here: tools makes the class (~0.25 KB) when first imported
            from jotunheim.device.tools import Unavailable

            raise Unavailable("loki tool %s: Loki is off on this device" % self.script)
        if not hasattr(client, "call"):
            client = client()
            self.loki = client
        return await client.call(self.script, params)
