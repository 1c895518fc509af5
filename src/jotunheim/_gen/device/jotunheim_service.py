"""Generated code (do not edit): `make proto` rebuilds it from proto/jotunheim_service.proto."""

DeviceCommandRequest = ['DeviceCommandRequest', 'device_id,1,9;command,2,9;parameters,3,9', None, None]
DeviceCommandResponse = ['DeviceCommandResponse', 'success,1,8;result,2,12;error_message,3,9', None, None]
DeviceStatusRequest = ['DeviceStatusRequest', 'device_id,1,9', None, None]
DeviceStatusResponse = ['DeviceStatusResponse', 'device_id,1,9;status,2,9;capabilities,3,9;last_seen,4,3', None, None]
ToolCallRequest = ['ToolCallRequest', 'device_id,1,9;tool_name,2,9;parameters,3,9', None, None]
ToolCallResponse = ['ToolCallResponse', 'success,1,8;result,2,12;error_message,3,9', None, None]

JotunheimService = (
    ('SendDeviceCommand', '/jotunheim.JotunheimService/SendDeviceCommand', DeviceCommandRequest, DeviceCommandResponse, False, False),
    ('GetDeviceStatus', '/jotunheim.JotunheimService/GetDeviceStatus', DeviceStatusRequest, DeviceStatusResponse, False, False),
    ('CallTool', '/jotunheim.JotunheimService/CallTool', ToolCallRequest, ToolCallResponse, False, False),
)
