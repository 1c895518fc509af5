"""Authentication at the hub: device challenge-response (HMAC-SHA256 over a single-use nonce)
and the operator bearer token that guards every operator-facing RPC."""

import hashlib
import hmac
import logging
import os
import secrets
import time

import grpc

from jotunheim.errors import JotunheimError

log = logging.getLogger("jotunheim.hub.auth")

NONCE_SIZE = 16
PROOF_LABEL = b"jotunheim-v1|"
TOKEN_FILE = "operator_token"
TOKEN_ENV = "JOTUNHEIM_TOKEN"
REPLAY_WINDOW_S = 3600  # proofs are remembered this long (a nonce never repeats anyway)
REPLAY_MAX = 100_000  # bound on remembered proofs: oldest forgotten first
# Methods that need no operator token: devices authenticate in-band, peers' Status is open,
# and the Ota service checks the device itself (server.py: online, authenticated devices).
OPEN_METHODS = (
    "/jotunheim.hub.DeviceHub/Connect",
    "/jotunheim.hub.HubPeer/Status",
)
OPEN_PREFIXES = ("/jotunheim.ota.Ota/",)


class AuthError(JotunheimError):
    """A device failed the handshake; `code` is the Refusal code, `status` the gRPC status."""

    def __init__(self, code, reason, status=grpc.StatusCode.UNAUTHENTICATED):
        JotunheimError.__init__(self, reason)
        self.code = code
        self.reason = reason
        self.status = status


def new_nonce() -> bytes:
    return secrets.token_bytes(NONCE_SIZE)


def compute_proof(key: bytes, device_id: str, nonce: bytes) -> bytes:
    """proof = HMAC-SHA256(key, "jotunheim-v1|" + device_id + "|" + nonce) (RFC 2104)."""
    return hmac.new(key, PROOF_LABEL + device_id.encode() + b"|" + nonce, hashlib.sha256).digest()


class DeviceAuthenticator:
    """Checks Hello proofs against the registry; remembers used proofs to refuse replays."""

    def __init__(self, registry):
        self.registry = registry
        self._used = {}  # proof -> time first used (dict keeps insertion order)

    def verify(self, device_id: str, nonce: bytes, proof: bytes) -> None:
        """Raise AuthError unless `proof` is a fresh, valid proof for `nonce` by device_id."""
        if not device_id:
            raise AuthError("malformed", "hello.device_id is empty")
        entry = self.registry.device_key(device_id)
        if entry is None:
            raise AuthError("unknown_device", "unknown device")
        key, revoked = entry
        if revoked:
            raise AuthError("revoked", "device identity revoked", grpc.StatusCode.PERMISSION_DENIED)
        self._forget_old()
        if proof in self._used:
            raise AuthError("replayed", "proof already used")
        expected = compute_proof(key, device_id, nonce)
        if len(proof) != len(expected) or not hmac.compare_digest(proof, expected):
            raise AuthError("bad_proof", "proof does not match the device key")
        self._used[proof] = time.monotonic()

    def _forget_old(self):
        cutoff = time.monotonic() - REPLAY_WINDOW_S
        while self._used:
            oldest = next(iter(self._used))
            if self._used[oldest] >= cutoff and len(self._used) < REPLAY_MAX:
                break
            del self._used[oldest]


def new_device_key() -> bytes:
    return secrets.token_bytes(32)


def load_or_create_token(data_dir: str):
    """The operator token: (token, created_now). Created at first start from $JOTUNHEIM_TOKEN
    (so several hubs can share one) or at random, and kept in a 0600 file in the data dir."""
    path = os.path.join(data_dir, TOKEN_FILE)
    if os.path.exists(path):
        with open(path) as f:
            return f.read().strip(), False
    token = os.environ.get(TOKEN_ENV) or secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(token + "\n")
    return token, True


def bearer_ok(metadata, token: str) -> bool:
    for k, v in metadata or ():
        if k == "authorization" and isinstance(v, str) and v.startswith("Bearer "):
            return hmac.compare_digest(v[7:].encode(), token.encode())
    return False


class OperatorTokenInterceptor(grpc.aio.ServerInterceptor):
    """Refuses every RPC outside OPEN_METHODS without `authorization: Bearer <token>`."""

    def __init__(self, token: str):
        self._token = token

        async def deny(request, context):
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "operator token required")

        self._deny = grpc.unary_unary_rpc_method_handler(deny)

    async def intercept_service(self, continuation, handler_call_details):
        method = handler_call_details.method
        metadata = handler_call_details.invocation_metadata
        if (
            method in OPEN_METHODS
            or method.startswith(OPEN_PREFIXES)
            or bearer_ok(metadata, self._token)
        ):
            return await continuation(handler_call_details)
        log.warning("refused %s: missing or wrong operator token", method)
        return self._deny
