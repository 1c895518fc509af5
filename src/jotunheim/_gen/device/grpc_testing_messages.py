"""Generated code (do not edit): `make proto` rebuilds it from proto/grpc/testing/messages.proto."""

PayloadType_COMPRESSABLE = 0
GrpclbRouteType_GRPCLB_ROUTE_TYPE_UNKNOWN = 0
GrpclbRouteType_GRPCLB_ROUTE_TYPE_FALLBACK = 1
GrpclbRouteType_GRPCLB_ROUTE_TYPE_BACKEND = 2

BoolValue = ['BoolValue', 'value,1,8', None, None]
Payload = ['Payload', 'type,1,14;body,2,12', None, None]
EchoStatus = ['EchoStatus', 'code,1,5;message,2,9', None, None]
SimpleRequest = ['SimpleRequest', (
    'response_type,1,14;response_size,2,5;payload,3,11;fill_username,4,8'
    ';fill_oauth_scope,5,8;response_compressed,6,11;response_status,7,11'
    ';expect_compressed,8,11;fill_server_id,9,8;fill_grpclb_route_type,10,8'
), None, (Payload, BoolValue, EchoStatus, BoolValue, )]
SimpleResponse = ['SimpleResponse', (
    'payload,1,11;username,2,9;oauth_scope,3,9;server_id,4,9'
    ';grpclb_route_type,5,14;hostname,6,9'
), None, (Payload, )]
StreamingInputCallRequest = ['StreamingInputCallRequest', 'payload,1,11;expect_compressed,2,11', None, (Payload, BoolValue, )]
StreamingInputCallResponse = ['StreamingInputCallResponse', 'aggregated_payload_size,1,5', None, None]
ResponseParameters = ['ResponseParameters', 'size,1,5;interval_us,2,5;compressed,3,11', None, (BoolValue, )]
StreamingOutputCallRequest = ['StreamingOutputCallRequest', (
    'response_type,1,14;response_parameters,2,43;payload,3,11'
    ';response_status,7,11'
), None, (ResponseParameters, Payload, EchoStatus, )]
StreamingOutputCallResponse = ['StreamingOutputCallResponse', 'payload,1,11', None, (Payload, )]
ReconnectParams = ['ReconnectParams', 'max_reconnect_backoff_ms,1,5', None, None]
ReconnectInfo = ['ReconnectInfo', 'passed,1,8;backoff_ms,2,165', None, None]
