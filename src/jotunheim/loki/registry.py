"""Script registry: RegisterScript definitions (persisted in the data dir) and tool config ones."""

import fnmatch
import json
import os
import threading
from dataclasses import asdict, dataclass, field

from jotunheim.loki.errors import ConfigError
from jotunheim.loki.params import NAME_RE, PARAM_TYPES, RETURN_TYPES, normalize_type
from jotunheim.loki.settings import Limits

MAX_SCRIPT_BYTES = 256 * 1024


@dataclass(frozen=True)
class ParamDef:
    name: str
    type: str
    required: bool = True
    description: str = ""


@dataclass(frozen=True)
class ScriptDef:
    """One callable script. Immutable: replacing a script swaps the whole definition."""

    name: str
    source: str
    description: str = ""
    language: str = "lua"
    parameters: tuple = ()
    return_type: str = "Any"
    script_path: str = ""  # where the source came from ("" for inline)
    origin: str = "grpc"  # "grpc" (RegisterScript, persisted) or "config" (tool config)
    system: bool = False
    limits: Limits = field(default_factory=Limits)
    keywords: tuple = ()


def atomic_write(path: str, data: bytes) -> None:
    """Writes `data` to `path` so a crash leaves either the old or the new file, never a mix."""
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    tmp = "%s.tmp-%d-%d" % (path, os.getpid(), threading.get_ident())
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    try:
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass  # directory fsync is best effort (not every filesystem allows it)


def confined_path(root: str, relative: str, where: str) -> str:
    """Real path of `relative` inside `root`; ConfigError if it escapes (.., absolute, symlink)."""
    if not isinstance(relative, str) or not relative or "\x00" in relative:
        raise ConfigError("%s: expected a non-empty relative path" % where)
    if os.path.isabs(relative):
        raise ConfigError("%s: %r must be relative" % (where, relative))
    real_root = os.path.realpath(root)
    real = os.path.realpath(os.path.join(real_root, relative))
    if os.path.commonpath([real_root, real]) != real_root:
        raise ConfigError("%s: %r is outside %s" % (where, relative, real_root))
    return real


def read_script_file(root: str, relative: str, where: str) -> str:
    """Reads a script source file confined to `root` (size-limited, UTF-8)."""
    path = confined_path(root, relative, where)
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_SCRIPT_BYTES + 1)
    except OSError as exc:
        raise ConfigError("%s: cannot read %r: %s" % (where, relative, exc.strerror)) from None
    if len(data) > MAX_SCRIPT_BYTES:
        raise ConfigError("%s: script larger than %d bytes" % (where, MAX_SCRIPT_BYTES))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError("%s: script is not UTF-8" % where) from None


def parse_parameters(items, where: str) -> tuple:
    """ParamDefs from dicts ({name, type, required, description}); errors name the entry."""
    if items is None:
        return ()
    if not isinstance(items, (list, tuple)):
        raise ConfigError(where + ": expected an array")
    seen = set()
    result = []
    for i, item in enumerate(items):
        at = "%s[%d]" % (where, i)
        if not isinstance(item, dict):
            raise ConfigError(at + ": expected an object")
        unknown = set(item) - {"name", "type", "required", "description"}
        if unknown:
            raise ConfigError("%s: unknown key(s) %s" % (at, sorted(unknown)))
        name = item.get("name")
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise ConfigError(at + ".name: expected an identifier like [A-Za-z_][A-Za-z0-9_]*")
        if name in seen:
            raise ConfigError("%s.name: duplicate parameter %r" % (at, name))
        seen.add(name)
        ptype = normalize_type(item.get("type", ""), PARAM_TYPES, at + ".type")
        required = item.get("required", True)
        if not isinstance(required, bool):
            raise ConfigError(at + ".required: expected true or false")
        description = item.get("description", "")
        if not isinstance(description, str):
            raise ConfigError(at + ".description: expected a string")
        result.append(ParamDef(name, ptype, required, description))
    return tuple(result)


