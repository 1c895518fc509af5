"""OTA trial boots: rollback after failed boots or a confirmation timeout; manual rollback."""

import ota_fixtures as fx
import ota_testdata as td
from devtest import raises
from otadev import make, reopen, source_for

from jotunheim.device.ota.boot import select_boot_slot
from jotunheim.device.ota.bootstate import SlotError
from jotunheim.device.ota.rsa_verify import TrustedKeys
from jotunheim.device.ota.updater import UpdateError


def _installed():
    store, up, _, _ = make()
    up.apply(fx.UPDATE_110, source_for(td.payload_for("1.1.0")))
    return store


def test_version_that_never_confirms_rolls_back_after_max_boot_attempts():
    store = _installed()
    for attempt in (1, 2, 3):  # each boot "crashes" before confirm()
        boot = select_boot_slot(reopen(store)[0], 3)
        assert boot["version"] == "1.1.0" and boot["trial"] and boot["attempts"] == attempt
    s4, up4, statuses = reopen(store)
    boot = select_boot_slot(s4, 3)
    assert boot["version"] == "1.0.0" and boot["slot"] == "a" and not boot["trial"]
    st = s4.state()
    assert st["last_rollback"] == "boot attempts exhausted: 1.1.0 did not confirm within 3 boots"
    # the app reports the rollback once, with the reason, then forgets it
    up4.at_boot()
    assert statuses[-1]["state"] == "rolled_back" and statuses[-1]["version"] == "1.1.0"
    assert "boot attempts exhausted" in statuses[-1]["reason"]
    assert statuses[-1]["running_version"] == "1.0.0"
    s5, up5, statuses5 = reopen(store)
    up5.at_boot()
    assert statuses5 == []


def test_confirmation_timeout_rolls_back_with_the_reason():
    store = _installed()
    s2, up2, statuses = reopen(store, confirm_timeout_ms=5000)
    select_boot_slot(s2)
    up2.clock.now = 100
    up2.at_boot()
    assert not up2.poll(100 + 4999)
    assert up2.poll(100 + 5000)
    assert statuses[-1]["state"] == "rolled_back"
    assert statuses[-1]["reason"] == "confirmation timeout: 1.1.0 not confirmed within 5000 ms"
    assert select_boot_slot(reopen(store)[0])["version"] == "1.0.0"
    assert s2.state()["last_rollback"].startswith("confirmation timeout")


def test_confirmed_version_no_longer_counts_boots():
    store = _installed()
    s2, up2, _ = reopen(store)
    select_boot_slot(s2)
    up2.at_boot()
    up2.confirm()
    for _ in range(5):
        boot = select_boot_slot(reopen(store)[0], 3)
        assert boot["version"] == "1.1.0" and not boot["trial"]


def test_manual_rollback_during_trial_and_after_confirmation():
    store = _installed()
    s2, up2, statuses = reopen(store)
    select_boot_slot(s2)
    up2.at_boot()
    up2.rollback()
    assert statuses[-1]["state"] == "rolled_back" and statuses[-1]["reason"] == "manual rollback"
    assert select_boot_slot(reopen(store)[0])["version"] == "1.0.0"
    # after confirming, the previous version is still there for a manual rollback
    store = _installed()
    s3, up3, _ = reopen(store)
    select_boot_slot(s3)
    up3.at_boot()
    up3.confirm()
    s4, up4, st4 = reopen(store)
    select_boot_slot(s4)
    up4.at_boot()
    up4.rollback("operator asked")
    assert st4[-1]["version"] == "1.1.0" and st4[-1]["reason"] == "operator asked"
    assert select_boot_slot(reopen(store)[0])["version"] == "1.0.0"


def test_manual_rollback_without_previous_version_is_refused():
    store, up, _, _ = make()
    with raises(SlotError, "no previous version"):
        up.rollback()


def test_confirm_without_trial_is_refused():
    store, up, _, _ = make()
    with raises(UpdateError, "no trial boot"):
        up.confirm()


def test_slot_corrupted_on_flash_is_rolled_back_at_boot():
    store = _installed()
    with open(store.files_dir("b") + "/data.bin", "r+b") as f:
        f.seek(10)
        f.write(b"\x00\x01\x02")
    s2 = reopen(store)[0]
    boot = select_boot_slot(s2, 3, TrustedKeys([fx.KEY_K1]))
    assert boot["version"] == "1.0.0"
    assert "failed verification at boot" in s2.state()["last_rollback"]


def test_new_update_after_rollback_reuses_the_slot():
    store = _installed()
    s2, up2, _ = reopen(store)
    select_boot_slot(s2)
    up2.at_boot()
    up2.rollback()
    s3, up3, _ = reopen(store)
    select_boot_slot(s3)
    up3.at_boot()
    up3.apply(fx.UPDATE_120_K2, source_for(td.payload_for("1.2.0")))
    assert s3.state()["versions"]["b"] == "1.2.0" and s3.state()["active"] == "b"


def test_rollback_is_refused_mid_download():
    store, up, _, _ = make()
    up.prepare(fx.UPDATE_110)
    with raises(UpdateError, "rollback not allowed while downloading"):
        up.rollback()
    assert store.state()["active"] == "a"
