import capability_pb2 as _capability_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DeviceMessage(_message.Message):
    __slots__ = ("hello", "capabilities", "capability_update", "command_result", "heartbeat", "stream_data", "ota_status", "pong")
    HELLO_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    CAPABILITY_UPDATE_FIELD_NUMBER: _ClassVar[int]
    COMMAND_RESULT_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    STREAM_DATA_FIELD_NUMBER: _ClassVar[int]
    OTA_STATUS_FIELD_NUMBER: _ClassVar[int]
    PONG_FIELD_NUMBER: _ClassVar[int]
    hello: Hello
    capabilities: _capability_pb2.CapabilityResponse
    capability_update: _capability_pb2.CapabilityUpdateEvent
    command_result: CommandResult
    heartbeat: Heartbeat
    stream_data: StreamData
    ota_status: OtaStatus
    pong: Pong
    def __init__(self, hello: _Optional[_Union[Hello, _Mapping]] = ..., capabilities: _Optional[_Union[_capability_pb2.CapabilityResponse, _Mapping]] = ..., capability_update: _Optional[_Union[_capability_pb2.CapabilityUpdateEvent, _Mapping]] = ..., command_result: _Optional[_Union[CommandResult, _Mapping]] = ..., heartbeat: _Optional[_Union[Heartbeat, _Mapping]] = ..., stream_data: _Optional[_Union[StreamData, _Mapping]] = ..., ota_status: _Optional[_Union[OtaStatus, _Mapping]] = ..., pong: _Optional[_Union[Pong, _Mapping]] = ...) -> None: ...

class Hello(_message.Message):
    __slots__ = ("device_id", "proof", "firmware_version", "protocol_version", "resume_token", "runtime", "pending_results")
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    PROOF_FIELD_NUMBER: _ClassVar[int]
    FIRMWARE_VERSION_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RUNTIME_FIELD_NUMBER: _ClassVar[int]
    PENDING_RESULTS_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    proof: bytes
    firmware_version: str
    protocol_version: int
    resume_token: str
    runtime: str
    pending_results: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, device_id: _Optional[str] = ..., proof: _Optional[bytes] = ..., firmware_version: _Optional[str] = ..., protocol_version: _Optional[int] = ..., resume_token: _Optional[str] = ..., runtime: _Optional[str] = ..., pending_results: _Optional[_Iterable[str]] = ...) -> None: ...

class CommandResult(_message.Message):
    __slots__ = ("command_id", "success", "result", "error_code", "error_message", "duration_us")
    COMMAND_ID_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DURATION_US_FIELD_NUMBER: _ClassVar[int]
    command_id: str
    success: bool
    result: bytes
    error_code: str
    error_message: str
    duration_us: int
    def __init__(self, command_id: _Optional[str] = ..., success: _Optional[bool] = ..., result: _Optional[bytes] = ..., error_code: _Optional[str] = ..., error_message: _Optional[str] = ..., duration_us: _Optional[int] = ...) -> None: ...

class Heartbeat(_message.Message):
    __slots__ = ("seq", "uptime_s", "mem_free", "mem_alloc", "cpu_percent", "bytes_sent", "bytes_received", "active_tools", "rssi")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    UPTIME_S_FIELD_NUMBER: _ClassVar[int]
    MEM_FREE_FIELD_NUMBER: _ClassVar[int]
    MEM_ALLOC_FIELD_NUMBER: _ClassVar[int]
    CPU_PERCENT_FIELD_NUMBER: _ClassVar[int]
    BYTES_SENT_FIELD_NUMBER: _ClassVar[int]
    BYTES_RECEIVED_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_TOOLS_FIELD_NUMBER: _ClassVar[int]
    RSSI_FIELD_NUMBER: _ClassVar[int]
    seq: int
    uptime_s: int
    mem_free: int
    mem_alloc: int
    cpu_percent: int
    bytes_sent: int
    bytes_received: int
    active_tools: int
    rssi: int
    def __init__(self, seq: _Optional[int] = ..., uptime_s: _Optional[int] = ..., mem_free: _Optional[int] = ..., mem_alloc: _Optional[int] = ..., cpu_percent: _Optional[int] = ..., bytes_sent: _Optional[int] = ..., bytes_received: _Optional[int] = ..., active_tools: _Optional[int] = ..., rssi: _Optional[int] = ...) -> None: ...

