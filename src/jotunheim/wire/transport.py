"""The one asyncio I/O adapter of the wire stack (both runtimes): connect (plain or TLS),
read what is available, write and drain; socket errors become GrpcError(UNAVAILABLE) here."""

import asyncio

from jotunheim.compat import IS_MICROPYTHON
from jotunheim.wire.grpc import GrpcError, Status

# Bytes asked for per read. CPython's StreamReader.read(n) and MicroPython's stream read(n)
# both return what is available (up to n) rather than waiting for n bytes. On MicroPython we
# read into one reused buffer instead (readinto), so reads leave no garbage on the heap.
READ_SIZE = 16384
MP_READ_SIZE = 2048

# MicroPython's ssl runs the TLS handshake lazily, inside the first drain()/read(), and
# reports mbedTLS failures (bad certificate, handshake) as ValueError, not OSError.
_ERRORS = (OSError, ValueError)


def _unavailable(what, exc):
    return GrpcError(Status.UNAVAILABLE, "%s: %s" % (what, exc or type(exc).__name__))


def client_ssl_context(cafile=None, cadata=None, verify=True):
    """A TLS client context for this runtime: CPython offers ALPN h2; MicroPython (mbedTLS,
    no ALPN, TLS 1.2) needs a DER CA certificate, so PEM input is converted here."""
    import ssl

    if not IS_MICROPYTHON:
        ctx = ssl.create_default_context(cafile=cafile, cadata=cadata)
        if not verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["h2"])
        return ctx
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if cafile is not None:
        with open(cafile, "rb") as f:
            cadata = f.read()
    if cadata is not None:
        ctx.load_verify_locations(cadata=pem_to_der(cadata))
    ctx.verify_mode = ssl.CERT_REQUIRED if verify and cadata is not None else ssl.CERT_NONE
    return ctx


def pem_to_der(data):
    """DER bytes of the first certificate of a PEM blob; DER input is returned as is."""
    import binascii

    if isinstance(data, str):
        data = data.encode()
    begin = data.find(b"-----BEGIN")
    if begin < 0:
        return data
    start = data.find(b"\n", begin) + 1
    end = data.find(b"-----END", start)
    if start <= 0 or end < 0:
        raise GrpcError(Status.INTERNAL, "malformed PEM certificate")
    return binascii.a2b_base64(b"".join(data[start:end].split()))


class Transport:
    """A connected byte stream: await read() -> bytes (b"" at EOF), write(), drain()."""

    def __init__(self, reader, writer):
        self._reader = reader
        self._writer = writer
        self.closed = False
        self._rbuf = None
        if IS_MICROPYTHON and hasattr(reader, "readinto"):
            self._rbuf = bytearray(MP_READ_SIZE)
            self._rview = memoryview(self._rbuf)

    async def read(self, n=READ_SIZE):
        """Received bytes, b"" at EOF. On MicroPython the result is a view into a reused
        buffer: valid until the next read (the HTTP/2 frame buffer copies what it keeps)."""
        try:
            if self._rbuf is None:
                return await self._reader.read(n)
            while True:
                got = await self._reader.readinto(self._rbuf)
                if got is not None:  # None: spurious wake-up, nothing there yet
                    return self._rview[:got] if got else b""
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
        self.closed = True
        try:
            tr = getattr(self._writer, "transport", None)
            if tr is not None:  # CPython
                tr.abort()
            else:  # MicroPython: Stream.close() is a no-op; the socket is .s
                self._writer.s.close()
        except Exception:  # noqa: BLE001 - the socket may already be gone
            pass

    async def close(self):
        if self.closed:
            return
        self.closed = True
        try:
            self._writer.close()
            await self._writer.wait_closed()
        except Exception:  # noqa: BLE001 - closing a dead socket may fail in many ways
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
    return Transport(reader, writer)
