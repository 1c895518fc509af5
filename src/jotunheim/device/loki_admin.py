"""The Loki client's fixed RPCs (GetCapabilities, ListScripts, RegisterScript): loaded only
when a device calls one, which the script-call path never does."""

from jotunheim.device.loki_client import LokiError


async def get_capabilities(client):
    """GetCapabilitiesResponse dict."""
    return await _fixed(client, "GetCapabilities", "GetCapabilitiesRequest", {})


async def list_scripts(client, name_pattern=""):
    """The ScriptInfo dicts of ListScriptsResponse."""
    req = {"name_pattern": name_pattern}
    resp = await _fixed(client, "ListScripts", "ListScriptsRequest", req)
    return resp.get("scripts") or []


async def register_script(
    client, name, inline_script, description="", parameters=None, return_type="", lang="lua"
):
    """RegisterScript with inline source; returns the response, raises on failure."""
    req = {
        "name": name,
        "description": description,
        "language": lang,
        "parameters": _loki_params(parameters or []),
        "return_type": return_type,
        "inline_script": inline_script,
    }
    resp = await _fixed(client, "RegisterScript", "RegisterScriptRequest", req)
    if not resp.get("success"):
        raise LokiError(
            "INVALID_ARGUMENT", "RegisterScript %s: %s" % (name, resp.get("error_message"))
        )
    return resp


async def _fixed(client, method, req_name, request):
    if client.mode != "remote":
        raise LokiError("UNAVAILABLE", "Loki %s: mode is %s, not remote" % (method, client.mode))
    from jotunheim._gen.device import loki as loki_d

    req_d = getattr(loki_d, req_name)
    resp_d = getattr(loki_d, req_name[: -len("Request")] + "Response")
    from jotunheim.device import loki_link

    try:
        return await loki_link.unary(client, method, req_d, resp_d, request)
    except LokiError:
        raise
    except Exception as exc:
        from jotunheim.device.loki_failures import translate

        raise translate(method, exc) from None
    finally:
        client._release()


def _loki_params(params):
    # loki.proto ParameterDefinition has no Integer: Lua numbers are all "Number".
    out = []
    for p in params:
        kind = p.get("type", "String")
        out.append(
            {
                "name": p.get("name", ""),
                "type": "Number" if kind == "Integer" else kind,
                "required": bool(p.get("required", False)),
                "description": p.get("description", "") or "",
            }
        )
    return out