class StreamData(_message.Message):
    __slots__ = ("stream_id", "seq", "payload", "content_type", "timestamp_ms")
    STREAM_ID_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_MS_FIELD_NUMBER: _ClassVar[int]
    stream_id: str
    seq: int
    payload: bytes
    content_type: str
    timestamp_ms: int
    def __init__(self, stream_id: _Optional[str] = ..., seq: _Optional[int] = ..., payload: _Optional[bytes] = ..., content_type: _Optional[str] = ..., timestamp_ms: _Optional[int] = ...) -> None: ...

class OtaStatus(_message.Message):
    __slots__ = ("version", "state", "reason", "progress_bytes", "total_bytes", "running_version", "seq")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_BYTES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    RUNNING_VERSION_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    version: str
    state: str
    reason: str
    progress_bytes: int
    total_bytes: int
    running_version: str
    seq: int
    def __init__(self, version: _Optional[str] = ..., state: _Optional[str] = ..., reason: _Optional[str] = ..., progress_bytes: _Optional[int] = ..., total_bytes: _Optional[int] = ..., running_version: _Optional[str] = ..., seq: _Optional[int] = ...) -> None: ...

class Pong(_message.Message):
    __slots__ = ("nonce",)
    NONCE_FIELD_NUMBER: _ClassVar[int]
    nonce: int
    def __init__(self, nonce: _Optional[int] = ...) -> None: ...

class HubMessage(_message.Message):
    __slots__ = ("challenge", "welcome", "refusal", "capability_request", "command", "result_ack", "ping", "update_notice", "stream_control", "ota_rollback", "ota_status_ack")
    CHALLENGE_FIELD_NUMBER: _ClassVar[int]
    WELCOME_FIELD_NUMBER: _ClassVar[int]
    REFUSAL_FIELD_NUMBER: _ClassVar[int]
    CAPABILITY_REQUEST_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    RESULT_ACK_FIELD_NUMBER: _ClassVar[int]
    PING_FIELD_NUMBER: _ClassVar[int]
    UPDATE_NOTICE_FIELD_NUMBER: _ClassVar[int]
    STREAM_CONTROL_FIELD_NUMBER: _ClassVar[int]
    OTA_ROLLBACK_FIELD_NUMBER: _ClassVar[int]
    OTA_STATUS_ACK_FIELD_NUMBER: _ClassVar[int]
    challenge: Challenge
    welcome: Welcome
    refusal: Refusal
    capability_request: _capability_pb2.CapabilityRequest
    command: Command
    result_ack: ResultAck
    ping: Ping
    update_notice: UpdateNotice
    stream_control: StreamControl
    ota_rollback: OtaRollback
    ota_status_ack: OtaStatusAck
    def __init__(self, challenge: _Optional[_Union[Challenge, _Mapping]] = ..., welcome: _Optional[_Union[Welcome, _Mapping]] = ..., refusal: _Optional[_Union[Refusal, _Mapping]] = ..., capability_request: _Optional[_Union[_capability_pb2.CapabilityRequest, _Mapping]] = ..., command: _Optional[_Union[Command, _Mapping]] = ..., result_ack: _Optional[_Union[ResultAck, _Mapping]] = ..., ping: _Optional[_Union[Ping, _Mapping]] = ..., update_notice: _Optional[_Union[UpdateNotice, _Mapping]] = ..., stream_control: _Optional[_Union[StreamControl, _Mapping]] = ..., ota_rollback: _Optional[_Union[OtaRollback, _Mapping]] = ..., ota_status_ack: _Optional[_Union[OtaStatusAck, _Mapping]] = ...) -> None: ...

