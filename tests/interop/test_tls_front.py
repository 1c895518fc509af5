"""The TLS front as deployed (`python -m jotunheim.tls_front`): TLS in, plaintext gRPC out."""

import asyncio
import re
import ssl
import subprocess
import sys

from jotunheim.wire import interop
from jotunheim.wire.transport import client_ssl_context


def test_tls_front_cli_serves_grpc_clients(interop_port, certs):
    cmd = [sys.executable, "-m", "jotunheim.tls_front", "--listen", "127.0.0.1:0"]
    cmd += ["--backend", "127.0.0.1:%d" % interop_port, "--cert", certs["cert"]]
    cmd += ["--key", certs["key"]]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        port = int(re.search(r"127\.0\.0\.1:(\d+) ->", line).group(1))
        ctx = client_ssl_context(cafile=certs["ca_pem"])
        names = ["empty_unary", "server_streaming"]
        results = asyncio.run(
            interop.run_cases("127.0.0.1", port, names, ssl=ctx, server_hostname="localhost")
        )
        assert results == [(n, None) for n in names]
    finally:
        proc.terminate()
        proc.wait(10)


def test_tls_front_accepts_clients_without_alpn(tls_port, certs):
    import socket

    ctx = ssl.create_default_context(cafile=certs["ca_pem"])  # no ALPN offered
    with socket.create_connection(("127.0.0.1", tls_port)) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            assert s.selected_alpn_protocol() is None
            s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
            head = s.recv(9)
            assert head[3] == 4  # the grpcio server's SETTINGS frame came through the front
