"""`jotunheim device run` plumbing: the MicroPython command line and the agent's argv parsing."""

import os

from jotunheim.cli import device_cmd
from jotunheim.cli.main import build_parser
from jotunheim.device.agent import DEFAULT_SETTINGS, settings_path_from_argv


def test_agent_argv_forms():
    assert settings_path_from_argv(["--settings", "a.json"]) == "a.json"
    assert settings_path_from_argv(["--settings=b.json"]) == "b.json"
    assert settings_path_from_argv(["c.json"]) == "c.json"
    assert settings_path_from_argv([]) == DEFAULT_SETTINGS


def test_device_run_parser_defaults():
    args = build_parser().parse_args(["device", "run", "--settings", "d.json"])
    assert args.runtime == "cpython"
    assert args.heap == device_cmd.DEFAULT_HEAP
    args = build_parser().parse_args(
        ["device", "run", "--settings", "d.json", "--runtime", "micropython", "--heap", "512k"]
    )
    assert (args.runtime, args.heap) == ("micropython", "512k")


def test_micropython_command_uses_precompiled_runtime_first(tmp_path):
    argv, env = device_cmd.micropython_command("/x/d.json", "320k")
    assert argv[1:] == ["-X", "heapsize=320k", "-m", "jotunheim.device.agent", "/x/d.json"]
    assert os.path.basename(argv[0]) == "micropython"
    path = env["MICROPYPATH"].split(":")
    assert path[0] == ".frozen" and path[-1] == str(device_cmd.SRC_ROOT)
    built = path[1]
    assert os.path.exists(os.path.join(built, "jotunheim", "device", "session.mpy"))
    assert os.path.exists(os.path.join(built, "jotunheim", "wire", "channel.mpy"))


def test_precompile_is_cached_by_content(tmp_path):
    import shutil

    # A copy of the sources, so an edit of the working tree during the test changes nothing.
    src = tmp_path / "src"
    shutil.copytree(device_cmd.SRC_ROOT / "jotunheim", src / "jotunheim")
    cache = tmp_path / "cache"
    first = device_cmd.precompile(src_root=src, cache_root=cache)
    mtime = os.stat(os.path.join(first, ".complete")).st_mtime
    assert device_cmd.precompile(src_root=src, cache_root=cache) == first
    assert os.stat(os.path.join(first, ".complete")).st_mtime == mtime
    (src / "jotunheim" / "device" / "session_wire.py").write_text("# changed\n", encoding="utf-8")
    assert device_cmd.precompile(src_root=src, cache_root=cache) != first


def test_missing_settings_file_is_a_clear_error(tmp_path, capsys):
    args = build_parser().parse_args(["device", "run", "--settings", str(tmp_path / "no.json")])
    assert args.func(args) == 2
    assert "does not exist" in capsys.readouterr().err


def test_bad_settings_file_is_one_line_not_a_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": 1, "identity": {"device_id": 5}}')
    args = build_parser().parse_args(["device", "run", "--settings", str(bad)])
    assert args.func(args) == 1
    out = capsys.readouterr().out
    assert "jotunheim agent: SettingsError" in out and "identity" in out


def test_too_small_a_heap_is_one_clear_line(tmp_path):
    import subprocess

    settings = os.path.join(device_cmd.SRC_ROOT.parent, "examples", "device", "device.json")
    argv, env = device_cmd.micropython_command(settings, "64k")
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "MemoryError" in proc.stdout and "KB heap is too small for the agent" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
