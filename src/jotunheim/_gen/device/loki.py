"""Generated code (do not edit): `make proto` rebuilds it from proto/loki.proto."""

GetCapabilitiesRequest = ('GetCapabilitiesRequest', (), None)
ParameterDefinition = ('ParameterDefinition', (
    'name', 1, 9, None,
    'type', 2, 9, None,
    'required', 3, 8, None,
    'description', 4, 9, None,
), None)
ScriptCapability = ('ScriptCapability', (
    'script_name', 1, 9, None,
    'description', 2, 9, None,
    'parameters', 3, 43, ParameterDefinition,
    'return_type', 4, 9, None,
    'supports_streaming', 5, 8, None,
), None)
ChildServiceInfo = ('ChildServiceInfo', (
    'name', 1, 9, None,
    'purpose', 2, 9, None,
    'enabled', 3, 8, None,
    'address', 4, 9, None,
), None)
GetCapabilitiesResponse = ('GetCapabilitiesResponse', (
    'service_name', 1, 9, None,
    'purpose', 2, 9, None,
    'capabilities', 3, 43, ScriptCapability,
    'children', 4, 43, ChildServiceInfo,
), None)
GetChildrenStatusRequest = ('GetChildrenStatusRequest', (), None)
ChildStatus = ('ChildStatus', (
    'name', 1, 9, None,
    'available', 2, 8, None,
    'status_message', 3, 9, None,
    'last_check_timestamp', 4, 3, None,
), None)
GetChildrenStatusResponse = ('GetChildrenStatusResponse', ('children', 1, 43, ChildStatus,), None)
ListScriptsRequest = ('ListScriptsRequest', ('name_pattern', 1, 9, None,), None)
ScriptInfo = ('ScriptInfo', (
    'name', 1, 9, None,
    'description', 2, 9, None,
    'language', 3, 9, None,
    'parameters', 4, 43, ParameterDefinition,
    'return_type', 5, 9, None,
    'has_inline_script', 6, 8, None,
    'script_path', 7, 9, None,
), None)
ListScriptsResponse = ('ListScriptsResponse', ('scripts', 1, 43, ScriptInfo,), None)
RegisterScriptRequest = ('RegisterScriptRequest', (
    'name', 1, 9, None,
    'description', 2, 9, None,
    'language', 3, 9, None,
    'parameters', 4, 43, ParameterDefinition,
    'return_type', 5, 9, None,
    'inline_script', 6, 521, None,
    'script_path', 7, 521, None,
), ('script_source', ))
RegisterScriptResponse = ('RegisterScriptResponse', (
    'success', 1, 8, None,
    'script_name', 2, 9, None,
    'error_message', 3, 9, None,
), None)
ExecuteScriptRequest_ParametersEntry = ('ExecuteScriptRequest_ParametersEntry', (
    'key', 1, 9, None,
    'value', 2, 9, None,
), None)
ExecuteScriptRequest = ('ExecuteScriptRequest', (
    'script_id', 1, 9, None,
    'script_content', 2, 9, None,
    'script_type', 3, 9, None,
    'parameters', 4, 107, ExecuteScriptRequest_ParametersEntry,
), None)
ExecuteScriptResponse = ('ExecuteScriptResponse', (
    'success', 1, 8, None,
    'output', 2, 9, None,
    'error', 3, 9, None,
), None)
ScriptInput_ParametersEntry = ('ScriptInput_ParametersEntry', (
    'key', 1, 9, None,
    'value', 2, 9, None,
), None)
ScriptInput = ('ScriptInput', ('parameters', 1, 107, ScriptInput_ParametersEntry,), None)
StreamScriptExecutionRequest = ('StreamScriptExecutionRequest', (
    'script_name', 1, 9, None,
    'input', 2, 11, ScriptInput,
), None)
ScriptResult_MetadataEntry = ('ScriptResult_MetadataEntry', (
    'key', 1, 9, None,
    'value', 2, 9, None,
), None)
ScriptResult = ('ScriptResult', (
    'success', 1, 8, None,
    'output', 2, 9, None,
    'metadata', 3, 107, ScriptResult_MetadataEntry,
), None)
ScriptOutput = ('ScriptOutput', (
    'data', 1, 9, None,
    'is_final', 2, 8, None,
), None)
ScriptError = ('ScriptError', (
    'error_message', 1, 9, None,
    'error_type', 2, 9, None,
), None)
ScriptChunk = ('ScriptChunk', (
    'result', 1, 523, ScriptResult,
    'output', 2, 523, ScriptOutput,
    'error', 3, 523, ScriptError,
    'timestamp', 4, 3, None,
), ('chunk_type', ))

LokiService = (
    ('GetCapabilities', '/loki.LokiService/GetCapabilities', GetCapabilitiesRequest, GetCapabilitiesResponse, False, False),
    ('GetChildrenStatus', '/loki.LokiService/GetChildrenStatus', GetChildrenStatusRequest, GetChildrenStatusResponse, False, False),
    ('ListScripts', '/loki.LokiService/ListScripts', ListScriptsRequest, ListScriptsResponse, False, False),
    ('RegisterScript', '/loki.LokiService/RegisterScript', RegisterScriptRequest, RegisterScriptResponse, False, False),
    ('ExecuteScript', '/loki.LokiService/ExecuteScript', ExecuteScriptRequest, ExecuteScriptResponse, False, False),
    ('StreamScriptExecution', '/loki.LokiService/StreamScriptExecution', StreamScriptExecutionRequest, ScriptChunk, False, True),
)
