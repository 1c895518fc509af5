"""Generated code (do not edit): `make proto` rebuilds it from proto/grpc/testing/messages.proto."""

PayloadType_COMPRESSABLE = 0
GrpclbRouteType_GRPCLB_ROUTE_TYPE_UNKNOWN = 0
GrpclbRouteType_GRPCLB_ROUTE_TYPE_FALLBACK = 1
GrpclbRouteType_GRPCLB_ROUTE_TYPE_BACKEND = 2

BoolValue = ('BoolValue', ('value', 1, 8, None,), None)
Payload = ('Payload', (
    'type', 1, 14, None,
    'body', 2, 12, None,
), None)
EchoStatus = ('EchoStatus', (
    'code', 1, 5, None,
    'message', 2, 9, None,
), None)
SimpleRequest = ('SimpleRequest', (
    'response_type', 1, 14, None,
    'response_size', 2, 5, None,
    'payload', 3, 11, Payload,
    'fill_username', 4, 8, None,
    'fill_oauth_scope', 5, 8, None,
    'response_compressed', 6, 11, BoolValue,
    'response_status', 7, 11, EchoStatus,
    'expect_compressed', 8, 11, BoolValue,
    'fill_server_id', 9, 8, None,
    'fill_grpclb_route_type', 10, 8, None,
), None)
SimpleResponse = ('SimpleResponse', (
    'payload', 1, 11, Payload,
    'username', 2, 9, None,
    'oauth_scope', 3, 9, None,
    'server_id', 4, 9, None,
    'grpclb_route_type', 5, 14, None,
    'hostname', 6, 9, None,
), None)
StreamingInputCallRequest = ('StreamingInputCallRequest', (
    'payload', 1, 11, Payload,
    'expect_compressed', 2, 11, BoolValue,
), None)
StreamingInputCallResponse = ('StreamingInputCallResponse', ('aggregated_payload_size', 1, 5, None,), None)
ResponseParameters = ('ResponseParameters', (
    'size', 1, 5, None,
    'interval_us', 2, 5, None,
    'compressed', 3, 11, BoolValue,
), None)
StreamingOutputCallRequest = ('StreamingOutputCallRequest', (
    'response_type', 1, 14, None,
    'response_parameters', 2, 43, ResponseParameters,
    'payload', 3, 11, Payload,
    'response_status', 7, 11, EchoStatus,
), None)
StreamingOutputCallResponse = ('StreamingOutputCallResponse', ('payload', 1, 11, Payload,), None)
ReconnectParams = ('ReconnectParams', ('max_reconnect_backoff_ms', 1, 5, None,), None)
ReconnectInfo = ('ReconnectInfo', (
    'passed', 1, 8, None,
    'backoff_ms', 2, 165, None,
), None)
