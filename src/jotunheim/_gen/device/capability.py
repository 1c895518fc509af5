"""Generated code (do not edit): `make proto` rebuilds it from proto/capability.proto."""

ParameterDefinition = ('ParameterDefinition', (
    'name', 1, 9, None,
    'type', 2, 9, None,
    'required', 3, 8, None,
    'description', 4, 9, None,
), None)
Tool = ('Tool', (
    'name', 1, 9, None,
    'description', 2, 9, None,
    'parameters', 3, 43, ParameterDefinition,
    'return_type', 4, 9, None,
), None)
GpioInfo = ('GpioInfo', (
    'available_pins', 1, 165, None,
    'digital', 2, 8, None,
    'analog', 3, 8, None,
    'pwm', 4, 8, None,
), None)
HardwareCapabilities = ('HardwareCapabilities', (
    'gpio', 1, 11, GpioInfo,
    'interfaces', 2, 41, None,
    'sensors', 3, 41, None,
    'actuators', 4, 41, None,
), None)
ResourceLimits = ('ResourceLimits', (
    'max_memory_kb', 1, 5, None,
    'max_cpu_percent', 2, 5, None,
    'max_concurrent_tools', 3, 5, None,
), None)
ProtocolFeatures = ('ProtocolFeatures', (
    'streaming', 1, 8, None,
    'compression', 2, 8, None,
    'encryption', 3, 8, None,
), None)
JotunheimCapabilities = ('JotunheimCapabilities', (
    'device_id', 1, 9, None,
    'device_name', 2, 9, None,
    'device_type', 3, 9, None,
    'firmware_version', 4, 9, None,
    'protocol_version', 5, 9, None,
    'tools', 6, 43, Tool,
    'hardware', 7, 11, HardwareCapabilities,
    'resources', 8, 11, ResourceLimits,
    'features', 9, 11, ProtocolFeatures,
), None)
CapabilityRequest = ('CapabilityRequest', (), None)
CapabilityResponse = ('CapabilityResponse', ('capabilities', 1, 11, JotunheimCapabilities,), None)
CapabilityUpdateEvent = ('CapabilityUpdateEvent', (
    'event_type', 1, 9, None,
    'capabilities', 2, 11, JotunheimCapabilities,
), None)
