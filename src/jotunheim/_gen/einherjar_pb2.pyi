from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CapabilityRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CapabilityResponse(_message.Message):
    __slots__ = ("god_name", "purpose", "functions", "responsibility_domains", "responsibility_keywords")
    GOD_NAME_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    FUNCTIONS_FIELD_NUMBER: _ClassVar[int]
    RESPONSIBILITY_DOMAINS_FIELD_NUMBER: _ClassVar[int]
    RESPONSIBILITY_KEYWORDS_FIELD_NUMBER: _ClassVar[int]
    god_name: str
    purpose: str
    functions: _containers.RepeatedCompositeFieldContainer[FunctionDefinition]
    responsibility_domains: _containers.RepeatedScalarFieldContainer[str]
    responsibility_keywords: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, god_name: _Optional[str] = ..., purpose: _Optional[str] = ..., functions: _Optional[_Iterable[_Union[FunctionDefinition, _Mapping]]] = ..., responsibility_domains: _Optional[_Iterable[str]] = ..., responsibility_keywords: _Optional[_Iterable[str]] = ...) -> None: ...

class FunctionDefinition(_message.Message):
    __slots__ = ("name", "description", "parameters", "return_type", "capabilities", "responsibility_keywords")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    RETURN_TYPE_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    RESPONSIBILITY_KEYWORDS_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    parameters: _containers.RepeatedCompositeFieldContainer[ParameterDefinition]
    return_type: str
    capabilities: _containers.RepeatedScalarFieldContainer[str]
    responsibility_keywords: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., parameters: _Optional[_Iterable[_Union[ParameterDefinition, _Mapping]]] = ..., return_type: _Optional[str] = ..., capabilities: _Optional[_Iterable[str]] = ..., responsibility_keywords: _Optional[_Iterable[str]] = ...) -> None: ...

class ParameterDefinition(_message.Message):
    __slots__ = ("name", "type", "description", "required", "enum_values")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    ENUM_VALUES_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: str
    description: str
    required: bool
    enum_values: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., type: _Optional[str] = ..., description: _Optional[str] = ..., required: _Optional[bool] = ..., enum_values: _Optional[_Iterable[str]] = ...) -> None: ...
