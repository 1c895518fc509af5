"""Generated code (do not edit): `make proto` rebuilds it from proto/loki.proto: ScriptInput, ScriptResult and the messages they reach."""


def _slice():
    # Locals, not attributes: nested messages' names cost no qstr (tools/devicegen.py).
    ScriptInput = ['ScriptInput', 'parameters,1,43', None, '~ScriptInput_ParametersEntry;key,1,9;value,2,9']
    ScriptResult = ['ScriptResult', 'success,1,8;output,2,9;metadata,3,43', None, '~ScriptResult_MetadataEntry;key,1,9;value,2,9']
    return ScriptInput, ScriptResult


ScriptInput, ScriptResult = _slice()
del _slice
