"""Generated code (do not edit): `make proto` rebuilds it from proto/einherjar.proto."""

CapabilityRequest = ('CapabilityRequest', (), None)
ParameterDefinition = ('ParameterDefinition', (
    'name', 1, 9, None,
    'type', 2, 9, None,
    'description', 3, 9, None,
    'required', 4, 8, None,
    'enum_values', 5, 41, None,
), None)
FunctionDefinition = ('FunctionDefinition', (
    'name', 1, 9, None,
    'description', 2, 9, None,
    'parameters', 3, 43, ParameterDefinition,
    'return_type', 4, 9, None,
    'capabilities', 5, 41, None,
    'responsibility_keywords', 6, 41, None,
), None)
CapabilityResponse = ('CapabilityResponse', (
    'god_name', 1, 9, None,
    'purpose', 2, 9, None,
    'functions', 3, 43, FunctionDefinition,
    'responsibility_domains', 4, 41, None,
    'responsibility_keywords', 5, 41, None,
), None)

EinherjarProtocol = (
    ('GetCapabilities', '/einherjar.EinherjarProtocol/GetCapabilities', CapabilityRequest, CapabilityResponse, False, False),
)
