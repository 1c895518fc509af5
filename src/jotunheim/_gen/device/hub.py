"""Generated code (do not edit): `make proto` rebuilds it from proto/hub.proto."""

from jotunheim._gen.device import capability as _capability

Hello = ('Hello', (
    'device_id', 1, 9, None,
    'proof', 2, 12, None,
    'firmware_version', 3, 9, None,
    'protocol_version', 4, 13, None,
    'resume_token', 5, 9, None,
    'runtime', 6, 9, None,
    'pending_results', 7, 41, None,
), None)
CommandResult = ('CommandResult', (
    'command_id', 1, 9, None,
    'success', 2, 8, None,
    'result', 3, 12, None,
    'error_code', 4, 9, None,
    'error_message', 5, 9, None,
    'duration_us', 6, 13, None,
), None)
Heartbeat = ('Heartbeat', (
    'seq', 1, 13, None,
    'uptime_s', 2, 13, None,
    'mem_free', 3, 5, None,
    'mem_alloc', 4, 5, None,
    'cpu_percent', 5, 13, None,
    'bytes_sent', 6, 4, None,
    'bytes_received', 7, 4, None,
    'active_tools', 8, 13, None,
    'rssi', 9, 5, None,
), None)
StreamData = ('StreamData', (
    'stream_id', 1, 9, None,
    'seq', 2, 13, None,
    'payload', 3, 12, None,
    'content_type', 4, 9, None,
    'timestamp_ms', 5, 3, None,
), None)
OtaStatus = ('OtaStatus', (
    'version', 1, 9, None,
    'state', 2, 9, None,
    'reason', 3, 9, None,
    'progress_bytes', 4, 4, None,
    'total_bytes', 5, 4, None,
    'running_version', 6, 9, None,
), None)
Pong = ('Pong', ('nonce', 1, 4, None,), None)
DeviceMessage = ('DeviceMessage', (
    'hello', 1, 523, Hello,
    'capabilities', 2, 523, _capability.CapabilityResponse,
    'capability_update', 3, 523, _capability.CapabilityUpdateEvent,
    'command_result', 4, 523, CommandResult,
    'heartbeat', 5, 523, Heartbeat,
    'stream_data', 6, 523, StreamData,
    'ota_status', 7, 523, OtaStatus,
    'pong', 8, 523, Pong,
), ('body', ))
Challenge = ('Challenge', (
    'nonce', 1, 12, None,
    'protocol_version', 2, 13, None,
), None)
Welcome = ('Welcome', (
    'session_id', 1, 9, None,
    'resume_token', 2, 9, None,
    'resumed', 3, 8, None,
    'heartbeat_interval_ms', 4, 13, None,
    'dead_peer_timeout_ms', 5, 13, None,
    'server_time_ms', 6, 3, None,
    'acked_results', 7, 41, None,
), None)
Refusal = ('Refusal', (
    'code', 1, 9, None,
    'reason', 2, 9, None,
    'leader_address', 3, 9, None,
), None)
Command = ('Command', (
    'command_id', 1, 9, None,
    'tool', 2, 9, None,
    'args_json', 3, 9, None,
    'deadline_ms', 4, 13, None,
), None)
ResultAck = ('ResultAck', ('command_ids', 1, 41, None,), None)
Ping = ('Ping', ('nonce', 1, 4, None,), None)
UpdateNotice = ('UpdateNotice', (
    'version', 1, 9, None,
    'size', 2, 4, None,
    'allow_downgrade', 3, 8, None,
), None)
StreamControl = ('StreamControl', (
    'stream_id', 1, 9, None,
    'action', 2, 9, None,
    'source', 3, 9, None,
    'interval_ms', 4, 13, None,
    'args_json', 5, 9, None,
), None)
HubMessage = ('HubMessage', (
    'challenge', 1, 523, Challenge,
    'welcome', 2, 523, Welcome,
    'refusal', 3, 523, Refusal,
    'capability_request', 4, 523, _capability.CapabilityRequest,
    'command', 5, 523, Command,
    'result_ack', 6, 523, ResultAck,
    'ping', 7, 523, Ping,
    'update_notice', 8, 523, UpdateNotice,
    'stream_control', 9, 523, StreamControl,
), ('body', ))
ListDevicesRequest = ('ListDevicesRequest', (), None)
DeviceInfo = ('DeviceInfo', (
    'device_id', 1, 9, None,
    'name', 2, 9, None,
    'device_type', 3, 9, None,
    'firmware_version', 4, 9, None,
    'online', 5, 8, None,
    'last_seen_ms', 6, 3, None,
    'revoked', 7, 8, None,
    'key_fingerprint', 8, 9, None,
    'runtime', 9, 9, None,
    'last_heartbeat', 10, 11, Heartbeat,
    'created_at_ms', 11, 3, None,
), None)
ListDevicesResponse = ('ListDevicesResponse', ('devices', 1, 43, DeviceInfo,), None)
DeviceRef = ('DeviceRef', ('device_id', 1, 9, None,), None)
DeviceCapabilities = ('DeviceCapabilities', (
    'device_id', 1, 9, None,
    'capabilities', 2, 11, _capability.JotunheimCapabilities,
    'fetched_at_ms', 3, 3, None,
    'from_cache', 4, 8, None,
    'stale', 5, 8, None,
), None)
ProvisionRequest = ('ProvisionRequest', (
    'device_id', 1, 9, None,
    'name', 2, 9, None,
    'replace', 3, 8, None,
), None)
ProvisionResponse = ('ProvisionResponse', (
    'device_id', 1, 9, None,
    'key', 2, 9, None,
    'key_fingerprint', 3, 9, None,
), None)
RevokeResponse = ('RevokeResponse', (
    'revoked', 1, 8, None,
    'was_online', 2, 8, None,
), None)
PeerStatusRequest = ('PeerStatusRequest', ('from_address', 1, 9, None,), None)
PeerStatus = ('PeerStatus', (
    'hub_id', 1, 9, None,
    'created_at_ms', 2, 3, None,
    'address', 3, 9, None,
    'leader_id', 4, 9, None,
    'leader_address', 5, 9, None,
    'is_leader', 6, 8, None,
    'devices_online', 7, 13, None,
    'peers', 8, 41, None,
), None)
SyncDevicesRequest = ('SyncDevicesRequest', (), None)
DeviceIdentity = ('DeviceIdentity', (
    'device_id', 1, 9, None,
    'name', 2, 9, None,
    'key', 3, 12, None,
    'revoked', 4, 8, None,
    'created_at_ms', 5, 3, None,
), None)
SyncDevicesResponse = ('SyncDevicesResponse', (
    'hub_id', 1, 9, None,
    'identities', 2, 43, DeviceIdentity,
), None)

DeviceHub = (
    ('Connect', '/jotunheim.hub.DeviceHub/Connect', DeviceMessage, HubMessage, True, True),
)

HubOperator = (
    ('ListDevices', '/jotunheim.hub.HubOperator/ListDevices', ListDevicesRequest, ListDevicesResponse, False, False),
    ('GetCapabilities', '/jotunheim.hub.HubOperator/GetCapabilities', DeviceRef, DeviceCapabilities, False, False),
    ('ProvisionDevice', '/jotunheim.hub.HubOperator/ProvisionDevice', ProvisionRequest, ProvisionResponse, False, False),
    ('RevokeDevice', '/jotunheim.hub.HubOperator/RevokeDevice', DeviceRef, RevokeResponse, False, False),
)

HubPeer = (
    ('Status', '/jotunheim.hub.HubPeer/Status', PeerStatusRequest, PeerStatus, False, False),
    ('SyncDevices', '/jotunheim.hub.HubPeer/SyncDevices', SyncDevicesRequest, SyncDevicesResponse, False, False),
)
