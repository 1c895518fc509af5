"""Generated code (do not edit): `make proto` rebuilds it from proto/capability.proto: CapabilityResponse, CapabilityUpdateEvent and the messages they reach."""


def _slice():
    # Locals, not attributes: nested messages' names cost no qstr (tools/devicegen.py).
    m0 = [None, 'ParameterDefinition;name,1,9;type,2,9;required,3,8;description,4,9', None, None]
    m1 = [None, 'Tool;name,1,9;description,2,9;parameters,3,43;return_type,4,9', None, (m0, )]
    m2 = [None, 'GpioInfo;available_pins,1,165;digital,2,8;analog,3,8;pwm,4,8', None, None]
    m3 = [None, (
        'HardwareCapabilities;gpio,1,11;interfaces,2,41;sensors,3,41'
        ';actuators,4,41'
    ), None, (m2, )]
    m4 = [None, (
        'ResourceLimits;max_memory_kb,1,5;max_cpu_percent,2,5'
        ';max_concurrent_tools,3,5'
    ), None, None]
    m5 = [None, 'ProtocolFeatures;streaming,1,8;compression,2,8;encryption,3,8', None, None]
    m6 = [None, (
        'JotunheimCapabilities;device_id,1,9;device_name,2,9;device_type,3,9'
        ';firmware_version,4,9;protocol_version,5,9;tools,6,43;hardware,7,11'
        ';resources,8,11;features,9,11'
    ), None, (m1, m3, m4, m5, )]
    CapabilityResponse = ['CapabilityResponse', 'capabilities,1,11', None, (m6, )]
    CapabilityUpdateEvent = ['CapabilityUpdateEvent', '~event_type,1,9;capabilities,2,11', None, (m6, )]
    return CapabilityResponse, CapabilityUpdateEvent


CapabilityResponse, CapabilityUpdateEvent = _slice()
del _slice
