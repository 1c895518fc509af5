"""TLS client contexts for the wire stack (both runtimes), imported only when TLS is
configured: CPython offers ALPN h2; MicroPython's mbedTLS needs a DER CA certificate."""

from jotunheim.compat import IS_MICROPYTHON, const
from jotunheim.wire.grpc import GrpcError

# gRPC status codes (grpc.Status, not loaded by the device's flow)
_INTERNAL = const(13)


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
        raise GrpcError(_INTERNAL, "malformed PEM certificate")
    return binascii.a2b_base64(b"".join(data[start:end].split()))
