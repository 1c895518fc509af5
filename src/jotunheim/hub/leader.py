"""Leader election among several hubs and forwarding to the leader.

Each hub polls its peers' HubPeer.Status; among the hubs that answer (and itself) the one with
the earliest created_at leads, ties broken by the smaller hub id. Only the leader holds device
sessions (followers refuse Connect with `not_leader` and the leader's address); followers
forward operator calls to the leader and copy its device identities, so they can take over
when it is gone, and its command log (hub.proto rev 5), so a command id the leader saw is not
sent again after a failover. A hub that would take over from a leader still alive (an earlier
hub coming back) first copies that leader's log to the end. Peers learn each other's addresses
from Status calls (a light gossip).

Peer links carry device keys (SyncDevices) and the operator token, so with a `PeerTls` every
peer is dialled over TLS and verified against the cluster's CA; a peer that fails the check is
treated as one that does not answer. Without it the links are plaintext (and say so once)."""

import asyncio
import logging

import grpc

from jotunheim._gen import hub_pb2
from jotunheim.errors import JotunheimError
from jotunheim.hub import registry as reg

log = logging.getLogger("jotunheim.hub.leader")

STATUS_TIMEOUT_S = 0.5
MAX_PEERS = 32  # addresses learnt by gossip are bounded
DOWN_AFTER_FAILURES = 2  # one lost poll is not enough to depose a leader
LOG_PAGES_PER_POLL = 8  # command-log pages copied per poll: a backlog takes a few polls
# Taking over from a live leader waits for its log to be copied, but not for ever (a leader
# that cannot serve it, or a very long log): after this many polls it takes over anyway.
CATCH_UP_MAX_POLLS = 30
FORWARDED_KEY = "x-jotunheim-forwarded"
# Caller metadata carried over when forwarding (the token and our own per-call options).
_FORWARD_KEYS = (
    "authorization",
    "x-jotunheim-wait-ms",
    "x-jotunheim-command-id",
    "x-jotunheim-max-failures",
)
# grpcio backs off up to 120 s between reconnects to an address that failed; a hub that comes
# back at the same address (or fixes its certificate) should be seen within a few polls.
# A command-log page stops at ~1 MB, but its last row may add up to ~0.5 MB (a device message
# is at most 256 KB, args 1 MB): 8 MB, not grpcio's default of 4, leaves room to spare.
_CHANNEL_OPTIONS = (
    ("grpc.max_reconnect_backoff_ms", 5000),
    ("grpc.max_receive_message_length", 8 << 20),
)
PLAINTEXT_WARNING = (
    "peer links are plaintext: device keys and the operator token cross them "
    "(give every hub --tls-port and --peer-ca; docs/hub.md)"
)
# Substrings of grpcio's connect error that mean the TLS handshake or the certificate check
# failed (BoringSSL / grpc core wording), as opposed to a peer that is down or unreachable.
_TLS_FAILURE_MARKS = (
    "handshake failed",
    "verification check failed",
    "not in peer certificate",
    "certificate verify",
)


class PeerTlsError(JotunheimError):
    """The peer TLS settings cannot be used (no certificate in the CA file, unreadable file)."""


class PeerTls:
    """How this hub dials its peers: TLS verified against `ca_pem` (the CA bundle that signs
    every hub's certificate), optionally checking `server_name` instead of the dialled host."""

    def __init__(self, ca_pem: bytes, server_name=None):
        if b"-----BEGIN CERTIFICATE-----" not in ca_pem:
            raise PeerTlsError("peer CA: no PEM certificate found")
        self.credentials = grpc.ssl_channel_credentials(root_certificates=ca_pem)
        self.server_name = server_name or None

    @classmethod
    def from_file(cls, path, server_name=None):
        try:
            with open(path, "rb") as f:
                ca_pem = f.read()
        except OSError as exc:
            raise PeerTlsError("peer CA %s: %s" % (path, exc.strerror or exc)) from None
        try:
            return cls(ca_pem, server_name)
        except PeerTlsError:
            raise PeerTlsError("peer CA %s: no PEM certificate found" % path) from None

    def channel(self, address):
        options = _CHANNEL_OPTIONS
        if self.server_name:
            options += (("grpc.ssl_target_name_override", self.server_name),)
        return grpc.aio.secure_channel(address, self.credentials, options=options)


