"""Generated code (do not edit): `make proto` rebuilds it from proto/hub.proto."""

from jotunheim._gen.device import capability as _capability

Hello = ['Hello', (
    'device_id,1,9;proof,2,12;firmware_version,3,9;protocol_version,4,13'
    ';resume_token,5,9;runtime,6,9;pending_results,7,41'
), None, None]
CommandResult = ['CommandResult', (
    'command_id,1,9;success,2,8;result,3,12;error_code,4,9;error_message,5,9'
    ';duration_us,6,13'
), None, None]
Heartbeat = ['Heartbeat', (
    'seq,1,13;uptime_s,2,13;mem_free,3,5;mem_alloc,4,5;cpu_percent,5,13'
    ';bytes_sent,6,4;bytes_received,7,4;active_tools,8,13;rssi,9,5'
), None, None]
StreamData = ['StreamData', 'stream_id,1,9;seq,2,13;payload,3,12;content_type,4,9;timestamp_ms,5,3', None, None]
OtaStatus = ['OtaStatus', (
    'version,1,9;state,2,9;reason,3,9;progress_bytes,4,4;total_bytes,5,4'
    ';running_version,6,9;seq,7,13'
), None, None]
Pong = ['Pong', 'nonce,1,4', None, None]
DeviceMessage = ['DeviceMessage', (
    'hello,1,523;capabilities,2,523;capability_update,3,523'
    ';command_result,4,523;heartbeat,5,523;stream_data,6,523;ota_status,7,523'
    ';pong,8,523'
), ('body', ), (Hello, _capability.CapabilityResponse, _capability.CapabilityUpdateEvent, CommandResult, Heartbeat, StreamData, OtaStatus, Pong, )]
Challenge = ['Challenge', 'nonce,1,12;protocol_version,2,13', None, None]
Welcome = ['Welcome', (
    'session_id,1,9;resume_token,2,9;resumed,3,8;heartbeat_interval_ms,4,13'
    ';dead_peer_timeout_ms,5,13;server_time_ms,6,3;acked_results,7,41'
    ';ota_status_acks,8,8'
), None, None]
Refusal = ['Refusal', 'code,1,9;reason,2,9;leader_address,3,9', None, None]
Command = ['Command', 'command_id,1,9;tool,2,9;args_json,3,9;deadline_ms,4,13', None, None]
ResultAck = ['ResultAck', 'command_ids,1,41', None, None]
Ping = ['Ping', 'nonce,1,4', None, None]
UpdateNotice = ['UpdateNotice', 'version,1,9;size,2,4;allow_downgrade,3,8', None, None]
StreamControl = ['StreamControl', 'stream_id,1,9;action,2,9;source,3,9;interval_ms,4,13;args_json,5,9', None, None]
OtaRollback = ['OtaRollback', 'reason,1,9', None, None]
OtaStatusAck = ['OtaStatusAck', 'seq,1,13', None, None]
HubMessage = ['HubMessage', (
    'challenge,1,523;welcome,2,523;refusal,3,523;capability_request,4,523'
    ';command,5,523;result_ack,6,523;ping,7,523;update_notice,8,523'
    ';stream_control,9,523;ota_rollback,10,523;ota_status_ack,11,523'
), ('body', ), (Challenge, Welcome, Refusal, _capability.CapabilityRequest, Command, ResultAck, Ping, UpdateNotice, StreamControl, OtaRollback, OtaStatusAck, )]
ListDevicesRequest = ['ListDevicesRequest', '', None, None]
DeviceInfo = ['DeviceInfo', (
    'device_id,1,9;name,2,9;device_type,3,9;firmware_version,4,9;online,5,8'
    ';last_seen_ms,6,3;revoked,7,8;key_fingerprint,8,9;runtime,9,9'
    ';last_heartbeat,10,11;created_at_ms,11,3;ota_status,12,11'
), None, (Heartbeat, OtaStatus, )]
ListDevicesResponse = ['ListDevicesResponse', 'devices,1,43', None, (DeviceInfo, )]
DeviceRef = ['DeviceRef', 'device_id,1,9', None, None]
DeviceCapabilities = ['DeviceCapabilities', (
    'device_id,1,9;capabilities,2,11;fetched_at_ms,3,3;from_cache,4,8'
    ';stale,5,8'
), None, (_capability.JotunheimCapabilities, )]
ProvisionRequest = ['ProvisionRequest', 'device_id,1,9;name,2,9;replace,3,8', None, None]
ProvisionResponse = ['ProvisionResponse', 'device_id,1,9;key,2,9;key_fingerprint,3,9', None, None]
RevokeResponse = ['RevokeResponse', 'revoked,1,8;was_online,2,8', None, None]
RolloutRequest = ['RolloutRequest', 'version,1,9;device_ids,2,41;all,3,8;batch_size,4,13;timeout_ms,5,13', None, None]
RolloutProgress = ['RolloutProgress', 'device_id,1,9;batch,2,13;status,3,11;done,4,8;summary,5,9;batches,6,13', None, (OtaStatus, )]
RollbackRequest = ['RollbackRequest', 'device_id,1,9;reason,2,9', None, None]
WatchStreamRequest = ['WatchStreamRequest', (
    'device_id,1,9;source,2,9;interval_ms,3,13;args_json,4,9'
    ';max_messages,5,13'
), None, None]
RollbackResponse = ['RollbackResponse', 'sent,1,8', None, None]
PeerStatusRequest = ['PeerStatusRequest', 'from_address,1,9', None, None]
PeerStatus = ['PeerStatus', (
    'hub_id,1,9;created_at_ms,2,3;address,3,9;leader_id,4,9'
    ';leader_address,5,9;is_leader,6,8;devices_online,7,13;peers,8,41'
    ';catching_up,9,8'
), None, None]
SyncDevicesRequest = ['SyncDevicesRequest', '', None, None]
SyncCommandsRequest = ['SyncCommandsRequest', 'epoch,1,9;after_seq,2,4;max_commands,3,13', None, None]
LoggedCommand = ['LoggedCommand', (
    'command_id,1,9;device_id,2,9;tool,3,9;args_json,4,9;deadline_at_ms,5,3'
    ';created_ms,6,3;state,7,9;success,8,8;result,9,12;error_code,10,9'
    ';error_message,11,9;duration_us,12,3;completed_ms,13,3'
    ';recorded_count,14,13;seq,15,4;origin_hub,16,9'
), None, None]
SyncCommandsResponse = ['SyncCommandsResponse', 'hub_id,1,9;epoch,2,9;commands,3,43;more,4,8', None, (LoggedCommand, )]
DeviceIdentity = ['DeviceIdentity', 'device_id,1,9;name,2,9;key,3,12;revoked,4,8;created_at_ms,5,3', None, None]
SyncDevicesResponse = ['SyncDevicesResponse', 'hub_id,1,9;identities,2,43', None, (DeviceIdentity, )]

