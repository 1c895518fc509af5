"""Power cuts: a device process applying an update is SIGKILLed at seeded random durable steps
of download, install and confirmation; each next boot must find a verified version."""

import hashlib
import json
import random

import pytest

from tests.unit.ota.otahost import make_update_dir, run_runner, run_until_cut

RUNTIMES = ("cpython", "micropython")


@pytest.fixture(scope="module")
def update_dir(tmp_path_factory):
    return make_update_dir(tmp_path_factory.mktemp("ota-update"))


def _check_booted_slot(slot_dir, update_dir, out):
    """The runner re-verified the slot with the trusted key; re-check it here with hashlib."""
    _, version, slot = out.split()
    assert version in ("1.0.0", "1.1.0"), out
    if version == "1.1.0":
        manifest = json.loads((update_dir / "manifest.json").read_text())
        for f in manifest["files"]:
            data = (slot_dir / slot / "files" / f["name"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == f["sha256"], f["name"]
    return version


def _episodes(runtime, update_dir, tmp_path, seed, cuts_wanted):
    """Run episodes of 1-3 cuts each until cuts_wanted cuts happened; returns the labels."""
    rng = random.Random(seed)
    steps = int(run_runner(runtime, "count", tmp_path / "count", update_dir).split()[-1])
    labels = []
    episode = 0
    while len(labels) < cuts_wanted:
        episode += 1
        slot_dir = tmp_path / ("ep%d" % episode)
        for _ in range(rng.randint(1, 3)):
            # Half the cuts land anywhere, half in the last steps (verify, switch, trial boot,
            # confirm), which are few but the ones that decide what boots.
            low = 1 if rng.random() < 0.5 else max(1, steps - 10)
            label = run_until_cut(runtime, slot_dir, update_dir, rng.randint(low, steps))
            if label is None:
                break  # the cut point lay past the end: the update completed
            labels.append(label)
            _check_booted_slot(
                slot_dir, update_dir, run_runner(runtime, "boot", slot_dir, update_dir)
            )
        # power stays on now: the update must complete and the device boots it
        assert run_runner(runtime, "apply", slot_dir, update_dir).split()[-1] == "1.1.0"
        out = run_runner(runtime, "boot", slot_dir, update_dir)
        assert _check_booted_slot(slot_dir, update_dir, out) == "1.1.0"
    return labels


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_power_cuts_always_leave_a_verified_bootable_version(runtime, update_dir, tmp_path):
    labels = _episodes(runtime, update_dir, tmp_path, seed=7, cuts_wanted=12)
    # the seeded cuts hit the download, the boot-state writes and the confirmation
    assert "chunk" in labels and any(label.startswith("state") for label in labels), labels


@pytest.mark.stress
@pytest.mark.parametrize("runtime", RUNTIMES)
def test_power_cut_stress_200(runtime, update_dir, tmp_path):
    labels = _episodes(runtime, update_dir, tmp_path, seed=2026, cuts_wanted=100)
    assert len(labels) >= 100
