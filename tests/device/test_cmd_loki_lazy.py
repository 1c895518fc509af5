"""The Loki client's success path loads no failure, retry or admin code (heap on a board)."""

import sys

from jotunheim.compat import unload
from jotunheim.device.loki_client import LokiClient

_LAZY = (
    "jotunheim.device.loki_failures",
    "jotunheim.device.loki_admin",
    "jotunheim._gen.device.loki",
)


class _OneAnswer:
    def __init__(self, reply):
        self.reply = reply
        self.paths = []

    async def connect(self):
        pass

    async def close(self):
        pass

    async def unary_unary(self, path, req_d, resp_d, request, timeout=None, metadata=None):
        self.paths.append(path)
        if isinstance(self.reply, Exception):
            raise self.reply
        return self.reply


def _client(reply):
    ch = _OneAnswer(reply)
    cfg = {"mode": "remote", "address": "10.0.0.5:50052", "retries": 0}
    return LokiClient(cfg, lambda host, port: ch), ch


async def test_successful_script_call_loads_only_the_call_path():
    for name in _LAZY:
        unload(name)
    client, ch = _client({"success": True, "output": "[1, 2]", "metadata": {}})
    assert await client.call("add", {"a": 1}) == [1, 2]
    assert ch.paths == ["/loki.LokiService/Script_add"]
    assert [name for name in _LAZY if name in sys.modules] == []


async def test_failed_script_call_loads_the_failure_code_and_reports_it():
    unload("jotunheim.device.loki_failures")
    client, _ = _client({"success": False, "output": "", "metadata": {"error_type": "NotFound"}})
    try:
        await client.call("nope")
    except Exception as exc:  # noqa: BLE001 - checked below
        assert exc.error_code == "NOT_FOUND" and "Script_nope failed" in str(exc)
    else:
        raise AssertionError("a failed script call returned")
    assert "jotunheim.device.loki_failures" in sys.modules
