"""Helpers for Loki tests: a grpcio client for the dynamic methods, ports, JSON writes."""

import json
import os
import socket
import time

import grpc
import pytest

from jotunheim._gen import loki_pb2 as pb
from jotunheim._gen import loki_pb2_grpc
from jotunheim.cli.demo import free_port  # noqa: F401 - re-exported for the Loki tests


def wait_port(port, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("port %d never opened" % port)


def wait_until(predicate, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


class LokiClient:
    """A grpcio client for one Loki server, with helpers for the dynamic methods."""

    def __init__(self, port):
        self.channel = grpc.insecure_channel("127.0.0.1:%d" % port)
        self.stub = loki_pb2_grpc.LokiServiceStub(self.channel)

    def register(self, name, source, params=(), return_type="Any", description=""):
        """params: (name, type[, required]) tuples."""
        defs = [
            pb.ParameterDefinition(name=p[0], type=p[1], required=p[2] if len(p) > 2 else True)
            for p in params
        ]
        return self.stub.RegisterScript(
            pb.RegisterScriptRequest(
                name=name,
                description=description,
                language="lua",
                parameters=defs,
                return_type=return_type,
                inline_script=source,
            ),
            timeout=10,
        )

    def call(self, _script, timeout=10, **params):
        method = self.channel.unary_unary(
            "/loki.LokiService/Script_" + _script,
            request_serializer=pb.ScriptInput.SerializeToString,
            response_deserializer=pb.ScriptResult.FromString,
        )
        return method(
            pb.ScriptInput(parameters={k: str(v) for k, v in params.items()}), timeout=timeout
        )

    def call_future(self, _script, timeout=10, **params):
        method = self.channel.unary_unary(
            "/loki.LokiService/Script_" + _script,
            request_serializer=pb.ScriptInput.SerializeToString,
            response_deserializer=pb.ScriptResult.FromString,
        )
        return method.future(
            pb.ScriptInput(parameters={k: str(v) for k, v in params.items()}), timeout=timeout
        )

    def stream(self, _script, timeout=10, **params):
        method = self.channel.unary_stream(
            "/loki.LokiService/StreamScript_" + _script,
            request_serializer=pb.ScriptInput.SerializeToString,
            response_deserializer=pb.ScriptChunk.FromString,
        )
        return list(
            method(
                pb.ScriptInput(parameters={k: str(v) for k, v in params.items()}), timeout=timeout
            )
        )

    def close(self):
        self.channel.close()


def rpc_error(fn, *args, **kwargs) -> grpc.RpcError:
    """Calls fn and returns the grpc.RpcError it must raise."""
    with pytest.raises(grpc.RpcError) as info:
        fn(*args, **kwargs)
    return info.value


class Running:
    def __init__(self, server):
        self.server = server
        self.core = server.core
        self.port = server.port
        self.client = LokiClient(server.port)

    def board(self):
        return next(c for c in self.core.children if c.name == "fenrir").board

    def stop(self):
        self.client.close()
        self.server.stop(grace=0.5)


def write_json(path, data):
    """Writes JSON through a temp file + rename, like an editor saving atomically."""
    tmp = str(path) + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(data, fh)
    os.replace(tmp, path)
