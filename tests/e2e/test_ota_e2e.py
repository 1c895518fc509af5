"""OTA end to end with real processes: a hub, a CPython and a MicroPython device agent run by
`jotunheim device run` (their supervisor), and the operator CLI: publish -> rollout in batches
-> download, verify, install -> restart on the new slot -> confirm; manual rollback; an update
that crashes at start -> automatic rollback with the reason reported to the hub."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

from jotunheim._gen import hub_pb2
from jotunheim.cli.demo import (
    DeviceProcess,
    LocalHub,
    Operator,
    _wait_for,
    device_settings,
    free_port,
    precompile_micropython,
)

DEVICES = (("ota-cpy-1", "cpython"), ("ota-mpy-1", "micropython"))
IDS = [d for d, _ in DEVICES]
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
        # A fixed port, so that the hub can be restarted where the devices look for it.
        self.hub = LocalHub(
            os.path.join(work, "hub"), port=free_port(), log_path=os.path.join(work, "hub.log")
        )
        self.devs = {}
        self.op = None
        self.key = os.path.join(work, "keys", "ota_signing_key.pem")

    def hub_args(self):
        return ["--hub", self.hub.address, "--data-dir", self.hub.data_dir]

    def publish(self, version, app_source, size=30000):
        src = os.path.join(self.work, "build-" + version)
        os.makedirs(src)
        with open(os.path.join(src, "jotunheim_app.py"), "w") as f:
            f.write(app_source)
        with open(os.path.join(src, "notes.txt"), "wb") as f:
            f.write(os.urandom(size))  # a payload of several chunks
        rc, out = jot(
            "ota", "publish", src, "--version", version, "--target", "sim",
            "--key", self.key, "--data-dir", self.hub.data_dir,
        )  # fmt: skip
        assert rc == 0, out

    def add_device(self, device_id, runtime, trusted):
        settings = os.path.join(self.work, device_id + ".json")
        device_settings(
            settings, device_id, self.op.provision(device_id), self.hub.address, self.work
        )
        with open(settings) as f:
            data = json.load(f)
        data["ota_update_settings"] = {
            "enabled": True,
            "trusted_keys": [trusted],
            "slot_dir": "ota-" + device_id,
            "max_boot_attempts": 2,
            "confirm_timeout_ms": 20000,
            "chunk_size": 2048,
        }
        with open(settings, "w") as f:
            json.dump(data, f)
        self.devs[device_id] = DeviceProcess(settings, runtime, log_path=settings + ".log").start()

    def info(self, device_id):
        resp = self.op.ops.ListDevices(hub_pb2.ListDevicesRequest(), metadata=self.op.md)
        return next(d for d in resp.devices if d.device_id == device_id)

    def wait_running(self, device_id, version, timeout_s=30):
        def ok():
            d = self.info(device_id)
            return d.online and d.firmware_version == version

        try:
            _wait_for(ok, timeout_s, "%s on %s" % (device_id, version), self.devs[device_id].proc)
        except Exception:
            self.dump()
            raise

    def dump(self):
        for name, proc in [("hub", self.hub)] + sorted(self.devs.items()):
            print("---- %s ----\n%s" % (name, proc.output()[-6000:]))


@pytest.fixture(scope="module")
def world():
    work = tempfile.mkdtemp(prefix="jotunheim-ota-e2e-")
    w = World(work)
    try:
        precompile_micropython()
        w.hub.start()
        w.op = Operator(w.hub.address, w.hub.token())
        rc, out = jot("ota", "keygen", "--out", os.path.join(work, "keys"), "--id", "fleet-1")
        assert rc == 0, out
        with open(os.path.join(work, "keys", "trusted_key.json")) as f:
            trusted = json.load(f)
        w.publish("1.1.0", GOOD_APP)
        w.publish("1.2.0", CRASHING_APP)
        for device_id, runtime in DEVICES:
            w.add_device(device_id, runtime, trusted)
        for device_id in IDS:
            w.wait_running(device_id, "1.0.0")
        yield w
    finally:
        for dev in w.devs.values():
            dev.kill()
        w.hub.kill()
        if w.op is not None:
            w.op.close()
        shutil.rmtree(work, ignore_errors=True)


HAPPY_PATH = ("downloading", "verifying", "installing", "rebooting", "confirmed")


def transitions(out, device_id):
    """The device's `device -> state` lines, consecutive repeats (progress) folded."""
    states = [
        line.split(" -> ")[1] for line in out.splitlines() if line.startswith(device_id + " -> ")
    ]
    return [s for i, s in enumerate(states) if i == 0 or states[i - 1] != s]


