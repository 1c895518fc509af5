"""A grpcio implementation of grpc.testing.TestService per the gRPC interop test
descriptions: the real peer our interop client is tested against (also a standalone script)."""

import time
from concurrent import futures

import grpc

from jotunheim._gen.grpc.testing import empty_pb2, messages_pb2, test_pb2_grpc

_CODES = {c.value[0]: c for c in grpc.StatusCode}
ECHO_INITIAL = "x-grpc-test-echo-initial"
ECHO_TRAILING = "x-grpc-test-echo-trailing-bin"

# Keepalive PINGs from our channel must not be punished as abuse (grpc's ping strikes),
# so the liveness tests can ping every few hundred milliseconds.
SERVER_OPTIONS = [
    ("grpc.http2.min_ping_interval_without_data_ms", 10),
    ("grpc.http2.max_ping_strikes", 0),
    ("grpc.keepalive_permit_without_calls", 1),
]


def _payload(size):
    return messages_pb2.Payload(body=bytes(size))


def _echo_metadata(context):
    md = dict(context.invocation_metadata())
    if ECHO_INITIAL in md:
        context.send_initial_metadata([(ECHO_INITIAL, md[ECHO_INITIAL])])
    if ECHO_TRAILING in md:
        context.set_trailing_metadata([(ECHO_TRAILING, md[ECHO_TRAILING])])


def _apply_status(request, context):
    """True when the request asked for a non-OK status (the call must end with it)."""
    if request.HasField("response_status") and request.response_status.code != 0:
        context.set_code(_CODES[request.response_status.code])
        context.set_details(request.response_status.message)
        return True
    return False


class TestService(test_pb2_grpc.TestServiceServicer):
    """The interop TestService; UnimplementedCall stays unimplemented on purpose."""

    def EmptyCall(self, request, context):
        return empty_pb2.Empty()

    def UnaryCall(self, request, context):
        _echo_metadata(context)
        if _apply_status(request, context):
            return messages_pb2.SimpleResponse()
        return messages_pb2.SimpleResponse(payload=_payload(request.response_size))

    CacheableUnaryCall = UnaryCall

    def StreamingOutputCall(self, request, context):
        _echo_metadata(context)
        for params in request.response_parameters:
            if params.interval_us:
                time.sleep(params.interval_us / 1e6)
            yield messages_pb2.StreamingOutputCallResponse(payload=_payload(params.size))
        _apply_status(request, context)

    def StreamingInputCall(self, request_iterator, context):
        total = sum(len(r.payload.body) for r in request_iterator)
        return messages_pb2.StreamingInputCallResponse(aggregated_payload_size=total)

    def FullDuplexCall(self, request_iterator, context):
        _echo_metadata(context)
        for request in request_iterator:
            if _apply_status(request, context):
                return
            for params in request.response_parameters:
                if params.interval_us:
                    time.sleep(params.interval_us / 1e6)
                yield messages_pb2.StreamingOutputCallResponse(payload=_payload(params.size))

    def HalfDuplexCall(self, request_iterator, context):
        _echo_metadata(context)
        requests = list(request_iterator)
        for request in requests:
            for params in request.response_parameters:
                yield messages_pb2.StreamingOutputCallResponse(payload=_payload(params.size))


def start_server(host="127.0.0.1", port=0, workers=16, options=(), credentials=None):
    """Starts the server (TLS with credentials); returns (server, bound_port)."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=workers), options=SERVER_OPTIONS + list(options)
    )
    test_pb2_grpc.add_TestServiceServicer_to_server(TestService(), server)
    if credentials is not None:
        bound = server.add_secure_port("%s:%d" % (host, port), credentials)
    else:
        bound = server.add_insecure_port("%s:%d" % (host, port))
    server.start()
    return server, bound


if __name__ == "__main__":
    import sys

    srv, p = start_server(port=int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    print("interop server on 127.0.0.1:%d" % p, flush=True)
    srv.wait_for_termination()
