"""Fixtures for the interop tests: the grpcio TestService server, test certificates and
the TLS front, all started once per session on free ports."""

import pytest

from jotunheim.tls_front import start_in_thread
from tests.interop.certs import make_certs
from tests.interop.interop_server import start_server
from tests.interop.mpbuild import compile_device_runtime


@pytest.fixture(scope="session")
def interop_port():
    server, port = start_server()
    yield port
    server.stop(None)


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    return make_certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="session")
def tls_port(interop_port, certs):
    front = start_in_thread("127.0.0.1", 0, "127.0.0.1", interop_port, certs["cert"], certs["key"])
    yield front.port
    front.stop()


@pytest.fixture(scope="session")
def mpy_dir(tmp_path_factory):
    """The device runtime precompiled with mpy-cross (MICROPYPATH=.frozen:<this>)."""
    return compile_device_runtime(tmp_path_factory.mktemp("mpy"))
