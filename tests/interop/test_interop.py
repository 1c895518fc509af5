"""The 14 gRPC interop cases, our client against a real grpcio TestService server: from
CPython (in-process and via `python -m`) and from MicroPython (subprocess, constrained heap),
plaintext and through the TLS front."""

import asyncio
import os
import subprocess
import sys

import pytest

from jotunheim.wire import interop
from jotunheim.wire.transport import client_ssl_context
from tests.mp import ROOT, micropython_binary

# Heap per case under MicroPython. The runtime's code (precompiled .mpy) and one channel keep
# ~153 KB of heap. Requests cost one copy (the channel sends bytes values from the caller's
# objects); a response costs two at its peak (the message buffer + the decoded bytes field),
# so 58979-byte responses (server_streaming, ping_pong) cannot fit 256 KB, and large_unary /
# custom_metadata (314159-byte responses) need ~1.05 MB. Cases not listed pass in 256 KB.
# Values: smallest heap measured to pass (standalone server, tests/interop/heapscan.py),
# plus a margin, as fragmentation depends on how the peer's bytes happen to arrive.
MP_HEAP = "256k"
MP_HEAPS = {
    "cancel_after_first_response": "320k",  # smallest passing: 256-272k
    "server_streaming": "384k",  # 312-336k
    "ping_pong": "384k",  # 304-344k
    "large_unary": "1280k",  # 1048-1080k
    "custom_metadata": "1280k",  # 1056k
}


def run_mp(args, path, heap=MP_HEAP, timeout=60):
    env = dict(os.environ, MICROPYPATH=".frozen:" + path)
    cmd = [micropython_binary(), "-X", "heapsize=" + heap, "-m", "jotunheim.wire.interop"]
    return subprocess.run(
        cmd + args, env=env, cwd=str(ROOT), capture_output=True, text=True, timeout=timeout
    )


def _assert_passed(proc, names):
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    for name in names:
        assert "PASS " + name in proc.stdout, out


@pytest.mark.parametrize("case", interop.CASES)
def test_interop_case_from_cpython(interop_port, case):
    results = asyncio.run(interop.run_cases("127.0.0.1", interop_port, [case]))
    assert results == [(case, None)]


@pytest.mark.parametrize("case", interop.CASES)
def test_interop_case_from_micropython(interop_port, mpy_dir, case):
    heap = MP_HEAPS.get(case, MP_HEAP)
    args = ["--server_host", "127.0.0.1", "--server_port", str(interop_port), "--test_case", case]
    _assert_passed(run_mp(args, mpy_dir, heap), [case])


def test_interop_cli_from_cpython_runs_all_cases(interop_port):
    cmd = [sys.executable, "-m", "jotunheim.wire.interop", "--server_host", "127.0.0.1"]
    cmd += ["--server_port=%d" % interop_port, "--test_case", "all"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    _assert_passed(proc, interop.CASES)


def test_interop_cli_from_micropython_source_tree(interop_port):
    """The documented command: MICROPYPATH=.frozen:src micropython -m jotunheim.wire.interop."""
    names = ["empty_unary", "unimplemented_service", "status_code_and_message"]
    args = ["--server_port", str(interop_port), "--test_case", ",".join(names)]
    _assert_passed(run_mp(args, str(ROOT / "src")), names)


def test_interop_reports_failure_with_nonzero_exit(interop_port):
    cmd = [sys.executable, "-m", "jotunheim.wire.interop", "--server_port", str(interop_port)]
    proc = subprocess.run(cmd + ["--test_case", "no_such_case"], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "FAIL no_such_case: unknown test case" in proc.stdout


def test_interop_connect_failure_is_unavailable():
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.run(
        [sys.executable, "-m", "jotunheim.wire.interop", "--server_port", str(port)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert "UNAVAILABLE" in proc.stdout


TLS_CASES = ["empty_unary", "ping_pong", "custom_metadata", "cancel_after_first_response"]


def test_interop_over_tls_front_from_cpython(tls_port, certs):
    ctx = client_ssl_context(cafile=certs["ca_pem"])
    results = asyncio.run(
        interop.run_cases("127.0.0.1", tls_port, TLS_CASES, ssl=ctx, server_hostname="localhost")
    )
    assert results == [(c, None) for c in TLS_CASES]


@pytest.mark.parametrize("ca", ["ca_der", "ca_pem"])
def test_interop_over_tls_front_from_micropython(tls_port, certs, mpy_dir, ca):
    names = ["empty_unary", "ping_pong", "status_code_and_message", "cancel_after_first_response"]
    args = ["--server_port", str(tls_port), "--test_case", ",".join(names), "--use_tls", "true"]
    args += ["--ca_file", certs[ca], "--server_host_override", "localhost"]
    _assert_passed(run_mp(args, mpy_dir, MP_HEAPS["ping_pong"]), names)


def test_micropython_tls_rejects_untrusted_server(tls_port, certs, mpy_dir, tmp_path):
    from tests.interop.certs import make_certs

    other = make_certs(tmp_path)  # a different CA: verification must fail
    args = ["--server_port", str(tls_port), "--test_case", "empty_unary", "--use_tls", "true"]
    args += ["--ca_file", other["ca_der"], "--server_host_override", "localhost"]
    proc = run_mp(args, mpy_dir)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "UNAVAILABLE" in proc.stdout


@pytest.fixture(scope="module")
def grpcio_tls_port(certs):
    """A grpcio server on its own TLS port (which, like every grpcio TLS port, needs ALPN)."""
    import grpc

    from tests.interop.interop_server import start_server

    with open(certs["key"], "rb") as k, open(certs["cert"], "rb") as c:
        creds = grpc.ssl_server_credentials([(k.read(), c.read())])
    server, port = start_server(credentials=creds)
    yield port
    server.stop(None)


def test_cpython_reaches_grpcio_tls_port_directly_with_alpn(grpcio_tls_port, certs):
    ctx = client_ssl_context(cafile=certs["ca_pem"])
    results = asyncio.run(
        interop.run_cases(
            "127.0.0.1", grpcio_tls_port, ["empty_unary"], ssl=ctx, server_hostname="localhost"
        )
    )
    assert results == [("empty_unary", None)]


def test_micropython_cannot_reach_grpcio_tls_port_without_alpn(grpcio_tls_port, certs, mpy_dir):
    """Why tls_front exists: grpcio drops a TLS client that negotiated no ALPN."""
    args = ["--server_port", str(grpcio_tls_port), "--test_case", "empty_unary"]
    args += ["--use_tls", "true", "--ca_file", certs["ca_der"]]
    args += ["--server_host_override", "localhost"]
    proc = run_mp(args, mpy_dir)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "UNAVAILABLE" in proc.stdout, proc.stdout + proc.stderr


def test_micropython_tls_checks_the_server_name(tls_port, certs, mpy_dir):
    base = ["--server_port", str(tls_port), "--test_case", "empty_unary", "--use_tls", "true"]
    base += ["--ca_file", certs["ca_der"]]
    _assert_passed(run_mp(base, mpy_dir), ["empty_unary"])  # IP SAN 127.0.0.1 matches
    proc = run_mp(base + ["--server_host_override", "wrong.example"], mpy_dir)
    assert proc.returncode == 1 and "does not match" in proc.stdout, proc.stdout + proc.stderr


def test_all_cases_in_one_micropython_process(interop_port, mpy_dir):
    args = ["--server_port", str(interop_port), "--test_case", "all"]
    _assert_passed(run_mp(args, mpy_dir, MP_HEAPS["custom_metadata"]), interop.CASES)
