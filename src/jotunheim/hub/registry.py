"""The hub's registry: one SQLite file in the data dir holding device identities, cached
capabilities, the command log and this hub's own identity (id + created_at for elections)."""

import contextlib
import hashlib
import hmac
import json
import os
import sqlite3
import time
import uuid

from jotunheim._gen import capability_pb2, hub_pb2

DB_NAME = "hub.sqlite3"
CAPS_TTL_S = 3600  # fallback expiry of cached capabilities when no update event arrives
COMMAND_LOG_KEEP_MS = 7 * 24 * 3600 * 1000  # finished commands are kept a week (retries by id)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS hub_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS devices (
    device_id TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    device_type TEXT NOT NULL DEFAULT '',
    firmware_version TEXT NOT NULL DEFAULT '',
    runtime TEXT NOT NULL DEFAULT '',
    key BLOB NOT NULL,
    key_fingerprint TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0,
    created_at_ms INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL DEFAULT 0,
    heartbeat BLOB,
    resume_token_hash TEXT NOT NULL DEFAULT '',
    resume_expires_ms INTEGER NOT NULL DEFAULT 0,
    session_id TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS capabilities (
    device_id TEXT PRIMARY KEY,
    caps BLOB NOT NULL,
    fetched_at_ms INTEGER NOT NULL,
    invalidated INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS commands (
    command_id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    tool TEXT NOT NULL,
    args_json TEXT NOT NULL,
    deadline_at_ms INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    state TEXT NOT NULL,
    success INTEGER NOT NULL DEFAULT 0,
    result BLOB NOT NULL DEFAULT x'',
    error_code TEXT NOT NULL DEFAULT '',
    error_message TEXT NOT NULL DEFAULT '',
    duration_us INTEGER NOT NULL DEFAULT 0,
    completed_ms INTEGER NOT NULL DEFAULT 0,
    recorded_count INTEGER NOT NULL DEFAULT 0,
    seq INTEGER NOT NULL DEFAULT 0,
    origin_hub TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS commands_by_device ON commands (device_id, state);
CREATE TABLE IF NOT EXISTS rollouts (
    rollout_id TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    plan TEXT NOT NULL,
    timeout_ms INTEGER NOT NULL,
    max_failures INTEGER NOT NULL,
    batch INTEGER NOT NULL DEFAULT 0,
    finals TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL DEFAULT 'running',
    summary TEXT NOT NULL DEFAULT '',
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS ota_status (
    device_id TEXT PRIMARY KEY,
    status BLOB NOT NULL,
    updated_ms INTEGER NOT NULL
);
-- The last OtaStatus.seq recorded per device and the session it came in (hub.proto rev 4):
-- a copy the device sends again after a reconnect, or after a hub restart, is not recorded.
CREATE TABLE IF NOT EXISTS ota_seen (
    device_id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    seq INTEGER NOT NULL
);
"""

# Command states: queued (waiting for the device to come online) -> sent -> done | failed.
QUEUED, SENT, DONE, FAILED = "queued", "sent", "done", "failed"
_STATES = (QUEUED, SENT, FAILED, DONE)
# Followers copy the leader's log in pages of at most this many rows and serialised bytes (a device
# message, hence a result or an error message, may be up to 256 KB).
SYNC_MAX_COMMANDS = 500
SYNC_MAX_BYTES = 1 << 20
_COMMAND_COLUMNS = (
    "command_id, device_id, tool, args_json, deadline_at_ms, created_ms, state, success, "
    "result, error_code, error_message, duration_us, completed_ms, recorded_count, seq, "
    "origin_hub"
)


def now_ms() -> int:
    return int(time.time() * 1000)


def key_fingerprint(key: bytes) -> str:
    """Short public name of a key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(key).hexdigest()[:16]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class CommandRecord:
    """One row of the command log."""

    def __init__(self, row):
        (
            self.command_id,
            self.device_id,
            self.tool,
            self.args_json,
            self.deadline_at_ms,
            self.created_ms,
            self.state,
            success,
            result,
            self.error_code,
            self.error_message,
            self.duration_us,
            self.completed_ms,
            self.recorded_count,
            self.seq,
            self.origin_hub,
        ) = row
        self.success = bool(success)
        self.result = bytes(result)


class Registry:
    """Synchronous SQLite access; calls are short local-disk transactions made from the event
    loop thread (one connection, so no locking across threads is needed)."""

    def __init__(self, data_dir, caps_ttl_s=CAPS_TTL_S):
        os.makedirs(data_dir, mode=0o700, exist_ok=True)
        self.path = os.path.join(data_dir, DB_NAME)
        fresh = not os.path.exists(self.path)
        self.db = sqlite3.connect(self.path, isolation_level=None)
        if fresh:
            os.chmod(self.path, 0o600)  # it holds device keys
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)
        self._migrate_commands()
        # Every change of a command row takes the next number; peers copy the log by it. The
        # numbers are only meaningful within this epoch (a run of this registry): a restart
        # may reuse numbers of pruned or lost rows, so peers copy it all again from a new one.
        self._seq = self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM commands").fetchone()[0]
        self.epoch = uuid.uuid4().hex
        self.caps_ttl_s = caps_ttl_s
        # Read-through caches of what every call reads (hot path: CallTool), kept exact by
        # this class being the only writer: each write below updates or drops its entry.
        self._keys = {}  # device_id -> (key, revoked) | None
        self._caps = {}  # device_id -> [JotunheimCapabilities, fetched_at_ms, invalidated]

    def close(self):
        self.db.close()

    @contextlib.contextmanager
    def _transaction(self):
        """One SQLite transaction (the connection is in autocommit mode): committed when the
        block ends, rolled back when it raises."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def _migrate_commands(self):
        """A data dir from before hub.proto rev 5 (or from a build with `seq` alone): add the
        missing columns, number the rows (so followers copy them) and mark them as this
        hub's, in one transaction (a crash half-way must not leave rows no one copies)."""
        columns = [r[1] for r in self.db.execute("PRAGMA table_info(commands)")]
        if "seq" not in columns or "origin_hub" not in columns:
            self._add_log_columns(columns)
        self.db.execute("CREATE INDEX IF NOT EXISTS commands_by_seq ON commands (seq)")

    def _add_log_columns(self, columns):
        with self._transaction():
            if "seq" not in columns:
                self.db.execute("ALTER TABLE commands ADD COLUMN seq INTEGER NOT NULL DEFAULT 0")
                self.db.execute("UPDATE commands SET seq = rowid")
            if "origin_hub" not in columns:
                self.db.execute(
                    "ALTER TABLE commands ADD COLUMN origin_hub TEXT NOT NULL DEFAULT ''"
                )

    # ---- this hub's identity -------------------------------------------------------------

    def hub_identity(self):
        """(hub_id, created_at_ms), created and persisted at first start."""
        rows = dict(self.db.execute("SELECT key, value FROM hub_meta").fetchall())
        if "hub_id" not in rows:
            rows = {"hub_id": uuid.uuid4().hex, "created_at_ms": str(now_ms())}
            self.db.executemany("INSERT INTO hub_meta VALUES (?, ?)", sorted(rows.items()))
        return rows["hub_id"], int(rows["created_at_ms"])

    # ---- device identities ---------------------------------------------------------------

    def provision(self, device_id, name, key, replace=False):
        """Store a new identity; False when the id exists and replace is not set."""
        exists = self.db.execute(
            "SELECT 1 FROM devices WHERE device_id = ?", (device_id,)
        ).fetchone()
        if exists and not replace:
            return False
        fp = key_fingerprint(key)
        self._keys.pop(device_id, None)
        if exists:
            self.db.execute(
                "UPDATE devices SET key = ?, key_fingerprint = ?, revoked = 0, name = ?, "
                "resume_token_hash = '' WHERE device_id = ?",
                (key, fp, name, device_id),
            )
        else:
            self.db.execute(
                "INSERT INTO devices (device_id, name, key, key_fingerprint, created_at_ms) "
                "VALUES (?, ?, ?, ?, ?)",
                (device_id, name, key, fp, now_ms()),
            )
        return True

    def device_key(self, device_id):
        """(key, revoked) or None for an unknown device."""
        try:
            return self._keys[device_id]
        except KeyError:
            pass
        row = self.db.execute(
            "SELECT key, revoked FROM devices WHERE device_id = ?", (device_id,)
        ).fetchone()
        entry = None if row is None else (bytes(row[0]), bool(row[1]))
        if entry is not None:  # unknown ids are not cached: a caller could fill memory
            self._keys[device_id] = entry
        return entry

    def revoke(self, device_id):
        self._keys.pop(device_id, None)
        cur = self.db.execute(
            "UPDATE devices SET revoked = 1, resume_token_hash = '' WHERE device_id = ?",
            (device_id,),
        )
        return cur.rowcount > 0

    def identities(self):
        """Every identity, for replication to follower hubs."""
        rows = self.db.execute(
            "SELECT device_id, name, key, revoked, created_at_ms FROM devices ORDER BY device_id"
        ).fetchall()
        return [
            hub_pb2.DeviceIdentity(
                device_id=r[0], name=r[1], key=bytes(r[2]), revoked=bool(r[3]), created_at_ms=r[4]
            )
            for r in rows
        ]

    def merge_identities(self, identities):
        """Adopt the leader's identities (keys and revocations); local extras are kept. One
        transaction: this runs every poll, for every device."""
        with self._transaction():
            for ident in identities:
                self._keys.pop(ident.device_id, None)
                self.db.execute(
                    "INSERT INTO devices (device_id, name, key, key_fingerprint, revoked, "
                    "created_at_ms) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(device_id) DO UPDATE "
                    "SET name = excluded.name, key = excluded.key, "
                    "key_fingerprint = excluded.key_fingerprint, revoked = excluded.revoked",
                    (
                        ident.device_id,
                        ident.name,
                        ident.key,
                        key_fingerprint(ident.key),
                        int(ident.revoked),
                        ident.created_at_ms,
                    ),
                )

    def device_infos(self):
        rows = self.db.execute(
            "SELECT device_id, name, device_type, firmware_version, last_seen_ms, revoked, "
            "key_fingerprint, runtime, heartbeat, created_at_ms FROM devices ORDER BY device_id"
        ).fetchall()
        out = []
        for r in rows:
            info = hub_pb2.DeviceInfo(
                device_id=r[0],
                name=r[1],
                device_type=r[2],
                firmware_version=r[3],
                last_seen_ms=r[4],
                revoked=bool(r[5]),
                key_fingerprint=r[6],
                runtime=r[7],
                created_at_ms=r[9],
            )
            if r[8]:
                info.last_heartbeat.ParseFromString(bytes(r[8]))
            out.append(info)
        ota = dict(self.db.execute("SELECT device_id, status FROM ota_status").fetchall())
        for info in out:
            if info.device_id in ota:
                info.ota_status.ParseFromString(bytes(ota[info.device_id]))
        return out

    # ---- OTA ---------------------------------------------------------------------------------

    def record_ota_status(self, device_id, status):
        """Keep the device's last OtaStatus (shown by `jotunheim devices`)."""
        self.db.execute(
            "INSERT OR REPLACE INTO ota_status VALUES (?, ?, ?)",
            (device_id, status.SerializeToString(), now_ms()),
        )

    def ota_seen(self, device_id):
        """(session_id, seq) of the device's last recorded OtaStatus with a seq, or None."""
        return self.db.execute(
            "SELECT session_id, seq FROM ota_seen WHERE device_id = ?", (device_id,)
        ).fetchone()

    def record_ota_seen(self, device_id, session_id, seq):
        self.db.execute(
            "INSERT OR REPLACE INTO ota_seen VALUES (?, ?, ?)", (device_id, session_id, seq)
        )

    def ota_status(self, device_id):
        row = self.db.execute(
            "SELECT status FROM ota_status WHERE device_id = ?", (device_id,)
        ).fetchone()
        if row is None:
            return None
        return hub_pb2.OtaStatus.FromString(bytes(row[0]))

    # ---- rollouts (plan and progress, so a restarted hub carries them on) --------------

    def create_rollout(self, rollout_id, version, batches, timeout_ms, max_failures):
        t = now_ms()
        self.db.execute(
            "INSERT INTO rollouts (rollout_id, version, plan, timeout_ms, max_failures, "
            "created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (rollout_id, version, json.dumps(batches), timeout_ms, max_failures, t, t),
        )

    def update_rollout(self, rollout_id, batch, finals, state="running", summary=""):
        """Progress: the batch being worked on (1-based; its notices may be out) and the
        final state of every device that has one."""
        self.db.execute(
            "UPDATE rollouts SET batch = ?, finals = ?, state = ?, summary = ?, updated_ms = ? "
            "WHERE rollout_id = ?",
            (batch, json.dumps(finals, sort_keys=True), state, summary, now_ms(), rollout_id),
        )

    def rollouts(self, state=None):
        """Rollout rows as dicts, oldest first (only those in `state` when given)."""
        sql = (
            "SELECT rollout_id, version, plan, timeout_ms, max_failures, batch, finals, state, "
            "summary FROM rollouts"
        )
        args = ()
        if state is not None:
            sql += " WHERE state = ?"
            args = (state,)
        out = []
        for r in self.db.execute(sql + " ORDER BY created_ms", args).fetchall():
            out.append(
                dict(
                    rollout_id=r[0], version=r[1], batches=json.loads(r[2]), timeout_ms=r[3],
                    max_failures=r[4], batch=r[5], finals=json.loads(r[6]), state=r[7],
                    summary=r[8],
                )
            )  # fmt: skip
        return out

    def device_info(self, device_id):
        for info in self.device_infos():
            if info.device_id == device_id:
                return info
        return None

    def record_hello(self, device_id, firmware_version, runtime):
        self.db.execute(
            "UPDATE devices SET firmware_version = ?, runtime = ?, last_seen_ms = ? "
            "WHERE device_id = ?",
            (firmware_version, runtime, now_ms(), device_id),
        )

    def touch(self, device_id, heartbeat=None):
        if heartbeat is None:
            self.db.execute(
                "UPDATE devices SET last_seen_ms = ? WHERE device_id = ?", (now_ms(), device_id)
            )
        else:
            self.db.execute(
                "UPDATE devices SET last_seen_ms = ?, heartbeat = ? WHERE device_id = ?",
                (now_ms(), heartbeat.SerializeToString(), device_id),
            )

    # ---- session resume ------------------------------------------------------------------

    def set_resume(self, device_id, session_id, token, ttl_ms):
        self.db.execute(
            "UPDATE devices SET session_id = ?, resume_token_hash = ?, resume_expires_ms = ? "
            "WHERE device_id = ?",
            (session_id, _token_hash(token), now_ms() + ttl_ms, device_id),
        )

    def check_resume(self, device_id, token):
        """The session id the token resumes, or None (wrong, expired or absent token)."""
        if not token:
            return None
        row = self.db.execute(
            "SELECT session_id, resume_token_hash, resume_expires_ms FROM devices "
            "WHERE device_id = ?",
            (device_id,),
        ).fetchone()
        if row is None or not row[1] or row[2] < now_ms():
            return None
        if not hmac.compare_digest(row[1], _token_hash(token)):
            return None
        return row[0]

    def extend_resume(self, device_id, ttl_ms):
        self.db.execute(
            "UPDATE devices SET resume_expires_ms = ? WHERE device_id = ?",
            (now_ms() + ttl_ms, device_id),
        )

    # ---- capabilities cache --------------------------------------------------------------

    def store_capabilities(self, device_id, caps):
        raw = caps.SerializeToString()
        fetched = now_ms()
        self.db.execute(
            "INSERT INTO capabilities (device_id, caps, fetched_at_ms, invalidated) "
            "VALUES (?, ?, ?, 0) ON CONFLICT(device_id) DO UPDATE SET caps = excluded.caps, "
            "fetched_at_ms = excluded.fetched_at_ms, invalidated = 0",
            (device_id, raw, fetched),
        )
        # A private copy: the caller's message may be changed after this.
        self._caps[device_id] = [capability_pb2.JotunheimCapabilities.FromString(raw), fetched, 0]
        self.db.execute(
            "UPDATE devices SET device_type = ? WHERE device_id = ?", (caps.device_type, device_id)
        )

    def invalidate_capabilities(self, device_id):
        self.db.execute("UPDATE capabilities SET invalidated = 1 WHERE device_id = ?", (device_id,))
        entry = self._caps.get(device_id)
        if entry is not None:
            entry[2] = 1

    def capabilities(self, device_id):
        """(JotunheimCapabilities, fetched_at_ms, fresh) or None when never announced.
        The message is shared with later callers: read it, never change it."""
        entry = self._caps.get(device_id)
        if entry is None:
            row = self.db.execute(
                "SELECT caps, fetched_at_ms, invalidated FROM capabilities WHERE device_id = ?",
                (device_id,),
            ).fetchone()
            if row is None:
                return None
            caps = capability_pb2.JotunheimCapabilities.FromString(bytes(row[0]))
            entry = self._caps[device_id] = [caps, row[1], row[2]]
        caps, fetched, invalidated = entry
        return caps, fetched, not invalidated and now_ms() - fetched < self.caps_ttl_s * 1000

    # ---- command log ---------------------------------------------------------------------

    def _next_seq(self):
        self._seq += 1
        return self._seq

    def command(self, command_id):
        row = self.db.execute(
            "SELECT " + _COMMAND_COLUMNS + " FROM commands WHERE command_id = ?", (command_id,)
        ).fetchone()
        return None if row is None else CommandRecord(row)

    def add_command(self, command_id, device_id, tool, args_json, deadline_at_ms, state=QUEUED):
        """Log a new command, `queued` or (about to be sent to a live session) `sent`."""
        self.db.execute(
            "INSERT INTO commands (command_id, device_id, tool, args_json, deadline_at_ms, "
            "created_ms, state, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (command_id, device_id, tool, args_json, deadline_at_ms, now_ms(), state,
             self._next_seq()),
        )  # fmt: skip

    def mark_sent(self, command_id):
        """queued -> sent; False if the command is no longer queued."""
        cur = self.db.execute(
            "UPDATE commands SET state = ?, seq = ? WHERE command_id = ? AND state = ?",
            (SENT, self._next_seq(), command_id, QUEUED),
        )
        return cur.rowcount == 1

    def record_result(self, device_id, res):
        """Record a device's CommandResult; True only the first time (exactly-once).

        A result for a command the hub already failed (e.g. the caller's deadline passed)
        still replaces that failure: the device's word is the true outcome."""
        return self.record_results([(device_id, res)])[0]

    def record_results(self, batch):
        """record_result for each (device_id, CommandResult), in one transaction; a list of
        booleans (first time or not)."""
        out = []
        with self._transaction():
            for device_id, res in batch:
                out.append(self._record_one(device_id, res))
        return out

    def _record_one(self, device_id, res):
        cur = self.db.execute(
            "UPDATE commands SET state = ?, success = ?, result = ?, error_code = ?, "
            "error_message = ?, duration_us = ?, completed_ms = ?, "
            "recorded_count = recorded_count + 1, seq = ? "
            "WHERE command_id = ? AND device_id = ? AND state != ? AND recorded_count = 0",
            (
                DONE,
                int(res.success),
                res.result,
                res.error_code,
                res.error_message,
                res.duration_us,
                now_ms(),
                self._next_seq(),
                res.command_id,
                device_id,
                DONE,
            ),
        )
        return cur.rowcount == 1

    def fail_command(self, command_id, code, message):
        """Hub-side failure (offline, deadline, restart) of a command without a result."""
        self.db.execute(
            "UPDATE commands SET state = ?, error_code = ?, error_message = ?, completed_ms = ?, "
            "seq = ? WHERE command_id = ? AND state IN (?, ?)",
            (FAILED, code, message, now_ms(), self._next_seq(), command_id, QUEUED, SENT),
        )

    def fail_queued(self, message):
        """Fail every command this hub logged and still holds queued (never sent): at start,
        its callers went with the last run. Copies of another hub's rows are that hub's to
        judge (fail_adopted_queued on taking over). Returns how many."""
        ids = [r[0] for r in self.db.execute(
            "SELECT command_id FROM commands WHERE state = ? AND origin_hub = '' ORDER BY seq",
            (QUEUED,),
        )]  # fmt: skip
        self._fail_ids(ids, message)
        return len(ids)

    def _fail_ids(self, ids, message):
        # One transaction; a row at a time, since each change needs its own seq.
        with self._transaction():
            for command_id in ids:
                self.fail_command(command_id, "UNAVAILABLE", message)

    def prune_commands(self, keep_ms):
        """Forget finished commands older than keep_ms; returns how many were removed."""
        cur = self.db.execute(
            "DELETE FROM commands WHERE state IN (?, ?) AND completed_ms < ?",
            (DONE, FAILED, now_ms() - keep_ms),
        )
        return cur.rowcount

    def in_flight(self, device_id):
        rows = self.db.execute(
            "SELECT " + _COMMAND_COLUMNS + " FROM commands WHERE device_id = ? AND state = ? "
            "ORDER BY created_ms",
            (device_id, SENT),
        ).fetchall()
        return [CommandRecord(r) for r in rows]

    def results_held(self, device_id, command_ids):
        """Which of these ids already have a recorded device result."""
        if not command_ids:
            return []
        marks = ",".join("?" * len(command_ids))
        rows = self.db.execute(
            "SELECT command_id FROM commands WHERE device_id = ? AND recorded_count > 0 "
            "AND command_id IN (" + marks + ")",
            [device_id] + list(command_ids),
        ).fetchall()
        return sorted(r[0] for r in rows)

    # ---- replication of the command log (hub.proto rev 5) ---------------------------------

    def commands_after(self, epoch, after_seq, max_rows):
        """What a peer copies: the rows changed after `after_seq` (all of them when `epoch` is
        not this registry's), in seq order, as LoggedCommand messages; (rows, more), `more`
        when the page was cut by rows or serialised bytes (never before its first row)."""
        if epoch != self.epoch:
            after_seq = 0
        limit = max(1, min(int(max_rows), SYNC_MAX_COMMANDS))
        me = self.hub_identity()[0]
        cur = self.db.execute(
            "SELECT " + _COMMAND_COLUMNS + " FROM commands WHERE seq > ? ORDER BY seq LIMIT ?",
            (int(after_seq), limit + 1),
        )
        out, size = [], 0
        for row in cur:
            logged = _logged(CommandRecord(row), me)
            size += logged.ByteSize() + 8
            if len(out) == limit or (out and size > SYNC_MAX_BYTES):
                return out, True
            out.append(logged)
        return out, False

    def merge_commands(self, peer_id, logged):
        """A follower adopts the rows of the leader `peer_id` (followers copy only from the
        leader, in its seq order, so its row is the newer word), except that a device's
        recorded result is never replaced by a row without one. Unchanged rows are skipped.
        Adopted rows take a seq of this hub, so that its own followers copy them should it
        lead. Returns the ids of the adopted rows that are finished (failed or done)."""
        me = self.hub_identity()[0]
        finished = []
        with self._transaction():
            for c in logged:
                if c.state not in _STATES or not c.command_id:
                    continue  # not a row we could judge: skip it rather than guess
                row = self.db.execute(
                    "SELECT state, recorded_count, error_code, error_message, completed_ms "
                    "FROM commands WHERE command_id = ?",
                    (c.command_id,),
                ).fetchone()
                if row is not None and (
                    (row[1] > 0 and c.recorded_count == 0)
                    or tuple(row)
                    == (c.state, c.recorded_count, c.error_code, c.error_message, c.completed_ms)
                ):
                    continue
                origin = c.origin_hub or peer_id
                self.db.execute(
                    "INSERT OR REPLACE INTO commands (" + _COMMAND_COLUMNS + ") VALUES "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        c.command_id,
                        c.device_id,
                        c.tool,
                        c.args_json,
                        c.deadline_at_ms,
                        c.created_ms,
                        c.state,
                        int(c.success),
                        c.result,
                        c.error_code,
                        c.error_message,
                        c.duration_us,
                        c.completed_ms,
                        c.recorded_count,
                        self._next_seq(),
                        "" if origin == me else origin,
                    ),
                )
                if c.state in (FAILED, DONE):
                    finished.append(c.command_id)
        return finished

    def fail_adopted_queued(self, message):
        """On taking over the lead: fail the commands held queued that another hub logged
        (their callers were there: nobody will send them now); returns their ids."""
        ids = [r[0] for r in self.db.execute(
            "SELECT command_id FROM commands WHERE state = ? AND origin_hub != '' ORDER BY seq",
            (QUEUED,),
        )]  # fmt: skip
        self._fail_ids(ids, message)
        return ids


def _logged(rec, me):
    return hub_pb2.LoggedCommand(
        command_id=rec.command_id,
        device_id=rec.device_id,
        tool=rec.tool,
        args_json=rec.args_json,
        deadline_at_ms=rec.deadline_at_ms,
        created_ms=rec.created_ms,
        state=rec.state,
        success=rec.success,
        result=rec.result,
        error_code=rec.error_code,
        error_message=rec.error_message,
        duration_us=rec.duration_us,
        completed_ms=rec.completed_ms,
        recorded_count=rec.recorded_count,
        seq=rec.seq,
        origin_hub=rec.origin_hub or me,
    )


def caps_to_json(caps) -> str:
    """JotunheimCapabilities as JSON with proto field names (the GetDeviceStatus format)."""
    from google.protobuf import json_format

    return json.dumps(
        json_format.MessageToDict(caps, preserving_proto_field_name=True), sort_keys=True
    )