def tls_failure_reason(exc):
    """Why a peer call failed in the TLS layer (grpcio's words, which name no secret), or None
    when the failure was something else (peer down, refused, timed out)."""
    details = exc.details() or ""
    lower = details.lower()
    for mark in _TLS_FAILURE_MARKS:
        at = lower.find(mark)
        if at >= 0:
            break
    else:
        return None
    # Keep the part from the TLS complaint on: the prefix is the generic "failed to connect".
    start = details.rfind(": ", 0, at)
    reason = details[start + 2 if start >= 0 else 0 :].strip()
    if reason.endswith(": OK"):
        reason = reason[:-4]
    if "WRONG_VERSION_NUMBER" in details:
        reason += " (not a TLS port: a plaintext peer address?)"
    return reason


class _Peer:
    def __init__(self, address):
        self.address = address
        self.status = None  # last PeerStatus, None until it answered once
        self.failures = DOWN_AFTER_FAILURES  # counted as down until it answers
        self.tls_failure_logged = False  # once per peer, until it passes the check again


class LeaderElector:
    """Keeps `leader_id` / `leader_address` current and answers HubPeer calls."""

    def __init__(self, hub, peers=(), interval_ms=1000, tls=None):
        self.hub = hub
        self.interval_s = interval_ms / 1000.0
        self.tls = tls  # PeerTls, or None: plaintext peer links
        self._warned_plaintext = False
        self.peers = {}
        for addr in peers:
            self.add_peer(addr)
        self.leader_id = None  # undecided until the first poll round
        self._leader_addr = ""
        self._channels = {}
        self._task = None
        self._first_round = asyncio.Event()
        # leader hub id -> (its registry epoch, seq of its last change copied here)
        self._log_cursors = {}
        self._catch_up_polls = 0  # polls spent copying a live leader's log before taking over
        # Said in Status: the others leave us out of the election. True until the first poll
        # round is done, so that a hub just started is not elected before it has looked.
        self._catching_up = True

    # ---- state ---------------------------------------------------------------------------

    def add_peer(self, address):
        if (
            address
            and address != self.hub.address
            and address not in self.peers
            and len(self.peers) < MAX_PEERS
        ):
            self.peers[address] = _Peer(address)
            if self.tls is None and not self._warned_plaintext:
                self._warned_plaintext = True
                log.warning(PLAINTEXT_WARNING)

    def is_leader(self):
        return self.leader_id == self.hub.hub_id

    def leader_address(self):
        return self._leader_addr

    def status(self):
        return hub_pb2.PeerStatus(
            hub_id=self.hub.hub_id,
            created_at_ms=self.hub.created_at_ms,
            address=self.hub.address,
            leader_id=self.leader_id or "",
            leader_address=self._leader_addr,
            is_leader=self.is_leader(),
            devices_online=len(self.hub.router.sessions),
            peers=sorted(self.peers),
            catching_up=self._catching_up,
        )

    def _live(self, peer):
        return peer.status is not None and peer.failures < DOWN_AFTER_FAILURES

    def _candidate(self):
        candidates = [(self.hub.created_at_ms, self.hub.hub_id, self.hub.address)]
        for peer in self.peers.values():
            if self._live(peer) and not peer.status.catching_up:
                st = peer.status
                candidates.append((st.created_at_ms, st.hub_id, peer.address))
        return min(candidates)

    def _leading_peer(self):
        """A live peer that says it leads (the earliest-created if several do), or None."""
        leading = [p for p in self.peers.values() if self._live(p) and p.status.is_leader]
        if not leading:
            return None
        return min(leading, key=lambda p: (p.status.created_at_ms, p.status.hub_id))

    def _elect(self, catching_up=None):
        """Elect the earliest-created live hub; `catching_up`, a live leader whose log this
        hub is still copying, is followed instead of taking over from it."""
        created, hub_id, address = self._candidate()
        if hub_id == self.hub.hub_id and catching_up is not None and not self.is_leader():
            hub_id, address = catching_up.status.hub_id, catching_up.address
        was_leader = self.is_leader()
        changed = hub_id != self.leader_id
        self.leader_id, self._leader_addr = hub_id, address
        if changed:
            log.info(
                "leader is now %s at %s%s",
                hub_id[:8],
                address,
                " (this hub)" if self.is_leader() else "",
            )
        if was_leader and not self.is_leader():
            # Devices must live on the leader: send ours over (they reconnect and get
            # redirected by our not_leader refusal).
            self.hub.router.close_all(grpc.StatusCode.UNAVAILABLE, "hub is no longer the leader")
        elif changed and self.is_leader():
            # Taking over: a command another hub logged and held queued (its device offline)
            # has its caller there, and this hub will not send it. Our own queued ones keep
            # their callers; sent ones stay in flight (the device brings their results).
            ids = self.hub.registry.fail_adopted_queued(
                "leader changed before it was sent; not run"
            )
            if ids:
                log.info("failed %d commands another hub held queued", len(ids))
                self.hub.router.adopted(ids)

    # ---- polling -------------------------------------------------------------------------

    def start(self):
        self._task = asyncio.ensure_future(self._run())

    async def wait_decided(self):
        await self._first_round.wait()

    async def stop(self):
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        for ch in self._channels.values():
            await ch.close()

    def _channel(self, address):
        ch = self._channels.get(address)
        if ch is None:
            if self.tls is not None:
                ch = self.tls.channel(address)
            else:
                ch = grpc.aio.insecure_channel(address, options=_CHANNEL_OPTIONS)
            self._channels[address] = ch
        return ch

    async def _run(self):
        while True:
            try:
                await self.poll_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # never let one bad round stop elections
                log.exception("peer poll failed")
            self._first_round.set()
            await asyncio.sleep(self.interval_s)

    async def poll_once(self):
        peers = list(self.peers.values())
        await asyncio.gather(*(self._poll(p) for p in peers))
        catching_up = None
        leading = self._leading_peer()
        if leading is not None and not self.is_leader() and self._candidate()[1] == self.hub.hub_id:
            # We are to take over from a leader still alive (an earlier hub coming back):
            # copy its log to the end first, so no command it logged is sent again here.
            self._catching_up = True
            if not await self._copy_log(leading):
                self._catch_up_polls += 1
                if self._catch_up_polls < CATCH_UP_MAX_POLLS:
                    catching_up = leading
                else:
                    log.warning("taking over before the leader's log was copied to the end")
        else:
            self._catch_up_polls = 0
        self._catching_up = catching_up is not None
        self._elect(catching_up)
        if not self.is_leader():
            await self._sync_from_leader()

    async def _poll(self, peer):
        req = hub_pb2.PeerStatusRequest(from_address=self.hub.address)
        try:
            call = self._channel(peer.address).unary_unary(
                "/jotunheim.hub.HubPeer/Status",
                request_serializer=hub_pb2.PeerStatusRequest.SerializeToString,
                response_deserializer=hub_pb2.PeerStatus.FromString,
            )
            st = await call(req, timeout=STATUS_TIMEOUT_S)
        except grpc.aio.AioRpcError as exc:
            # A peer we cannot verify counts as down: it never leads for us, so we never
            # sync from it nor forward the operator token to it.
            peer.failures += 1
            self._note_tls_failure(peer, exc)
            return
        if st.hub_id == self.hub.hub_id:  # our own address under another name
            self.peers.pop(peer.address, None)
            return
        peer.status, peer.failures = st, 0
        peer.tls_failure_logged = False
        for addr in st.peers:
            self.add_peer(addr)

    def _note_tls_failure(self, peer, exc):
        if self.tls is None or peer.tls_failure_logged:
            return
        reason = tls_failure_reason(exc)
        if reason is not None:
            peer.tls_failure_logged = True
            log.warning(
                "peer %s failed TLS verification against --peer-ca, treated as down "
                "(never followed, never synced from): %s",
                peer.address,
                reason,
            )

    async def _sync_from_leader(self):
        leading = self.peers.get(self._leader_addr)
        if leading is not None and self._live(leading):
            await self._copy_log(leading)
        try:
            call = self._channel(self._leader_addr).unary_unary(
                "/jotunheim.hub.HubPeer/SyncDevices",
                request_serializer=hub_pb2.SyncDevicesRequest.SerializeToString,
                response_deserializer=hub_pb2.SyncDevicesResponse.FromString,
            )
            resp = await call(
                hub_pb2.SyncDevicesRequest(),
                timeout=STATUS_TIMEOUT_S * 2,
                metadata=(("authorization", "Bearer " + self.hub.token),),
            )
        except grpc.aio.AioRpcError as exc:
            log.warning("identity sync from the leader failed: %s", exc.code().name)
            return
        self.hub.registry.merge_identities(resp.identities)

    async def _copy_log(self, peer):
        """Copy the command-log rows the leader `peer` changed since the last copy (a few
        pages); True once the copy has reached the end of its log. Errors are logged: a
        failed copy must never stop an election."""
        try:
            return await self._copy_pages(peer)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.UNIMPLEMENTED:  # a revision 4 leader: no log
                return True
            log.warning("command log copy from %s failed: %s", peer.address, exc.code().name)
        except Exception:
            log.exception("command log copy from %s failed", peer.address)
        return False

    async def _copy_pages(self, peer):
        call = self._channel(peer.address).unary_unary(
            "/jotunheim.hub.HubPeer/SyncCommands",
            request_serializer=hub_pb2.SyncCommandsRequest.SerializeToString,
            response_deserializer=hub_pb2.SyncCommandsResponse.FromString,
        )
        peer_id = peer.status.hub_id
        loop = asyncio.get_running_loop()
        # A slow leader must not slow the polls that would notice it is gone: a poll copies
        # for about one interval at most (the rest waits for the next one).
        end = loop.time() + max(self.interval_s, STATUS_TIMEOUT_S)
        for _ in range(LOG_PAGES_PER_POLL):
            if loop.time() > end:
                return False
            epoch, after = self._log_cursors.get(peer_id, ("", 0))
            req = hub_pb2.SyncCommandsRequest(
                epoch=epoch, after_seq=after, max_commands=reg.SYNC_MAX_COMMANDS
            )
            resp = await call(
                req,
                timeout=max(end - loop.time(), STATUS_TIMEOUT_S),
                metadata=(("authorization", "Bearer " + self.hub.token),),
            )
            if resp.hub_id != peer_id:
                return False  # another hub answers there now: the next poll sorts it out
            if resp.commands:
                finished = self.hub.registry.merge_commands(peer_id, resp.commands)
                self.hub.router.adopted(finished)
                after = max(c.seq for c in resp.commands)
            elif resp.epoch != epoch:
                after = 0
            self._log_cursors[peer_id] = (resp.epoch, after)
            if not resp.more:
                return True
        return False

    # ---- forwarding ----------------------------------------------------------------------

    async def forward_if_follower(self, path, request, response_cls, context):
        """On a follower, relay an operator call to the leader and return its response; on
        the leader (or for a call already forwarded once) return None to serve it here."""
        rpc = await self._relay(path, request, response_cls, context, streaming=False)
        if rpc is None:
            return None
        try:
            resp = await rpc
        except grpc.aio.AioRpcError as exc:
            await context.abort(exc.code(), exc.details() or "")
        trailing = await rpc.trailing_metadata()
        if trailing:
            context.set_trailing_metadata(tuple((k, v) for k, v in trailing if k.startswith("x-")))
        return resp

    async def forward_stream_if_follower(self, path, request, response_cls, context):
        """forward_if_follower for a server-streaming call: on a follower, an async iterator
        of the leader's responses (a leader's error is re-raised here with its status);
        None to serve the call here."""
        rpc = await self._relay(path, request, response_cls, context, streaming=True)
        if rpc is None:
            return None
        return _relayed(rpc, context)

    async def _relay(self, path, request, response_cls, context, streaming):
        # The call as the leader gets it: the caller's token and our per-call options, marked
        # forwarded so that it is never forwarded twice; None when it is ours to serve.
        metadata = context.invocation_metadata() or ()
        if self.is_leader() or any(k == FORWARDED_KEY for k, _ in metadata):
            return None
        if not self._leader_addr:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "no leader elected yet")
        out_md = [(k, v) for k, v in metadata if k in _FORWARD_KEYS]
        out_md.append((FORWARDED_KEY, self.hub.hub_id))
        channel = self._channel(self._leader_addr)
        kind = channel.unary_stream if streaming else channel.unary_unary
        call = kind(
            path,
            request_serializer=type(request).SerializeToString,
            response_deserializer=response_cls.FromString,
        )
        return call(request, timeout=context.time_remaining(), metadata=out_md)


async def _relayed(rpc, context):
    try:
        async for response in rpc:
            yield response
    except grpc.aio.AioRpcError as exc:
        await context.abort(exc.code(), exc.details() or "")


class HubPeerServicer:
    """HubPeer: Status (open), SyncDevices and SyncCommands (operator token, checked by the
    interceptor)."""

    def __init__(self, hub):
        self.hub = hub

    async def Status(self, request, context):
        self.hub.leader.add_peer(request.from_address)
        return self.hub.leader.status()

    async def SyncDevices(self, request, context):
        return hub_pb2.SyncDevicesResponse(
            hub_id=self.hub.hub_id, identities=self.hub.registry.identities()
        )

    async def SyncCommands(self, request, context):
        registry = self.hub.registry
        rows, more = registry.commands_after(request.epoch, request.after_seq, request.max_commands)
        return hub_pb2.SyncCommandsResponse(
            hub_id=self.hub.hub_id, epoch=registry.epoch, commands=rows, more=more
        )
