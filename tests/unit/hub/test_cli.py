"""The operator CLI as subprocesses against a `jotunheim hub` process and a grpcio device:
keys add/list/revoke, devices, caps, call (result and round-trip time), token sources."""

import asyncio
import os
import subprocess
import sys

from .fake_device import FakeDevice
from .hubtest import eventually
from .test_leader import HubProc


async def jot(*args, env=None, check=True):
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "jotunheim",
        *args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ, COLUMNS="160", **dict({"JOTUNHEIM_TOKEN": ""}, **(env or {}))),
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    out, err = out.decode(), err.decode()
    if check:
        assert proc.returncode == 0, out + err
    return proc.returncode, out, err


def test_operator_cli_end_to_end(tmp_path):
    data = tmp_path / "hub"
    hub = HubProc(data, [], "")  # no shared token: the hub creates one at first start
    try:
        hub.wait_ready()
        token = (data / "operator_token").read_text().strip()
        assert len(token) >= 32 and token in hub.first_lines
        asyncio.run(asyncio.wait_for(_scenario(hub.address, data, token), 120))
    finally:
        hub.kill()


async def _scenario(address, data, token):
    common = ["--hub", address, "--data-dir", str(data)]
    _, out, _ = await jot("keys", "add", "kitchen-1", "--name", "Kitchen [main]", *common)
    key_hex = out.strip().splitlines()[-1]
    key = bytes.fromhex(key_hex)
    assert len(key) == 32
    _, out, _ = await jot("keys", "list", *common)
    assert "kitchen-1" in out and "active" in out and key_hex not in out

    _, out, _ = await jot("devices", *common)
    assert "kitchen-1" in out and "Kitchen [main]" in out and "never" in out

    dev = FakeDevice([address], "kitchen-1", key, tools={"echo": lambda a: {"got": a.get("value")}})
    await dev.connect()
    await eventually(lambda: dev.cap_requests == 1)
    await asyncio.sleep(0.2)
    _, out, _ = await jot("devices", "--hub", address, "--token", token)
    row = next(line for line in out.splitlines() if "kitchen-1" in line)
    assert "simulator" in row and "1.0.0" in row and "yes" in row and "now" in row

    _, out, _ = await jot("caps", "kitchen-1", *common)
    assert "echo" in out and "value:Integer?" in out and "sim:room" in out

    _, out, _ = await jot("call", "kitchen-1", "echo", "value=21", *common)
    assert '"got": 21' in out and "round trip" in out and " ms" in out
    assert dev.runs and list(dev.runs.values()) == [1]

    rc, out, err = await jot("call", "kitchen-1", "echo", "value=abc", *common, check=False)
    assert rc != 0 and "value" in err

    rc, _, err = await jot("devices", "--hub", address, "--token", "nope", check=False)
    assert rc == 1 and "UNAUTHENTICATED" in err
    rc, _, err = await jot("devices", "--hub", address, check=False, env={"JOTUNHEIM_TOKEN": ""})
    assert rc != 0 and "operator token" in err

    _, out, _ = await jot("keys", "revoke", "kitchen-1", *common)
    assert "revoked" in out
    await asyncio.wait_for(dev.closed.wait(), 10)
    rc, _, err = await jot("call", "kitchen-1", "echo", *common, check=False)
    assert rc == 1 and "FAILED_PRECONDITION" in err
    _, out, _ = await jot("keys", "list", *common, env={"JOTUNHEIM_TOKEN": token})
    assert "revoked" in out
    await dev.drop()
