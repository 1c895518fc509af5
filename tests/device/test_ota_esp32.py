"""Esp32SlotStore over a simulated esp32.Partition: install, trial, confirm, rollback, resume."""

import ota_fixtures as fx
import ota_testdata as td
from devtest import raises, tmpdir
from fake_esp32 import FakeEsp32
from otadev import settings, source_for

from jotunheim.device.ota.boot import select_boot_slot
from jotunheim.device.ota.bootstate import SlotError
from jotunheim.device.ota.esp32_slots import Esp32SlotStore
from jotunheim.device.ota.rsa_verify import TrustedKeys
from jotunheim.device.ota.updater import Updater

IMAGE = td.image_for("1.1.0")


def _make(esp=None, d=None):
    esp = esp or FakeEsp32()
    d = d or tmpdir("esp")
    store = Esp32SlotStore(d + "/ota", td.FACTORY_VERSION, esp32_module=esp)
    statuses = []
    return esp, d, store, Updater(store, settings(), td.TARGET, on_status=statuses.append), statuses


def test_module_imports_without_esp32_and_the_store_needs_it():
    with raises(ImportError):
        Esp32SlotStore(tmpdir("noesp") + "/ota", "1.0.0")


def test_image_goes_to_the_next_partition_and_boots_on_trial_until_confirmed():
    esp, d, store, up, statuses = _make()
    up.apply(fx.ESP32_IMAGE_110, source_for(IMAGE, chunk=1500))
    assert esp.flash.boot == "ota_1" and esp.flash.running == "ota_0"
    assert bytes(esp.flash.parts["ota_1"][: len(IMAGE)]) == IMAGE
    assert esp.flash.parts["ota_1"][len(IMAGE)] == 0xFF
    esp.reset()
    _, _, s2, up2, st2 = _make(esp, d)
    boot = select_boot_slot(s2, 3, TrustedKeys([fx.KEY_K1]))
    assert boot["slot"] == "b" and boot["trial"] and boot["path"] is None
    up2.at_boot()
    up2.confirm()
    assert esp.flash.valid_marks == 1 and st2[-1]["state"] == "confirmed"
    assert s2.running_version() == "1.1.0"


def test_rollback_after_failed_boots_sets_the_old_partition():
    esp, d, store, up, _ = _make()
    up.apply(fx.ESP32_IMAGE_110, source_for(IMAGE))
    esp.reset()
    for _ in range(3):
        select_boot_slot(_make(esp, d)[2], 3)
    _, _, s, up2, statuses = _make(esp, d)
    boot = select_boot_slot(s, 3)
    assert boot["slot"] == "a" and esp.flash.boot == "ota_0"
    assert s.running_slot() == "b"  # the board's boot.py must machine.reset() now
    up2.at_boot()
    assert statuses[-1]["state"] == "rolled_back" and "boot attempts" in statuses[-1]["reason"]


def test_bootloader_rollback_is_recorded_with_its_reason():
    esp, d, store, up, _ = _make()
    up.apply(fx.ESP32_IMAGE_110, source_for(IMAGE))
    # the new image crashed before mark_app_valid: the bootloader went back to ota_0
    _, _, s, up2, statuses = _make(esp, d)
    boot = select_boot_slot(s, 3)
    assert boot["slot"] == "a" and s.state()["last_rollback"].startswith("bootloader rolled back")
    up2.at_boot()
    assert statuses[-1]["state"] == "rolled_back"


def test_multi_file_manifest_is_refused_for_partitions():
    esp, d, store, up, statuses = _make()
    with raises(SlotError, "exactly one file"):
        up.prepare(fx.UPDATE_110)
    assert esp.flash.writes == 0


def test_image_larger_than_the_partition_is_refused():
    esp, d, store, up, _ = _make(FakeEsp32(blocks=2))
    with raises(SlotError, "exceeds partition size"):
        up.prepare(fx.ESP32_IMAGE_110)


def test_restart_resumes_from_the_last_persisted_block():
    import jotunheim.device.ota.esp32_slots as es

    old = es._PROGRESS_EVERY
    es._PROGRESS_EVERY = 1
    try:
        esp, d, store, up, _ = _make()
        up.prepare(fx.ESP32_IMAGE_110)
        for off, data in source_for(IMAGE, chunk=1000, stop_at=9000)(0):
            up.write_chunk(off, data)
        _, _, s2, up2, _ = _make(esp, d)
        assert up2.prepare(fx.ESP32_IMAGE_110) == 8192
        for off, data in source_for(IMAGE, chunk=1000)(8192):
            up2.write_chunk(off, data)
        up2.install()
        assert esp.flash.boot == "ota_1"
    finally:
        es._PROGRESS_EVERY = old


def test_boot_state_disagreeing_with_the_bootloader_is_refused():
    esp, d, store, up, _ = _make()
    esp.flash.running = "ota_1"  # running ota_1 while the boot state says slot a is active
    with raises(SlotError, "next update partition is ota_0"):
        up.prepare(fx.ESP32_IMAGE_110)
    assert esp.flash.writes == 0


def test_cut_between_set_boot_and_the_state_write_boots_the_recorded_slot():
    esp, d, store, up, _ = _make()
    up.prepare(fx.ESP32_IMAGE_110)
    for off, data in source_for(IMAGE)(0):
        up.write_chunk(off, data)
    store.finish()
    store._activate("b")  # set_boot(ota_1) happened, then power was lost
    esp.reset()
    s2 = _make(esp, d)[2]
    boot = select_boot_slot(s2, 3)
    assert boot["slot"] == "a" and esp.flash.boot == "ota_0" and boot["version"] == "1.0.0"
    esp.reset()  # what boot.py does when info["slot"] != running_slot()
    assert select_boot_slot(_make(esp, d)[2], 3)["slot"] == "a" and esp.flash.running == "ota_0"
