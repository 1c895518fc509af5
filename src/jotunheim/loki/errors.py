"""Loki's errors: each carries the gRPC status name and a ScriptError error_type."""

from jotunheim.errors import DecodeError, JotunheimError


class LokiError(JotunheimError):
    """A failed call: `code` is a grpc.StatusCode name, `error_type` a ScriptError type."""

    code = "UNKNOWN"
    error_type = "LuaError"


class InvalidArgument(LokiError):
    code = "INVALID_ARGUMENT"
    error_type = "InvalidArgument"


class ScriptNotFound(LokiError):
    code = "NOT_FOUND"
    error_type = "NotFound"


class ResourceExhausted(LokiError):
    code = "RESOURCE_EXHAUSTED"
    error_type = "ResourceExhausted"


class DeadlineExceeded(LokiError):
    code = "DEADLINE_EXCEEDED"
    error_type = "Timeout"


class ScriptRuntimeError(LokiError):
    """The Lua script raised an error (or returned a value of the wrong type)."""

    code = "UNKNOWN"
    error_type = "LuaError"


class ChildError(LokiError):
    """A child module (fenrir, jormungandr, hel) refused or failed a request from a script."""


class ConfigError(DecodeError):
    """An invalid tool config, script definition or settings value; the message names the key."""
