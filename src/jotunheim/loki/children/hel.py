"""Hel: files confined to <data>/files, a persistent key-value store (SQLite) and a TTL cache."""

import json
import os
import sqlite3
import threading
import time

from jotunheim.loki.children import Child
from jotunheim.loki.errors import ChildError, ConfigError
from jotunheim.loki.registry import atomic_write, confined_path

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_VALUE_BYTES = 1024 * 1024
MAX_KEY_LENGTH = 256
MAX_CACHE_ENTRIES = 10_000


class Hel(Child):
    name = "hel"
    purpose = "files confined to the data directory, persistent key-value storage, TTL cache"

    def __init__(self, data_dir: str, config: dict):
        self.root = os.path.realpath(os.path.join(data_dir, "files"))
        os.makedirs(self.root, exist_ok=True)
        self.max_file_bytes = int(config.get("max_file_bytes", MAX_FILE_BYTES))
        self._db_path = os.path.join(data_dir, "hel.sqlite3")
        self._db = sqlite3.connect(self._db_path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
        )
        self._db_lock = threading.Lock()
        self._cache = {}
        self._cache_lock = threading.Lock()

    def functions(self):
        return {
            "fs_read": self.fs_read,
            "fs_write": self.fs_write,
            "fs_delete": self.fs_delete,
            "fs_list": self.fs_list,
            "fs_exists": self.fs_exists,
            "kv_get": self.kv_get,
            "kv_set": self.kv_set,
            "kv_delete": self.kv_delete,
            "kv_keys": self.kv_keys,
            "cache_get": self.cache_get,
            "cache_set": self.cache_set,
            "cache_delete": self.cache_delete,
        }

    # -- files ---------------------------------------------------------------------------
    def _path(self, path, allow_root=False):
        if allow_root and (path is None or path in ("", ".")):
            return self.root
        if not isinstance(path, str):
            raise ChildError("hel: path must be a string")
        try:
            real = confined_path(self.root, path, "hel path")
        except ConfigError as exc:
            raise ChildError("hel: path refused: %s" % exc) from None
        if real == self.root and not allow_root:
            raise ChildError("hel: path refused: %r names the files root" % path)
        return real

    def fs_read(self, ctx, path):
        real = self._path(path)
        try:
            with open(real, "rb") as fh:
                data = fh.read(self.max_file_bytes + 1)
        except FileNotFoundError:
            raise ChildError("hel: no such file %r" % path) from None
        except IsADirectoryError:
            raise ChildError("hel: %r is a directory" % path) from None
        if len(data) > self.max_file_bytes:
            raise ChildError("hel: %r is larger than %d bytes" % (path, self.max_file_bytes))
        return data.decode("utf-8", "replace")

    def fs_write(self, ctx, path, data):
        if not isinstance(data, str):
            raise ChildError("hel: fs_write data must be a string")
        raw = data.encode("utf-8")
        if len(raw) > self.max_file_bytes:
            raise ChildError("hel: data larger than %d bytes" % self.max_file_bytes)
        atomic_write(self._path(path), raw)
        return True

    def fs_delete(self, ctx, path):
        real = self._path(path)
        try:
            os.remove(real)
        except FileNotFoundError:
            return False
        except IsADirectoryError:
            raise ChildError("hel: %r is a directory" % path) from None
        return True

    def fs_exists(self, ctx, path):
        return os.path.exists(self._path(path))

    def fs_list(self, ctx, path=None):
        real = self._path(path, allow_root=True)
        try:
            return sorted(e for e in os.listdir(real) if ".tmp-" not in e)
        except FileNotFoundError:
            raise ChildError("hel: no such directory %r" % path) from None
        except NotADirectoryError:
            raise ChildError("hel: %r is not a directory" % path) from None

    # -- key-value -------------------------------------------------------------------------
    @staticmethod
    def _key(key):
        if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
            raise ChildError(
                "hel: key must be a non-empty string of at most %d characters" % MAX_KEY_LENGTH
            )
        return key

    def kv_get(self, ctx, key):
        with self._db_lock:
            row = self._db.execute(
                "SELECT value FROM kv WHERE key = ?", (self._key(key),)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def kv_set(self, ctx, key, value):
        text = json.dumps(value, separators=(",", ":"), allow_nan=False)
        if len(text) > MAX_VALUE_BYTES:
            raise ChildError("hel: value larger than %d bytes" % MAX_VALUE_BYTES)
        with self._db_lock:  # autocommit: each statement is its own durable transaction
            self._db.execute(
                "INSERT INTO kv(key, value) VALUES(?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (self._key(key), text),
            )
        return True

    def kv_delete(self, ctx, key):
        with self._db_lock:
            cur = self._db.execute("DELETE FROM kv WHERE key = ?", (self._key(key),))
        return cur.rowcount > 0

    def kv_keys(self, ctx, prefix=""):
        if not isinstance(prefix, str):
            raise ChildError("hel: prefix must be a string")
        with self._db_lock:
            rows = self._db.execute("SELECT key FROM kv ORDER BY key").fetchall()
        return [r[0] for r in rows if r[0].startswith(prefix)]

    # -- TTL cache ---------------------------------------------------------------------------
    def cache_get(self, ctx, key):
        now = time.monotonic()
        with self._cache_lock:
            entry = self._cache.get(self._key(key))
            if entry is None:
                return None
            if entry[0] <= now:
                del self._cache[key]
                return None
            return entry[1]

    def cache_set(self, ctx, key, value, ttl_s=60):
        if isinstance(ttl_s, bool) or not isinstance(ttl_s, (int, float)) or ttl_s <= 0:
            raise ChildError("hel: cache ttl must be a positive number of seconds")
        now = time.monotonic()
        with self._cache_lock:
            if len(self._cache) >= MAX_CACHE_ENTRIES:
                # drop expired entries, then the oldest insertions (dicts keep insertion order)
                for k in [k for k, e in self._cache.items() if e[0] <= now]:
                    del self._cache[k]
                while len(self._cache) >= MAX_CACHE_ENTRIES:
                    del self._cache[next(iter(self._cache))]
            self._cache.pop(self._key(key), None)
            self._cache[key] = (now + ttl_s, value)
        return True

    def cache_delete(self, ctx, key):
        with self._cache_lock:
            return self._cache.pop(self._key(key), None) is not None

    # -- health ----------------------------------------------------------------------------
    def status(self):
        probe = os.path.join(self.root, ".health-probe")
        try:
            atomic_write(probe, b"ok")
            os.remove(probe)
            with self._db_lock:
                count = self._db.execute("SELECT COUNT(*) FROM kv").fetchone()[0]
        except (OSError, sqlite3.Error) as exc:
            return False, "storage unavailable: %s" % exc
        return True, "files at %s writable; %d keys stored" % (self.root, count)

    def close(self):
        with self._db_lock:
            self._db.close()