class Challenge(_message.Message):
    __slots__ = ("nonce", "protocol_version")
    NONCE_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    nonce: bytes
    protocol_version: int
    def __init__(self, nonce: _Optional[bytes] = ..., protocol_version: _Optional[int] = ...) -> None: ...

class Welcome(_message.Message):
    __slots__ = ("session_id", "resume_token", "resumed", "heartbeat_interval_ms", "dead_peer_timeout_ms", "server_time_ms", "acked_results", "ota_status_acks")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RESUMED_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_INTERVAL_MS_FIELD_NUMBER: _ClassVar[int]
    DEAD_PEER_TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    SERVER_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    ACKED_RESULTS_FIELD_NUMBER: _ClassVar[int]
    OTA_STATUS_ACKS_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    resume_token: str
    resumed: bool
    heartbeat_interval_ms: int
    dead_peer_timeout_ms: int
    server_time_ms: int
    acked_results: _containers.RepeatedScalarFieldContainer[str]
    ota_status_acks: bool
    def __init__(self, session_id: _Optional[str] = ..., resume_token: _Optional[str] = ..., resumed: _Optional[bool] = ..., heartbeat_interval_ms: _Optional[int] = ..., dead_peer_timeout_ms: _Optional[int] = ..., server_time_ms: _Optional[int] = ..., acked_results: _Optional[_Iterable[str]] = ..., ota_status_acks: _Optional[bool] = ...) -> None: ...

class Refusal(_message.Message):
    __slots__ = ("code", "reason", "leader_address")
    CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    LEADER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    code: str
    reason: str
    leader_address: str
    def __init__(self, code: _Optional[str] = ..., reason: _Optional[str] = ..., leader_address: _Optional[str] = ...) -> None: ...

class Command(_message.Message):
    __slots__ = ("command_id", "tool", "args_json", "deadline_ms")
    COMMAND_ID_FIELD_NUMBER: _ClassVar[int]
    TOOL_FIELD_NUMBER: _ClassVar[int]
    ARGS_JSON_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_MS_FIELD_NUMBER: _ClassVar[int]
    command_id: str
    tool: str
    args_json: str
    deadline_ms: int
    def __init__(self, command_id: _Optional[str] = ..., tool: _Optional[str] = ..., args_json: _Optional[str] = ..., deadline_ms: _Optional[int] = ...) -> None: ...

class ResultAck(_message.Message):
    __slots__ = ("command_ids",)
    COMMAND_IDS_FIELD_NUMBER: _ClassVar[int]
    command_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, command_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class OtaStatusAck(_message.Message):
    __slots__ = ("seq",)
    SEQ_FIELD_NUMBER: _ClassVar[int]
    seq: int
    def __init__(self, seq: _Optional[int] = ...) -> None: ...

class Ping(_message.Message):
    __slots__ = ("nonce",)
    NONCE_FIELD_NUMBER: _ClassVar[int]
    nonce: int
    def __init__(self, nonce: _Optional[int] = ...) -> None: ...

class UpdateNotice(_message.Message):
    __slots__ = ("version", "size", "allow_downgrade")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    ALLOW_DOWNGRADE_FIELD_NUMBER: _ClassVar[int]
    version: str
    size: int
    allow_downgrade: bool
    def __init__(self, version: _Optional[str] = ..., size: _Optional[int] = ..., allow_downgrade: _Optional[bool] = ...) -> None: ...

class OtaRollback(_message.Message):
    __slots__ = ("reason",)
    REASON_FIELD_NUMBER: _ClassVar[int]
    reason: str
    def __init__(self, reason: _Optional[str] = ...) -> None: ...

