"""Generated code (do not edit): `make proto` rebuilds it from proto/loki.proto."""

GetCapabilitiesRequest = ['GetCapabilitiesRequest', '', None, None]
ParameterDefinition = ['ParameterDefinition', 'name,1,9;type,2,9;required,3,8;description,4,9', None, None]
ScriptCapability = ['ScriptCapability', (
    'script_name,1,9;description,2,9;parameters,3,43;return_type,4,9'
    ';supports_streaming,5,8'
), None, (ParameterDefinition, )]
ChildServiceInfo = ['ChildServiceInfo', 'name,1,9;purpose,2,9;enabled,3,8;address,4,9', None, None]
GetCapabilitiesResponse = ['GetCapabilitiesResponse', 'service_name,1,9;purpose,2,9;capabilities,3,43;children,4,43', None, (ScriptCapability, ChildServiceInfo, )]
GetChildrenStatusRequest = ['GetChildrenStatusRequest', '', None, None]
ChildStatus = ['ChildStatus', 'name,1,9;available,2,8;status_message,3,9;last_check_timestamp,4,3', None, None]
GetChildrenStatusResponse = ['GetChildrenStatusResponse', 'children,1,43', None, (ChildStatus, )]
ListScriptsRequest = ['ListScriptsRequest', 'name_pattern,1,9', None, None]
ScriptInfo = ['ScriptInfo', (
    'name,1,9;description,2,9;language,3,9;parameters,4,43;return_type,5,9'
    ';has_inline_script,6,8;script_path,7,9'
), None, (ParameterDefinition, )]
ListScriptsResponse = ['ListScriptsResponse', 'scripts,1,43', None, (ScriptInfo, )]
RegisterScriptRequest = ['RegisterScriptRequest', (
    'name,1,9;description,2,9;language,3,9;parameters,4,43;return_type,5,9'
    ';inline_script,6,521;script_path,7,521'
), ('script_source', ), (ParameterDefinition, )]
RegisterScriptResponse = ['RegisterScriptResponse', 'success,1,8;script_name,2,9;error_message,3,9', None, None]
ExecuteScriptRequest_ParametersEntry = ['ExecuteScriptRequest_ParametersEntry', 'key,1,9;value,2,9', None, None]
ExecuteScriptRequest = ['ExecuteScriptRequest', 'script_id,1,9;script_content,2,9;script_type,3,9;parameters,4,107', None, (ExecuteScriptRequest_ParametersEntry, )]
ExecuteScriptResponse = ['ExecuteScriptResponse', 'success,1,8;output,2,9;error,3,9', None, None]
ScriptInput_ParametersEntry = ['ScriptInput_ParametersEntry', 'key,1,9;value,2,9', None, None]
ScriptInput = ['ScriptInput', 'parameters,1,107', None, (ScriptInput_ParametersEntry, )]
StreamScriptExecutionRequest = ['StreamScriptExecutionRequest', 'script_name,1,9;input,2,11', None, (ScriptInput, )]
ScriptResult_MetadataEntry = ['ScriptResult_MetadataEntry', 'key,1,9;value,2,9', None, None]
ScriptResult = ['ScriptResult', 'success,1,8;output,2,9;metadata,3,107', None, (ScriptResult_MetadataEntry, )]
ScriptOutput = ['ScriptOutput', 'data,1,9;is_final,2,8', None, None]
ScriptError = ['ScriptError', 'error_message,1,9;error_type,2,9', None, None]
ScriptChunk = ['ScriptChunk', 'result,1,523;output,2,523;error,3,523;timestamp,4,3', ('chunk_type', ), (ScriptResult, ScriptOutput, ScriptError, )]

LokiService = (
    ('GetCapabilities', '/loki.LokiService/GetCapabilities', GetCapabilitiesRequest, GetCapabilitiesResponse, False, False),
    ('GetChildrenStatus', '/loki.LokiService/GetChildrenStatus', GetChildrenStatusRequest, GetChildrenStatusResponse, False, False),
    ('ListScripts', '/loki.LokiService/ListScripts', ListScriptsRequest, ListScriptsResponse, False, False),
    ('RegisterScript', '/loki.LokiService/RegisterScript', RegisterScriptRequest, RegisterScriptResponse, False, False),
    ('ExecuteScript', '/loki.LokiService/ExecuteScript', ExecuteScriptRequest, ExecuteScriptResponse, False, False),
    ('StreamScriptExecution', '/loki.LokiService/StreamScriptExecution', StreamScriptExecutionRequest, ScriptChunk, False, True),
)
