"""OTA benchmark: signature verification per scheme and a 1 MB download+verify+install,
on the MicroPython unix port and CPython, against `cryptography` (OpenSSL) as the peer.

Run: .venv/bin/python bench/bench_ota.py
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ed25519 as c_ed25519  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding, rsa  # noqa: E402

from jotunheim.device.ota import rsa_verify  # noqa: E402
from jotunheim.ota import ed25519  # noqa: E402
from tests.mp import micropython_binary  # noqa: E402
from tests.unit.ota.otahost import make_update_dir, runner_cmd, runner_env  # noqa: E402

MESSAGE = b'{"format":1,"version":"1.2.0"}' * 20  # a manifest-sized message (~600 bytes)
BUDGET_MS = 50.0
UPDATE_BUDGET_MS = 2000.0

MP_SCRIPT = """
import json, sys
from jotunheim.compat import ticks_us, ticks_diff
from jotunheim.device.ota import rsa_verify
from jotunheim.ota import ed25519
from binascii import unhexlify
p = json.loads(open(sys.argv[1]).read())
msg = unhexlify(p["msg"])
out = {}
for name in ("rsa2048", "rsa3072"):
    k = p[name]
    n = int(k["n"], 16); sig = unhexlify(k["sig"])
    t = ticks_us()
    for _ in range(p["rounds"]):
        rsa_verify.verify(n, 65537, msg, sig)
    out[name] = ticks_diff(ticks_us(), t) / 1000 / p["rounds"]
e = p["ed25519"]
pub = unhexlify(e["pub"]); sig = unhexlify(e["sig"]); k = int(e["k"], 16)
t = ticks_us()
for _ in range(p["ed_rounds"]):
    if not ed25519.verify_with_hash(pub, sig, k):
        raise SystemExit("ed25519 verify failed")
out["ed25519"] = ticks_diff(ticks_us(), t) / 1000 / p["ed_rounds"]
print(json.dumps(out))
"""


def _time_ms(fn, rounds):
    t = time.perf_counter()
    for _ in range(rounds):
        fn()
    return (time.perf_counter() - t) * 1000 / rounds


def signature_figures():
    params = {"msg": MESSAGE.hex(), "rounds": 50, "ed_rounds": 5}
    cpy, peer = {}, {}
    for bits in (2048, 3072):
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        pub = key.public_key()
        sig = key.sign(MESSAGE, padding.PKCS1v15(), hashes.SHA256())
        n = pub.public_numbers().n
        name = "rsa%d" % bits
        params[name] = {"n": "%x" % n, "sig": sig.hex()}
        cpy[name] = _time_ms(lambda n=n, sig=sig: rsa_verify.verify(n, 65537, MESSAGE, sig), 200)
        peer[name] = _time_ms(
            lambda pub=pub, sig=sig: pub.verify(sig, MESSAGE, padding.PKCS1v15(), hashes.SHA256()),
            200,
        )
    ek = c_ed25519.Ed25519PrivateKey.generate()
    epub = ek.public_key()
    raw = epub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    esig = ek.sign(MESSAGE)
    import hashlib

    k = int.from_bytes(hashlib.sha512(esig[:32] + raw + MESSAGE).digest(), "little")
    params["ed25519"] = {"pub": raw.hex(), "sig": esig.hex(), "k": "%x" % k}
    cpy["ed25519"] = _time_ms(lambda: ed25519.verify(raw, MESSAGE, esig), 20)
    peer["ed25519"] = _time_ms(lambda: epub.verify(esig, MESSAGE), 200)

    with tempfile.TemporaryDirectory() as tmp:
        ppath = Path(tmp) / "params.json"
        ppath.write_text(json.dumps(params))
        spath = Path(tmp) / "mp_sig_bench.py"
        spath.write_text(MP_SCRIPT)
        env = dict(os.environ, MICROPYPATH=".frozen:" + str(ROOT / "src"))
        proc = subprocess.run(
            [micropython_binary(), "-X", "heapsize=256k", str(spath), str(ppath)],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if proc.returncode:
            raise SystemExit("micropython signature bench failed:\n" + proc.stderr + proc.stdout)
        mpy = json.loads(proc.stdout.strip().splitlines()[-1])

    print("Signature verification, ms per verify (message %d bytes)" % len(MESSAGE))
    print(
        "  %-26s %12s %12s %14s %10s"
        % ("scheme", "MicroPython", "CPython", "OpenSSL(peer)", "MP/CPy")
    )
    for name, label in (
        ("rsa2048", "RSA-2048 PKCS#1v1.5 SHA256"),
        ("rsa3072", "RSA-3072 PKCS#1v1.5 SHA256"),
        ("ed25519", "Ed25519 (pure Python)"),
    ):
        print(
            "  %-26s %12.2f %12.3f %14.4f %9.1fx"
            % (label, mpy[name], cpy[name], peer[name], mpy[name] / cpy[name])
        )
    print("  (MicroPython's Ed25519 excludes SHA-512: its hashlib has none, so k is precomputed)")
    ok = [n for n in ("rsa2048", "rsa3072", "ed25519") if mpy[n] <= BUDGET_MS]
    print("  within the %.0f ms MicroPython budget: %s" % (BUDGET_MS, ", ".join(ok) or "none"))
    print("  chosen: rsa-pkcs1v15-sha256 (RSA-2048 default, RSA-3072 supported)")
    return mpy, cpy


def update_figures(size=1 << 20):
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        upd = make_update_dir(Path(tmp) / "update", data_size=size)
        payload = (upd / "payload.bin").stat().st_size
        for runtime in ("micropython", "cpython"):
            best = None
            for i in range(3):
                slots = Path(tmp) / ("slots-%s-%d" % (runtime, i))
                proc = subprocess.run(
                    runner_cmd(runtime, "bench", slots, upd),
                    env=runner_env(runtime),
                    cwd=str(ROOT),
                    capture_output=True,
                    text=True,
                    timeout=600,
                )
                if proc.returncode:
                    raise SystemExit("%s update bench failed:\n%s" % (runtime, proc.stderr))
                ms = int(proc.stdout.split()[-1])
                best = ms if best is None else min(best, ms)
            results[runtime] = best
    print()
    print(
        "Update of %d bytes (3 files): verify manifest signature, download in 4 KB chunks from a"
        % payload
    )
    print("local source while hashing, write slot, re-verify from flash, switch boot state")
    print("  %-12s %10s %12s" % ("runtime", "best ms", "MB/s"))
    for runtime, ms in results.items():
        print("  %-12s %10d %12.2f" % (runtime, ms, payload / 1e6 / max(ms, 1) * 1000))
    print(
        "  MicroPython/CPython: %.1fx; target <= %.0f ms on MicroPython: %s"
        % (
            results["micropython"] / max(results["cpython"], 1),
            UPDATE_BUDGET_MS,
            "met" if results["micropython"] <= UPDATE_BUDGET_MS else "MISSED",
        )
    )
    return results


if __name__ == "__main__":
    signature_figures()
    update_figures()
