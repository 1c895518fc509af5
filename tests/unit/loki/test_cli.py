"""`jotunheim loki serve` as a real subprocess, with the example tool config."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import grpc

from jotunheim._gen import loki_pb2 as pb
from jotunheim.cli.main import build_parser

from .lokihelp import LokiClient

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "loki"


def test_loki_serve_subcommand_is_registered():
    args = build_parser().parse_args(["loki", "serve", "--port", "0", "--data-dir", "d"])
    assert args.port == 0 and args.data_dir == "d" and args.tools is None and args.func


def test_loki_serve_runs_as_a_process_with_the_example_tools(tmp_path):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jotunheim",
            "loki",
            "serve",
            "--port",
            "0",
            "--data-dir",
            str(tmp_path / "data"),
            "--tools",
            str(EXAMPLES / "tools.json"),
            "--log-level",
            "WARNING",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("loki listening on 127.0.0.1:"), (line, proc.stderr.read())
        client = LokiClient(int(line.rsplit(":", 1)[1]))
        grpc.channel_ready_future(client.channel).result(timeout=10)
        assert client.call("add", a=2, b=3).output == "5"
        assert client.call("blink", pin=2, times=2, period_ms=10).output == "2"
        climate = json.loads(client.call("climate", max_c=20).output)
        assert climate["fan_on"] is True and climate["temperature_c"] == 21.5
        assert client.call("counter", name="x").output == "1"
        assert client.call("counter", name="x", step=5).output == "6"
        assert json.loads(client.call("ping").output)["ok"] is True
        names = {s.name for s in client.stub.ListScripts(pb.ListScriptsRequest()).scripts}
        assert {"add", "blink", "climate", "counter", "publish_reading", "ping"} <= names
        client.close()
        _client_commands(tmp_path, line.rsplit(" ", 1)[1].strip())
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0


def test_loki_serve_refuses_a_broken_tool_config(tmp_path):
    bad = tmp_path / "tools.json"
    bad.write_text(json.dumps({"tools": [{"name": "x", "script": "return ("}]}))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "jotunheim",
            "loki",
            "serve",
            "--port",
            "0",
            "--data-dir",
            str(tmp_path / "d"),
            "--tools",
            str(bad),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "tools[0] (x)" in proc.stderr


def test_loki_serve_reports_a_port_in_use(tmp_path):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "jotunheim",
                "loki",
                "serve",
                "--port",
                str(port),
                "--data-dir",
                str(tmp_path / "d"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 1 and "cannot bind" in proc.stderr


def _jotunheim(*args):
    return subprocess.run(
        [sys.executable, "-m", "jotunheim", "loki", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def _client_commands(tmp_path, address):
    """The client subcommands a user runs against a live server."""
    out = _jotunheim("list", "--address", address, "c*")
    assert out.returncode == 0
    assert "climate(max_c: Number?) -> Object" in out.stdout and "counter(" in out.stdout
    out = _jotunheim("call", "--address", address, "add", "a=2", "b=40")
    assert out.returncode == 0 and out.stdout.strip() == "42"
    out = _jotunheim(
        "call", "--address", address, "blink", "pin=3", "times=2", "period_ms=1", "--stream"
    )
    assert out.returncode == 0 and out.stdout.strip() == "2"
    assert out.stderr.splitlines() == ["blink\t1", "blink\t2"]
    out = _jotunheim("call", "--address", address, "add", "a=x", "b=1")
    assert out.returncode == 1 and "INVALID_ARGUMENT" in out.stderr and "'a'" in out.stderr
    script = tmp_path / "twice.lua"
    script.write_text("return params.x * 2")
    out = _jotunheim(
        "register",
        "--address",
        address,
        "twice",
        str(script),
        "--param",
        "x:Integer",
        "--returns",
        "Integer",
    )
    assert out.returncode == 0, out.stderr
    out = _jotunheim("call", "--address", address, "twice", "x=21")
    assert out.stdout.strip() == "42"
    script.write_text("return (")
    out = _jotunheim("register", "--address", address, "broken", str(script))
    assert out.returncode == 1 and "does not compile" in out.stderr
