"""Loki's settings: server options and the default per-script limits (overridable per tool)."""

from dataclasses import dataclass, field, fields, replace

from jotunheim.loki.errors import ConfigError


@dataclass(frozen=True)
class Limits:
    """Per-script execution limits; every tool may override any of them."""

    memory_bytes: int = 32 * 1024 * 1024
    max_instructions: int = 200_000_000
    timeout_ms: int = 5_000
    max_concurrent: int = 4

    def merged(self, overrides: dict, where: str) -> "Limits":
        """Returns a copy with `overrides` applied, validated (ConfigError naming `where.key`)."""
        if overrides is None:
            return self
        if not isinstance(overrides, dict):
            raise ConfigError(where + ": expected an object")
        known = {f.name for f in fields(self)}
        values = {}
        for key, value in overrides.items():
            if key not in known:
                raise ConfigError("%s.%s: unknown limit (known: %s)" % (where, key, sorted(known)))
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ConfigError("%s.%s: expected a positive integer" % (where, key))
            values[key] = value
        return replace(self, **values)


@dataclass(frozen=True)
class LokiSettings:
    """Everything `jotunheim loki serve` can be told; defaults suit a small Linux box."""

    data_dir: str = "loki-data"
    host: str = "127.0.0.1"
    port: int = 50052
    tools_path: str | None = None
    limits: Limits = field(default_factory=Limits)
    # Total scripts running at once, across all scripts; `system_reserved` of these slots
    # are kept for system scripts so user load can never starve them.
    max_running: int = 8
    system_reserved: int = 1
    # Calls waiting for a slot; beyond this they fail at once with RESOURCE_EXHAUSTED.
    queue_size: int = 32
    queue_timeout_ms: int = 2_000
    grpc_workers: int = 48
    reload_interval_s: float = 1.0
    # Debug-hook granularity: the hook runs every `hook_interval` VM instructions.
    hook_interval: int = 1_000
    max_output_bytes: int = 1024 * 1024
    # A call still running this long after its deadline is stuck in native code: its slot
    # is written off (see scheduler.StuckCallWatchdog).
    stuck_grace_ms: int = 1_000
    children: dict = field(default_factory=dict)
