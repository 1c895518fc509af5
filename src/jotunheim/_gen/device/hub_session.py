"""Generated code (do not edit): `make proto` rebuilds it from proto/hub.proto: DeviceMessage, HubMessage, CapabilityResponse and the messages they reach."""


def _slice():
    # Locals, not attributes: nested messages' names cost no qstr (tools/devicegen.py).
    m0 = (
        '~Hello;device_id,1,9;proof,2,12;firmware_version,3,9'
        ';protocol_version,4,13;resume_token,5,9;runtime,6,9;pending_results,7,41'
    )
    m1 = [None, 'ParameterDefinition;name,1,9;type,2,9;required,3,8;description,4,9', None, None]
    m2 = [None, 'Tool;name,1,9;description,2,9;parameters,3,43;return_type,4,9', None, (m1, )]
    m3 = [None, 'GpioInfo;available_pins,1,165;digital,2,8;analog,3,8;pwm,4,8', None, None]
    m4 = [None, (
        'HardwareCapabilities;gpio,1,11;interfaces,2,41;sensors,3,41'
        ';actuators,4,41'
    ), None, (m3, )]
    m5 = [None, (
        'ResourceLimits;max_memory_kb,1,5;max_cpu_percent,2,5'
        ';max_concurrent_tools,3,5'
    ), None, None]
    m6 = [None, 'ProtocolFeatures;streaming,1,8;compression,2,8;encryption,3,8', None, None]
    m7 = [None, (
        'JotunheimCapabilities;device_id,1,9;device_name,2,9;device_type,3,9'
        ';firmware_version,4,9;protocol_version,5,9;tools,6,43;hardware,7,11'
        ';resources,8,11;features,9,11'
    ), None, (m2, m4, m5, m6, )]
    CapabilityResponse = ['CapabilityResponse', 'capabilities,1,11', None, (m7, )]
    m9 = [None, '~CapabilityUpdateEvent;event_type,1,9;capabilities,2,11', None, (m7, )]
    m10 = (
        '~CommandResult;command_id,1,9;success,2,8;result,3,12;error_code,4,9'
        ';error_message,5,9;duration_us,6,13'
    )
    m11 = (
        '~Heartbeat;seq,1,13;uptime_s,2,13;mem_free,3,5;mem_alloc,4,5'
        ';cpu_percent,5,13;bytes_sent,6,4;bytes_received,7,4;active_tools,8,13'
        ';rssi,9,5'
    )
    m12 = (
        '~StreamData;stream_id,1,9;seq,2,13;payload,3,12;content_type,4,9'
        ';timestamp_ms,5,3'
    )
    m13 = (
        '~OtaStatus;version,1,9;state,2,9;reason,3,9;progress_bytes,4,4'
        ';total_bytes,5,4;running_version,6,9;seq,7,13'
    )
    m14 = '~Pong;nonce,1,4'
    DeviceMessage = ['DeviceMessage', (
        '~hello,1,523;capabilities,2,523;capability_update,3,523'
        ';command_result,4,523;heartbeat,5,523;stream_data,6,523;ota_status,7,523'
        ';pong,8,523'
    ), ('body', ), (m0, CapabilityResponse, m9, m10, m11, m12, m13, m14, )]
    m16 = '~Challenge;nonce,1,12;protocol_version,2,13'
    m17 = (
        '~Welcome;session_id,1,9;resume_token,2,9;resumed,3,8'
        ';heartbeat_interval_ms,4,13;dead_peer_timeout_ms,5,13;server_time_ms,6,3'
        ';acked_results,7,41;ota_status_acks,8,8'
    )
    m18 = '~Refusal;code,1,9;reason,2,9;leader_address,3,9'
    m19 = '~CapabilityRequest'
    m20 = '~Command;command_id,1,9;tool,2,9;args_json,3,9;deadline_ms,4,13'
    m21 = '~ResultAck;command_ids,1,41'
    m22 = '~Ping;nonce,1,4'
    m23 = '~UpdateNotice;version,1,9;size,2,4;allow_downgrade,3,8'
    m24 = (
        '~StreamControl;stream_id,1,9;action,2,9;source,3,9;interval_ms,4,13'
        ';args_json,5,9'
    )
    m25 = '~OtaRollback;reason,1,9'
    m26 = '~OtaStatusAck;seq,1,13'
    HubMessage = ['HubMessage', (
        '~challenge,1,523;welcome,2,523;refusal,3,523;capability_request,4,523'
        ';command,5,523;result_ack,6,523;ping,7,523;update_notice,8,523'
        ';stream_control,9,523;ota_rollback,10,523;ota_status_ack,11,523'
    ), ('body', ), (m16, m17, m18, m19, m20, m21, m22, m23, m24, m25, m26, )]
    return DeviceMessage, HubMessage, CapabilityResponse


DeviceMessage, HubMessage, CapabilityResponse = _slice()
del _slice
