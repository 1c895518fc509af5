"""`jotunheim loki serve|list|call|register`: run the Loki script service, or use one."""

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

    def client_parser(name, help_text):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--address", default="127.0.0.1:50052", help="Loki's HOST:PORT")
        p.add_argument("--timeout", type=float, default=10.0, help="seconds (default 10)")
        return p

    lst = client_parser("list", "list the registered scripts")
    lst.add_argument("pattern", nargs="?", default="", help="shell-style name pattern")
    lst.set_defaults(func=_list)
    call = client_parser("call", "call Script_<name> (or StreamScript_<name> with --stream)")
    call.add_argument("name")
    call.add_argument("params", nargs="*", metavar="KEY=VALUE")
    call.add_argument("--stream", action="store_true", help="print output as it happens")
    call.set_defaults(func=_call)
    reg = client_parser("register", "register a Lua file as a script")
    reg.add_argument("name")
    reg.add_argument("file", help="Lua source file (sent inline)")
    reg.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME:TYPE[?]",
        help="a parameter; a trailing ? makes it optional (repeatable)",
    )
    reg.add_argument("--returns", default="Any", help="return type (default Any)")
    reg.add_argument("--description", default="")
    reg.set_defaults(func=_register)
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


def _stub(args):
    import grpc

    from jotunheim._gen import loki_pb2_grpc

    channel = grpc.insecure_channel(args.address)
    return channel, loki_pb2_grpc.LokiServiceStub(channel)


def _rpc_failed(exc) -> int:
    print("loki: %s: %s" % (exc.code().name, exc.details()), file=sys.stderr)
    return 1


def _list(args) -> int:
    import grpc

    from jotunheim._gen import loki_pb2

    channel, stub = _stub(args)
    try:
        resp = stub.ListScripts(
            loki_pb2.ListScriptsRequest(name_pattern=args.pattern), timeout=args.timeout
        )
    except grpc.RpcError as exc:
        return _rpc_failed(exc)
    finally:
        channel.close()
    for script in resp.scripts:
        params = ", ".join(
            "%s: %s%s" % (p.name, p.type, "" if p.required else "?") for p in script.parameters
        )
        print("%s(%s) -> %s  %s" % (script.name, params, script.return_type, script.description))
    return 0


def _call(args) -> int:
    import grpc

    from jotunheim._gen import loki_pb2

    params = {}
    for item in args.params:
        key, sep, value = item.partition("=")
        if not sep or not key:
            print("loki: parameters are KEY=VALUE, got %r" % item, file=sys.stderr)
            return 2
        params[key] = value
    channel, _ = _stub(args)
    request = loki_pb2.ScriptInput(parameters=params)
    try:
        if not args.stream:
            method = channel.unary_unary(
                "/loki.LokiService/Script_" + args.name,
                request_serializer=loki_pb2.ScriptInput.SerializeToString,
                response_deserializer=loki_pb2.ScriptResult.FromString,
            )
            result = method(request, timeout=args.timeout)
            if result.metadata.get("printed"):
                print(result.metadata["printed"], file=sys.stderr)
            print(result.output)
            return 0 if result.success else 1
        method = channel.unary_stream(
            "/loki.LokiService/StreamScript_" + args.name,
            request_serializer=loki_pb2.ScriptInput.SerializeToString,
            response_deserializer=loki_pb2.ScriptChunk.FromString,
        )
        status = 0
        for chunk in method(request, timeout=args.timeout):
            kind = chunk.WhichOneof("chunk_type")
            if kind == "output":
                print(chunk.output.data, file=sys.stderr, flush=True)
            elif kind == "result":
                print(chunk.result.output)
                status = 0 if chunk.result.success else 1
            elif kind == "error":
                print(
                    "loki: %s: %s" % (chunk.error.error_type, chunk.error.error_message),
                    file=sys.stderr,
                )
                status = 1
        return status
    except grpc.RpcError as exc:
        return _rpc_failed(exc)
    finally:
        channel.close()


def _register(args) -> int:
    import grpc

    from jotunheim._gen import loki_pb2

    try:
        with open(args.file, encoding="utf-8") as fh:
            source = fh.read()
    except OSError as exc:
        print("loki: cannot read %s: %s" % (args.file, exc.strerror), file=sys.stderr)
        return 2
    params = []
    for spec in args.param:
        name, sep, ptype = spec.partition(":")
        if not sep:
            print("loki: --param is NAME:TYPE, got %r" % spec, file=sys.stderr)
            return 2
        optional = ptype.endswith("?")
        params.append(
            loki_pb2.ParameterDefinition(name=name, type=ptype.rstrip("?"), required=not optional)
        )
    channel, stub = _stub(args)
    try:
        resp = stub.RegisterScript(
            loki_pb2.RegisterScriptRequest(
                name=args.name,
                description=args.description,
                language="lua",
                parameters=params,
                return_type=args.returns,
                inline_script=source,
            ),
            timeout=args.timeout,
        )
    except grpc.RpcError as exc:
        return _rpc_failed(exc)
    finally:
        channel.close()
    if not resp.success:
        print("loki: not registered: %s" % resp.error_message, file=sys.stderr)
        return 1
    print("registered %s: call it as /loki.LokiService/Script_%s" % (args.name, args.name))
    return 0
