"""Generated code (do not edit): `make proto` rebuilds it from proto/grpc/testing/test.proto."""

from jotunheim._gen.device import grpc_testing_empty as _grpc_testing_empty
from jotunheim._gen.device import grpc_testing_messages as _grpc_testing_messages


TestService = (
    ('EmptyCall', '/grpc.testing.TestService/EmptyCall', _grpc_testing_empty.Empty, _grpc_testing_empty.Empty, False, False),
    ('UnaryCall', '/grpc.testing.TestService/UnaryCall', _grpc_testing_messages.SimpleRequest, _grpc_testing_messages.SimpleResponse, False, False),
    ('CacheableUnaryCall', '/grpc.testing.TestService/CacheableUnaryCall', _grpc_testing_messages.SimpleRequest, _grpc_testing_messages.SimpleResponse, False, False),
    ('StreamingOutputCall', '/grpc.testing.TestService/StreamingOutputCall', _grpc_testing_messages.StreamingOutputCallRequest, _grpc_testing_messages.StreamingOutputCallResponse, False, True),
    ('StreamingInputCall', '/grpc.testing.TestService/StreamingInputCall', _grpc_testing_messages.StreamingInputCallRequest, _grpc_testing_messages.StreamingInputCallResponse, True, False),
    ('FullDuplexCall', '/grpc.testing.TestService/FullDuplexCall', _grpc_testing_messages.StreamingOutputCallRequest, _grpc_testing_messages.StreamingOutputCallResponse, True, True),
    ('HalfDuplexCall', '/grpc.testing.TestService/HalfDuplexCall', _grpc_testing_messages.StreamingOutputCallRequest, _grpc_testing_messages.StreamingOutputCallResponse, True, True),
    ('UnimplementedCall', '/grpc.testing.TestService/UnimplementedCall', _grpc_testing_empty.Empty, _grpc_testing_empty.Empty, False, False),
)

UnimplementedService = (
    ('UnimplementedCall', '/grpc.testing.UnimplementedService/UnimplementedCall', _grpc_testing_empty.Empty, _grpc_testing_empty.Empty, False, False),
)
