"""TLS terminator in front of a plaintext grpcio port (host only): accepts TLS 1.2+ clients
that send no ALPN (MicroPython's mbedTLS) and pipes the bytes to the loopback gRPC port.

grpcio's own TLS port closes connections whose client did not negotiate ALPN "h2", so a
MicroPython device can only reach a grpcio server through a front like this one. Run it as
`python -m jotunheim.tls_front --listen 0.0.0.0:50443 --backend 127.0.0.1:50051
--cert server.pem --key server.key` (see docs/tls.md).
"""

import argparse
import asyncio
import contextlib
import ssl
import threading

PIPE_CHUNK = 65536


def server_ssl_context(certfile, keyfile):
    """TLS 1.2+ server context; offers ALPN h2 to clients that ask, requires nothing."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(certfile, keyfile)
    ctx.set_alpn_protocols(["h2"])
    return ctx


class TlsFront:
    """One listening TLS socket; every accepted connection gets its own backend connection."""

    def __init__(self, listen_host, listen_port, backend_host, backend_port, certfile, keyfile):
        self.listen_host = listen_host
        self.listen_port = listen_port
        self.backend_host = backend_host
        self.backend_port = backend_port
        self._ctx = server_ssl_context(certfile, keyfile)
        self._server = None
        self._conns = set()
        self.port = None  # the bound port (listen_port 0 picks a free one)

    async def start(self):
        self._server = await asyncio.start_server(
            self._handle, self.listen_host, self.listen_port, ssl=self._ctx
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self):
        if self._server is not None:
            self._server.close()
            for task in list(self._conns):
                task.cancel()
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, client_r, client_w):
        task = asyncio.current_task()
        self._conns.add(task)
        backend_w = None
        try:
            backend_r, backend_w = await asyncio.open_connection(
                self.backend_host, self.backend_port
            )
            up = asyncio.ensure_future(_pipe(client_r, backend_w))
            down = asyncio.ensure_future(_pipe(backend_r, client_w))
            # Either side closing ends the pair: gRPC has no use for half-open TCP.
            done, pending = await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
            for p in pending:
                p.cancel()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            self._conns.discard(task)
            for w in (client_w, backend_w):
                if w is not None:
                    w.close()


async def _pipe(reader, writer):
    with contextlib.suppress(OSError, ConnectionError):
        while True:
            data = await reader.read(PIPE_CHUNK)
            if not data:
                break
            writer.write(data)
            await writer.drain()


class FrontThread:
    """A TlsFront running on its own event loop thread; .port, .stop()."""

    def __init__(self, front):
        self.front = front
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error = None
        self.thread = threading.Thread(target=self._run, name="tls-front", daemon=True)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self.front.start())
        except Exception as exc:  # noqa: BLE001 - reported to the starting thread
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self.front.stop())
        self.loop.close()

    @property
    def port(self):
        return self.front.port

    def start(self):
        self.thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error
        return self

    def stop(self):
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)


def start_in_thread(
    listen_host, listen_port, backend_host, backend_port, certfile, keyfile
) -> FrontThread:
    """Starts a TlsFront on a background thread; returns once it listens (see .port)."""
    front = TlsFront(listen_host, listen_port, backend_host, backend_port, certfile, keyfile)
    return FrontThread(front).start()


def _hostport(text):
    host, _, port = text.rpartition(":")
    return host or "0.0.0.0", int(port)


def main(argv=None):
    parser = argparse.ArgumentParser(description="TLS front for a plaintext gRPC port")
    parser.add_argument("--listen", required=True, help="host:port to accept TLS on")
    parser.add_argument("--backend", required=True, help="host:port of the plaintext gRPC server")
    parser.add_argument("--cert", required=True, help="PEM certificate chain")
    parser.add_argument("--key", required=True, help="PEM private key")
    args = parser.parse_args(argv)
    lh, lp = _hostport(args.listen)
    bh, bp = _hostport(args.backend)

    async def serve():
        front = await TlsFront(lh, lp, bh, bp, args.cert, args.key).start()
        print("tls_front: %s:%d -> %s:%d" % (lh, front.port, bh, bp), flush=True)
        await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    main()
