"""OTA device core: a good update end to end; every bad update rejected, device unchanged."""

import ota_fixtures as fx
import ota_testdata as td
from devtest import raises
from otadev import make, reopen, slot_digest, source_for

from jotunheim.device.ota import manifest as mf
from jotunheim.device.ota.boot import select_boot_slot
from jotunheim.device.ota.digest import VerifyError
from jotunheim.device.ota.rsa_verify import SignatureError, TrustedKeys, UnknownKeyError
from jotunheim.errors import DecodeError


def test_good_update_installs_boots_on_trial_and_confirms():
    store, up, statuses, _ = make()
    up.apply(fx.UPDATE_110, source_for(td.payload_for("1.1.0")))
    assert up.state == "rebooting"
    st = store.state()
    assert st["active"] == "b" and st["previous"] == "a" and not st["confirmed"]
    # next boot: the boot helper counts a trial boot and points at the new slot's files
    store2, up2, st2 = reopen(store)
    boot = select_boot_slot(store2, 3, TrustedKeys([fx.KEY_K1]))
    assert boot["slot"] == "b" and boot["version"] == "1.1.0" and boot["trial"]
    assert boot["attempts"] == 1
    with open(boot["path"] + "/main.py") as f:
        assert f.read() == "VERSION = '1.1.0'\n"
    up2.at_boot()
    assert up2.state == "trial"
    up2.confirm()
    assert store2.state()["confirmed"] and store2.running_version() == "1.1.0"
    states = [s["state"] for s in statuses] + [s["state"] for s in st2]
    for want in ("downloading", "verifying", "installing", "rebooting", "confirmed"):
        assert want in states, (want, states)
    assert st2[-1]["running_version"] == "1.1.0"
    # every status is a hub.proto OtaStatus in dict form: it round-trips through the codec
    from jotunheim._gen.device import hub as hub_d
    from jotunheim.wire import protobuf as pb

    for s in statuses + st2:
        want = dict(s)
        want.setdefault("seq", 0)  # numbered by the agent's ota_session, not the Updater
        assert pb.decode(hub_d.OtaStatus, pb.encode(hub_d.OtaStatus, s)) == want


def test_key_rotation_accepts_the_second_trusted_key():
    store, up, _, _ = make()
    up.apply(fx.UPDATE_120_K2, source_for(td.payload_for("1.2.0")))
    assert store.state()["versions"]["b"] == "1.2.0"


def _rejected(resp, exc_type, match, payload=None, **kw):
    store, up, statuses, _ = make(**kw)
    before = (store.state(), slot_digest(store, "a"))
    with raises(exc_type, match) as r:
        up.apply(resp, source_for(payload or td.payload_for("1.1.0")))
    assert (store.state(), slot_digest(store, "a")) == before
    assert up.state == "failed" and statuses[-1]["state"] == "failed"
    assert statuses[-1]["reason"] == str(r.value)
    assert select_boot_slot(store)["version"] == "1.0.0"
    return store


def test_bad_signature_is_rejected():
    _rejected(fx.BAD_SIGNATURE, SignatureError, "does not verify")


def test_unknown_key_is_rejected():
    _rejected(fx.UNKNOWN_KEY, UnknownKeyError, "unknown key 'k9'")


def test_key_removed_from_trusted_list_is_rejected():
    _rejected(fx.UPDATE_120_K2, UnknownKeyError, "'k2'", trusted_keys=[fx.KEY_K1])


def test_downgrade_is_refused_unless_the_manifest_allows_it():
    _rejected(fx.DOWNGRADE_090, mf.DowngradeError, "0.9.0 is not newer than running 1.0.0")
    store, up, _, _ = make()
    up.apply(fx.DOWNGRADE_090_ALLOWED, source_for(td.payload_for("0.9.0")))
    assert store.state()["versions"]["b"] == "0.9.0"


def test_min_version_is_enforced():
    _rejected(fx.MIN_VERSION_200, mf.ManifestError, "needs at least 2.0.0")


def test_oversized_manifest_is_rejected_before_parsing():
    resp = dict(fx.UPDATE_110)
    resp["manifest"] = b"{" + b" " * 9000 + b"}"
    _rejected(resp, mf.ManifestError, "exceeds the limit of 8192")


def test_tampered_payload_is_rejected():
    payload = bytearray(td.payload_for("1.1.0"))
    payload[3000] ^= 1
    _rejected(fx.UPDATE_110, VerifyError, "files[0] (data.bin): sha256", bytes(payload))


def test_tampered_manifest_fails_the_signature():
    resp = dict(fx.UPDATE_110)
    resp["manifest"] = resp["manifest"].replace(b'"1.1.0"', b'"1.1.1"')
    _rejected(resp, SignatureError, "does not verify")


def test_truncated_download_is_rejected():
    store, up, statuses, _ = make()
    with raises(VerifyError, "truncated at 3072 of"):
        up.apply(fx.UPDATE_110, source_for(td.payload_for("1.1.0"), stop_at=3072))
    assert store.state()["active"] == "a" and statuses[-1]["state"] == "failed"


def test_oversized_payload_is_rejected():
    _rejected(
        fx.UPDATE_110, VerifyError, "exceed the manifest size", td.payload_for("1.1.0") + b"x"
    )


def test_chunk_at_wrong_offset_is_rejected():
    store, up, _, _ = make()
    up.prepare(fx.UPDATE_110)
    with raises(VerifyError, "offset 10, expected 0"):
        up.write_chunk(10, b"abc")
    assert store.state()["active"] == "a"


def test_wrong_target_is_rejected():
    store, up, _, _ = make()
    up.target = "esp32"
    with raises(mf.ManifestError, "update is for 'sim'"):
        up.prepare(fx.UPDATE_110)


def test_update_refused_while_a_trial_is_running():
    store, up, _, _ = make()
    up.apply(fx.UPDATE_110, source_for(td.payload_for("1.1.0")))
    store2, up2, _ = reopen(store)
    select_boot_slot(store2)
    up2.at_boot()
    with raises(DecodeError, "still on trial"):
        up2.prepare(fx.UPDATE_120_K2)


def test_flash_write_failure_fails_the_update_without_retrying():
    store, up, statuses, _ = make()
    calls = []

    def broken_write(data):
        calls.append(len(data))
        raise OSError(28, "no space left")

    store.write = broken_write
    with raises(DecodeError, "flash write failed"):
        up.apply(fx.UPDATE_110, source_for(td.payload_for("1.1.0")))
    assert len(calls) == 1 and statuses[-1]["state"] == "failed"
    assert store.state()["active"] == "a"


def test_updater_runs_from_validated_device_settings():
    from settingsdev import minimal

    from jotunheim.device.settings import Settings

    raw = minimal()
    raw["ota_update_settings"] = {"trusted_keys": [fx.KEY_K1, fx.KEY_K2], "chunk_size": 2048}
    ota = Settings(raw)["ota_update_settings"]
    assert ota["max_boot_attempts"] == 3 and ota["allow_downgrade"] is False
    store, up, _, _ = make()
    up.settings = ota
    up.apply(fx.UPDATE_120_K2, source_for(td.payload_for("1.2.0"), chunk=ota["chunk_size"]))
    assert store.state()["versions"]["b"] == "1.2.0"
