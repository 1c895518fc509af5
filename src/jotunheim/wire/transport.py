"""The one asyncio I/O adapter of the wire stack (both runtimes): connect (plain or TLS),
read what is available, write and drain; socket errors become GrpcError(UNAVAILABLE) here."""

import asyncio

from jotunheim.compat import IS_MICROPYTHON, const
from jotunheim.wire.grpc import GrpcError

# gRPC status codes (grpc.Status, not loaded by the device's flow)
_UNAVAILABLE = const(14)

# Bytes asked for per read. CPython's StreamReader.read(n) and MicroPython's stream read(n)
# both return what is available (up to n) rather than waiting for n bytes. On MicroPython we
# read into a reused buffer instead (readinto), so reads leave no garbage on the heap: 512
# bytes take a command or a Loki reply in one read (every read of the Loki heap flow returned
# at most 211 bytes, measured); larger messages take more reads, not more memory (the frame
# buffer passes DATA on in pieces). One buffer serves every connection (the device keeps two,
# hub and Loki): a reader consumes what it got before it next yields (the channel's read loop
# feeds it to the HTTP/2 connection, which copies what it keeps, synchronously), so two
# connections never need their bytes at the same time.
_READ_SIZE = const(16384)
_MP_READ_SIZE = const(512)

# MicroPython's ssl runs the TLS handshake lazily, inside the first drain()/read(), and
# reports mbedTLS failures (bad certificate, handshake) as ValueError, not OSError.
_ERRORS = (OSError, ValueError)


def _unavailable(what, exc):
    return GrpcError(_UNAVAILABLE, "%s: %s" % (what, exc or type(exc).__name__))


def client_ssl_context(cafile=None, cadata=None, verify=True):
    """A TLS client context for this runtime (see transport_tls, loaded only when a setting
    asks for TLS: a plaintext device never holds that code)."""
    from jotunheim.wire.transport_tls import client_ssl_context as make

    return make(cafile, cadata, verify)


class Transport:
    """A connected byte stream: await read() -> bytes (b"" at EOF), write(), drain()."""

    # MicroPython: the read buffer all connections share (a view of it), made on first use.
    _rview = None

    def __init__(self, reader, writer):
        self._reader = reader
        self._writer = writer
        if IS_MICROPYTHON and Transport._rview is None and hasattr(reader, "readinto"):
            Transport._rview = memoryview(bytearray(_MP_READ_SIZE))

    async def read(self, n=_READ_SIZE):
        """Received bytes, b"" at EOF. On MicroPython the result is a view into the buffer
        all connections share: valid until any connection reads again, so consume it before
        awaiting anything (the HTTP/2 frame buffer copies what it keeps)."""
        try:
            buf = self._rview
            if buf is None:  # CPython
                return await self._reader.read(n)
            while True:
                got = await self._reader.readinto(buf)
                if got is not None:  # None: spurious wake-up, nothing there yet
                    return buf[:got] if got else b""
        except _ERRORS as exc:
            raise _unavailable("connection lost", exc) from None

    def send(self, data):
        """Queues data without waiting; bytes queued in call order keep their order."""
        try:
            self._writer.write(data)
        except _ERRORS as exc:
            raise _unavailable("connection lost", exc) from None

    async def drain(self):
        """Waits until the socket took the queued bytes (back-pressure). One drainer at a
        time: MicroPython's I/O queue allows one waiting writer per socket."""
        try:
            await self._writer.drain()
        except _ERRORS as exc:
            raise _unavailable("connection lost", exc) from None

    def abort(self):
        """Drops the connection now, without flushing (dead peer, protocol error)."""
        try:
            tr = getattr(self._writer, "transport", None)
            if tr is not None:  # CPython
                tr.abort()
            else:  # MicroPython: Stream.close() is a no-op; the socket is .s
                self._writer.s.close()
        except Exception:  # noqa: BLE001 - the socket may already be gone
            pass


async def open_transport(host, port, ssl=None, server_hostname=None):
    """Connects; ssl is an SSLContext, True (runtime default) or None (plaintext)."""
    try:
        if ssl is None:
            reader, writer = await asyncio.open_connection(host, port)
        else:
            if ssl is True and not IS_MICROPYTHON:
                ssl = client_ssl_context()
            reader, writer = await asyncio.open_connection(
                host, port, ssl=ssl, server_hostname=server_hostname or host
            )
    except OSError as exc:
        raise _unavailable("cannot connect to %s:%s" % (host, port), exc) from None
    except ValueError as exc:  # MicroPython's mbedTLS reports handshake failures so
        raise _unavailable("TLS to %s:%s failed" % (host, port), exc) from None
    import sys

    if IS_MICROPYTHON and sys.platform in ("linux", "darwin"):
        # Only on the unix port, where it is verified: a board's socket module may not know
        # the option (esp32's modsocket prints a warning for an unknown one and goes on), so
        # boards keep their lwIP default until measured on one.
        # TCP_NODELAY (IPPROTO_TCP 6, option 1 on Linux and lwIP; the unix port's socket
        # module has no names for them), as CPython's asyncio and grpcio set it. With Nagle
        # on, a small write queued behind an unacknowledged one (the first call behind our
        # SETTINGS ACK, a request behind a WINDOW_UPDATE) waited for the server's delayed
        # ACK, ~40 ms: a Loki call on a new channel took 44 ms (p50), 2.2 ms without.
        try:
            writer.s.setsockopt(6, 1, 1)
        except (AttributeError, OSError):  # a TLS socket without setsockopt: Nagle stays
            pass
    return Transport(reader, writer)