def test_rollout_in_batches_installs_restarts_and_confirms(world):
    pids = {d: world.devs[d].proc.pid for d in IDS}
    rc, out = jot(
        "ota", "rollout", "1.1.0", "--devices", ",".join(IDS), "--batch", "1", *world.hub_args()
    )
    if rc != 0:
        world.dump()
    assert rc == 0, out
    assert "2 confirmed, 0 rolled_back, 0 failed" in out
    lines = [line for line in out.splitlines() if " -> " in line]
    # Batch 1 (the first device) ends before batch 2 (the second) starts.
    assert lines.index(IDS[0] + " -> confirmed") < lines.index(IDS[1] + " -> downloading")
    for device_id in IDS:
        if transitions(out, device_id) != list(HAPPY_PATH):
            world.dump()  # the device and hub logs say which status went missing
        assert transitions(out, device_id) == list(HAPPY_PATH), out
        world.wait_running(device_id, "1.1.0")
        d = world.info(device_id)
        assert d.ota_status.state == "confirmed" and d.ota_status.running_version == "1.1.0"
        assert world.devs[device_id].proc.pid == pids[device_id]  # the same supervisor
        assert world.devs[device_id].running()
        # The new version re-announced its capabilities.
        caps = world.op.ops.GetCapabilities(
            hub_pb2.DeviceRef(device_id=device_id), metadata=world.op.md
        )
        assert caps.capabilities.firmware_version == "1.1.0"
    rc, out = jot("devices", *world.hub_args())
    assert rc == 0 and out.count("1.1.0 confirmed") == 2, out
    # After confirming, each re-announced its capabilities as an update event.
    assert world.hub.output().count("capability event 'updated'") >= 2


def test_manual_rollback(world):
    for device_id in IDS:
        rc, out = jot(
            "ota", "rollback", device_id, "--reason", "operator request", *world.hub_args()
        )
        if rc != 0:
            world.dump()
        assert rc == 0, out
        assert "rolled_back: operator request" in out
    for device_id in IDS:
        world.wait_running(device_id, "1.0.0")
        assert world.info(device_id).ota_status.state == "rolled_back"


def test_update_crashing_at_start_rolls_back_with_reason(world):
    start = time.monotonic()
    rc, out = jot("ota", "rollout", "1.2.0", "--all", *world.hub_args())
    assert rc == 1, out
    assert "0 confirmed, 2 rolled_back, 0 failed" in out, out
    for device_id in IDS:
        st = world.info(device_id).ota_status
        assert st.state == "rolled_back" and st.version == "1.2.0"
        assert "boot attempts exhausted" in st.reason
        assert "RuntimeError: the new build is broken" in st.reason
        world.wait_running(device_id, "1.0.0")
    assert time.monotonic() - start < 60


def test_rollout_refusals(world):
    rc, out = jot("ota", "rollout", "9.9.9", "--all", *world.hub_args())
    assert rc == 1 and "NOT_FOUND" in out and "not published" in out, out
    rc, out = jot("ota", "rollout", "1.1.0", "--devices", "nobody", *world.hub_args())
    assert rc == 1 and "NOT_FOUND" in out and "nobody" in out, out


def test_download_resumes_after_a_hub_restart(world):
    """The hub dies mid-download; the device reconnects to the restarted hub and resumes
    from the offset on flash (never from 0), installs, restarts and confirms."""
    device_id = IDS[0]
    world.publish("1.3.0", GOOD_APP.replace("1.1.0", "1.3.0"), size=6 * 1024 * 1024)
    seen = []
    req = hub_pb2.RolloutRequest(version="1.3.0", device_ids=[device_id])
    mark = len(world.hub.output())
    for p in world.op.ops.Rollout(req, metadata=world.op.md, timeout=60):
        seen.append((p.status.state, p.status.progress_bytes))
        if p.status.state == "downloading" and p.status.progress_bytes >= 65536:
            break
        assert p.status.state == "downloading", seen  # still downloading when we cut
    cut_at = seen[-1][1]
    world.hub.kill()
    world.op.close()
    world.hub.start()
    world.op = Operator(world.hub.address, world.hub.token())
    world.wait_running(device_id, "1.3.0", timeout_s=60)

    def confirmed():
        st = world.info(device_id).ota_status
        return st.state == "confirmed" and st.version == "1.3.0"

    _wait_for(confirmed, 20, "1.3.0 confirmed", world.devs[device_id].proc)
    after = world.hub.output()[mark:].split(" listening on ", 2)[-1]
    lines = [line for line in after.splitlines() if "ota 1.3.0 downloading" in line]
    # The restarted hub never saw a download start over from 0.
    assert lines, after
    assert not any(" downloading 0/" in line for line in lines), lines
    assert cut_at > 0