DeviceHub = (
    ('Connect', '/jotunheim.hub.DeviceHub/Connect', DeviceMessage, HubMessage, True, True),
)

HubOperator = (
    ('ListDevices', '/jotunheim.hub.HubOperator/ListDevices', ListDevicesRequest, ListDevicesResponse, False, False),
    ('GetCapabilities', '/jotunheim.hub.HubOperator/GetCapabilities', DeviceRef, DeviceCapabilities, False, False),
    ('ProvisionDevice', '/jotunheim.hub.HubOperator/ProvisionDevice', ProvisionRequest, ProvisionResponse, False, False),
    ('RevokeDevice', '/jotunheim.hub.HubOperator/RevokeDevice', DeviceRef, RevokeResponse, False, False),
    ('Rollout', '/jotunheim.hub.HubOperator/Rollout', RolloutRequest, RolloutProgress, False, True),
    ('RollbackDevice', '/jotunheim.hub.HubOperator/RollbackDevice', RollbackRequest, RollbackResponse, False, False),
    ('WatchStream', '/jotunheim.hub.HubOperator/WatchStream', WatchStreamRequest, StreamData, False, True),
)

HubPeer = (
    ('Status', '/jotunheim.hub.HubPeer/Status', PeerStatusRequest, PeerStatus, False, False),
    ('SyncDevices', '/jotunheim.hub.HubPeer/SyncDevices', SyncDevicesRequest, SyncDevicesResponse, False, False),
    ('SyncCommands', '/jotunheim.hub.HubPeer/SyncCommands', SyncCommandsRequest, SyncCommandsResponse, False, False),
)
