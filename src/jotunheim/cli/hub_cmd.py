"""`jotunheim hub`: run a hub (DeviceHub, JotunheimService, EinherjarProtocol, HubOperator,
HubPeer) on one port with its registry in a data directory."""

import asyncio
import logging
import os
import signal
import sys

DEFAULT_PORT = 50051


def register(sub):
    p = sub.add_parser(
        "hub",
        help="run a hub",
        description="Run a hub. At first start it creates its identity and an operator token "
        "in the data dir and prints the token once (or adopts $JOTUNHEIM_TOKEN, so several "
        "hubs can share one token).",
    )
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 = any free port")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--data-dir", required=True, help="registry, identity and token live here")
    p.add_argument(
        "--peer",
        action="append",
        default=[],
        metavar="HOST:PORT",
        help="another hub of this cluster (repeatable); the earliest-created hub leads",
    )
    p.add_argument("--advertise", help="HOST:PORT peers and devices should use for this hub")
    p.add_argument("--heartbeat-ms", type=int, default=15000, help="device heartbeat interval")
    p.add_argument("--dead-peer-ms", type=int, default=45000, help="drop a silent device after")
    p.add_argument("--capability-timeout-ms", type=int, default=5000)
    p.add_argument("--caps-ttl-s", type=int, default=3600, help="capability cache fallback TTL")
    p.add_argument("--peer-interval-ms", type=int, default=1000, help="peer poll interval")
    p.add_argument(
        "--tls-port",
        type=int,
        help="also accept TLS here (ALPN optional, for MicroPython devices; docs/tls.md)",
    )
    p.add_argument("--tls-host", default="0.0.0.0", help="address of the TLS port")
    p.add_argument("--tls-cert", help="PEM certificate chain for --tls-port")
    p.add_argument("--tls-key", help="PEM private key for --tls-port")
    p.add_argument(
        "--peer-ca",
        metavar="FILE",
        help="PEM CA bundle signing the peers' certificates: peer links use TLS, verified "
        "(needs --tls-port; the TLS address is advertised)",
    )
    p.add_argument(
        "--peer-server-name",
        metavar="NAME",
        help="TLS name to check in every peer's certificate instead of the dialled host",
    )
    p.add_argument("--log-level", default=os.environ.get("JOTUNHEIM_LOG", "INFO"))
    p.set_defaults(func=run)


def run(args):
    logging.basicConfig(
        level=getattr(logging, args.log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        asyncio.run(_main(args))
    except KeyboardInterrupt:
        pass
    return 0


async def _main(args):
    from jotunheim.hub.leader import PeerTls, PeerTlsError
    from jotunheim.hub.server import Hub
    from jotunheim.hub.session import SessionConfig

    cfg = SessionConfig(
        heartbeat_interval_ms=args.heartbeat_ms,
        dead_peer_timeout_ms=args.dead_peer_ms,
        capability_timeout_ms=args.capability_timeout_ms,
    )
    if args.tls_port is not None and not (args.tls_cert and args.tls_key):
        raise SystemExit("--tls-port needs --tls-cert and --tls-key")
    tls = None
    if args.tls_port is not None:
        tls = (args.tls_host, args.tls_port, args.tls_cert, args.tls_key)
    try:
        peer_tls = None
        if args.peer_ca:
            peer_tls = PeerTls.from_file(args.peer_ca, args.peer_server_name)
        elif args.peer_server_name:
            raise PeerTlsError("--peer-server-name needs --peer-ca")
        hub = Hub(
            args.data_dir,
            host=args.host,
            port=args.port,
            peers=args.peer,
            session_config=cfg,
            caps_ttl_s=args.caps_ttl_s,
            peer_interval_ms=args.peer_interval_ms,
            advertise=args.advertise,
            tls=tls,
            peer_tls=peer_tls,
        )
    except PeerTlsError as exc:
        raise SystemExit(str(exc)) from None
    await hub.start()
    front = hub.tls_front
    if hub.token_created:
        print(
            "operator token (shown once; kept in %s, mode 0600): %s"
            % (os.path.join(args.data_dir, "operator_token"), hub.token)
        )
    role = "leader" if hub.leader.is_leader() else "follower of " + hub.leader.leader_address()
    if front is not None:
        print("hub tls on %s:%d" % (args.tls_host, front.port))
    print("hub %s listening on %s (%s)" % (hub.hub_id, hub.address, role), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await hub.stop()