def make_definition(
    name,
    source,
    *,
    description="",
    language="lua",
    parameters=(),
    return_type="",
    script_path="",
    origin="grpc",
    system=False,
    limits=None,
    keywords=(),
    where="script",
) -> ScriptDef:
    """Validated ScriptDef (names, types, language, size); the Lua compile check is the engine's."""
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ConfigError(where + ".name: expected an identifier like [A-Za-z_][A-Za-z0-9_]*")
    if (language or "lua").lower() != "lua":
        raise ConfigError('%s.language: only "lua" is supported, got %r' % (where, language))
    if not isinstance(source, str) or not source.strip():
        raise ConfigError(where + ": the script source is empty")
    if len(source.encode("utf-8")) > MAX_SCRIPT_BYTES:
        raise ConfigError("%s: script larger than %d bytes" % (where, MAX_SCRIPT_BYTES))
    if not isinstance(description, str):
        raise ConfigError(where + ".description: expected a string")
    rtype = normalize_type(return_type or "Any", RETURN_TYPES, where + ".return_type")
    return ScriptDef(
        name=name,
        source=source,
        description=description,
        language="lua",
        parameters=tuple(parameters),
        return_type=rtype,
        script_path=script_path or "",
        origin=origin,
        system=bool(system),
        limits=limits or Limits(),
        keywords=tuple(keywords),
    )


class ScriptStore:
    """Persists RegisterScript definitions: <data>/scripts/<name>.lua plus one index JSON."""

    def __init__(self, data_dir: str):
        self.dir = os.path.join(data_dir, "scripts")
        self.index_path = os.path.join(self.dir, "index.json")

    def save(self, defs, changed=None) -> None:
        """Writes the changed script file (all when None) first, then the index (atomic), so
        the index never names a file that is not there yet."""
        entries = []
        for d in defs:
            if changed is None or d.name == changed:
                atomic_write(os.path.join(self.dir, d.name + ".lua"), d.source.encode("utf-8"))
            entries.append(
                {
                    "name": d.name,
                    "description": d.description,
                    "language": d.language,
                    "parameters": [asdict(p) for p in d.parameters],
                    "return_type": d.return_type,
                    "script_path": d.script_path,
                    "file": d.name + ".lua",
                }
            )
        body = json.dumps({"version": 1, "scripts": entries}, indent=2, sort_keys=True)
        atomic_write(self.index_path, body.encode("utf-8"))

    def load(self, limits: Limits):
        """(definitions, errors): a broken entry is skipped with a message, never fatal."""
        if not os.path.exists(self.index_path):
            return [], []
        try:
            with open(self.index_path, "rb") as fh:
                index = json.loads(fh.read().decode("utf-8"))
        except (OSError, ValueError) as exc:
            return [], ["%s: unreadable (%s)" % (self.index_path, exc)]
        defs, errors = [], []
        for i, entry in enumerate(index.get("scripts", []) if isinstance(index, dict) else []):
            where = "%s scripts[%d]" % (self.index_path, i)
            try:
                source = read_script_file(self.dir, entry["file"], where + ".file")
                defs.append(
                    make_definition(
                        entry["name"],
                        source,
                        description=entry.get("description", ""),
                        parameters=parse_parameters(entry.get("parameters"), where + ".parameters"),
                        return_type=entry.get("return_type", ""),
                        script_path=entry.get("script_path", ""),
                        limits=limits,
                        where=where,
                    )
                )
            except (ConfigError, KeyError, TypeError) as exc:
                errors.append("%s: %s" % (where, exc))
        return defs, errors


class Registry:
    """Name -> ScriptDef in two layers (tool config over RegisterScript); lookups are lock-free."""

    def __init__(self, store: ScriptStore | None = None):
        self._lock = threading.Lock()
        self._registered = {}
        self._config = {}
        self._merged = {}
        self._store = store

    def _rebuild(self):
        merged = dict(self._registered)
        merged.update(self._config)
        self._merged = merged  # one reference swap: readers see old or new, never a mix

    def get(self, name: str):
        return self._merged.get(name)

    def all(self):
        return sorted(self._merged.values(), key=lambda d: d.name)

    def matching(self, pattern: str):
        return [d for d in self.all() if not pattern or fnmatch.fnmatchcase(d.name, pattern)]

    def load_registered(self, defs) -> None:
        with self._lock:
            self._registered = {d.name: d for d in defs}
            self._rebuild()

    def register(self, definition: ScriptDef) -> None:
        """Adds or replaces a RegisterScript definition and persists the registered set."""
        with self._lock:
            if definition.name in self._config:
                raise ConfigError(
                    "name %r is defined by the tool config; change it there" % definition.name
                )
            registered = dict(self._registered)
            registered[definition.name] = definition
            if self._store is not None:
                self._store.save(
                    sorted(registered.values(), key=lambda d: d.name), changed=definition.name
                )
            self._registered = registered
            self._rebuild()

    def replace_config(self, defs) -> None:
        """Swaps the whole tool-config layer at once (hot reload)."""
        with self._lock:
            self._config = {d.name: d for d in defs}
            self._rebuild()