class StreamControl(_message.Message):
    __slots__ = ("stream_id", "action", "source", "interval_ms", "args_json")
    STREAM_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_MS_FIELD_NUMBER: _ClassVar[int]
    ARGS_JSON_FIELD_NUMBER: _ClassVar[int]
    stream_id: str
    action: str
    source: str
    interval_ms: int
    args_json: str
    def __init__(self, stream_id: _Optional[str] = ..., action: _Optional[str] = ..., source: _Optional[str] = ..., interval_ms: _Optional[int] = ..., args_json: _Optional[str] = ...) -> None: ...

class ListDevicesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DeviceInfo(_message.Message):
    __slots__ = ("device_id", "name", "device_type", "firmware_version", "online", "last_seen_ms", "revoked", "key_fingerprint", "runtime", "last_heartbeat", "created_at_ms", "ota_status")
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DEVICE_TYPE_FIELD_NUMBER: _ClassVar[int]
    FIRMWARE_VERSION_FIELD_NUMBER: _ClassVar[int]
    ONLINE_FIELD_NUMBER: _ClassVar[int]
    LAST_SEEN_MS_FIELD_NUMBER: _ClassVar[int]
    REVOKED_FIELD_NUMBER: _ClassVar[int]
    KEY_FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    RUNTIME_FIELD_NUMBER: _ClassVar[int]
    LAST_HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    OTA_STATUS_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    name: str
    device_type: str
    firmware_version: str
    online: bool
    last_seen_ms: int
    revoked: bool
    key_fingerprint: str
    runtime: str
    last_heartbeat: Heartbeat
    created_at_ms: int
    ota_status: OtaStatus
    def __init__(self, device_id: _Optional[str] = ..., name: _Optional[str] = ..., device_type: _Optional[str] = ..., firmware_version: _Optional[str] = ..., online: _Optional[bool] = ..., last_seen_ms: _Optional[int] = ..., revoked: _Optional[bool] = ..., key_fingerprint: _Optional[str] = ..., runtime: _Optional[str] = ..., last_heartbeat: _Optional[_Union[Heartbeat, _Mapping]] = ..., created_at_ms: _Optional[int] = ..., ota_status: _Optional[_Union[OtaStatus, _Mapping]] = ...) -> None: ...

class ListDevicesResponse(_message.Message):
    __slots__ = ("devices",)
    DEVICES_FIELD_NUMBER: _ClassVar[int]
    devices: _containers.RepeatedCompositeFieldContainer[DeviceInfo]
    def __init__(self, devices: _Optional[_Iterable[_Union[DeviceInfo, _Mapping]]] = ...) -> None: ...

class DeviceRef(_message.Message):
    __slots__ = ("device_id",)
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    def __init__(self, device_id: _Optional[str] = ...) -> None: ...

class DeviceCapabilities(_message.Message):
    __slots__ = ("device_id", "capabilities", "fetched_at_ms", "from_cache", "stale")
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    FETCHED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    FROM_CACHE_FIELD_NUMBER: _ClassVar[int]
    STALE_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    capabilities: _capability_pb2.JotunheimCapabilities
    fetched_at_ms: int
    from_cache: bool
    stale: bool
    def __init__(self, device_id: _Optional[str] = ..., capabilities: _Optional[_Union[_capability_pb2.JotunheimCapabilities, _Mapping]] = ..., fetched_at_ms: _Optional[int] = ..., from_cache: _Optional[bool] = ..., stale: _Optional[bool] = ...) -> None: ...

class ProvisionRequest(_message.Message):
    __slots__ = ("device_id", "name", "replace")
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REPLACE_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    name: str
    replace: bool
    def __init__(self, device_id: _Optional[str] = ..., name: _Optional[str] = ..., replace: _Optional[bool] = ...) -> None: ...

class ProvisionResponse(_message.Message):
    __slots__ = ("device_id", "key", "key_fingerprint")
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    KEY_FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    key: str
    key_fingerprint: str
    def __init__(self, device_id: _Optional[str] = ..., key: _Optional[str] = ..., key_fingerprint: _Optional[str] = ...) -> None: ...

