from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class DeviceCommandRequest(_message.Message):
    __slots__ = ("device_id", "command", "parameters")
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    command: str
    parameters: str
    def __init__(self, device_id: _Optional[str] = ..., command: _Optional[str] = ..., parameters: _Optional[str] = ...) -> None: ...

class DeviceCommandResponse(_message.Message):
    __slots__ = ("success", "result", "error_message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    result: bytes
    error_message: str
    def __init__(self, success: _Optional[bool] = ..., result: _Optional[bytes] = ..., error_message: _Optional[str] = ...) -> None: ...

class DeviceStatusRequest(_message.Message):
    __slots__ = ("device_id",)
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    def __init__(self, device_id: _Optional[str] = ...) -> None: ...

class DeviceStatusResponse(_message.Message):
    __slots__ = ("device_id", "status", "capabilities", "last_seen")
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    LAST_SEEN_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    status: str
    capabilities: str
    last_seen: int
    def __init__(self, device_id: _Optional[str] = ..., status: _Optional[str] = ..., capabilities: _Optional[str] = ..., last_seen: _Optional[int] = ...) -> None: ...

class ToolCallRequest(_message.Message):
    __slots__ = ("device_id", "tool_name", "parameters")
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    TOOL_NAME_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    tool_name: str
    parameters: str
    def __init__(self, device_id: _Optional[str] = ..., tool_name: _Optional[str] = ..., parameters: _Optional[str] = ...) -> None: ...

class ToolCallResponse(_message.Message):
    __slots__ = ("success", "result", "error_message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    result: bytes
    error_message: str
    def __init__(self, success: _Optional[bool] = ..., result: _Optional[bytes] = ..., error_message: _Optional[str] = ...) -> None: ...
