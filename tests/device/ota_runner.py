"""A device-side OTA process for power-cut tests and the benchmark (CPython and MicroPython).

Usage: ota_runner.py MODE SLOT_DIR UPDATE_DIR [CUT]
  apply  boot, finish a trial (confirm), else apply the update in UPDATE_DIR, "reboot", confirm.
         With CUT = n > 0: at the n-th durable step print "CUT <label>" and wait to be killed.
  boot   a fresh boot: select_boot_slot with full re-verification; prints "BOOT <version> <slot>".
  count  like apply, printing "STEPS <n>" (the number of durable steps) at the end.
  bench  apply without trial/confirm and print "BENCH <ms>".
UPDATE_DIR holds manifest.json, signature.json ({key_id, scheme, signature hex}),
payload.bin and trusted.json (a list of trusted-key entries).
"""

import json
import sys
import time

from jotunheim.compat import ticks_diff, ticks_ms
from jotunheim.device.ota.boot import select_boot_slot
from jotunheim.device.ota.rsa_verify import TrustedKeys
from jotunheim.device.ota.slots import FileSlotStore
from jotunheim.device.ota.updater import Updater

FACTORY = "1.0.0"
TARGET = "sim"
CHUNK = 1024


class Steps:
    def __init__(self, cut):
        self.cut = cut
        self.n = 0

    def __call__(self, label):
        self.n += 1
        if self.n == self.cut:
            print("CUT %s" % label)
            # The parent sends SIGKILL now; nothing after this line runs.
            while True:
                time.sleep(1)


def _read(path, mode="rb"):
    with open(path, mode) as f:
        return f.read()


def _response(update_dir):
    from binascii import unhexlify

    sig = json.loads(_read(update_dir + "/signature.json", "r"))
    return {
        "available": True,
        "manifest": _read(update_dir + "/manifest.json"),
        "signature": unhexlify(sig["signature"]),
        "key_id": sig["key_id"],
        "scheme": sig["scheme"],
    }


def _source(update_dir, chunk=CHUNK):
    buf = bytearray(chunk)

    def source(offset):
        with open(update_dir + "/payload.bin", "rb") as f:
            f.seek(offset)
            while True:
                n = f.readinto(buf)
                if not n:
                    return
                yield offset, memoryview(buf)[:n]
                offset += n

    return source


def _settings(update_dir):
    keys = json.loads(_read(update_dir + "/trusted.json", "r"))
    return {"trusted_keys": keys, "max_boot_attempts": 3, "confirm_timeout_ms": 60000}


def _boot_and_confirm(slot_dir, settings, steps):
    store = FileSlotStore(slot_dir, FACTORY, steps)
    select_boot_slot(store, settings["max_boot_attempts"])
    up = Updater(store, settings, TARGET)
    up.at_boot()
    if up.state == "trial":
        up.confirm()  # the self-test of this fake app always passes
    return store, up


def apply(slot_dir, update_dir, steps):
    settings = _settings(update_dir)
    store, up = _boot_and_confirm(slot_dir, settings, steps)
    resp = _response(update_dir)
    want = json.loads(resp["manifest"])["version"]
    if store.running_version() != want:
        up.apply(resp, _source(update_dir))
        _boot_and_confirm(slot_dir, settings, steps)  # the reboot into the new version
    print("DONE %s" % FileSlotStore(slot_dir, FACTORY).running_version())


def boot(slot_dir, update_dir):
    settings = _settings(update_dir)
    store = FileSlotStore(slot_dir, FACTORY)
    info = select_boot_slot(store, 3, TrustedKeys(settings["trusted_keys"]))
    print("BOOT %s %s" % (info["version"], info["slot"]))


def bench(slot_dir, update_dir):
    settings = _settings(update_dir)
    store = FileSlotStore(slot_dir, FACTORY)
    up = Updater(store, settings, TARGET)
    t0 = ticks_ms()
    up.apply(_response(update_dir), _source(update_dir, 4096))
    print("BENCH %d" % ticks_diff(ticks_ms(), t0))


def main(argv):
    mode, slot_dir, update_dir = argv[0], argv[1], argv[2]
    cut = int(argv[3]) if len(argv) > 3 else 0
    if mode == "apply":
        apply(slot_dir, update_dir, Steps(cut) if cut else None)
    elif mode == "count":
        steps = Steps(0)
        apply(slot_dir, update_dir, steps)
        print("STEPS %d" % steps.n)
    elif mode == "boot":
        boot(slot_dir, update_dir)
    elif mode == "bench":
        bench(slot_dir, update_dir)
    else:
        print("unknown mode %r" % mode)
        sys.exit(2)


main(sys.argv[1:])
