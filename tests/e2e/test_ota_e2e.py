"""OTA end to end with real processes: a hub, a CPython device agent run by `jotunheim device
run` (its supervisor), and the operator CLI: publish -> rollout -> download, verify, install
-> restart on the new slot -> confirm; manual rollback; an update that crashes at start ->
automatic rollback with the reason reported to the hub."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

from jotunheim._gen import hub_pb2
from jotunheim.cli.demo import DeviceProcess, LocalHub, Operator, _wait_for, device_settings

DEVICE = "ota-cpy-1"
GOOD_APP = (
    "VERSION = '1.1.0'\n"
    "def self_test():\n"
    "    return True\n"
)  # fmt: skip
CRASHING_APP = "raise RuntimeError('the new build is broken')\n"


def jot(*args, timeout=60):
    """Runs the `jotunheim` CLI; returns (exit code, output)."""
    env = dict(os.environ, COLUMNS="200")
    out = subprocess.run(
        [sys.executable, "-m", "jotunheim", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    return out.returncode, out.stdout + out.stderr


class World:
    def __init__(self, work):
        self.work = work
        self.hub = LocalHub(os.path.join(work, "hub"), log_path=os.path.join(work, "hub.log"))
        self.dev = None
        self.op = None
        self.key = os.path.join(work, "keys", "ota_signing_key.pem")

    def hub_args(self):
        return ["--hub", self.hub.address, "--data-dir", self.hub.data_dir]

    def publish(self, version, app_source):
        src = os.path.join(self.work, "build-" + version)
        os.makedirs(src)
        with open(os.path.join(src, "jotunheim_app.py"), "w") as f:
            f.write(app_source)
        with open(os.path.join(src, "notes.txt"), "wb") as f:
            f.write(os.urandom(30000))  # a payload of several chunks
        rc, out = jot(
            "ota", "publish", src, "--version", version, "--target", "sim",
            "--key", self.key, "--data-dir", self.hub.data_dir,
        )  # fmt: skip
        assert rc == 0, out

    def info(self):
        resp = self.op.ops.ListDevices(hub_pb2.ListDevicesRequest(), metadata=self.op.md)
        return next(d for d in resp.devices if d.device_id == DEVICE)

    def wait_running(self, version, timeout_s=30):
        def ok():
            d = self.info()
            return d.online and d.firmware_version == version

        _wait_for(ok, timeout_s, "device on %s" % version, self.dev.proc, 0.1)

    def dump(self):
        for name, proc in (("hub", self.hub), ("device", self.dev)):
            if proc is not None:
                print("---- %s ----\n%s" % (name, proc.output()[-6000:]))


@pytest.fixture(scope="module")
def world():
    work = tempfile.mkdtemp(prefix="jotunheim-ota-e2e-")
    w = World(work)
    try:
        w.hub.start()
        w.op = Operator(w.hub.address, w.hub.token())
        rc, out = jot("ota", "keygen", "--out", os.path.join(work, "keys"), "--id", "fleet-1")
        assert rc == 0, out
        with open(os.path.join(work, "keys", "trusted_key.json")) as f:
            trusted = json.load(f)
        settings = os.path.join(work, DEVICE + ".json")
        device_settings(settings, DEVICE, w.op.provision(DEVICE), w.hub.address, work)
        with open(settings) as f:
            data = json.load(f)
        data["ota_update_settings"] = {
            "enabled": True,
            "trusted_keys": [trusted],
            "slot_dir": "ota-" + DEVICE,
            "max_boot_attempts": 2,
            "confirm_timeout_ms": 20000,
            "chunk_size": 2048,
        }
        with open(settings, "w") as f:
            json.dump(data, f)
        w.publish("1.1.0", GOOD_APP)
        w.publish("1.2.0", CRASHING_APP)
        w.dev = DeviceProcess(settings, "cpython", log_path=settings + ".log").start()
        w.wait_running("1.0.0")
        yield w
    except Exception:
        w.dump()
        raise
    finally:
        if w.dev is not None:
            w.dev.kill()
        w.hub.kill()
        if w.op is not None:
            w.op.close()
        shutil.rmtree(work, ignore_errors=True)


def test_rollout_installs_restarts_and_confirms(world):
    pid = world.dev.proc.pid
    rc, out = jot("ota", "rollout", "1.1.0", "--devices", DEVICE, "--batch", "1", *world.hub_args())
    if rc != 0:
        world.dump()
    assert rc == 0, out
    transitions = [line.split(" -> ")[1] for line in out.splitlines() if " -> " in line]
    # Every state of the update, in order (progress repeats "downloading").
    seen = [s for i, s in enumerate(transitions) if i == 0 or transitions[i - 1] != s]
    assert seen == ["downloading", "verifying", "installing", "rebooting", "confirmed"], out
    assert "1 confirmed, 0 rolled_back, 0 failed" in out
    world.wait_running("1.1.0")
    d = world.info()
    assert d.ota_status.state == "confirmed" and d.ota_status.running_version == "1.1.0"
    assert world.dev.proc.pid == pid and world.dev.running()  # restarted in place (exec)
    rc, out = jot("devices", *world.hub_args())
    assert rc == 0 and "1.1.0 confirmed" in out, out
    # The new version re-announced its capabilities.
    caps = world.op.ops.GetCapabilities(hub_pb2.DeviceRef(device_id=DEVICE), metadata=world.op.md)
    assert caps.capabilities.firmware_version == "1.1.0"


def test_manual_rollback(world):
    rc, out = jot("ota", "rollback", DEVICE, "--reason", "operator request", *world.hub_args())
    if rc != 0:
        world.dump()
    assert rc == 0, out
    assert "rolled_back: operator request" in out
    world.wait_running("1.0.0")
    assert world.info().ota_status.state == "rolled_back"


def test_update_crashing_at_start_rolls_back_with_reason(world):
    start = time.monotonic()
    rc, out = jot("ota", "rollout", "1.2.0", "--devices", DEVICE, *world.hub_args())
    assert rc == 1, out
    assert "0 confirmed, 1 rolled_back, 0 failed" in out, out
    st = world.info().ota_status
    assert st.state == "rolled_back" and st.version == "1.2.0"
    assert "boot attempts exhausted" in st.reason
    assert "RuntimeError: the new build is broken" in st.reason
    world.wait_running("1.0.0")
    assert time.monotonic() - start < 60
