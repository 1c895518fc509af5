"""Loki's gRPC front: loki.LokiService (fixed and dynamic Script_ methods) and Einherjar."""

import logging
import queue
import threading
import time
from concurrent import futures

import grpc

from jotunheim._gen import einherjar_pb2, einherjar_pb2_grpc, loki_pb2, loki_pb2_grpc
from jotunheim.loki.core import LokiCore
from jotunheim.loki.errors import ConfigError, LokiError
from jotunheim.loki.params import JSON_SCHEMA_TYPES, convert_params, render_output, type_of
from jotunheim.loki.settings import LokiSettings

log = logging.getLogger("jotunheim.loki.server")

SERVICE = "loki.LokiService"
PURPOSE = "Runs sandboxed Lua scripts and exposes each one as a gRPC function Script_<name>."
_UNARY_PREFIX = "/%s/Script_" % SERVICE
_STREAM_PREFIX = "/%s/StreamScript_" % SERVICE


def _now_ms():
    return int(time.time() * 1000)


def _abort(context, exc: LokiError):
    context.set_trailing_metadata((("loki-error-type", exc.error_type),))
    context.abort(getattr(grpc.StatusCode, exc.code), str(exc))


def _timeout(context):
    remaining = context.time_remaining()
    return None if remaining is None or remaining > 1e9 else remaining


def _param_messages(cls, definition):
    return [
        cls(name=p.name, type=p.type, required=p.required, description=p.description)
        for p in definition.parameters
    ]


def _result_message(result):
    metadata = {"type": type_of(result.value), "elapsed_us": str(int(result.elapsed_s * 1e6))}
    if result.output:
        metadata["printed"] = "\n".join(result.output)
    if result.truncated:
        metadata["printed_truncated"] = "true"
    if result.failure is not None:
        metadata["error_type"] = "ScriptFailure"
        return loki_pb2.ScriptResult(success=False, output=result.failure, metadata=metadata)
    return loki_pb2.ScriptResult(
        success=True, output=render_output(result.value), metadata=metadata
    )


class LokiServicer(loki_pb2_grpc.LokiServiceServicer):
    """The six fixed RPCs of loki.LokiService."""

    def __init__(self, core: LokiCore):
        self.core = core

    def GetCapabilities(self, request, context):
        caps = [
            loki_pb2.ScriptCapability(
                script_name=d.name,
                description=d.description,
                parameters=_param_messages(loki_pb2.ParameterDefinition, d),
                return_type=d.return_type,
                supports_streaming=True,
            )
            for d in self.core.registry.all()
        ]
        children = [
            loki_pb2.ChildServiceInfo(
                name=c.name, purpose=c.purpose, enabled=True, address="in-process"
            )
            for c in self.core.children
        ]
        return loki_pb2.GetCapabilitiesResponse(
            service_name="loki", purpose=PURPOSE, capabilities=caps, children=children
        )

    def GetChildrenStatus(self, request, context):
        return loki_pb2.GetChildrenStatusResponse(
            children=[
                loki_pb2.ChildStatus(
                    name=c.name, available=ok, status_message=msg, last_check_timestamp=ts
                )
                for c, ok, msg, ts in self.core.children_status()
            ]
        )

    def ListScripts(self, request, context):
        return loki_pb2.ListScriptsResponse(
            scripts=[
                loki_pb2.ScriptInfo(
                    name=d.name,
                    description=d.description,
                    language=d.language,
                    parameters=_param_messages(loki_pb2.ParameterDefinition, d),
                    return_type=d.return_type,
                    has_inline_script=not d.script_path,
                    script_path=d.script_path,
                )
                for d in self.core.registry.matching(request.name_pattern)
            ]
        )

    def RegisterScript(self, request, context):
        source = request.WhichOneof("script_source")
        params = [
            {"name": p.name, "type": p.type, "required": p.required, "description": p.description}
            for p in request.parameters
        ]
        try:
            self.core.register(
                request.name,
                request.description,
                request.language or "lua",
                params,
                request.return_type,
                request.inline_script if source == "inline_script" else None,
                request.script_path if source == "script_path" else None,
            )
        except ConfigError as exc:
            return loki_pb2.RegisterScriptResponse(
                success=False, script_name=request.name, error_message=str(exc)
            )
        except OSError as exc:
            log.error("cannot persist script %s: %s", request.name, exc)
            return loki_pb2.RegisterScriptResponse(
                success=False,
                script_name=request.name,
                error_message="cannot persist the script in the data directory: %s" % exc.strerror,
            )
        log.info("script %s registered", request.name)
        return loki_pb2.RegisterScriptResponse(success=True, script_name=request.name)

    def ExecuteScript(self, request, context):
        if request.script_type and request.script_type.lower() != "lua":
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, 'script_type: only "lua" is supported')
        try:
            if request.script_id:
                result = self.core.run(
                    self.core.lookup(request.script_id), dict(request.parameters), _timeout(context)
                )
            elif request.script_content:
                result = self.core.run_inline(
                    request.script_content, dict(request.parameters), _timeout(context)
                )
            else:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "give script_id or script_content")
        except LokiError as exc:
            if exc.error_type == "LuaError":
                return loki_pb2.ExecuteScriptResponse(success=False, error=str(exc))
            _abort(context, exc)
        if result.failure is not None:
            return loki_pb2.ExecuteScriptResponse(success=False, error=result.failure)
        return loki_pb2.ExecuteScriptResponse(success=True, output=render_output(result.value))

    def StreamScriptExecution(self, request, context):
        try:
            definition = self.core.lookup(request.script_name)
        except LokiError as exc:
            _abort(context, exc)
        yield from stream_script(self.core, definition, dict(request.input.parameters), context)


