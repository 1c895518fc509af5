from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class ManifestRequest(_message.Message):
    __slots__ = ("device_id", "target", "current_version", "version")
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    CURRENT_VERSION_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    target: str
    current_version: str
    version: str
    def __init__(self, device_id: _Optional[str] = ..., target: _Optional[str] = ..., current_version: _Optional[str] = ..., version: _Optional[str] = ...) -> None: ...

class ManifestResponse(_message.Message):
    __slots__ = ("available", "manifest", "signature", "key_id", "scheme")
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    MANIFEST_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    SCHEME_FIELD_NUMBER: _ClassVar[int]
    available: bool
    manifest: bytes
    signature: bytes
    key_id: str
    scheme: str
    def __init__(self, available: _Optional[bool] = ..., manifest: _Optional[bytes] = ..., signature: _Optional[bytes] = ..., key_id: _Optional[str] = ..., scheme: _Optional[str] = ...) -> None: ...

class DownloadRequest(_message.Message):
    __slots__ = ("device_id", "version", "offset", "chunk_size", "target")
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    CHUNK_SIZE_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    version: str
    offset: int
    chunk_size: int
    target: str
    def __init__(self, device_id: _Optional[str] = ..., version: _Optional[str] = ..., offset: _Optional[int] = ..., chunk_size: _Optional[int] = ..., target: _Optional[str] = ...) -> None: ...

class Chunk(_message.Message):
    __slots__ = ("offset", "data", "last", "total_size")
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    LAST_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    offset: int
    data: bytes
    last: bool
    total_size: int
    def __init__(self, offset: _Optional[int] = ..., data: _Optional[bytes] = ..., last: _Optional[bool] = ..., total_size: _Optional[int] = ...) -> None: ...