class RevokeResponse(_message.Message):
    __slots__ = ("revoked", "was_online")
    REVOKED_FIELD_NUMBER: _ClassVar[int]
    WAS_ONLINE_FIELD_NUMBER: _ClassVar[int]
    revoked: bool
    was_online: bool
    def __init__(self, revoked: _Optional[bool] = ..., was_online: _Optional[bool] = ...) -> None: ...

class RolloutRequest(_message.Message):
    __slots__ = ("version", "device_ids", "all", "batch_size", "timeout_ms")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DEVICE_IDS_FIELD_NUMBER: _ClassVar[int]
    ALL_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    version: str
    device_ids: _containers.RepeatedScalarFieldContainer[str]
    all: bool
    batch_size: int
    timeout_ms: int
    def __init__(self, version: _Optional[str] = ..., device_ids: _Optional[_Iterable[str]] = ..., all: _Optional[bool] = ..., batch_size: _Optional[int] = ..., timeout_ms: _Optional[int] = ...) -> None: ...

class RolloutProgress(_message.Message):
    __slots__ = ("device_id", "batch", "status", "done", "summary", "batches")
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    BATCH_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    BATCHES_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    batch: int
    status: OtaStatus
    done: bool
    summary: str
    batches: int
    def __init__(self, device_id: _Optional[str] = ..., batch: _Optional[int] = ..., status: _Optional[_Union[OtaStatus, _Mapping]] = ..., done: _Optional[bool] = ..., summary: _Optional[str] = ..., batches: _Optional[int] = ...) -> None: ...