def stream_script(core, definition, raw_params, context):
    """Runs the script on a helper thread and yields output chunks as print() produces them,
    then one result or error chunk. Problems before the run starts are gRPC statuses."""
    try:
        params = convert_params(definition.parameters, raw_params)
    except LokiError as exc:
        _abort(context, exc)
    chunks = queue.Queue()
    done = object()

    def on_output(text):
        chunks.put(
            loki_pb2.ScriptChunk(output=loki_pb2.ScriptOutput(data=text), timestamp=_now_ms())
        )

    def work():
        try:
            result = core.run_typed(definition, params, _timeout(context), on_output)
            chunks.put(loki_pb2.ScriptChunk(result=_result_message(result), timestamp=_now_ms()))
        except LokiError as exc:
            chunks.put(
                loki_pb2.ScriptChunk(
                    error=loki_pb2.ScriptError(error_message=str(exc), error_type=exc.error_type),
                    timestamp=_now_ms(),
                )
            )
        except Exception as exc:  # noqa: BLE001 - report, never leave the stream hanging
            log.exception("stream execution of %s failed", definition.name)
            chunks.put(
                loki_pb2.ScriptChunk(
                    error=loki_pb2.ScriptError(
                        error_message="internal error: %s" % exc, error_type="Internal"
                    ),
                    timestamp=_now_ms(),
                )
            )
        finally:
            chunks.put(done)

    threading.Thread(target=work, name="loki-stream-" + definition.name, daemon=True).start()
    while True:
        chunk = chunks.get()
        if chunk is done:
            return
        yield chunk


