"""`jotunheim device build`: the precompiled tree and the ROMFS image a board runs, and the
precompile cache's pruning."""

import os
import subprocess
import time

from jotunheim.cli import device_cmd
from jotunheim.cli.main import build_parser
from jotunheim.cli.romfs import romfs_image
from tests.mp import micropython_binary

# Mounts the image as a board mounts its ROMFS partition, imports from it, and shows where
# the module came from.
MOUNT_AND_IMPORT = """
import sys, vfs
with open(sys.argv[1], "rb") as f:
    vfs.mount(vfs.VfsRom(f.read()), "/rom")
sys.path.insert(0, "/rom")
from jotunheim.device.session_connect import hmac_sha256
print("FROM", sys.modules["jotunheim.device.session_connect"].__file__)
print("MAC", hmac_sha256(b"key", b"The quick brown fox jumps over the lazy dog").hex())
"""


def test_build_writes_the_mpy_tree_main_py_and_a_romfs_image(tmp_path, capsys):
    out, image = tmp_path / "board", tmp_path / "jotunheim.romfs"
    args = build_parser().parse_args(["device", "build", "--out", str(out), "--romfs", str(image)])
    assert args.func(args) == 0
    assert (out / "jotunheim" / "device" / "agent.mpy").exists()
    assert (out / "jotunheim" / "wire" / "channel.mpy").exists()
    assert not list(out.rglob("*.py"))[1:]  # only main.py is source
    assert "from jotunheim.device.agent import run" in (out / "main.py").read_text()
    printed = capsys.readouterr().out
    assert "mpremote cp -r" in printed and "romfs deploy" in printed

    script = tmp_path / "mount.py"
    script.write_text(MOUNT_AND_IMPORT)
    env = dict(os.environ, MICROPYPATH=".frozen")  # no source tree: only the image
    proc = subprocess.run(
        [micropython_binary(), "-X", "heapsize=1m", str(script), str(image)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "FROM /rom/jotunheim/device/session_connect.mpy" in proc.stdout
    # HMAC-SHA256 of this key and message, as Wikipedia's HMAC article gives it
    assert "MAC f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8" in proc.stdout


def test_romfs_image_layout(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.mpy").write_bytes(b"M\x06")
    (tmp_path / "pkg" / "skip.py").write_text("x = 1\n")
    (tmp_path / "empty").mkdir()
    image = romfs_image(str(tmp_path))
    assert image.startswith(b"\xd2\xcd\x31") and len(image) % 2 == 0
    assert b"a.mpy" in image and b"skip.py" not in image and b"empty" not in image


def _stale_builds(cache):
    """PRUNE_KEEP + 2 finished builds past PRUNE_AGE_S, stale0 the oldest."""
    old = time.time() - device_cmd.PRUNE_AGE_S - 60
    for i in range(device_cmd.PRUNE_KEEP + 2):
        build = cache / ("stale%d" % i)
        build.mkdir()
        (build / ".complete").write_text("ok\n")
        os.utime(build / ".complete", (old + i, old + i))


def test_precompile_cache_prunes_old_builds_only(tmp_path, monkeypatch):
    _stale_builds(tmp_path)
    young = tmp_path / "young"
    young.mkdir()
    (young / ".complete").write_text("ok\n")
    unfinished = tmp_path / "build-x"
    unfinished.mkdir()
    built = device_cmd.precompile(cache_root=tmp_path)
    left = sorted(os.listdir(tmp_path))
    # the new build, the young one, the unfinished one and the newest stale ones stay
    kept_stale = ["stale%d" % i for i in range(6)][-(device_cmd.PRUNE_KEEP - 2) :]
    assert os.path.basename(built) in left and "young" in left and "build-x" in left
    assert [n for n in left if n.startswith("stale")] == kept_stale


def test_a_build_a_running_device_holds_is_not_pruned(tmp_path):
    # A device started from a build (its ROMFS image or .mpy tree) mounts or imports it again
    # at every OTA reboot: while `device run` holds it, pruning leaves it, even when old.
    import subprocess
    import sys

    _stale_builds(tmp_path)
    held = device_cmd.hold_build(tmp_path / "stale0")  # the oldest: first to go otherwise
    assert held is not None
    # another process prunes (as another run's precompile would)
    prune = "from pathlib import Path; from jotunheim.cli import device_cmd as d; "
    prune += "d._prune(Path(%r), keep=None)" % str(tmp_path)
    subprocess.run([sys.executable, "-c", prune], check=True)
    assert (tmp_path / "stale0").exists() and not (tmp_path / "stale1").exists()
    held.close()  # the device ended: the lock goes with it
    subprocess.run([sys.executable, "-c", prune], check=True)
    assert not (tmp_path / "stale0").exists()


def test_a_bad_heap_is_refused_in_every_code_mode(tmp_path, capsys):
    from jotunheim.cli.main import build_parser

    (tmp_path / "d.json").write_text("{}")
    base = ["device", "run", "--settings", str(tmp_path / "d.json"), "--runtime", "micropython"]
    for extra in ([], ["--no-romfs"], ["--no-precompile"]):
        args = build_parser().parse_args(base + extra + ["--heap", "12x"])
        assert args.func(args) == 2
        assert "expected a size like 320k" in capsys.readouterr().err


def test_the_default_cache_is_private_and_a_shared_one_is_refused(tmp_path, monkeypatch):
    # The cache holds code `device run` executes: another local user must not be able to
    # plant a build in it first.
    import stat

    import pytest

    monkeypatch.setattr(device_cmd.tempfile, "gettempdir", lambda: str(tmp_path))
    root = device_cmd._private_cache_root()
    assert root == str(tmp_path / ("jotunheim-mpy-%d" % os.getuid()))
    assert stat.S_IMODE(os.stat(root).st_mode) == 0o700
    os.chmod(root, 0o777)  # writable by anyone: as if another user had made it
    with pytest.raises(SystemExit, match="not this user's private directory"):
        device_cmd._private_cache_root()
