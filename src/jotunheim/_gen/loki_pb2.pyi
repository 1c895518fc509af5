from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetCapabilitiesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetCapabilitiesResponse(_message.Message):
    __slots__ = ("service_name", "purpose", "capabilities", "children")
    SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    CHILDREN_FIELD_NUMBER: _ClassVar[int]
    service_name: str
    purpose: str
    capabilities: _containers.RepeatedCompositeFieldContainer[ScriptCapability]
    children: _containers.RepeatedCompositeFieldContainer[ChildServiceInfo]
    def __init__(self, service_name: _Optional[str] = ..., purpose: _Optional[str] = ..., capabilities: _Optional[_Iterable[_Union[ScriptCapability, _Mapping]]] = ..., children: _Optional[_Iterable[_Union[ChildServiceInfo, _Mapping]]] = ...) -> None: ...

class ScriptCapability(_message.Message):
    __slots__ = ("script_name", "description", "parameters", "return_type", "supports_streaming")
    SCRIPT_NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    RETURN_TYPE_FIELD_NUMBER: _ClassVar[int]
    SUPPORTS_STREAMING_FIELD_NUMBER: _ClassVar[int]
    script_name: str
    description: str
    parameters: _containers.RepeatedCompositeFieldContainer[ParameterDefinition]
    return_type: str
    supports_streaming: bool
    def __init__(self, script_name: _Optional[str] = ..., description: _Optional[str] = ..., parameters: _Optional[_Iterable[_Union[ParameterDefinition, _Mapping]]] = ..., return_type: _Optional[str] = ..., supports_streaming: _Optional[bool] = ...) -> None: ...

class ParameterDefinition(_message.Message):
    __slots__ = ("name", "type", "required", "description")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: str
    required: bool
    description: str
    def __init__(self, name: _Optional[str] = ..., type: _Optional[str] = ..., required: _Optional[bool] = ..., description: _Optional[str] = ...) -> None: ...

class ChildServiceInfo(_message.Message):
    __slots__ = ("name", "purpose", "enabled", "address")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    name: str
    purpose: str
    enabled: bool
    address: str
    def __init__(self, name: _Optional[str] = ..., purpose: _Optional[str] = ..., enabled: _Optional[bool] = ..., address: _Optional[str] = ...) -> None: ...

class GetChildrenStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetChildrenStatusResponse(_message.Message):
    __slots__ = ("children",)
    CHILDREN_FIELD_NUMBER: _ClassVar[int]
    children: _containers.RepeatedCompositeFieldContainer[ChildStatus]
    def __init__(self, children: _Optional[_Iterable[_Union[ChildStatus, _Mapping]]] = ...) -> None: ...

class ChildStatus(_message.Message):
    __slots__ = ("name", "available", "status_message", "last_check_timestamp")
    NAME_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    STATUS_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    LAST_CHECK_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    name: str
    available: bool
    status_message: str
    last_check_timestamp: int
    def __init__(self, name: _Optional[str] = ..., available: _Optional[bool] = ..., status_message: _Optional[str] = ..., last_check_timestamp: _Optional[int] = ...) -> None: ...

class ListScriptsRequest(_message.Message):
    __slots__ = ("name_pattern",)
    NAME_PATTERN_FIELD_NUMBER: _ClassVar[int]
    name_pattern: str
    def __init__(self, name_pattern: _Optional[str] = ...) -> None: ...

class ListScriptsResponse(_message.Message):
    __slots__ = ("scripts",)
    SCRIPTS_FIELD_NUMBER: _ClassVar[int]
    scripts: _containers.RepeatedCompositeFieldContainer[ScriptInfo]
    def __init__(self, scripts: _Optional[_Iterable[_Union[ScriptInfo, _Mapping]]] = ...) -> None: ...

class ScriptInfo(_message.Message):
    __slots__ = ("name", "description", "language", "parameters", "return_type", "has_inline_script", "script_path")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    RETURN_TYPE_FIELD_NUMBER: _ClassVar[int]
    HAS_INLINE_SCRIPT_FIELD_NUMBER: _ClassVar[int]
    SCRIPT_PATH_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    language: str
    parameters: _containers.RepeatedCompositeFieldContainer[ParameterDefinition]
    return_type: str
    has_inline_script: bool
    script_path: str
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., language: _Optional[str] = ..., parameters: _Optional[_Iterable[_Union[ParameterDefinition, _Mapping]]] = ..., return_type: _Optional[str] = ..., has_inline_script: _Optional[bool] = ..., script_path: _Optional[str] = ...) -> None: ...