class DynamicScripts(grpc.GenericRpcHandler):
    """Resolves /loki.LokiService/Script_<name> and StreamScript_<name> per call."""

    def __init__(self, core: LokiCore):
        self.core = core

    def service(self, handler_call_details):
        method = handler_call_details.method
        if method.startswith(_UNARY_PREFIX):
            name = method[len(_UNARY_PREFIX) :]
            return grpc.unary_unary_rpc_method_handler(
                lambda request, context: self._unary(name, request, context),
                request_deserializer=loki_pb2.ScriptInput.FromString,
                response_serializer=loki_pb2.ScriptResult.SerializeToString,
            )
        if method.startswith(_STREAM_PREFIX):
            name = method[len(_STREAM_PREFIX) :]
            return grpc.unary_stream_rpc_method_handler(
                lambda request, context: self._stream(name, request, context),
                request_deserializer=loki_pb2.ScriptInput.FromString,
                response_serializer=loki_pb2.ScriptChunk.SerializeToString,
            )
        return None

    def _lookup(self, name, context):
        try:
            return self.core.lookup(name)
        except LokiError as exc:
            _abort(context, exc)

    def _unary(self, name, request, context):
        definition = self._lookup(name, context)
        try:
            result = self.core.run(definition, dict(request.parameters), _timeout(context))
        except LokiError as exc:
            _abort(context, exc)
        except Exception as exc:  # noqa: BLE001 - a bug must still answer, with a clear status
            log.exception("Script_%s failed inside Loki", name)
            context.abort(grpc.StatusCode.INTERNAL, "internal error: %s" % exc)
        return _result_message(result)

    def _stream(self, name, request, context):
        definition = self._lookup(name, context)
        yield from stream_script(self.core, definition, dict(request.parameters), context)


class EinherjarServicer(einherjar_pb2_grpc.EinherjarProtocolServicer):
    """Function discovery for the Edda family: every script as a FunctionDefinition."""

    def __init__(self, core: LokiCore):
        self.core = core

    def GetCapabilities(self, request, context):
        functions = []
        for d in self.core.registry.all():
            functions.append(
                einherjar_pb2.FunctionDefinition(
                    name=d.name,
                    description=d.description,
                    parameters=[
                        einherjar_pb2.ParameterDefinition(
                            name=p.name,
                            type=JSON_SCHEMA_TYPES[p.type],
                            description=p.description,
                            required=p.required,
                        )
                        for p in d.parameters
                    ],
                    return_type=JSON_SCHEMA_TYPES[d.return_type],
                    capabilities=[
                        "grpc:/%s/Script_%s" % (SERVICE, d.name),
                        "grpc-stream:/%s/StreamScript_%s" % (SERVICE, d.name),
                    ]
                    + (["system"] if d.system else []),
                    responsibility_keywords=list(d.keywords),
                )
            )
        return einherjar_pb2.CapabilityResponse(
            god_name="loki",
            purpose=PURPOSE,
            functions=functions,
            responsibility_domains=["scripting", "automation", "iot"],
            responsibility_keywords=["lua", "script", "gpio", "http", "mqtt", "storage"],
        )


class LokiServer:
    """A running Loki: the core plus a grpcio server bound to settings.host:settings.port."""

    def __init__(self, settings: LokiSettings):
        self.settings = settings
        self.core = LokiCore(settings)
        self.server = grpc.server(
            futures.ThreadPoolExecutor(
                max_workers=settings.grpc_workers, thread_name_prefix="loki-rpc"
            ),
            maximum_concurrent_rpcs=settings.grpc_workers * 4,
        )
        loki_pb2_grpc.add_LokiServiceServicer_to_server(LokiServicer(self.core), self.server)
        einherjar_pb2_grpc.add_EinherjarProtocolServicer_to_server(
            EinherjarServicer(self.core), self.server
        )
        self.server.add_generic_rpc_handlers((DynamicScripts(self.core),))
        try:
            self.port = self.server.add_insecure_port("%s:%d" % (settings.host, settings.port))
        except RuntimeError as exc:  # grpcio reports a failed bind as RuntimeError
            self.core.close()
            raise OSError("cannot bind %s:%d: %s" % (settings.host, settings.port, exc)) from None

    def start(self) -> "LokiServer":
        self.server.start()
        self.core.start()
        log.info("loki listening on %s:%d", self.settings.host, self.port)
        return self

    def stop(self, grace=1.0) -> None:
        self.server.stop(grace).wait()
        self.core.close()

    def wait(self) -> None:
        self.server.wait_for_termination()
