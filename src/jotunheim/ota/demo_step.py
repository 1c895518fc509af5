"""The OTA step of `make demo` (cli/demo.py calls it): a signing key trusted by one device, then
publish -> rollout -> downloading ... confirmed, narrated with timings."""

import json
import os
import subprocess
import sys
import time

DEMO_VERSION = "1.1.0"
APP = (
    "# jotunheim_app: imported by the agent at start; self_test() decides the trial boot.\n"
    "VERSION = %r\n"
    "def self_test():\n"
    "    return True\n"
)


def _jot(*args):
    out = subprocess.run(
        [sys.executable, "-m", "jotunheim", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if out.returncode != 0:
        raise RuntimeError("jotunheim %s: %s" % (args[0], (out.stdout + out.stderr).strip()))
    return out.stdout


def trust(settings_path, work):
    """Creates the demo's OTA key (once) and adds it to this device's trusted keys."""
    keys = os.path.join(work, "ota-keys")
    if not os.path.exists(os.path.join(keys, "trusted_key.json")):
        _jot("ota", "keygen", "--out", keys, "--id", "demo-fleet")
    with open(os.path.join(keys, "trusted_key.json")) as f:
        entry = json.load(f)
    with open(settings_path) as f:
        data = json.load(f)
    data["ota_update_settings"] = {
        "enabled": True,
        "trusted_keys": [entry],
        "slot_dir": "ota-" + data["identity"]["device_id"],
        "max_boot_attempts": 3,
        "confirm_timeout_ms": 30000,
        "chunk_size": 2048,
    }
    with open(settings_path, "w") as f:
        json.dump(data, f, indent=1)


def run(n, hub, op, device_id, work):
    """Publishes DEMO_VERSION and rolls it out to device_id; raises unless it confirms."""
    from jotunheim._gen import hub_pb2

    n.step("OTA: publish a signed update, roll it out to %s, it restarts and confirms" % device_id)
    build = os.path.join(work, "ota-build")
    os.makedirs(build, exist_ok=True)
    with open(os.path.join(build, "jotunheim_app.py"), "w") as f:
        f.write(APP % DEMO_VERSION)
    with open(os.path.join(build, "assets.bin"), "wb") as f:
        f.write(os.urandom(64 * 1024))
    key = os.path.join(work, "ota-keys", "ota_signing_key.pem")
    out = _jot(
        "ota", "publish", build, "--version", DEMO_VERSION, "--target", "sim",
        "--key", key, "--data-dir", hub.data_dir,
    )  # fmt: skip
    n.say(out.strip() + " (RSA-2048 signature over the manifest)")
    n.say("jotunheim ota rollout %s --devices %s:" % (DEMO_VERSION, device_id))
    start = time.monotonic()
    last = None
    req = hub_pb2.RolloutRequest(version=DEMO_VERSION, device_ids=[device_id], timeout_ms=60000)
    for p in op.ops.Rollout(req, metadata=op.md, timeout=90):
        if p.done:
            n.say("rollout finished: %s" % p.summary)
            break
        st = p.status
        if st.state == last and st.state == "downloading":
            continue  # progress of the same state: one line is enough
        last = st.state
        detail = st.reason or (
            "%d of %d bytes" % (st.progress_bytes, st.total_bytes) if st.total_bytes else ""
        )
        n.say("  %6.0f ms  %-10s %-11s %s" % (
            (time.monotonic() - start) * 1000, p.device_id, st.state, detail))  # fmt: skip
    info = next(
        d
        for d in op.ops.ListDevices(hub_pb2.ListDevicesRequest(), metadata=op.md).devices
        if d.device_id == device_id
    )
    n.say(
        "jotunheim devices: %s version %s, update %s %s"
        % (device_id, info.firmware_version, info.ota_status.version, info.ota_status.state)
    )
    if info.ota_status.state != "confirmed" or info.firmware_version != DEMO_VERSION:
        raise RuntimeError("OTA update of %s did not confirm" % device_id)
