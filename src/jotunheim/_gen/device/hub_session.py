"""Generated code (do not edit): `make proto` rebuilds it from proto/hub.proto: DeviceMessage, HubMessage and the messages they reach."""


def _slice():
    # Locals, not attributes: nested messages' names cost no qstr (tools/devicegen.py).
    DeviceMessage = ['DeviceMessage', (
        '~hello,1,523;capabilities,2,523;capability_update,3,523'
        ';command_result,4,523;heartbeat,5,523;stream_data,6,523;ota_status,7,523'
        ';pong,8,523'
    ), ('body', ), (
        '~Hello;device_id,1,9;proof,2,12;firmware_version,3,9'
        ';protocol_version,4,13;resume_token,5,9;runtime,6,9;pending_results,7,41'
        '\n@hub_caps.CapabilityResponse'
        '\n@hub_caps.CapabilityUpdateEvent'
        '\n~CommandResult;command_id,1,9;success,2,8;result,3,12;error_code,4,9'
        ';error_message,5,9;duration_us,6,13'
        '\n~Heartbeat;seq,1,13;uptime_s,2,13;mem_free,3,5;mem_alloc,4,5'
        ';cpu_percent,5,13;bytes_sent,6,4;bytes_received,7,4;active_tools,8,13'
        ';rssi,9,5'
        '\n~StreamData;stream_id,1,9;seq,2,13;payload,3,12;content_type,4,9'
        ';timestamp_ms,5,3'
        '\n~OtaStatus;version,1,9;state,2,9;reason,3,9;progress_bytes,4,4'
        ';total_bytes,5,4;running_version,6,9;seq,7,13'
        '\n~Pong;nonce,1,4'
    )]
    HubMessage = ['HubMessage', (
        '~challenge,1,523;welcome,2,523;refusal,3,523;capability_request,4,523'
        ';command,5,523;result_ack,6,523;ping,7,523;update_notice,8,523'
        ';stream_control,9,523;ota_rollback,10,523;ota_status_ack,11,523'
    ), ('body', ), (
        '~Challenge;nonce,1,12;protocol_version,2,13'
        '\n~Welcome;session_id,1,9;resume_token,2,9;resumed,3,8'
        ';heartbeat_interval_ms,4,13;dead_peer_timeout_ms,5,13;server_time_ms,6,3'
        ';acked_results,7,41;ota_status_acks,8,8'
        '\n~Refusal;code,1,9;reason,2,9;leader_address,3,9'
        '\n~CapabilityRequest'
        '\n~Command;command_id,1,9;tool,2,9;args_json,3,9;deadline_ms,4,13'
        '\n~ResultAck;command_ids,1,41'
        '\n~Ping;nonce,1,4'
        '\n~UpdateNotice;version,1,9;size,2,4;allow_downgrade,3,8'
        '\n~StreamControl;stream_id,1,9;action,2,9;source,3,9;interval_ms,4,13'
        ';args_json,5,9'
        '\n~OtaRollback;reason,1,9'
        '\n~OtaStatusAck;seq,1,13'
    )]
    return DeviceMessage, HubMessage


DeviceMessage, HubMessage = _slice()
del _slice
