"""`jotunheim device run --runtime micropython --romfs`: the command line and environment, the
heap it asks for, the cached image, and the clear errors for a missing or malformed image."""

import os
import re
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jotunheim.cli import device_cmd
from jotunheim.cli.main import build_parser
from jotunheim.cli.romfs import MAGIC, RomfsError, image_files, romfs_image
from tests.mp import micropython_binary

KB = 1024


@pytest.fixture(scope="module")
def build_copy(tmp_path_factory):
    """(sources, cache, build): a precompile build of a copy of the sources (an edit of the
    working tree during the tests changes nothing) in a cache of its own."""
    root = tmp_path_factory.mktemp("romfs")
    src, cache = root / "src", root / "cache"
    shutil.copytree(device_cmd.SRC_ROOT / "jotunheim", src / "jotunheim")
    return src, cache, device_cmd.precompile(src_root=src, cache_root=cache)


def _run(argv):
    args = build_parser().parse_args(argv)
    return args.func(args)


def test_romfs_command_keeps_paths_out_of_argv(build_copy):
    image = device_cmd.romfs_image_file(build_copy[2])
    long_path = "/" + "long-directory-name/" * 15 + "device.json"  # 300 bytes: too long for argv
    argv, env = device_cmd.micropython_romfs_command(long_path, "192k", image)
    size = os.path.getsize(image)
    heap = device_cmd.romfs_heapsize("192k", size)
    assert argv[1:] == ["-X", "heapsize=%d" % heap, str(device_cmd.ROMFS_BOOT)]
    assert all(len(a.encode()) <= device_cmd.MAX_ARG_BYTES for a in argv)
    assert env["JOTUNHEIM_SETTINGS"] == long_path
    assert env["JOTUNHEIM_ROMFS"] == os.path.abspath(image)
    # only the frozen modules and (appended by the launcher) /rom: no .mpy tree, no sources
    assert env["MICROPYPATH"] == ".frozen"


