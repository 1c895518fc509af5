"""A small grpcio LokiService for the device Loki client tests (generic handler).

Scripts are Python callables `fn(params: dict[str, str]) -> str`; RegisterScript adds one
that echoes its parameters, so a test can see dynamic `Script_<name>` methods appear at once.
"""

import json
import threading
from concurrent import futures

import grpc

from jotunheim._gen import loki_pb2
from jotunheim.cli.demo import free_port  # noqa: F401 - re-exported for the tests

PREFIX = "/loki.LokiService/"


class LokiState:
    def __init__(self):
        self.scripts = {}  # name -> (description, fn)
        self.calls = []  # (method, request message)
        self.fail_next = []  # grpc.StatusCode values to abort the next calls with
        self.lock = threading.Lock()

    def add(self, name, fn, description=""):
        self.scripts[name] = (description, fn)


def _unary(state, method, req_cls, fn):
    def handle(request, context):
        with state.lock:
            state.calls.append((method, request))
            fail = state.fail_next.pop(0) if state.fail_next else None
        if fail is not None:
            context.abort(fail, "injected failure")
        return fn(request, context)

    return grpc.unary_unary_rpc_method_handler(
        handle,
        request_deserializer=req_cls.FromString,
        response_serializer=lambda m: m.SerializeToString(),
    )


class LokiHandler(grpc.GenericRpcHandler):
    def __init__(self, state):
        self.state = state

    def service(self, details):
        method = details.method
        if not method.startswith(PREFIX):
            return None
        name = method[len(PREFIX) :]
        fixed = {
            "GetCapabilities": (loki_pb2.GetCapabilitiesRequest, self._caps),
            "ListScripts": (loki_pb2.ListScriptsRequest, self._list),
            "RegisterScript": (loki_pb2.RegisterScriptRequest, self._register),
        }
        if name in fixed:
            req_cls, fn = fixed[name]
            return _unary(self.state, name, req_cls, fn)
        if name.startswith("Script_") and name[len("Script_") :] in self.state.scripts:
            script = name[len("Script_") :]
            return _unary(self.state, name, loki_pb2.ScriptInput, self._script(script))
        return None  # grpcio answers UNIMPLEMENTED

    def _caps(self, request, context):
        caps = [
            loki_pb2.ScriptCapability(script_name=n, description=d)
            for n, (d, _) in sorted(self.state.scripts.items())
        ]
        return loki_pb2.GetCapabilitiesResponse(
            service_name="loki", purpose="test Loki", capabilities=caps
        )

    def _list(self, request, context):
        infos = [
            loki_pb2.ScriptInfo(name=n, description=d, language="lua")
            for n, (d, _) in sorted(self.state.scripts.items())
            if not request.name_pattern or n.startswith(request.name_pattern.rstrip("*"))
        ]
        return loki_pb2.ListScriptsResponse(scripts=infos)

    def _register(self, request, context):
        if not request.name.isidentifier():
            return loki_pb2.RegisterScriptResponse(success=False, error_message="bad name")

        def echo(params, _name=request.name):
            return json.dumps({"script": _name, "params": params})

        self.state.add(request.name, echo, request.description)
        return loki_pb2.RegisterScriptResponse(success=True, script_name=request.name)

    def _script(self, script):
        def run(request, context):
            _, fn = self.state.scripts[script]
            params = dict(request.parameters)
            try:
                out = fn(params)
            except ValueError as exc:
                return loki_pb2.ScriptResult(
                    success=False, output=str(exc), metadata={"error_type": "InvalidArgument"}
                )
            return loki_pb2.ScriptResult(success=True, output=out)

        return run


def start():
    """Starts the server on 127.0.0.1 (free port); returns (server, port, state)."""
    state = LokiState()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((LokiHandler(state),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port, state


if __name__ == "__main__":  # manual use: python lokiserver.py -> prints the port, serves
    srv, p, st = start()
    st.add("add", lambda ps: json.dumps(int(ps["a"]) + int(ps["b"])))
    print(p, flush=True)
    srv.wait_for_termination()
