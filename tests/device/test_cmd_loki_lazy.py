"""The Loki client's success path loads no failure, retry or admin code (heap on a board)."""

import sys

from jotunheim.compat import unload
from jotunheim.device.loki_client import LokiClient

_LAZY = (
    "jotunheim.device.loki_failures",
    "jotunheim.device.loki_admin",
    "jotunheim._gen.device.loki",
    "jotunheim.wire.pbmaps",  # Loki's map fields are entry messages in the device slice
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
    client, ch = _client({"success": True, "output": "[1, 2]", "metadata": []})
    assert await client.call("add", {"a": 1}) == [1, 2]
    assert ch.paths == ["/loki.LokiService/Script_add"]
    assert [name for name in _LAZY if name in sys.modules] == []


async def test_failed_script_call_loads_the_failure_code_and_reports_it():
    unload("jotunheim.device.loki_failures")
    meta = [{"key": "error_type", "value": "NotFound"}]
    client, _ = _client({"success": False, "output": "", "metadata": meta})
    try:
        await client.call("nope")
    except Exception as exc:  # noqa: BLE001 - checked below
        assert exc.error_code == "NOT_FOUND" and "Script_nope failed" in str(exc)
    else:
        raise AssertionError("a failed script call returned")
    assert "jotunheim.device.loki_failures" in sys.modules


_CALL_CODE = ("jotunheim.device.loki_link", "jotunheim._gen.device.loki_script")


async def test_closing_the_channel_drops_the_call_code_and_the_next_call_loads_it():
    from jotunheim.compat import IS_MICROPYTHON

    client, ch = _client({"success": True, "output": "5", "metadata": []})
    assert await client.call("add", {"a": 1}) == 5
    assert client._channel is ch and "jotunheim.device.loki_link" in sys.modules  # kept open
    await client.close()
    assert client._channel is None
    left = [name for name in _CALL_CODE if name in sys.modules]
    # MicroPython: the code goes with the channel (it lives in the heap); CPython keeps it
    assert left == ([] if IS_MICROPYTHON else list(_CALL_CODE))
    assert await client.call("add", {"a": 2}) == 5  # imported and dialed again
    assert ch.paths == ["/loki.LokiService/Script_add"] * 2
    await client.close()


async def test_a_call_that_found_loki_down_drops_the_call_code():
    from jotunheim.compat import IS_MICROPYTHON

    class _Refused(_OneAnswer):
        async def connect(self):
            raise OSError(111, "connection refused")

    ch = _Refused(None)
    cfg = {"mode": "remote", "address": "10.0.0.5:50052", "retries": 0}
    client = LokiClient(cfg, lambda host, port: ch)
    try:
        await client.call("add", {"a": 1})
    except Exception as exc:  # noqa: BLE001 - checked below
        assert exc.error_code == "UNAVAILABLE" and "10.0.0.5:50052" in str(exc)
    else:
        raise AssertionError("a call to a Loki that is down returned")
    assert client._channel is None and ch.paths == []
    if IS_MICROPYTHON:  # nothing open, nothing running: no call code kept
        assert [name for name in _CALL_CODE if name in sys.modules] == []


def test_only_the_fixed_rpc_names_load_the_admin_code():
    unload("jotunheim.device.loki_admin")
    client, _ = _client({"success": True, "output": "5", "metadata": []})
    assert not hasattr(client, "no_such_rpc")
    assert "jotunheim.device.loki_admin" not in sys.modules
    assert callable(client.list_scripts)  # served by loki_admin, loaded for it
    assert "jotunheim.device.loki_admin" in sys.modules


async def test_a_successful_call_makes_no_error_class():
    # LokiError is made when first imported (loki_client.__getattr__): a fresh copy of the
    # module, used for a successful call, never has it. The original is put back after.
    import jotunheim.device as package

    old = sys.modules.pop("jotunheim.device.loki_client")
    try:
        fresh = __import__("jotunheim.device.loki_client", None, None, ["LokiClient"])
        assert fresh is not old and "LokiError" not in fresh.__dict__
        ch = _OneAnswer({"success": True, "output": "5", "metadata": []})
        client = fresh.LokiClient({"mode": "remote", "address": "h:1"}, lambda h, p: ch)
        assert await client.call("add", {"a": 1}) == 5
        await client.close()
        assert "LokiError" not in fresh.__dict__
        assert fresh.LokiError is fresh.LokiError  # made once, then kept
        assert "LokiError" in fresh.__dict__
        assert issubclass(fresh.LokiError, Exception)
    finally:
        sys.modules["jotunheim.device.loki_client"] = old
        package.loki_client = old
