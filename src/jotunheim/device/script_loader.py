"""Reads and compiles a script tool's file (declared_tools.ConfigTool, on its first call):
loaded for that and dropped again on MicroPython, since each script is loaded only once."""

import os

from jotunheim.compat import const
from jotunheim.device.tools import ToolError

_MAX_SCRIPT_BYTES = const(32768)  # a script is compiled in RAM on the device: refuse bigger


def load(tool):
    """The `run` function of the script at tool.path (ToolError naming what is wrong)."""
    name = tool.name
    # Size from stat first: on MicroPython f.read(n) allocates n bytes up front, so a
    # "read at most n+1" guard would itself cost a 32 KB buffer.
    try:
        size = os.stat(tool.path)[6]
        if size > _MAX_SCRIPT_BYTES:
            raise ToolError("script %s: larger than %d bytes" % (name, _MAX_SCRIPT_BYTES))
        with open(tool.path) as f:
            source = f.read()
    except OSError:
        raise ToolError("script %s: cannot read %s" % (name, tool.path)) from None
    ns = {"__name__": "script_" + name}
    for k in tool._env:
        ns[k] = tool._env[k]
    try:
        exec(compile(source, tool.path, "exec"), ns)
    except SyntaxError as exc:
        raise ToolError("script %s: syntax error: %s" % (name, exc)) from None
    run = ns.get("run")
    if not callable(run):
        raise ToolError("script %s: defines no run(params)" % name)
    return run
