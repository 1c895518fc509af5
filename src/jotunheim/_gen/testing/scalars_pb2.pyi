from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Color(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COLOR_UNSPECIFIED: _ClassVar[Color]
    COLOR_RED: _ClassVar[Color]
    COLOR_GREEN: _ClassVar[Color]
    COLOR_BLUE: _ClassVar[Color]
COLOR_UNSPECIFIED: Color
COLOR_RED: Color
COLOR_GREEN: Color
COLOR_BLUE: Color

class Scalars(_message.Message):
    __slots__ = ("f_int32", "f_int64", "f_uint32", "f_uint64", "f_sint32", "f_sint64", "f_fixed32", "f_fixed64", "f_sfixed32", "f_sfixed64", "f_float", "f_double", "f_bool", "f_string", "f_bytes", "f_enum", "f_nested", "r_int32", "r_sint64", "r_fixed32", "r_double", "r_bool", "r_string", "r_bytes", "r_enum", "r_nested", "r_uint64_unpacked", "m_string", "m_nested", "m_uint64_bool", "m_sint32_bytes", "m_fixed_double", "m_bool_enum", "o_string", "o_int64", "o_nested", "o_bool", "opt_int32", "far_field")
    class MStringEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class MNestedEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: int
        value: Scalars.Nested
        def __init__(self, key: _Optional[int] = ..., value: _Optional[_Union[Scalars.Nested, _Mapping]] = ...) -> None: ...
    class MUint64BoolEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: int
        value: bool
        def __init__(self, key: _Optional[int] = ..., value: _Optional[bool] = ...) -> None: ...
    class MSint32BytesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: int
        value: bytes
        def __init__(self, key: _Optional[int] = ..., value: _Optional[bytes] = ...) -> None: ...
    class MFixedDoubleEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: int
        value: float
        def __init__(self, key: _Optional[int] = ..., value: _Optional[float] = ...) -> None: ...
    class MBoolEnumEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: bool
        value: Color
        def __init__(self, key: _Optional[bool] = ..., value: _Optional[_Union[Color, str]] = ...) -> None: ...
    class Nested(_message.Message):
        __slots__ = ("id", "label", "child")
        ID_FIELD_NUMBER: _ClassVar[int]
        LABEL_FIELD_NUMBER: _ClassVar[int]
        CHILD_FIELD_NUMBER: _ClassVar[int]
        id: int
        label: str
        child: Scalars
        def __init__(self, id: _Optional[int] = ..., label: _Optional[str] = ..., child: _Optional[_Union[Scalars, _Mapping]] = ...) -> None: ...
    F_INT32_FIELD_NUMBER: _ClassVar[int]
    F_INT64_FIELD_NUMBER: _ClassVar[int]
    F_UINT32_FIELD_NUMBER: _ClassVar[int]
    F_UINT64_FIELD_NUMBER: _ClassVar[int]
    F_SINT32_FIELD_NUMBER: _ClassVar[int]
    F_SINT64_FIELD_NUMBER: _ClassVar[int]
    F_FIXED32_FIELD_NUMBER: _ClassVar[int]
    F_FIXED64_FIELD_NUMBER: _ClassVar[int]
    F_SFIXED32_FIELD_NUMBER: _ClassVar[int]
    F_SFIXED64_FIELD_NUMBER: _ClassVar[int]
    F_FLOAT_FIELD_NUMBER: _ClassVar[int]
    F_DOUBLE_FIELD_NUMBER: _ClassVar[int]
    F_BOOL_FIELD_NUMBER: _ClassVar[int]
    F_STRING_FIELD_NUMBER: _ClassVar[int]
    F_BYTES_FIELD_NUMBER: _ClassVar[int]
    F_ENUM_FIELD_NUMBER: _ClassVar[int]
    F_NESTED_FIELD_NUMBER: _ClassVar[int]
    R_INT32_FIELD_NUMBER: _ClassVar[int]
    R_SINT64_FIELD_NUMBER: _ClassVar[int]
    R_FIXED32_FIELD_NUMBER: _ClassVar[int]
    R_DOUBLE_FIELD_NUMBER: _ClassVar[int]
    R_BOOL_FIELD_NUMBER: _ClassVar[int]
    R_STRING_FIELD_NUMBER: _ClassVar[int]
    R_BYTES_FIELD_NUMBER: _ClassVar[int]
    R_ENUM_FIELD_NUMBER: _ClassVar[int]
    R_NESTED_FIELD_NUMBER: _ClassVar[int]
    R_UINT64_UNPACKED_FIELD_NUMBER: _ClassVar[int]
    M_STRING_FIELD_NUMBER: _ClassVar[int]
    M_NESTED_FIELD_NUMBER: _ClassVar[int]
    M_UINT64_BOOL_FIELD_NUMBER: _ClassVar[int]
    M_SINT32_BYTES_FIELD_NUMBER: _ClassVar[int]
    M_FIXED_DOUBLE_FIELD_NUMBER: _ClassVar[int]
    M_BOOL_ENUM_FIELD_NUMBER: _ClassVar[int]
    O_STRING_FIELD_NUMBER: _ClassVar[int]
    O_INT64_FIELD_NUMBER: _ClassVar[int]
    O_NESTED_FIELD_NUMBER: _ClassVar[int]
    O_BOOL_FIELD_NUMBER: _ClassVar[int]
    OPT_INT32_FIELD_NUMBER: _ClassVar[int]
    FAR_FIELD_FIELD_NUMBER: _ClassVar[int]
    f_int32: int
    f_int64: int
    f_uint32: int
    f_uint64: int
    f_sint32: int
    f_sint64: int
    f_fixed32: int
    f_fixed64: int
    f_sfixed32: int
    f_sfixed64: int
    f_float: float
    f_double: float
    f_bool: bool
    f_string: str
    f_bytes: bytes
    f_enum: Color
    f_nested: Scalars.Nested
    r_int32: _containers.RepeatedScalarFieldContainer[int]
    r_sint64: _containers.RepeatedScalarFieldContainer[int]
    r_fixed32: _containers.RepeatedScalarFieldContainer[int]
    r_double: _containers.RepeatedScalarFieldContainer[float]
    r_bool: _containers.RepeatedScalarFieldContainer[bool]
    r_string: _containers.RepeatedScalarFieldContainer[str]
    r_bytes: _containers.RepeatedScalarFieldContainer[bytes]
    r_enum: _containers.RepeatedScalarFieldContainer[Color]
    r_nested: _containers.RepeatedCompositeFieldContainer[Scalars.Nested]
    r_uint64_unpacked: _containers.RepeatedScalarFieldContainer[int]
    m_string: _containers.ScalarMap[str, str]
    m_nested: _containers.MessageMap[int, Scalars.Nested]
    m_uint64_bool: _containers.ScalarMap[int, bool]
    m_sint32_bytes: _containers.ScalarMap[int, bytes]
    m_fixed_double: _containers.ScalarMap[int, float]
    m_bool_enum: _containers.ScalarMap[bool, Color]
    o_string: str
    o_int64: int
    o_nested: Scalars.Nested
    o_bool: bool
    opt_int32: int
    far_field: int
    def __init__(self, f_int32: _Optional[int] = ..., f_int64: _Optional[int] = ..., f_uint32: _Optional[int] = ..., f_uint64: _Optional[int] = ..., f_sint32: _Optional[int] = ..., f_sint64: _Optional[int] = ..., f_fixed32: _Optional[int] = ..., f_fixed64: _Optional[int] = ..., f_sfixed32: _Optional[int] = ..., f_sfixed64: _Optional[int] = ..., f_float: _Optional[float] = ..., f_double: _Optional[float] = ..., f_bool: _Optional[bool] = ..., f_string: _Optional[str] = ..., f_bytes: _Optional[bytes] = ..., f_enum: _Optional[_Union[Color, str]] = ..., f_nested: _Optional[_Union[Scalars.Nested, _Mapping]] = ..., r_int32: _Optional[_Iterable[int]] = ..., r_sint64: _Optional[_Iterable[int]] = ..., r_fixed32: _Optional[_Iterable[int]] = ..., r_double: _Optional[_Iterable[float]] = ..., r_bool: _Optional[_Iterable[bool]] = ..., r_string: _Optional[_Iterable[str]] = ..., r_bytes: _Optional[_Iterable[bytes]] = ..., r_enum: _Optional[_Iterable[_Union[Color, str]]] = ..., r_nested: _Optional[_Iterable[_Union[Scalars.Nested, _Mapping]]] = ..., r_uint64_unpacked: _Optional[_Iterable[int]] = ..., m_string: _Optional[_Mapping[str, str]] = ..., m_nested: _Optional[_Mapping[int, Scalars.Nested]] = ..., m_uint64_bool: _Optional[_Mapping[int, bool]] = ..., m_sint32_bytes: _Optional[_Mapping[int, bytes]] = ..., m_fixed_double: _Optional[_Mapping[int, float]] = ..., m_bool_enum: _Optional[_Mapping[bool, Color]] = ..., o_string: _Optional[str] = ..., o_int64: _Optional[int] = ..., o_nested: _Optional[_Union[Scalars.Nested, _Mapping]] = ..., o_bool: _Optional[bool] = ..., opt_int32: _Optional[int] = ..., far_field: _Optional[int] = ...) -> None: ...

class Envelope(_message.Message):
    __slots__ = ("nested", "payload", "empty")
    NESTED_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    EMPTY_FIELD_NUMBER: _ClassVar[int]
    nested: Scalars.Nested
    payload: Scalars
    empty: Empty
    def __init__(self, nested: _Optional[_Union[Scalars.Nested, _Mapping]] = ..., payload: _Optional[_Union[Scalars, _Mapping]] = ..., empty: _Optional[_Union[Empty, _Mapping]] = ...) -> None: ...

class Empty(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
