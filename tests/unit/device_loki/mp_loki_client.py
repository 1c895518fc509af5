"""Run under MicroPython by test_loki_client_grpcio: drives LokiClient against a real server.

Usage: micropython mp_loki_client.py PORT SCRIPT_DIR. Prints one JSON line per step.
"""

import asyncio
import json
import sys

from jotunheim.device.capabilities import CapabilityBuilder
from jotunheim.device.commands import CommandHandler
from jotunheim.device.loki_client import LokiClient, LokiError
from jotunheim.device.tools import ToolRegistry


def out(step, value):
    print(json.dumps({"step": step, "value": value}))


async def main(port, script_dir, dead_port):
    c = LokiClient({"mode": "remote", "address": "127.0.0.1:%d" % port, "retries": 1})
    out("add", await c.call("add", {"a": 20, "b": 22}))
    caps = await c.get_capabilities()
    out("caps", [s["script_name"] for s in caps["capabilities"]])
    out("register", (await c.register_script("mp_echo", "return params", "echo"))["success"])
    out("echo", await c.call("mp_echo", {"k": "v", "n": 1.5}))
    out("list", [s["name"] for s in await c.list_scripts()])
    try:
        await c.call("add", {"a": "x", "b": 1})
    except LokiError as exc:
        out("bad", exc.error_code)
    await c.close()

    # Loki down: fallback "local" runs the on-device script of the same name.
    data = {
        "identity": {"device_id": "mp-1"},
        "loki": {
            "mode": "remote",
            "address": "127.0.0.1:%d" % dead_port,
            "retries": 1,
            "fallback": "local",
            "timeout_ms": 1000,
        },
        "capability_configuration": {
            "tools": [
                {
                    "name": "add",
                    "kind": "script",
                    "script": "add.py",
                    "parameters": [
                        {"name": "a", "type": "Integer", "required": True},
                        {"name": "b", "type": "Integer", "required": True},
                    ],
                },
                {
                    "name": "sum",
                    "kind": "loki",
                    "loki_script": "add",
                    "parameters": [
                        {"name": "a", "type": "Integer", "required": True},
                        {"name": "b", "type": "Integer", "required": True},
                    ],
                },
            ]
        },
    }
    b = CapabilityBuilder(data, None, ToolRegistry(), script_dir=script_dir)
    b.build()
    h = CommandHandler(b.registry)
    r = await h.handle({"command_id": "1", "tool": "sum", "args_json": '{"a": 1, "b": 2}'})
    out("fallback", [r["success"], json.loads(r["result"]) if r["success"] else r["error_message"]])


asyncio.run(main(int(sys.argv[1]), sys.argv[2], int(sys.argv[3])))