class RollbackRequest(_message.Message):
    __slots__ = ("device_id", "reason")
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    reason: str
    def __init__(self, device_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class WatchStreamRequest(_message.Message):
    __slots__ = ("device_id", "source", "interval_ms", "args_json", "max_messages")
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_MS_FIELD_NUMBER: _ClassVar[int]
    ARGS_JSON_FIELD_NUMBER: _ClassVar[int]
    MAX_MESSAGES_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    source: str
    interval_ms: int
    args_json: str
    max_messages: int
    def __init__(self, device_id: _Optional[str] = ..., source: _Optional[str] = ..., interval_ms: _Optional[int] = ..., args_json: _Optional[str] = ..., max_messages: _Optional[int] = ...) -> None: ...

class RollbackResponse(_message.Message):
    __slots__ = ("sent",)
    SENT_FIELD_NUMBER: _ClassVar[int]
    sent: bool
    def __init__(self, sent: _Optional[bool] = ...) -> None: ...

class PeerStatusRequest(_message.Message):
    __slots__ = ("from_address",)
    FROM_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    from_address: str
    def __init__(self, from_address: _Optional[str] = ...) -> None: ...

class PeerStatus(_message.Message):
    __slots__ = ("hub_id", "created_at_ms", "address", "leader_id", "leader_address", "is_leader", "devices_online", "peers", "catching_up")
    HUB_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    LEADER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    IS_LEADER_FIELD_NUMBER: _ClassVar[int]
    DEVICES_ONLINE_FIELD_NUMBER: _ClassVar[int]
    PEERS_FIELD_NUMBER: _ClassVar[int]
    CATCHING_UP_FIELD_NUMBER: _ClassVar[int]
    hub_id: str
    created_at_ms: int
    address: str
    leader_id: str
    leader_address: str
    is_leader: bool
    devices_online: int
    peers: _containers.RepeatedScalarFieldContainer[str]
    catching_up: bool
    def __init__(self, hub_id: _Optional[str] = ..., created_at_ms: _Optional[int] = ..., address: _Optional[str] = ..., leader_id: _Optional[str] = ..., leader_address: _Optional[str] = ..., is_leader: _Optional[bool] = ..., devices_online: _Optional[int] = ..., peers: _Optional[_Iterable[str]] = ..., catching_up: _Optional[bool] = ...) -> None: ...

class SyncDevicesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SyncCommandsRequest(_message.Message):
    __slots__ = ("epoch", "after_seq", "max_commands")
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQ_FIELD_NUMBER: _ClassVar[int]
    MAX_COMMANDS_FIELD_NUMBER: _ClassVar[int]
    epoch: str
    after_seq: int
    max_commands: int
    def __init__(self, epoch: _Optional[str] = ..., after_seq: _Optional[int] = ..., max_commands: _Optional[int] = ...) -> None: ...

class LoggedCommand(_message.Message):
    __slots__ = ("command_id", "device_id", "tool", "args_json", "deadline_at_ms", "created_ms", "state", "success", "result", "error_code", "error_message", "duration_us", "completed_ms", "recorded_count", "seq", "origin_hub")
    COMMAND_ID_FIELD_NUMBER: _ClassVar[int]
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    TOOL_FIELD_NUMBER: _ClassVar[int]
    ARGS_JSON_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_AT_MS_FIELD_NUMBER: _ClassVar[int]
    CREATED_MS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DURATION_US_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_MS_FIELD_NUMBER: _ClassVar[int]
    RECORDED_COUNT_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_HUB_FIELD_NUMBER: _ClassVar[int]
    command_id: str
    device_id: str
    tool: str
    args_json: str
    deadline_at_ms: int
    created_ms: int
    state: str
    success: bool
    result: bytes
    error_code: str
    error_message: str
    duration_us: int
    completed_ms: int
    recorded_count: int
    seq: int
    origin_hub: str
    def __init__(self, command_id: _Optional[str] = ..., device_id: _Optional[str] = ..., tool: _Optional[str] = ..., args_json: _Optional[str] = ..., deadline_at_ms: _Optional[int] = ..., created_ms: _Optional[int] = ..., state: _Optional[str] = ..., success: _Optional[bool] = ..., result: _Optional[bytes] = ..., error_code: _Optional[str] = ..., error_message: _Optional[str] = ..., duration_us: _Optional[int] = ..., completed_ms: _Optional[int] = ..., recorded_count: _Optional[int] = ..., seq: _Optional[int] = ..., origin_hub: _Optional[str] = ...) -> None: ...

class SyncCommandsResponse(_message.Message):
    __slots__ = ("hub_id", "epoch", "commands", "more")
    HUB_ID_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    COMMANDS_FIELD_NUMBER: _ClassVar[int]
    MORE_FIELD_NUMBER: _ClassVar[int]
    hub_id: str
    epoch: str
    commands: _containers.RepeatedCompositeFieldContainer[LoggedCommand]
    more: bool
    def __init__(self, hub_id: _Optional[str] = ..., epoch: _Optional[str] = ..., commands: _Optional[_Iterable[_Union[LoggedCommand, _Mapping]]] = ..., more: _Optional[bool] = ...) -> None: ...

class DeviceIdentity(_message.Message):
    __slots__ = ("device_id", "name", "key", "revoked", "created_at_ms")
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    REVOKED_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    name: str
    key: bytes
    revoked: bool
    created_at_ms: int
    def __init__(self, device_id: _Optional[str] = ..., name: _Optional[str] = ..., key: _Optional[bytes] = ..., revoked: _Optional[bool] = ..., created_at_ms: _Optional[int] = ...) -> None: ...

class SyncDevicesResponse(_message.Message):
    __slots__ = ("hub_id", "identities")
    HUB_ID_FIELD_NUMBER: _ClassVar[int]
    IDENTITIES_FIELD_NUMBER: _ClassVar[int]
    hub_id: str
    identities: _containers.RepeatedCompositeFieldContainer[DeviceIdentity]
    def __init__(self, hub_id: _Optional[str] = ..., identities: _Optional[_Iterable[_Union[DeviceIdentity, _Mapping]]] = ...) -> None: ...
