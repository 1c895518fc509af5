"""Host helpers for OTA tests: signed update directories and device-runner processes."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from jotunheim.ota.signing import build_update, keygen, load_private_key, sign
from tests.mp import micropython_binary

ROOT = Path(__file__).resolve().parents[3]
DEVICE = ROOT / "tests" / "device"
RUNNER = DEVICE / "ota_runner.py"
sys.path.insert(0, str(DEVICE))

import ota_testdata as td  # noqa: E402


def make_update_dir(out: Path, version="1.1.0", data_size=20000, key_dir=None):
    """A runner UPDATE_DIR: manifest, signature, payload and trusted keys for `version`."""
    out.mkdir(parents=True, exist_ok=True)
    key_dir = key_dir or out / "key"
    if not (key_dir / "ota_signing_key.pem").exists():
        keygen(key_dir, "k1")
    key, key_id = load_private_key(key_dir / "ota_signing_key.pem")
    src = out / "src"
    src.mkdir(exist_ok=True)
    for name, data in td.files_for(version, data_size):
        (src / name).write_bytes(data)
    manifest, paths = build_update(src, version, "1.0.0", td.TARGET)
    (out / "manifest.json").write_bytes(manifest)
    sig = {
        "key_id": key_id,
        "scheme": "rsa-pkcs1v15-sha256",
        "signature": sign(key, manifest).hex(),
    }
    (out / "signature.json").write_text(json.dumps(sig))
    (out / "payload.bin").write_bytes(b"".join(p.read_bytes() for p in paths))
    entry = json.loads((key_dir / "trusted_key.json").read_text())
    (out / "trusted.json").write_text(json.dumps([entry]))
    return out


def runner_cmd(runtime, *args):
    if runtime == "micropython":
        return [micropython_binary(), "-X", "heapsize=256k", str(RUNNER)] + [str(a) for a in args]
    return [sys.executable, str(RUNNER)] + [str(a) for a in args]


def runner_env(runtime, mpy_dir=None):
    env = dict(os.environ)
    if runtime == "micropython":
        first = [str(mpy_dir)] if mpy_dir else []
        env["MICROPYPATH"] = ":".join(first + [".frozen", str(ROOT / "src"), str(DEVICE)])
    else:
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(DEVICE)])
    return env


def run_runner(runtime, *args, timeout=60):
    """Run the runner to completion; returns stdout (raises on a non-zero exit)."""
    proc = subprocess.run(
        runner_cmd(runtime, *args),
        env=runner_env(runtime),
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode:
        raise AssertionError("runner %s failed:\n%s\n%s" % (args, proc.stdout, proc.stderr))
    return proc.stdout


def run_until_cut(runtime, slot_dir, update_dir, cut, timeout=60):
    """Run `apply` with a cut and SIGKILL it there; returns the cut label, None if it finished."""
    proc = subprocess.Popen(
        runner_cmd(runtime, "apply", slot_dir, update_dir, cut),
        env=runner_env(runtime),
        cwd=str(ROOT),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for line in proc.stdout:
            if line.startswith("CUT "):
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout)
                return line.split()[1]
            if line.startswith("DONE "):
                break
        proc.wait(timeout)
        if proc.returncode:
            raise AssertionError("runner failed: %s" % proc.stderr.read())
        return None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def compile_ota_runtime(out_dir=None):
    """The device runtime (wire stack and device/ota included) precompiled to .mpy.

    A .mpy import needs no compile step, so the 256 KB heap is left to the channel and the
    update instead of the compiler's garbage (docs/micropython-notes.md).
    """
    from tests.interop.mpbuild import compile_device_runtime

    return compile_device_runtime()
