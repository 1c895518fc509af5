"""Fixtures for Loki tests: real Loki servers on port 0 and a real Mosquitto broker."""

import subprocess

import pytest

from jotunheim.loki.server import LokiServer
from jotunheim.loki.settings import Limits, LokiSettings

from .lokihelp import Running, free_port, wait_port

MOSQUITTO = "/usr/sbin/mosquitto"


@pytest.fixture(scope="session")
def mosquitto(tmp_path_factory):
    """A real Mosquitto broker on a free port, configured for anonymous local clients."""
    port = free_port()
    conf = tmp_path_factory.mktemp("mosquitto") / "mosquitto.conf"
    conf.write_text(
        "listener %d 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\n" % port
    )
    proc = subprocess.Popen(
        [MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_port(port)
        yield ("127.0.0.1", port)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def start_loki(tmp_path):
    """Factory: start_loki(data_dir=None, tools=None, **settings) -> Running (stopped after)."""
    running = []

    def start(data_dir=None, tools=None, limits=None, **overrides):
        settings = LokiSettings(
            data_dir=str(data_dir or tmp_path / "data"),
            port=0,
            tools_path=tools,
            limits=limits or Limits(timeout_ms=3000),
            reload_interval_s=0.1,
            **overrides,
        )
        r = Running(LokiServer(settings).start())
        running.append(r)
        return r

    yield start
    for r in running:
        try:
            r.stop()
        except Exception:  # noqa: BLE001 - already stopped by the test
            pass


@pytest.fixture
def loki(start_loki):
    return start_loki()
