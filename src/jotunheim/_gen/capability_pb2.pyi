from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class JotunheimCapabilities(_message.Message):
    __slots__ = ("device_id", "device_name", "device_type", "firmware_version", "protocol_version", "tools", "hardware", "resources", "features")
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    DEVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    DEVICE_TYPE_FIELD_NUMBER: _ClassVar[int]
    FIRMWARE_VERSION_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    TOOLS_FIELD_NUMBER: _ClassVar[int]
    HARDWARE_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    device_name: str
    device_type: str
    firmware_version: str
    protocol_version: str
    tools: _containers.RepeatedCompositeFieldContainer[Tool]
    hardware: HardwareCapabilities
    resources: ResourceLimits
    features: ProtocolFeatures
    def __init__(self, device_id: _Optional[str] = ..., device_name: _Optional[str] = ..., device_type: _Optional[str] = ..., firmware_version: _Optional[str] = ..., protocol_version: _Optional[str] = ..., tools: _Optional[_Iterable[_Union[Tool, _Mapping]]] = ..., hardware: _Optional[_Union[HardwareCapabilities, _Mapping]] = ..., resources: _Optional[_Union[ResourceLimits, _Mapping]] = ..., features: _Optional[_Union[ProtocolFeatures, _Mapping]] = ...) -> None: ...

class Tool(_message.Message):
    __slots__ = ("name", "description", "parameters", "return_type")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    RETURN_TYPE_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    parameters: _containers.RepeatedCompositeFieldContainer[ParameterDefinition]
    return_type: str
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., parameters: _Optional[_Iterable[_Union[ParameterDefinition, _Mapping]]] = ..., return_type: _Optional[str] = ...) -> None: ...

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

class HardwareCapabilities(_message.Message):
    __slots__ = ("gpio", "interfaces", "sensors", "actuators")
    GPIO_FIELD_NUMBER: _ClassVar[int]
    INTERFACES_FIELD_NUMBER: _ClassVar[int]
    SENSORS_FIELD_NUMBER: _ClassVar[int]
    ACTUATORS_FIELD_NUMBER: _ClassVar[int]
    gpio: GpioInfo
    interfaces: _containers.RepeatedScalarFieldContainer[str]
    sensors: _containers.RepeatedScalarFieldContainer[str]
    actuators: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, gpio: _Optional[_Union[GpioInfo, _Mapping]] = ..., interfaces: _Optional[_Iterable[str]] = ..., sensors: _Optional[_Iterable[str]] = ..., actuators: _Optional[_Iterable[str]] = ...) -> None: ...

class GpioInfo(_message.Message):
    __slots__ = ("available_pins", "digital", "analog", "pwm")
    AVAILABLE_PINS_FIELD_NUMBER: _ClassVar[int]
    DIGITAL_FIELD_NUMBER: _ClassVar[int]
    ANALOG_FIELD_NUMBER: _ClassVar[int]
    PWM_FIELD_NUMBER: _ClassVar[int]
    available_pins: _containers.RepeatedScalarFieldContainer[int]
    digital: bool
    analog: bool
    pwm: bool
    def __init__(self, available_pins: _Optional[_Iterable[int]] = ..., digital: _Optional[bool] = ..., analog: _Optional[bool] = ..., pwm: _Optional[bool] = ...) -> None: ...

class ResourceLimits(_message.Message):
    __slots__ = ("max_memory_kb", "max_cpu_percent", "max_concurrent_tools")
    MAX_MEMORY_KB_FIELD_NUMBER: _ClassVar[int]
    MAX_CPU_PERCENT_FIELD_NUMBER: _ClassVar[int]
    MAX_CONCURRENT_TOOLS_FIELD_NUMBER: _ClassVar[int]
    max_memory_kb: int
    max_cpu_percent: int
    max_concurrent_tools: int
    def __init__(self, max_memory_kb: _Optional[int] = ..., max_cpu_percent: _Optional[int] = ..., max_concurrent_tools: _Optional[int] = ...) -> None: ...

class ProtocolFeatures(_message.Message):
    __slots__ = ("streaming", "compression", "encryption")
    STREAMING_FIELD_NUMBER: _ClassVar[int]
    COMPRESSION_FIELD_NUMBER: _ClassVar[int]
    ENCRYPTION_FIELD_NUMBER: _ClassVar[int]
    streaming: bool
    compression: bool
    encryption: bool
    def __init__(self, streaming: _Optional[bool] = ..., compression: _Optional[bool] = ..., encryption: _Optional[bool] = ...) -> None: ...

class CapabilityRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CapabilityResponse(_message.Message):
    __slots__ = ("capabilities",)
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    capabilities: JotunheimCapabilities
    def __init__(self, capabilities: _Optional[_Union[JotunheimCapabilities, _Mapping]] = ...) -> None: ...

class CapabilityUpdateEvent(_message.Message):
    __slots__ = ("event_type", "capabilities")
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    event_type: str
    capabilities: JotunheimCapabilities
    def __init__(self, event_type: _Optional[str] = ..., capabilities: _Optional[_Union[JotunheimCapabilities, _Mapping]] = ...) -> None: ...