def test_romfs_heapsize_adds_the_image_blocks_the_mount_and_the_gc_tables():
    assert device_cmd.heap_bytes("192k") == 192 * KB
    assert device_cmd.heap_bytes("1M") == KB * KB
    assert device_cmd.heap_bytes("262144") == 262144
    extra = device_cmd.romfs_heapsize("192k", 200_001) - 192 * KB
    blocks = 200_032 + device_cmd.ROMFS_MOUNT_BYTES  # the image rounded up to 32-byte blocks
    assert extra == blocks + -(-blocks * 3 // 256)  # + 3 bits of GC tables per block
    for bad in ("", "k", "12q", "-5k", "0", "1.5m"):
        try:
            device_cmd.heap_bytes(bad)
        except ValueError as exc:
            assert "expected a size like 320k" in str(exc)
        else:
            raise AssertionError("accepted heap %r" % bad)


def test_the_image_is_cached_beside_the_mpy_tree_and_built_once(build_copy):
    src, cache, built = build_copy
    image = device_cmd.romfs_image_file(built)
    assert os.path.dirname(image) == built
    mtime = os.stat(image).st_mtime_ns
    assert device_cmd.romfs_image_file(built) == image
    assert os.stat(image).st_mtime_ns == mtime  # not rewritten
    # the same sources: the same build, the same image
    assert device_cmd.precompile(src_root=src, cache_root=cache) == built
    assert os.stat(image).st_mtime_ns == mtime
    files = image_files(open(image, "rb").read())
    assert "jotunheim/device/agent.mpy" in files and "jotunheim/wire/channel.mpy" in files
    assert not [f for f in files if not f.endswith(".mpy")]
    assert not [f for f in os.listdir(built) if f.endswith(".tmp")]


def test_image_files_lists_nested_paths(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "m.mpy").write_bytes(b"M\x06" + bytes(300))  # a 2-byte length
    (tmp_path / "top.mpy").write_bytes(b"M\x06")
    assert sorted(image_files(romfs_image(str(tmp_path)))) == ["a/b/m.mpy", "top.mpy"]


def test_malformed_images_raise_romfs_error():
    good = romfs_image_of({"x.mpy": b"M\x06"})
    cases = {
        b"garbage": "not a ROMFS image",
        good[:-1]: "truncated",
        MAGIC + b"\x80": "truncated number",
        MAGIC + b"\x04\x05\x09\x01a": "runs past",  # a file record longer than the image
    }
    for data, words in cases.items():
        try:
            image_files(data)
        except RomfsError as exc:
            assert words in str(exc), (data, exc)
        else:
            raise AssertionError("accepted %r" % data)


def romfs_image_of(files):
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        for name, data in files.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        return romfs_image(d)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_any_bytes_after_the_magic_list_files_or_raise_romfs_error(tail):
    try:
        files = image_files(MAGIC + tail)
    except RomfsError:
        return
    assert all(isinstance(f, str) for f in files)


def test_missing_image_is_a_clear_error(tmp_path, capsys):
    settings_file = tmp_path / "d.json"
    settings_file.write_text("{}")
    rc = _run(["device", "run", "--settings", str(settings_file), "--runtime", "micropython",
               "--romfs", str(tmp_path / "nope.romfs")])  # fmt: skip
    assert rc == 2
    err = capsys.readouterr().err
    assert "ROMFS image" in err and "nope.romfs" in err and "No such file" in err


def test_bad_image_and_image_without_agent_are_clear_errors(tmp_path, capsys):
    settings_file = tmp_path / "d.json"
    settings_file.write_text("{}")
    bad = tmp_path / "bad.romfs"
    bad.write_bytes(b"this is not an image")
    empty = tmp_path / "empty.romfs"
    empty.write_bytes(romfs_image_of({"other.mpy": b"M\x06"}))
    base = ["device", "run", "--settings", str(settings_file), "--runtime", "micropython"]
    assert _run(base + ["--romfs", str(bad)]) == 2
    assert "not a ROMFS image" in capsys.readouterr().err
    assert _run(base + ["--romfs", str(empty)]) == 2
    assert "without jotunheim/device/agent.mpy" in capsys.readouterr().err


def test_romfs_needs_micropython_and_precompiled_code(tmp_path, capsys):
    settings_file = tmp_path / "d.json"
    settings_file.write_text("{}")
    base = ["device", "run", "--settings", str(settings_file)]
    assert _run(base + ["--romfs"]) == 2
    assert "--romfs needs --runtime micropython" in capsys.readouterr().err
    assert _run(base + ["--runtime", "micropython", "--romfs", "--no-precompile"]) == 2
    assert "no --no-precompile" in capsys.readouterr().err
    assert _run(base + ["--runtime", "micropython", "--romfs", "--heap", "lots"]) == 2
    assert "expected a size like 320k" in capsys.readouterr().err


def _free_kb(out):
    got = re.search(r"mounted at /rom; (\d+) KB of heap free for the runtime", out)
    assert got, out
    return int(got.group(1))


def test_launcher_leaves_the_runtime_the_heap_asked_for(tmp_path, build_copy):
    """gc.mem_free() when the agent starts (the image mounted) is a plain interpreter's at
    --heap: the image, the mount and the launcher are paid for on top."""
    image = device_cmd.romfs_image_file(build_copy[2])
    for heap in ("160k", "320k"):
        argv, env = device_cmd.micropython_romfs_command(str(tmp_path / "none.json"), heap, image)
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 1, proc.stdout + proc.stderr  # the settings file is missing
        assert "mounted at /rom" in proc.stdout
        assert "cannot read settings file" in proc.stdout and "Traceback" not in proc.stdout
        free = _free_kb(proc.stdout)
        plain = subprocess.run(
            [micropython_binary(), "-X", "heapsize=" + heap, "-c",
             "import gc; gc.collect(); print(gc.mem_free() // 1024)"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert abs(free - int(plain.stdout)) <= 1, (heap, free, plain.stdout)


def test_launcher_reports_an_agent_it_cannot_import_in_one_line(tmp_path):
    """An image that names the agent but holds .mpy code this MicroPython cannot load (another
    .mpy version, a damaged file) passes the host's check: the launcher says what failed."""
    (tmp_path / "tree" / "jotunheim" / "device").mkdir(parents=True)
    (tmp_path / "tree" / "jotunheim" / "device" / "agent.mpy").write_bytes(b"M\x05\x00\x1f")
    image = tmp_path / "other.romfs"
    image.write_bytes(romfs_image(str(tmp_path / "tree")))
    argv, env = device_cmd.micropython_romfs_command("/x.json", "64k", str(image))
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == (
        "romfs: cannot import the agent from %s: ValueError: incompatible .mpy file" % image
    )


def test_launcher_reports_an_unmountable_image_in_one_line(tmp_path):
    """The launcher's own checks, for an image that changed after the host looked at it."""
    bad = tmp_path / "bad.romfs"
    bad.write_bytes(b"\xd2\xcd\x31 but not really")
    env = dict(os.environ, MICROPYPATH=".frozen", JOTUNHEIM_SETTINGS="/x.json")
    for image, why in ((bad, "not a ROMFS image"), (tmp_path / "gone", "no such file")):
        env["JOTUNHEIM_ROMFS"] = str(image)
        proc = subprocess.run(
            [micropython_binary(), "-X", "heapsize=64k", str(device_cmd.ROMFS_BOOT)],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert proc.returncode == 2
        assert proc.stdout.strip() == "romfs: cannot mount %s: %s" % (image, why)


def test_an_argument_the_unix_port_cannot_take_is_refused(tmp_path, capsys):
    deep = tmp_path
    while len(str(deep)) < 260:
        deep = deep / "a-rather-long-directory-name"
    deep.mkdir(parents=True)
    settings_file = deep / "d.json"
    settings_file.write_text("{}")
    base = ["device", "run", "--settings", str(settings_file), "--runtime", "micropython"]
    assert _run(base + ["--no-romfs"]) == 2
    assert "cannot take an argument or a MICROPYPATH entry over 255 bytes" in (
        capsys.readouterr().err
    )


def test_micropython_runs_from_romfs_unless_told_otherwise(tmp_path, monkeypatch, capsys):
    """The default places the code in a ROMFS image (paths in the environment, so a deep
    settings path is fine); --no-romfs and --no-precompile load code into the heap."""
    from jotunheim.ota import supervisor

    started = []
    monkeypatch.setattr(supervisor, "supervise", lambda argv, env: started.append(env) or 0)
    settings_file = tmp_path / "/".join(["a-deep-directory"] * 16) / "d.json"  # > 255 bytes
    settings_file.parent.mkdir(parents=True)
    settings_file.write_text("{}")
    base = ["device", "run", "--settings", str(settings_file), "--runtime", "micropython"]
    assert _run(base + ["--heap", "128k"]) == 0
    assert started[-1]["JOTUNHEIM_SETTINGS"] == str(settings_file)
    assert (
        started[-1]["MICROPYPATH"] == ".frozen"
    )  # nothing but the image (mounted by the launcher)
    short = tmp_path / "d.json"
    short.write_text("{}")
    base[3] = str(short)
    for flag in ("--no-romfs", "--no-precompile"):
        assert _run(base + [flag]) == 0
        assert "JOTUNHEIM_ROMFS" not in started[-1] and started[-1]["MICROPYPATH"] != ".frozen"
    assert _run(base + ["--romfs", "--no-romfs"]) == 2
    assert "--romfs and --no-romfs exclude each other" in capsys.readouterr().err
    assert _run(base[:4] + ["--no-romfs"]) == 2
    assert "--no-romfs needs --runtime micropython" in capsys.readouterr().err


def test_a_micropypath_entry_the_unix_port_cannot_take_is_refused(tmp_path, capsys, monkeypatch):
    # --no-precompile puts the source tree on MICROPYPATH: a deep checkout would kill the
    # unix port at start ("FATAL: uncaught NLR") without this check.
    settings_file = tmp_path / "d.json"
    settings_file.write_text("{}")
    monkeypatch.setattr(device_cmd, "SRC_ROOT", tmp_path / ("x" * 250) / "src")
    argv = ["device", "run", "--settings", str(settings_file), "--runtime", "micropython"]
    assert _run(argv + ["--no-precompile"]) == 2
    assert "MICROPYPATH entry over 255 bytes" in capsys.readouterr().err


def test_a_hostile_number_or_a_file_without_end_is_a_prompt_romfs_error(tmp_path, capsys):
    # A run of high-bit bytes made the reader shift a growing integer for seconds (and then
    # fail on printing it); a device file would be read without end.
    for data in (MAGIC + b"\xff" * 10**6, MAGIC + b"\xff" * 3000 + b"\x00"):
        try:
            image_files(data)
        except RomfsError as exc:
            assert "a number over 5 bytes" in str(exc)
        else:
            raise AssertionError("accepted a hostile number")
    (tmp_path / "d.json").write_text("{}")
    assert _run(["device", "run", "--settings", str(tmp_path / "d.json"),
                 "--runtime", "micropython", "--romfs", "/dev/zero"]) == 2  # fmt: skip
    assert "not a regular file" in capsys.readouterr().err


def test_a_device_build_tree_in_the_current_directory_does_not_shadow_the_image(
    tmp_path, build_copy, monkeypatch
):
    """The launcher keeps the host's current directory off sys.path: a `jotunheim/` there (a
    `device build --out .`) would be imported instead of the image's runtime."""
    _, _, built = build_copy
    fake = tmp_path / "jotunheim"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError('the runtime came from the cwd')\n")
    image = device_cmd.romfs_image_file(built)
    argv, env = device_cmd.micropython_romfs_command("/no/such/settings.json", "288k", image)
    proc = subprocess.run(
        argv, env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=60
    )
    out = proc.stdout + proc.stderr
    assert "mounted at /rom" in out and "came from the cwd" not in out, out
    assert "jotunheim agent:" in out  # the image's agent ran (and found no settings file)
