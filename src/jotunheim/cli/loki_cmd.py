"""`jotunheim loki serve`: runs the Loki script service until interrupted."""

import logging
import signal
import sys
import threading


def register(subparsers) -> None:
    loki = subparsers.add_parser("loki", help="Loki script service (Lua scripts as gRPC functions)")
    sub = loki.add_subparsers(dest="loki_command", metavar="ACTION")
    serve = sub.add_parser("serve", help="run the Loki gRPC server")
    serve.add_argument("--port", type=int, default=50052, help="TCP port (0 picks a free one)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument(
        "--data-dir", required=True, help="where scripts, files and the KV store live"
    )
    serve.add_argument("--tools", default=None, help="tool config JSON (hot-reloaded)")
    serve.add_argument(
        "--max-running",
        type=int,
        default=8,
        help="scripts running at once, all scripts together (default 8)",
    )
    serve.add_argument(
        "--queue-size",
        type=int,
        default=32,
        help="calls waiting for a slot before RESOURCE_EXHAUSTED (default 32)",
    )
    serve.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    serve.set_defaults(func=_serve)
    loki.set_defaults(func=lambda args: loki.print_help() or 2)


def _serve(args) -> int:
    from jotunheim.loki.errors import ConfigError
    from jotunheim.loki.server import LokiServer
    from jotunheim.loki.settings import LokiSettings

    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.max_running < 2 or args.queue_size < 0:
        print("loki: --max-running must be >= 2 and --queue-size >= 0", file=sys.stderr)
        return 2
    settings = LokiSettings(
        data_dir=args.data_dir,
        host=args.host,
        port=args.port,
        tools_path=args.tools,
        max_running=args.max_running,
        queue_size=args.queue_size,
    )
    try:
        server = LokiServer(settings).start()
    except ConfigError as exc:
        print("loki: invalid configuration: %s" % exc, file=sys.stderr)
        return 2
    except OSError as exc:
        print("loki: cannot start: %s" % exc, file=sys.stderr)
        return 1
    # The first stdout line is machine-readable so scripts and tests can learn a port-0 bind.
    print("loki listening on %s:%d" % (args.host, server.port), flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    server.stop(grace=2.0)
    return 0
