"""Pure-Python Ed25519 signature verification (RFC 8032 §5.1.7), used to measure it against RSA.

Written for the benchmark (bench/bench_ota.py) and runnable under MicroPython; the product
verifies RSA (docs/ota.md explains the choice). Not constant-time: it handles public data only.
"""

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


class Ed25519Error(ValueError):
    """A malformed key or signature encoding."""


def _recover_x(y, sign):
    # RFC 8032 §5.1.3: x^2 = (y^2 - 1) / (d y^2 + 1), square root via (p+3)/8 exponent.
    u = (y * y - 1) % P
    v = (D * y * y + 1) % P
    x = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P
    vx2 = v * x * x % P
    if vx2 == u:
        pass
    elif vx2 == (-u) % P:
        x = x * SQRT_M1 % P
    else:
        raise Ed25519Error("point: not on the curve")
    if x == 0 and sign:
        raise Ed25519Error("point: invalid sign of x = 0")
    if x & 1 != sign:
        x = P - x
    return x


def decode_point(b):
    if len(b) != 32:
        raise Ed25519Error("point: expected 32 bytes")
    y = int.from_bytes(b, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    if y >= P:
        raise Ed25519Error("point: y out of range")
    x = _recover_x(y, sign)
    return (x, y, 1, x * y % P)


def _add(p1, p2):
    # RFC 8032 §5.1.4, extended homogeneous coordinates.
    x1, y1, z1, t1 = p1
    x2, y2, z2, t2 = p2
    a = (y1 - x1) * (y2 - x2) % P
    b = (y1 + x1) * (y2 + x2) % P
    c = 2 * t1 * t2 * D % P
    d = 2 * z1 * z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _double(p1):
    x1, y1, z1, _ = p1
    a = x1 * x1 % P
    b = y1 * y1 % P
    c = 2 * z1 * z1 % P
    h = a + b
    e = h - (x1 + y1) * (x1 + y1) % P
    g = a - b
    f = c + g
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(s, pt):
    q = (0, 1, 1, 0)
    while s:
        if s & 1:
            q = _add(q, pt)
        pt = _double(pt)
        s >>= 1
    return q


def _equal(p1, p2):
    return (p1[0] * p2[2] - p2[0] * p1[2]) % P == 0 and (p1[1] * p2[2] - p2[1] * p1[2]) % P == 0


_BY = 4 * pow(5, P - 2, P) % P
BASE = (_recover_x(_BY, 0), _BY, 1, _recover_x(_BY, 0) * _BY % P)


def verify_with_hash(public, signature, k):
    """Check [S]B == R + [k]A where k = SHA-512(R || A || M) mod L was computed by the caller.

    (MicroPython's hashlib has no SHA-512, so the benchmark hands k in; see docs/ota.md.)
    """
    if len(signature) != 64:
        raise Ed25519Error("signature: expected 64 bytes")
    a = decode_point(public)
    r = decode_point(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if s >= L:
        raise Ed25519Error("signature: S out of range")
    return _equal(_mul(s, BASE), _add(r, _mul(k % L, a)))


def verify(public, message, signature):
    """True when `signature` is a valid Ed25519 signature of `message` by `public` (32 bytes)."""
    import hashlib

    k = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little")
    return verify_with_hash(public, signature, k)