class RegisterScriptRequest(_message.Message):
    __slots__ = ("name", "description", "language", "parameters", "return_type", "inline_script", "script_path")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    RETURN_TYPE_FIELD_NUMBER: _ClassVar[int]
    INLINE_SCRIPT_FIELD_NUMBER: _ClassVar[int]
    SCRIPT_PATH_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    language: str
    parameters: _containers.RepeatedCompositeFieldContainer[ParameterDefinition]
    return_type: str
    inline_script: str
    script_path: str
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., language: _Optional[str] = ..., parameters: _Optional[_Iterable[_Union[ParameterDefinition, _Mapping]]] = ..., return_type: _Optional[str] = ..., inline_script: _Optional[str] = ..., script_path: _Optional[str] = ...) -> None: ...

class RegisterScriptResponse(_message.Message):
    __slots__ = ("success", "script_name", "error_message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    SCRIPT_NAME_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    script_name: str
    error_message: str
    def __init__(self, success: _Optional[bool] = ..., script_name: _Optional[str] = ..., error_message: _Optional[str] = ...) -> None: ...

class ExecuteScriptRequest(_message.Message):
    __slots__ = ("script_id", "script_content", "script_type", "parameters")
    class ParametersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SCRIPT_ID_FIELD_NUMBER: _ClassVar[int]
    SCRIPT_CONTENT_FIELD_NUMBER: _ClassVar[int]
    SCRIPT_TYPE_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    script_id: str
    script_content: str
    script_type: str
    parameters: _containers.ScalarMap[str, str]
    def __init__(self, script_id: _Optional[str] = ..., script_content: _Optional[str] = ..., script_type: _Optional[str] = ..., parameters: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ExecuteScriptResponse(_message.Message):
    __slots__ = ("success", "output", "error")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    success: bool
    output: str
    error: str
    def __init__(self, success: _Optional[bool] = ..., output: _Optional[str] = ..., error: _Optional[str] = ...) -> None: ...

class StreamScriptExecutionRequest(_message.Message):
    __slots__ = ("script_name", "input")
    SCRIPT_NAME_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    script_name: str
    input: ScriptInput
    def __init__(self, script_name: _Optional[str] = ..., input: _Optional[_Union[ScriptInput, _Mapping]] = ...) -> None: ...

class ScriptInput(_message.Message):
    __slots__ = ("parameters",)
    class ParametersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    parameters: _containers.ScalarMap[str, str]
    def __init__(self, parameters: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ScriptChunk(_message.Message):
    __slots__ = ("result", "output", "error", "timestamp")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    result: ScriptResult
    output: ScriptOutput
    error: ScriptError
    timestamp: int
    def __init__(self, result: _Optional[_Union[ScriptResult, _Mapping]] = ..., output: _Optional[_Union[ScriptOutput, _Mapping]] = ..., error: _Optional[_Union[ScriptError, _Mapping]] = ..., timestamp: _Optional[int] = ...) -> None: ...

class ScriptResult(_message.Message):
    __slots__ = ("success", "output", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    success: bool
    output: str
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, success: _Optional[bool] = ..., output: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ScriptOutput(_message.Message):
    __slots__ = ("data", "is_final")
    DATA_FIELD_NUMBER: _ClassVar[int]
    IS_FINAL_FIELD_NUMBER: _ClassVar[int]
    data: str
    is_final: bool
    def __init__(self, data: _Optional[str] = ..., is_final: _Optional[bool] = ...) -> None: ...

class ScriptError(_message.Message):
    __slots__ = ("error_message", "error_type")
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ERROR_TYPE_FIELD_NUMBER: _ClassVar[int]
    error_message: str
    error_type: str
    def __init__(self, error_message: _Optional[str] = ..., error_type: _Optional[str] = ...) -> None: ...
