"""Messages for arguments a tool refuses (Tool.validate found the problem): loaded on the
first bad call only, so a device whose commands are well formed never holds this code."""

from jotunheim.device.tools import InvalidArgument


def rejection(tool, problem, about, value):
    """The InvalidArgument for `problem` found by Tool.validate: "object" (args not a dict),
    "unknown" (about = the parameters, value = the args), "missing" (about = the parameter)
    or a value problem ("type", "min", "max", "enum") of parameter `about`."""
    if problem == "object":
        return InvalidArgument("%s: arguments must be a JSON object" % tool)
    if problem == "unknown":
        declared = [p["name"] for p in about]
        for key in value:
            if key not in declared:
                return InvalidArgument("%s: unknown parameter %r" % (tool, key))
    name = about["name"]
    if problem == "missing":
        return InvalidArgument("%s: missing required parameter %r" % (tool, name))
    if problem == "type":
        return InvalidArgument("%s: parameter %r must be of type %s" % (tool, name, about["type"]))
    if problem == "min":
        return InvalidArgument("%s: parameter %r must be >= %s" % (tool, name, about["min"]))
    if problem == "max":
        return InvalidArgument("%s: parameter %r must be <= %s" % (tool, name, about["max"]))
    shown = ", ".join([str(a) for a in about["enum"]])
    return InvalidArgument("%s: parameter %r must be one of: %s" % (tool, name, shown))
