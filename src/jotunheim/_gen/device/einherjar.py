"""Generated code (do not edit): `make proto` rebuilds it from proto/einherjar.proto."""

CapabilityRequest = ['CapabilityRequest', '', None, None]
ParameterDefinition = ['ParameterDefinition', 'name,1,9;type,2,9;description,3,9;required,4,8;enum_values,5,41', None, None]
FunctionDefinition = ['FunctionDefinition', (
    'name,1,9;description,2,9;parameters,3,43;return_type,4,9'
    ';capabilities,5,41;responsibility_keywords,6,41'
), None, (ParameterDefinition, )]
CapabilityResponse = ['CapabilityResponse', (
    'god_name,1,9;purpose,2,9;functions,3,43;responsibility_domains,4,41'
    ';responsibility_keywords,5,41'
), None, (FunctionDefinition, )]

EinherjarProtocol = (
    ('GetCapabilities', '/einherjar.EinherjarProtocol/GetCapabilities', CapabilityRequest, CapabilityResponse, False, False),
)
