"""The bot's SQLite store: the one module that owns the schema and writes SQL against it.

Tables (schema version ``SCHEMA_VERSION``; ``migrate()`` brings any older file up):

- ``files``         the worklist: one row per Commons file with Flickr evidence, plus its
                    processing state (outcome, revision edited, attempts). The snapshot
                    extractor writes the evidence columns; only the job writes the state.
- ``runs``          one row per ``backfill run`` (real or dry), with its summary.
- ``edit_journal``  write-ahead intent for every edit: written (and committed) before
                    ``wbeditentity`` is sent, closed after. A run killed between the two
                    leaves an open intent; the next run re-reads and re-plans that file
                    (planning is idempotent) instead of trusting either side.
- ``conflicts``     the review queue, one row per (file, property, reason, values).
- ``conflict_events`` the audit trail of every state change of a conflict: append-only
                    (triggers abort any UPDATE or DELETE).
- ``conflict_counts`` counts per (status, reason, property), kept by triggers so the review
                    page shows them without scanning a million rows.
- ``owners``, ``alias_nsid``, ``wikidata_flickr_ids``, ``flickr_photo_status``: caches
                    that survive runs (Flickr owners, path alias → NSID, Wikidata creator
                    items → their Flickr user ids, photos known to be gone).
- ``locks``         a lease that keeps two runs from overlapping (a scheduled run must not
                    start while the previous one is still going).

SQLite runs in rollback-journal mode (``journal_mode=DELETE``) with a busy timeout and
short transactions: the job and the review page are separate processes on different
Toolforge hosts sharing the file over NFS, where WAL's shared memory does not work.
"""

from __future__ import annotations

import hashlib
import os
import socket
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NamedTuple

import orjson

from bot.errors import LockHeldError, UsageError
from bot.flickr_photo import FlickrOwner

if TYPE_CHECKING:
    import sqlite_utils

SCHEMA_VERSION = 3
BUSY_TIMEOUT_MS = 30_000
# Rows per transaction of a bulk decision: each chunk holds the write lock for a few
# milliseconds (measured: benchmarks/bench_review.py), so the job never waits long.
BULK_CHUNK_ROWS = 1000


class FileStatus(StrEnum):
    """Outcome of processing one worklist file."""

    PENDING = "pending"
    EDITED = "edited"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"
    PHOTO_GONE = "photo_gone"
    NO_FLICKR_ID = "no_flickr_id"
    FILE_GONE = "file_gone"
    ERROR = "error"


class ConflictStatus(StrEnum):
    """States of a review-queue entry."""

    OPEN = "open"
    ACCEPT_FLICKR = "accept_flickr"  # a maintainer wants the proposed statement written
    KEEP_COMMONS = "keep_commons"  # leave the file; do not raise this again unless data changes
    SKIP = "skip"  # decide later
    APPLYING = "applying"  # the bot is writing it now (claimed, so the page cannot change it)
    APPLIED = "applied"  # the bot wrote the accepted statement (applied_revid)
    SUPERSEDED = "superseded"  # closed: the file or Flickr changed, or it was fixed on Commons


DECISIONS = (ConflictStatus.ACCEPT_FLICKR, ConflictStatus.KEEP_COMMONS, ConflictStatus.SKIP)
DECIDABLE_FROM = (
    ConflictStatus.OPEN,
    ConflictStatus.SKIP,
    ConflictStatus.ACCEPT_FLICKR,
    ConflictStatus.KEEP_COMMONS,
)


def utcnow() -> str:
    """Timestamps are ISO 8601 UTC strings: sortable, readable in the sqlite3 shell."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def dumps(value: Any) -> str:
    """Compact, key-sorted JSON so equal values give equal text (fingerprints, dedup)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def loads(text: str | bytes | None) -> Any:
    return None if text is None else orjson.loads(text)


# --------------------------------------------------------------------------- schema

_SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY,
    mid TEXT UNIQUE,                 -- 'M' + page id; NULL until known for --titles files
    pageid INTEGER,
    title TEXT,                      -- 'File:...'
    snapshot_revid INTEGER,          -- lastrevid in the snapshot the evidence came from
    snapshot_name TEXT,
    photo_ids TEXT NOT NULL DEFAULT '[]',   -- JSON list of distinct Flickr photo ids
    multi_photo INTEGER NOT NULL DEFAULT 0, -- more than one distinct photo id: needs a person
    owner_nsid TEXT,
    owner_alias TEXT,
    evidence TEXT NOT NULL DEFAULT '[]',    -- JSON list of {source, value, ...}
    evidence_sources TEXT NOT NULL DEFAULT '[]', -- JSON list like ["P12120", "P7482.P973"]
    has_p12120 INTEGER NOT NULL DEFAULT 0,
    user_only INTEGER NOT NULL DEFAULT 0,   -- only a user/profile URL, no photo id
    origin TEXT NOT NULL DEFAULT 'snapshot', -- 'snapshot' | 'titles'
    added_at TEXT NOT NULL,
    evidence_updated_at TEXT NOT NULL,
    -- processing state: written by the job only, never by the extractor
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    checked_revid INTEGER,           -- the revision the last plan was made against
    edited_revid INTEGER,            -- the revision our edit created
    changed_properties TEXT,         -- JSON list
    processed_at TEXT,
    last_run_id INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS files_title_titles ON files(title) WHERE mid IS NULL;
CREATE INDEX IF NOT EXISTS files_status ON files(status, owner_nsid, id);
CREATE INDEX IF NOT EXISTS files_owner ON files(owner_nsid);
CREATE INDEX IF NOT EXISTS files_title ON files(title);

CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    dry_run INTEGER NOT NULL,
    host TEXT,
    pid INTEGER,
    args TEXT,
    stop_reason TEXT,
    summary TEXT
);

CREATE TABLE IF NOT EXISTS edit_journal (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL,
    mid TEXT NOT NULL,
    base_revid INTEGER,
    payload TEXT NOT NULL,
    summary TEXT,
    conflict_ids TEXT,               -- JSON list: review decisions this edit applies
    state TEXT NOT NULL DEFAULT 'open', -- open | done | failed | resolved
    new_revid INTEGER,
    error TEXT,
    created_at TEXT NOT NULL,
    closed_at TEXT
);
CREATE INDEX IF NOT EXISTS edit_journal_open ON edit_journal(state, mid);

CREATE TABLE IF NOT EXISTS conflicts (
    id INTEGER PRIMARY KEY,
    fingerprint TEXT NOT NULL UNIQUE,
    mid TEXT NOT NULL,
    title TEXT,
    flickr_photo_id TEXT,
    owner_nsid TEXT,
    property TEXT NOT NULL,
    reason TEXT NOT NULL,
    existing TEXT NOT NULL,          -- JSON list of the existing statement(s)
    proposed TEXT,                   -- JSON statement
    statement_id TEXT,               -- the existing statement a decision would change
    base_revid INTEGER,              -- the revision compared against
    status TEXT NOT NULL DEFAULT 'open',
    found_at TEXT NOT NULL,
    found_run_id INTEGER,
    found_dry_run INTEGER NOT NULL DEFAULT 0,
    last_seen_at TEXT,
    last_seen_run_id INTEGER,
    decided_by TEXT,
    decided_at TEXT,
    note TEXT,
    applied_revid INTEGER,
    applied_at TEXT,
    closed_reason TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS conflicts_status ON conflicts(status, id);
CREATE INDEX IF NOT EXISTS conflicts_status_reason ON conflicts(status, reason, id);
CREATE INDEX IF NOT EXISTS conflicts_status_property ON conflicts(status, property, id);
CREATE INDEX IF NOT EXISTS conflicts_status_owner ON conflicts(status, owner_nsid, id);
CREATE INDEX IF NOT EXISTS conflicts_mid ON conflicts(mid, status);
CREATE INDEX IF NOT EXISTS conflicts_title ON conflicts(title);

CREATE TABLE IF NOT EXISTS conflict_events (
    id INTEGER PRIMARY KEY,
    conflict_id INTEGER NOT NULL REFERENCES conflicts(id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,             -- a username, or 'bot' for the job
    from_status TEXT,
    to_status TEXT NOT NULL,
    note TEXT,
    revid INTEGER
);
CREATE INDEX IF NOT EXISTS conflict_events_conflict ON conflict_events(conflict_id, id);

CREATE TABLE IF NOT EXISTS conflict_counts (
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    property TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (status, reason, property)
) WITHOUT ROWID;

CREATE TRIGGER IF NOT EXISTS conflict_counts_insert AFTER INSERT ON conflicts BEGIN
    INSERT INTO conflict_counts(status, reason, property, n)
        VALUES (NEW.status, NEW.reason, NEW.property, 1)
        ON CONFLICT(status, reason, property) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS conflict_counts_update AFTER UPDATE OF status ON conflicts
WHEN OLD.status IS NOT NEW.status BEGIN
    UPDATE conflict_counts SET n = n - 1
        WHERE status = OLD.status AND reason = OLD.reason AND property = OLD.property;
    INSERT INTO conflict_counts(status, reason, property, n)
        VALUES (NEW.status, NEW.reason, NEW.property, 1)
        ON CONFLICT(status, reason, property) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS conflict_counts_delete AFTER DELETE ON conflicts BEGIN
    UPDATE conflict_counts SET n = n - 1
        WHERE status = OLD.status AND reason = OLD.reason AND property = OLD.property;
END;

CREATE TABLE IF NOT EXISTS owners (
    nsid TEXT PRIMARY KEY,
    username TEXT,
    realname TEXT,
    path_alias TEXT,
    photos_count INTEGER,
    is_deleted INTEGER NOT NULL DEFAULT 0,
    fetched_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS alias_nsid (
    alias TEXT PRIMARY KEY,          -- lower-cased path alias
    nsid TEXT,                       -- NULL: Flickr knows no such alias
    fetched_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS wikidata_flickr_ids (
    qid TEXT PRIMARY KEY,
    flickr_user_ids TEXT NOT NULL,   -- JSON list of the item's P3267 values
    fetched_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS flickr_photo_status (
    photo_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,            -- 'gone'
    reason TEXT,
    code INTEGER,
    checked_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS locks (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    acquired_at TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL
);
"""

# v2: substring search on titles. A trigram FTS5 index over conflicts.title, kept by
# triggers: ``LIKE '%x%'`` must scan every row when few match (seconds on a million).
_SCHEMA_V2 = """
CREATE VIRTUAL TABLE IF NOT EXISTS conflict_titles USING fts5(
    title, content='conflicts', content_rowid='id', tokenize='trigram'
);
CREATE TRIGGER IF NOT EXISTS conflict_titles_insert AFTER INSERT ON conflicts BEGIN
    INSERT INTO conflict_titles(rowid, title) VALUES (NEW.id, NEW.title);
END;
CREATE TRIGGER IF NOT EXISTS conflict_titles_delete AFTER DELETE ON conflicts BEGIN
    INSERT INTO conflict_titles(conflict_titles, rowid, title) VALUES ('delete', OLD.id, OLD.title);
END;
CREATE TRIGGER IF NOT EXISTS conflict_titles_update AFTER UPDATE OF title ON conflicts
WHEN OLD.title IS NOT NEW.title BEGIN
    INSERT INTO conflict_titles(conflict_titles, rowid, title) VALUES ('delete', OLD.id, OLD.title);
    INSERT INTO conflict_titles(rowid, title) VALUES (NEW.id, NEW.title);
END;
INSERT INTO conflict_titles(conflict_titles) VALUES ('rebuild');
"""

# v3: the audit trail is append-only in the database itself, not only by convention; and
# rows reopened before v3 lose the decision columns of their earlier round (a reopened
# conflict said "Decided ... by" someone who never saw it in its new state).
_SCHEMA_V3 = """
CREATE TRIGGER IF NOT EXISTS conflict_events_no_update BEFORE UPDATE ON conflict_events BEGIN
    SELECT RAISE(ABORT, 'conflict_events is append-only');
END;
CREATE TRIGGER IF NOT EXISTS conflict_events_no_delete BEFORE DELETE ON conflict_events BEGIN
    SELECT RAISE(ABORT, 'conflict_events is append-only');
END;
UPDATE conflicts SET decided_by = NULL, decided_at = NULL, note = NULL, applied_revid = NULL,
    applied_at = NULL, closed_reason = NULL
    WHERE status = 'open' AND (decided_by IS NOT NULL OR decided_at IS NOT NULL
        OR note IS NOT NULL OR applied_revid IS NOT NULL OR applied_at IS NOT NULL
        OR closed_reason IS NOT NULL);
"""

MIGRATIONS: dict[int, str] = {1: _SCHEMA_V1, 2: _SCHEMA_V2, 3: _SCHEMA_V3}

# What a decision round leaves on a conflicts row; cleared when the conflict is reopened.
_DECISION_COLUMNS: Final = (
    "decided_by",
    "decided_at",
    "note",
    "applied_revid",
    "applied_at",
    "closed_reason",
)

# The worklist's secondary indexes (as in the schema above). A first extract into an
# empty worklist drops them and builds them once at the end: millions of rows arrive in
# page-id order, and keeping four B-trees updated row by row costs more than the rest
# of the load. Store() recreates any that are missing (a load that was killed).
_FILES_INDEXES: dict[str, str] = {
    "files_status": "CREATE INDEX IF NOT EXISTS files_status ON files(status, owner_nsid, id)",
    "files_owner": "CREATE INDEX IF NOT EXISTS files_owner ON files(owner_nsid)",
    "files_title": "CREATE INDEX IF NOT EXISTS files_title ON files(title)",
}

# Title searches this long use the trigram index; shorter ones fall back to LIKE.
FTS_MIN_CHARS = 3


def fts_phrase(text: str) -> str:
    """A search string as one FTS5 phrase (quotes doubled), matched as a substring."""
    return '"' + text.replace('"', '""') + '"'


# --------------------------------------------------------------------------- records


class FileEvidence(NamedTuple):
    """What the snapshot says about one file's Flickr origin (one worklist row).

    A named tuple: the extractor makes one per Flickr file of the snapshot (millions)
    and may pickle it between processes; both are several times cheaper than for a
    frozen dataclass.
    """

    mid: str
    pageid: int | None
    title: str | None
    snapshot_revid: int | None
    photo_ids: tuple[str, ...]
    owner_nsid: str | None
    owner_alias: str | None
    evidence: tuple[Mapping[str, Any], ...]
    evidence_sources: tuple[str, ...]
    has_p12120: bool

    @property
    def multi_photo(self) -> bool:
        return len(self.photo_ids) > 1

    @property
    def user_only(self) -> bool:
        return not self.photo_ids and bool(self.owner_nsid or self.owner_alias)


@dataclass(slots=True)
class WorkFile:
    """A worklist row as the job sees it."""

    id: int
    mid: str | None
    title: str | None
    pageid: int | None
    photo_ids: list[str]
    owner_nsid: str | None
    owner_alias: str | None
    evidence: list[dict[str, Any]]
    evidence_sources: list[str]
    has_p12120: bool
    status: str
    attempts: int
    origin: str
    checked_revid: int | None = None
    edited_revid: int | None = None


@dataclass(frozen=True, slots=True)
class ConflictRecord:
    """One conflict to put in the review queue (from a plan)."""

    property: str
    reason: str
    existing: Sequence[Mapping[str, Any]]
    proposed: Mapping[str, Any] | None
    statement_id: str | None = None
    base_revid: int | None = None
    """The revision ``existing`` was read from, when not the one of the whole batch."""


@dataclass(slots=True)
class QueueFilter:
    """Filters of the review queue list (all optional)."""

    status: str | None = ConflictStatus.OPEN
    reason: str | None = None
    property: str | None = None
    owner: str | None = None
    title: str | None = None  # substring of the title (case-insensitive prefix match on File:)

    def uses_title_index(self) -> bool:
        return self.title is not None and len(self.title) >= FTS_MIN_CHARS

    def where(self, alias: str = "", *, skip_title: bool = False) -> tuple[str, list[Any]]:
        """SQL conditions and parameters; ``alias`` prefixes columns (``"c."``)."""
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (
            ("status", self.status),
            ("reason", self.reason),
            ("property", self.property),
            ("owner_nsid", self.owner),
        ):
            if value:
                clauses.append(f"{alias}{column} = ?")
                params.append(value)
        if self.title and self.uses_title_index() and not skip_title:
            clauses.append(
                f"{alias}id IN (SELECT rowid FROM conflict_titles WHERE conflict_titles MATCH ?)"
            )
            params.append(fts_phrase(self.title))
        elif self.title and not skip_title:
            clauses.append(f"{alias}title LIKE ? ESCAPE '\\'")
            escaped = self.title.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params.append(f"%{escaped}%")
        return (" AND ".join(clauses) or "1"), params


@dataclass(frozen=True, slots=True)
class BulkScope:
    """What the bulk confirmation page shows: how many conflicts, and the largest id."""

    count: int
    max_id: int | None  # None: nothing matches
    left_out: int = 0  # matching, but only decidable one by one (ONE_BY_ONE_REASONS)


@dataclass(slots=True)
class BulkResult:
    """What a bulk decision did, for the maintainer and the log."""

    decided: int = 0
    changed_meanwhile: int = 0  # confirmed, but decided by someone else or closed meanwhile
    left_out: int = 0  # matching, but only decidable one by one (ONE_BY_ONE_REASONS)
    chunks: int = 0
    longest_transaction_s: float = 0.0
    seconds: float = 0.0


@dataclass(slots=True)
class ConflictOutcome:
    """What ``record_conflicts`` did, for the run summary."""

    new: int = 0
    seen_again: int = 0
    reopened: int = 0
    superseded: int = 0
    ids: list[int] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    """The status of each conflict after recording, in the order given (``open`` or
    ``skip``: waiting for a person; ``keep_commons``: answered already). A dry run gives
    the status a real run would leave (``open`` for one it would reopen)."""

    def waiting(self) -> list[bool]:
        """Per conflict given: is it in the queue waiting for a person?"""
        return [s in (ConflictStatus.OPEN, ConflictStatus.SKIP) for s in self.statuses]


def bulk_pause(held: float) -> float:
    """How long a bulk decision leaves the write lock free after a chunk held it ``held``
    seconds. SQLite's busy handler sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, then
    100 ms between tries, so a writer that has waited t ms tries again within t/2 + 10
    ms: a pause that long after a chunk of t ms lets in anyone who began waiting during
    the chunk. (Back to back, the next chunk would win the lock every time.)"""
    return held / 2 + 0.010


class LockHeld(LockHeldError, RuntimeError):
    """Another run holds the lock."""


class LockLost(LockHeldError, RuntimeError):
    """This run's lock was taken over (it looked stale to another run): stop now."""


class InvalidTransition(UsageError, ValueError):
    """A decision that the conflict's current state does not allow."""


class BulkRefused(InvalidTransition):
    """A bulk decision that must be made one conflict at a time."""


# Conflicts a bulk "use Flickr's value" never decides: a file citing several photos has
# one candidate conflict per photo id, and accepting them all would write every id.
# Each needs a maintainer to pick the one photo (the other candidates are then closed).
ONE_BY_ONE_REASONS: Final = ("multiple_photo_ids",)
ONE_BY_ONE_MESSAGE: Final = (
    "“Use Flickr's value” cannot be given in bulk to conflicts about a file that cites "
    "several Flickr photos (multiple_photo_ids): each file needs the one photo id chosen. "
    "Open them one by one and accept the right photo; the other candidates are then closed."
)


def _bulk_leaves_out(flt: QueueFilter, decision: str) -> tuple[str, ...]:
    """The reasons a bulk decision leaves out; refuses a filter that names one of them."""
    if decision != ConflictStatus.ACCEPT_FLICKR:
        return ()
    if flt.reason in ONE_BY_ONE_REASONS:
        raise BulkRefused(ONE_BY_ONE_MESSAGE)
    return ONE_BY_ONE_REASONS


# --------------------------------------------------------------------------- the store


def conflict_fingerprint(
    mid: str, rec: ConflictRecord, own: Sequence[Mapping[str, Any]] = ()
) -> str:
    """Same file, property, reason and values → same fingerprint (no duplicate rows).

    The Commons side leaves out what the bot itself wrote for a decision: statements
    identical (same property, value and qualifiers) to this conflict's proposal or to
    ``own``, the proposals of the file's applied decisions. So the decision's own edit
    never turns a conflict into a "new" one. A conflict whose Commons side holds no such
    statement keeps the fingerprint it always had.
    """
    from bot.reconcile import same_statement  # the pure core; the review page never needs it

    mine = [s for s in (rec.proposed, *own) if s and s.get("mainsnak")]
    existing = [e for e in rec.existing if not any(same_statement(e, s) for s in mine)]
    text = dumps(
        [mid, rec.property, rec.reason, _strip_hashes(existing), _strip_hashes(rec.proposed)]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def holds_proposal(rec: ConflictRecord) -> bool:
    """The Commons side already holds the proposed statement, identical (e.g. written by
    the bot when a maintainer accepted it)."""
    from bot.reconcile import same_statement

    proposed = rec.proposed
    if not proposed or not proposed.get("mainsnak"):
        return False
    return any(same_statement(e, proposed) for e in rec.existing)


def _strip_hashes(value: Any) -> Any:
    """Snak hashes differ between the snapshot and the API; they are not data."""
    if isinstance(value, Mapping):
        return {k: _strip_hashes(v) for k, v in value.items() if k != "hash"}
    if isinstance(value, list | tuple):
        return [_strip_hashes(v) for v in value]
    return value


class Store:
    """The SQLite store. One instance per process; cheap to open."""

    def __init__(self, path: str | os.PathLike[str], *, migrate: bool = True) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if self.path != ":memory:":
            conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        self.conn = conn
        if migrate:
            self.migrate()
            self._ensure_files_indexes()

    @cached_property
    def db(self) -> sqlite_utils.Database:
        """The same connection as a sqlite-utils ``Database``, for inspecting the store by
        hand (``store.db["files"].count``); the bot itself goes through the methods here.
        Imported on first use: the extractor and the web page start faster without it."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A short write transaction. ``BEGIN IMMEDIATE`` takes the write lock up front so
        two processes never deadlock upgrading read locks."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    # ----------------------------------------------------------------- migrations

    def schema_version(self) -> int:
        try:
            row = self.conn.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchone()
        except sqlite3.OperationalError:
            return 0
        return int(row[0]) if row else 0

    def migrate(self) -> int:
        """Apply every migration above the file's version; returns the new version."""
        current = self.schema_version()
        if current > SCHEMA_VERSION:
            raise RuntimeError(
                f"{self.path} has schema version {current}, newer than this bot "
                f"({SCHEMA_VERSION}); upgrade the bot"
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            with self.transaction() as conn:
                for statement in _split_sql(MIGRATIONS[version]):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO meta(key, value) VALUES ('schema_version', ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (str(version),),
                )
        return SCHEMA_VERSION

    # ----------------------------------------------------------------- worklist

    def upsert_files(
        self,
        rows: Iterable[FileEvidence],
        *,
        snapshot_name: str | None = None,
        batch_size: int = 5000,
    ) -> tuple[int, int]:
        """Insert or update worklist rows from a snapshot; returns (inserted, updated).

        Only evidence columns are touched: the processing state (status, edited revision,
        attempts) of an existing row is never lost. A file first added by ``--titles``
        (no M-id yet) is merged into the snapshot row when the title matches. Into an
        empty worklist, the secondary indexes are built once at the end.
        """
        inserted = updated = 0
        batch: list[FileEvidence] = []
        with self.bulk_load():
            for row in rows:
                batch.append(row)
                if len(batch) >= batch_size:
                    i, u = self.upsert_batch(batch, snapshot_name)
                    inserted, updated = inserted + i, updated + u
                    batch.clear()
            if batch:
                i, u = self.upsert_batch(batch, snapshot_name)
                inserted, updated = inserted + i, updated + u
        return inserted, updated

    @contextmanager
    def bulk_load(self) -> Iterator[bool]:
        """Around a load of worklist rows (``upsert_batch`` calls, from this connection or
        another one): into an empty worklist, the secondary indexes are dropped first
        and built once at the end (also after an error). Yields whether it was empty."""
        bulk = self.conn.execute("SELECT 1 FROM files LIMIT 1").fetchone() is None
        if bulk:
            with self.transaction() as conn:
                for name in _FILES_INDEXES:
                    conn.execute(f"DROP INDEX IF EXISTS {name}")
        try:
            yield bulk
        finally:
            if bulk:
                self._ensure_files_indexes()

    def _ensure_files_indexes(self) -> None:
        """Create the worklist's secondary indexes that are missing."""
        present = {
            row[0]
            for row in self.conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'files'"
            )
        }
        missing = [sql for name, sql in _FILES_INDEXES.items() if name not in present]
        if missing:
            with self.transaction() as conn:
                for sql in missing:
                    conn.execute(sql)

    def upsert_batch(
        self, batch: Sequence[FileEvidence], snapshot_name: str | None
    ) -> tuple[int, int]:
        """One transaction per batch: a single ``executemany`` upsert on ``mid``; returns
        (inserted, updated). (``upsert_files`` cuts its rows into these.)

        Rows added by ``--titles`` (no M-id yet) are merged by title first; that slower
        path only runs while such rows exist.
        """
        now = utcnow()
        # The JSON columns as dumps() writes them, without its per-call layers: this runs
        # once per Flickr file of the snapshot. (Tuples serialise as lists; a Mapping
        # that is not a dict goes through dict().)
        to_json = orjson.dumps
        sort = orjson.OPT_SORT_KEYS
        sources_json: dict[tuple[str, ...], str] = {}  # a handful of distinct values
        rows = []
        for row in batch:
            photo_ids = row.photo_ids
            sources = tuple(row.evidence_sources)
            sources_text = sources_json.get(sources)
            if sources_text is None:
                sources_text = sources_json[sources] = to_json(sources).decode()
            rows.append(
                (
                    row.mid,
                    row.pageid,
                    row.title,
                    row.snapshot_revid,
                    snapshot_name,
                    to_json(photo_ids).decode(),
                    int(len(photo_ids) > 1),
                    row.owner_nsid,
                    row.owner_alias,
                    to_json(row.evidence, default=dict, option=sort).decode(),
                    sources_text,
                    int(row.has_p12120),
                    int(row.user_only),
                    now,
                    now,
                )
            )
        with self.transaction() as conn:
            merged = 0
            if conn.execute("SELECT 1 FROM files WHERE mid IS NULL LIMIT 1").fetchone():
                for values in rows:
                    cur = conn.execute(
                        "UPDATE files SET mid = ? WHERE mid IS NULL AND title = ? AND NOT EXISTS "
                        "(SELECT 1 FROM files WHERE mid = ?)",
                        (values[0], values[2], values[0]),
                    )
                    merged += cur.rowcount
            # New rows get ids above the largest one (INTEGER PRIMARY KEY): counting those
            # afterwards is a walk over this batch's rows, not one index look-up per row.
            last_id = conn.execute("SELECT max(id) FROM files").fetchone()[0] or 0
            conn.executemany(
                "INSERT INTO files(mid, pageid, title, snapshot_revid, snapshot_name, photo_ids, "
                "multi_photo, owner_nsid, owner_alias, evidence, evidence_sources, has_p12120, "
                "user_only, added_at, evidence_updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(mid) DO UPDATE SET pageid=excluded.pageid, title=excluded.title, "
                "snapshot_revid=excluded.snapshot_revid, snapshot_name=excluded.snapshot_name, "
                "photo_ids=excluded.photo_ids, multi_photo=excluded.multi_photo, "
                "owner_nsid=excluded.owner_nsid, owner_alias=excluded.owner_alias, "
                "evidence=excluded.evidence, evidence_sources=excluded.evidence_sources, "
                "has_p12120=excluded.has_p12120, user_only=excluded.user_only, "
                "evidence_updated_at=excluded.evidence_updated_at",
                rows,
            )
            inserted = conn.execute(
                "SELECT count(*) FROM files WHERE id > ?", (last_id,)
            ).fetchone()[0]
        return inserted, len(rows) - inserted

    def add_titles(self, titles: Iterable[str]) -> int:
        """Add files known only by title (their evidence is found at run time)."""
        now = utcnow()
        added = 0
        with self.transaction() as conn:
            for raw in titles:
                title = normalise_title(raw)
                if not title:
                    continue
                exists = conn.execute("SELECT 1 FROM files WHERE title = ?", (title,)).fetchone()
                if exists:
                    continue
                conn.execute(
                    "INSERT INTO files(title, origin, added_at, evidence_updated_at) "
                    "VALUES (?, 'titles', ?, ?)",
                    (title, now, now),
                )
                added += 1
        return added

    def count_files(self, status: str | None = None) -> int:
        if status is None:
            return int(self.conn.execute("SELECT count(*) FROM files").fetchone()[0])
        return int(
            self.conn.execute("SELECT count(*) FROM files WHERE status = ?", (status,)).fetchone()[
                0
            ]
        )

    def status_counts(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT status, count(*) FROM files GROUP BY status"))

    def iter_worklist(self, batch_size: int = 5000) -> Iterator[WorkFile]:
        """Every worklist row in id order (for ``export``), streamed in keyset pages."""
        last = 0
        while True:
            rows = self.conn.execute(
                f"SELECT {_WORKFILE_COLUMNS} FROM files WHERE id > ? ORDER BY id LIMIT ?",
                (last, batch_size),
            ).fetchall()
            if not rows:
                return
            for row in rows:
                yield _workfile(row)
            last = rows[-1][0]

    def get_file(self, mid: str) -> WorkFile | None:
        row = self.conn.execute(
            f"SELECT {_WORKFILE_COLUMNS} FROM files WHERE mid = ?", (mid,)
        ).fetchone()
        return _workfile(row) if row else None

    def get_file_by_id(self, file_id: int) -> WorkFile | None:
        row = self.conn.execute(
            f"SELECT {_WORKFILE_COLUMNS} FROM files WHERE id = ?", (file_id,)
        ).fetchone()
        return _workfile(row) if row else None

    def select_files(
        self,
        *,
        limit: int | None = None,
        owner: str | None = None,
        only: Sequence[str] | None = None,
        recheck: bool = False,
        max_attempts: int = 3,
    ) -> list[WorkFile]:
        """Files a run should process, grouped by owner so Flickr calls can be batched.

        Pending files, files whose last attempt was an error (fewer than ``max_attempts``),
        and files with an open edit intent (a crash between send and record). With
        ``recheck`` every file qualifies. ``only`` takes M-ids or titles.
        """
        clauses: list[str] = []
        params: list[Any] = []
        if not recheck:
            clauses.append(
                "(status = 'pending' OR (status = 'error' AND attempts < ?) OR mid IN "
                "(SELECT mid FROM edit_journal WHERE state = 'open'))"
            )
            params.append(max_attempts)
        _narrow(clauses, params, owner=owner, only=only)
        where = " AND ".join(clauses) or "1"
        sql = (
            f"SELECT {_WORKFILE_COLUMNS} FROM files WHERE {where} "
            "ORDER BY coalesce(owner_nsid, owner_alias, '~') , id"
        )
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [_workfile(r) for r in self.conn.execute(sql, params)]

    def set_file_identity(self, file_id: int, mid: str, pageid: int | None, title: str) -> int:
        """Fill in the M-id of a ``--titles`` row once Commons told us. If the snapshot
        already has that file, the titles row is dropped and the snapshot row's id returned."""
        with self.transaction() as conn:
            other = conn.execute(
                "SELECT id FROM files WHERE mid = ? AND id != ?", (mid, file_id)
            ).fetchone()
            if other:
                conn.execute("DELETE FROM files WHERE id = ? AND origin = 'titles'", (file_id,))
                return int(other[0])
            conn.execute(
                "UPDATE files SET mid = ?, pageid = ?, title = ? WHERE id = ?",
                (mid, pageid, title, file_id),
            )
            return file_id

    def set_file_evidence(
        self,
        file_id: int,
        photo_ids: Sequence[str],
        owner_nsid: str | None,
        owner_alias: str | None,
        evidence: Sequence[Mapping[str, Any]],
        sources: Sequence[str],
    ) -> None:
        """Evidence found at run time (e.g. in wikitext for ``--titles`` files)."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE files SET photo_ids=?, multi_photo=?, owner_nsid=coalesce(?, owner_nsid), "
                "owner_alias=coalesce(?, owner_alias), evidence=?, evidence_sources=?, "
                "evidence_updated_at=? WHERE id = ?",
                (
                    dumps(list(photo_ids)),
                    int(len(photo_ids) > 1),
                    owner_nsid,
                    owner_alias,
                    dumps([dict(e) for e in evidence]),
                    dumps(list(sources)),
                    utcnow(),
                    file_id,
                ),
            )

    def requeue_files(self, file_ids: Sequence[int], *, note: str | None = None) -> None:
        """Back to ``pending``: the next walk re-plans these files (attempts reset)."""
        if not file_ids:
            return
        with self.transaction() as conn:
            conn.executemany(
                "UPDATE files SET status='pending', attempts=0, last_error=? WHERE id=?",
                [(note, i) for i in file_ids],
            )

    def requeue_mid(self, mid: str, *, note: str | None = None) -> None:
        with self.transaction() as conn:
            conn.execute(
                "UPDATE files SET status='pending', attempts=0, last_error=? WHERE mid=?",
                (note, mid),
            )

    def touch_files(self, file_ids: Sequence[int]) -> None:
        """Looked at again and unchanged: the recheck of conflict files starts over."""
        if not file_ids:
            return
        now = utcnow()
        with self.transaction() as conn:
            conn.executemany(
                "UPDATE files SET processed_at=? WHERE id=?", [(now, i) for i in file_ids]
            )

    def conflict_files_due(
        self,
        older_than: timedelta,
        *,
        only: Sequence[str] | None = None,
        owner: str | None = None,
        limit: int | None = None,
    ) -> list[WorkFile]:
        """Files with undecided (``open``/``skip``) or ``keep_commons`` conflicts, not
        looked at for ``older_than``: a person may have fixed them on Commons since, and
        a re-plan is what closes such a conflict."""
        cutoff = (datetime.now(UTC) - older_than).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        clauses = [
            "mid IN (SELECT mid FROM conflicts WHERE status IN ('open', 'skip', 'keep_commons'))",
            "status NOT IN ('pending')",
            "(processed_at IS NULL OR processed_at <= ?)",
            "mid NOT IN (SELECT mid FROM edit_journal WHERE state = 'open')",
        ]
        params: list[Any] = [cutoff]
        _narrow(clauses, params, owner=owner, only=only)
        sql = (
            f"SELECT {_WORKFILE_COLUMNS} FROM files WHERE {' AND '.join(clauses)} "
            "ORDER BY processed_at, id"
        )
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [_workfile(r) for r in self.conn.execute(sql, params)]

    def record_outcome(
        self,
        file_id: int,
        status: FileStatus | str,
        *,
        run_id: int | None,
        checked_revid: int | None = None,
        edited_revid: int | None = None,
        changed_properties: Sequence[str] | None = None,
        error: str | None = None,
        conn: sqlite3.Connection | None = None,
    ) -> None:
        """Record one file's outcome. Errors count attempts so they stop being retried."""
        sql = (
            "UPDATE files SET status=?, checked_revid=coalesce(?, checked_revid), "
            "edited_revid=coalesce(?, edited_revid), "
            "changed_properties=coalesce(?, changed_properties), last_error=?, "
            "attempts = CASE WHEN ? = 'error' THEN attempts + 1 ELSE attempts END, "
            "processed_at=?, last_run_id=? WHERE id = ?"
        )
        params = (
            str(status),
            checked_revid,
            edited_revid,
            dumps(list(changed_properties)) if changed_properties is not None else None,
            error,
            str(status),
            utcnow(),
            run_id,
            file_id,
        )
        if conn is not None:
            conn.execute(sql, params)
            return
        with self.transaction() as c:
            c.execute(sql, params)

    # ----------------------------------------------------------------- runs

    def start_run(self, *, dry_run: bool, args: Mapping[str, Any] | None = None) -> int:
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO runs(started_at, dry_run, host, pid, args) VALUES (?, ?, ?, ?, ?)",
                (utcnow(), int(dry_run), socket.gethostname(), os.getpid(), dumps(args or {})),
            )
            return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, *, stop_reason: str, summary: Mapping[str, Any]) -> None:
        with self.transaction() as conn:
            conn.execute(
                "UPDATE runs SET ended_at=?, stop_reason=?, summary=? WHERE id=?",
                (utcnow(), stop_reason, dumps(summary), run_id),
            )

    def get_run(self, run_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT id, started_at, ended_at, dry_run, stop_reason, summary FROM runs WHERE id=?",
            (run_id,),
        ).fetchone()
        if not row:
            return None
        return {
            "id": row[0],
            "started_at": row[1],
            "ended_at": row[2],
            "dry_run": bool(row[3]),
            "stop_reason": row[4],
            "summary": loads(row[5]),
        }

    # ----------------------------------------------------------------- edit journal

    def open_edit(
        self,
        *,
        run_id: int,
        mid: str,
        base_revid: int | None,
        payload: Mapping[str, Any],
        summary: str,
        conflict_ids: Sequence[int] = (),
        lock: tuple[str, str] | None = None,
    ) -> int:
        """Write the intent to edit (committed) before the request is sent.

        With ``lock`` (holder, name) the same transaction renews this run's lease and
        raises ``LockLost`` instead if another run took it: no edit without the lock.
        """
        with self.transaction() as conn:
            if lock is not None and not self._beat(conn, *lock):
                raise LockLost(f"the {lock[1]!r} lock is no longer held by {lock[0]}")
            cur = conn.execute(
                "INSERT INTO edit_journal(run_id, mid, base_revid, payload, summary, conflict_ids, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    mid,
                    base_revid,
                    dumps(payload),
                    summary,
                    dumps(list(conflict_ids)),
                    utcnow(),
                ),
            )
            return int(cur.lastrowid or 0)

    def close_edit(
        self,
        journal_id: int,
        *,
        state: str,
        new_revid: int | None = None,
        error: str | None = None,
        conn: sqlite3.Connection | None = None,
    ) -> None:
        sql = "UPDATE edit_journal SET state=?, new_revid=?, error=?, closed_at=? WHERE id=?"
        params = (state, new_revid, error, utcnow(), journal_id)
        if conn is not None:
            conn.execute(sql, params)
            return
        with self.transaction() as c:
            c.execute(sql, params)

    def annotate_edit(self, journal_id: int, note: str) -> None:
        """A note on an intent that stays open (e.g. the outcome of its edit is unknown)."""
        with self.transaction() as conn:
            conn.execute("UPDATE edit_journal SET error=? WHERE id=?", (note, journal_id))

    def open_edits(self, mid: str | None = None) -> list[dict[str, Any]]:
        """Intents never closed: a previous run died between sending and recording."""
        sql = (
            "SELECT id, run_id, mid, base_revid, payload, conflict_ids FROM edit_journal "
            "WHERE state = 'open'"
        )
        params: tuple[Any, ...] = ()
        if mid is not None:
            sql += " AND mid = ?"
            params = (mid,)
        return [
            {
                "id": r[0],
                "run_id": r[1],
                "mid": r[2],
                "base_revid": r[3],
                "payload": loads(r[4]),
                "conflict_ids": loads(r[5]) or [],
            }
            for r in self.conn.execute(sql + " ORDER BY id", params)
        ]

    def count_edits(self, mid: str | None = None, state: str = "done") -> int:
        if mid is None:
            return int(
                self.conn.execute(
                    "SELECT count(*) FROM edit_journal WHERE state = ?", (state,)
                ).fetchone()[0]
            )
        return int(
            self.conn.execute(
                "SELECT count(*) FROM edit_journal WHERE state = ? AND mid = ?", (state, mid)
            ).fetchone()[0]
        )

    # ----------------------------------------------------------------- review queue

    def record_conflicts(
        self,
        *,
        mid: str,
        title: str | None,
        flickr_photo_id: str | None,
        owner_nsid: str | None,
        base_revid: int | None,
        conflicts: Sequence[ConflictRecord],
        run_id: int | None,
        dry_run: bool,
    ) -> ConflictOutcome:
        """Put a file's conflicts in the queue, without duplicates, and close the ones that
        went away.

        The same conflict found again only refreshes ``last_seen``/``base_revid``; one a
        maintainer answered ``keep_commons`` stays answered. An ``open``/``skip`` conflict of
        this file that the new plan no longer has is closed as ``superseded`` (the file was
        fixed, or the data changed); so is a ``keep_commons`` one when the plan raises a
        different conflict on the same property (the data it was about changed). Dry runs
        add to the queue but never close or reopen anything.
        """
        now = utcnow()
        outcome = ConflictOutcome()
        with self.transaction() as conn:
            own = self._applied_proposals(conn, mid)
            fingerprints = []
            for rec in conflicts:
                fp = conflict_fingerprint(mid, rec, own.get(rec.property, ()))
                fingerprints.append(fp)
                row = conn.execute(
                    "SELECT id, status FROM conflicts WHERE fingerprint = ?", (fp,)
                ).fetchone()
                if row:
                    cid, status = int(row[0]), row[1]
                    conn.execute(
                        "UPDATE conflicts SET last_seen_at=?, last_seen_run_id=?, "
                        "base_revid=coalesce(?, base_revid), title=coalesce(?, title), "
                        "updated_at=? WHERE id=?",
                        (now, run_id, rec.base_revid or base_revid, title, now, cid),
                    )
                    # An applied decision whose statement is still there is settled: the
                    # same conflict found again is not asked again. (Reverted: it is.)
                    settled = status == ConflictStatus.APPLIED and holds_proposal(rec)
                    closed = status in (ConflictStatus.SUPERSEDED, ConflictStatus.APPLIED)
                    if closed and not settled and not dry_run:
                        self._transition(
                            conn, cid, status, ConflictStatus.OPEN, "bot", "found again", now
                        )
                        outcome.reopened += 1
                    else:
                        outcome.seen_again += 1
                    if closed and not settled:  # reopened (a dry run: would be)
                        status = ConflictStatus.OPEN
                    outcome.ids.append(cid)
                    outcome.statuses.append(str(status))
                    continue
                cur = conn.execute(
                    "INSERT INTO conflicts(fingerprint, mid, title, flickr_photo_id, owner_nsid, "
                    "property, reason, existing, proposed, statement_id, base_revid, status, "
                    "found_at, found_run_id, found_dry_run, last_seen_at, last_seen_run_id, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?)",
                    (
                        fp,
                        mid,
                        title,
                        flickr_photo_id,
                        owner_nsid,
                        rec.property,
                        rec.reason,
                        dumps(list(rec.existing)),
                        dumps(rec.proposed) if rec.proposed else None,
                        rec.statement_id,
                        rec.base_revid or base_revid,
                        now,
                        run_id,
                        int(dry_run),
                        now,
                        run_id,
                        now,
                    ),
                )
                cid = int(cur.lastrowid or 0)
                conn.execute(
                    "INSERT INTO conflict_events(conflict_id, at, actor, from_status, to_status, "
                    "note) VALUES (?, ?, 'bot', NULL, 'open', ?)",
                    (cid, now, "dry run" if dry_run else None),
                )
                outcome.new += 1
                outcome.ids.append(cid)
                outcome.statuses.append(ConflictStatus.OPEN)
            if not dry_run:
                marks = ",".join("?" * len(fingerprints)) or "''"
                stale = conn.execute(
                    f"SELECT id, status FROM conflicts WHERE mid = ? AND status IN "
                    f"('open', 'skip', 'accept_flickr') AND fingerprint NOT IN ({marks})",
                    (mid, *fingerprints),
                ).fetchall()
                for cid, status in stale:
                    self._transition(
                        conn,
                        int(cid),
                        status,
                        ConflictStatus.SUPERSEDED,
                        "bot",
                        "no longer found: the file or Flickr changed",
                        now,
                        closed_reason="resolved",
                    )
                    outcome.superseded += 1
                props = sorted({rec.property for rec in conflicts})
                if props:
                    pmarks = ",".join("?" * len(props))
                    changed = conn.execute(
                        f"SELECT id, status FROM conflicts WHERE mid = ? AND status = "
                        f"'keep_commons' AND property IN ({pmarks}) "
                        f"AND fingerprint NOT IN ({marks})",
                        (mid, *props, *fingerprints),
                    ).fetchall()
                    for cid, status in changed:
                        self._transition(
                            conn,
                            int(cid),
                            status,
                            ConflictStatus.SUPERSEDED,
                            "bot",
                            "the data changed: a new conflict on this property replaces it",
                            now,
                            closed_reason="data_changed",
                        )
                        outcome.superseded += 1
        return outcome

    @staticmethod
    def _applied_proposals(conn: sqlite3.Connection, mid: str) -> dict[str, list[dict[str, Any]]]:
        """The statements the bot wrote for this file's applied decisions, by property."""
        found: dict[str, list[dict[str, Any]]] = {}
        for prop, proposed in conn.execute(
            "SELECT property, proposed FROM conflicts WHERE mid = ? AND status = 'applied' "
            "AND proposed IS NOT NULL",
            (mid,),
        ):
            found.setdefault(prop, []).append(loads(proposed))
        return found

    def _transition(
        self,
        conn: sqlite3.Connection,
        conflict_id: int,
        from_status: str,
        to_status: str,
        actor: str,
        note: str | None,
        now: str,
        *,
        revid: int | None = None,
        closed_reason: str | None = None,
    ) -> None:
        sets = "status=?, updated_at=?"
        params: list[Any] = [str(to_status), now]
        if to_status in DECISIONS:
            sets += ", decided_by=?, decided_at=?, note=?"
            params += [actor, now, note]
        if to_status == ConflictStatus.APPLIED:
            sets += ", applied_revid=?, applied_at=?"
            params += [revid, now]
        if to_status == ConflictStatus.OPEN:
            # reopened: nobody has decided this round, so the row must not say who did
            # (the earlier decisions stay in conflict_events)
            sets += ", " + ", ".join(f"{column}=NULL" for column in _DECISION_COLUMNS)
        elif closed_reason is not None:
            sets += ", closed_reason=?"
            params.append(closed_reason)
        conn.execute(f"UPDATE conflicts SET {sets} WHERE id=?", (*params, conflict_id))
        conn.execute(
            "INSERT INTO conflict_events(conflict_id, at, actor, from_status, to_status, note, "
            "revid) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (conflict_id, now, actor, from_status, str(to_status), note, revid),
        )

    def decide(
        self,
        conflict_id: int,
        decision: str,
        *,
        actor: str,
        note: str | None = None,
        expected_status: str | None = None,
    ) -> None:
        """A maintainer's decision. Raises ``InvalidTransition`` for closed conflicts, and
        when ``expected_status`` (what the maintainer saw) is no longer the status: the
        check and the write are one transaction, so two maintainers cannot both win."""
        if decision not in DECISIONS:
            raise InvalidTransition(f"unknown decision {decision!r}")
        now = utcnow()
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT status FROM conflicts WHERE id = ?", (conflict_id,)
            ).fetchone()
            if row is None:
                raise KeyError(conflict_id)
            if expected_status is not None and row[0] != expected_status:
                raise InvalidTransition(
                    f"conflict {conflict_id} is now {row[0]}, not {expected_status}"
                )
            if row[0] not in DECIDABLE_FROM:
                raise InvalidTransition(f"conflict {conflict_id} is {row[0]}; it cannot be decided")
            self._transition(conn, conflict_id, row[0], decision, actor, note, now)

    def bulk_scope(self, flt: QueueFilter, decision: str) -> BulkScope:
        """What a bulk decision would change now: the count the confirmation page states
        and the largest id, which bounds the decision so later conflicts stay out."""
        where, params = flt.where()
        marks = ",".join("?" * len(DECIDABLE_FROM))
        leave_out = _bulk_leaves_out(flt, decision)
        out = ",".join("?" * len(leave_out)) or "''"
        count, max_id, left_out = self.conn.execute(
            f"SELECT coalesce(sum(CASE WHEN reason NOT IN ({out}) THEN 1 END), 0), "
            f"max(CASE WHEN reason NOT IN ({out}) THEN id END), "
            f"coalesce(sum(CASE WHEN reason IN ({out}) THEN 1 END), 0) "
            f"FROM conflicts WHERE {where} AND status IN ({marks}) AND status != ?",
            (*leave_out, *leave_out, *leave_out, *params, *DECIDABLE_FROM, decision),
        ).fetchone()
        return BulkScope(
            count=int(count),
            max_id=None if max_id is None else int(max_id),
            left_out=int(left_out),
        )

    def bulk_decide(
        self,
        flt: QueueFilter,
        decision: str,
        *,
        actor: str,
        note: str | None = None,
        max_id: int | None = None,
        expected: int | None = None,
        chunk_size: int = BULK_CHUNK_ROWS,
        pause: float | None = None,
        between_chunks: Callable[[BulkResult], None] | None = None,
    ) -> BulkResult:
        """Decide every decidable conflict matching the filter with an id up to ``max_id``
        (the largest the maintainer was shown; default: the largest now).

        The job shares the file (over NFS, rollback journal), so the set is decided in id
        order, ``chunk_size`` rows per short ``BEGIN IMMEDIATE`` transaction, never one
        long one: each chunk picks its rows, logs one event per row (``from_status`` =
        the status it had) and updates them, all set-based. Between chunks the lock is
        free for ``pause`` seconds (default: ``bulk_pause`` of how long the last chunk
        held it), long enough for a writer sleeping in its busy handler to get in. A row
        someone else decided, or the bot closed, before its chunk no longer matches and
        keeps its state; with ``expected`` (the count confirmed) the result says how many.
        ``between_chunks`` is called after each commit (progress; tests).

        "Use Flickr's value" leaves out the conflicts of ``ONE_BY_ONE_REASONS`` (counted in
        ``left_out``) and raises ``BulkRefused`` for a filter naming one of them.
        """
        if decision not in DECISIONS:
            raise InvalidTransition(f"unknown decision {decision!r}")
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        leave_out = _bulk_leaves_out(flt, decision)
        started = time.perf_counter()
        if max_id is None:
            max_id = int(
                self.conn.execute("SELECT coalesce(max(id), 0) FROM conflicts").fetchone()[0]
            )
        marks = ",".join("?" * len(DECIDABLE_FROM))
        out = ",".join("?" * len(leave_out)) or "''"
        decidable: list[Any] = [*DECIDABLE_FROM, decision, *leave_out]
        if flt.uses_title_index():
            # the trigram index yields matching ids in order from ``last`` on: MATCH runs
            # once per chunk, and the two writes read the chunk's ids from a TEMP table
            assert flt.title is not None
            where, params = flt.where("c.", skip_title=True)
            pick = (
                "SELECT c.id FROM conflict_titles f JOIN conflicts c ON c.id = f.rowid "
                "WHERE conflict_titles MATCH ? AND f.rowid > ? AND f.rowid <= ? "
                f"AND {where} AND c.status IN ({marks}) AND c.status != ? "
                f"AND c.reason NOT IN ({out}) ORDER BY f.rowid LIMIT ?"
            )
            head: list[Any] = [fts_phrase(flt.title)]
            tail: list[Any] = [*params, *decidable]
        else:
            where, params = flt.where()
            pick = (
                f"SELECT id FROM conflicts WHERE {where} AND status IN ({marks}) "
                f"AND status != ? AND reason NOT IN ({out}) AND id > ? AND id <= ? "
                "ORDER BY id LIMIT ?"
            )
            head, tail = [*params, *decidable], []
        in_chunk = (
            f"id IN (SELECT id FROM temp.bulk_chunk) AND status IN ({marks}) AND status != ? "
            f"AND reason NOT IN ({out})"
        )
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS bulk_chunk(id INTEGER PRIMARY KEY)")
        result = BulkResult()
        last = 0
        try:
            while True:
                with self.transaction() as conn:
                    held_from = time.perf_counter()
                    conn.execute("DELETE FROM temp.bulk_chunk")
                    conn.execute(
                        f"INSERT INTO temp.bulk_chunk(id) {pick}",
                        (*head, last, max_id, *tail, chunk_size),
                    )
                    top = conn.execute("SELECT max(id) FROM temp.bulk_chunk").fetchone()[0]
                    if top is not None:
                        now = utcnow()
                        logged = conn.execute(
                            "INSERT INTO conflict_events(conflict_id, at, actor, from_status, "
                            f"to_status, note) SELECT id, ?, ?, status, ?, ? FROM conflicts "
                            f"WHERE {in_chunk} ORDER BY id",
                            (now, actor, decision, note, *decidable),
                        ).rowcount
                        changed = conn.execute(
                            "UPDATE conflicts SET status = ?, decided_by = ?, decided_at = ?, "
                            f"note = ?, updated_at = ? WHERE {in_chunk}",
                            (decision, actor, now, note, now, *decidable),
                        ).rowcount
                        if logged != changed:  # cannot happen while we hold the write lock
                            raise RuntimeError(f"bulk decision: {logged} events, {changed} rows")
                        result.decided += changed
                held = time.perf_counter() - held_from
                if top is None:
                    break
                result.chunks += 1
                result.longest_transaction_s = max(result.longest_transaction_s, held)
                last = int(top)
                if between_chunks is not None:
                    between_chunks(result)
                time.sleep(bulk_pause(held) if pause is None else pause)
        finally:
            self.conn.execute("DELETE FROM temp.bulk_chunk")
        if expected is not None:
            result.changed_meanwhile = max(0, expected - result.decided)
        if leave_out:
            result.left_out = self.bulk_scope(flt, decision).left_out
        result.seconds = time.perf_counter() - started
        return result

    def count_matching(self, flt: QueueFilter, decision: str | None = None) -> int:
        """How many conflicts a bulk decision would change."""
        where, params = flt.where()
        marks = ",".join("?" * len(DECIDABLE_FROM))
        sql = f"SELECT count(*) FROM conflicts WHERE {where} AND status IN ({marks})"
        extra: list[Any] = list(DECIDABLE_FROM)
        if decision:
            sql += " AND status != ?"
            extra.append(decision)
        return int(self.conn.execute(sql, (*params, *extra)).fetchone()[0])

    def mark_applied(
        self,
        conflict_ids: Sequence[int],
        revid: int | None,
        *,
        note: str | None = None,
        conn: sqlite3.Connection | None = None,
    ) -> None:
        """The bot's edit ``revid`` wrote these decisions (None: it landed, in a revision
        not known exactly; ``note`` says what is known). Always leaves a trace: a conflict
        that is no longer accepted (a maintainer changed it, or it was closed) keeps its
        status, and its history records that the edit was made anyway, with the revision."""
        now = utcnow()
        where = f"in revision {revid}" if revid is not None else "(revision unknown)"

        def run(c: sqlite3.Connection) -> None:
            for cid in conflict_ids:
                row = c.execute("SELECT status FROM conflicts WHERE id=?", (cid,)).fetchone()
                if row is None:
                    continue
                if row[0] in (ConflictStatus.ACCEPT_FLICKR, ConflictStatus.APPLYING):
                    self._transition(
                        c, cid, row[0], ConflictStatus.APPLIED, "bot", note, now, revid=revid
                    )
                else:
                    self._event(
                        c,
                        cid,
                        row[0],
                        row[0],
                        f"the bot's edit {where} wrote Flickr's value, but the "
                        f"conflict was {row[0]} by then: check the file",
                        now,
                        revid=revid,
                    )

        if conn is not None:
            run(conn)
        else:
            with self.transaction() as c:
                run(c)

    @staticmethod
    def _event(
        conn: sqlite3.Connection,
        conflict_id: int,
        from_status: str,
        to_status: str,
        note: str | None,
        now: str,
        *,
        revid: int | None = None,
        actor: str = "bot",
    ) -> None:
        conn.execute(
            "INSERT INTO conflict_events(conflict_id, at, actor, from_status, to_status, note, "
            "revid) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (conflict_id, now, actor, str(from_status), str(to_status), note, revid),
        )

    def claim_decisions(self, conflict_ids: Sequence[int]) -> list[int]:
        """Take accepted conflicts for writing: ``accept_flickr`` → ``applying``, in one
        short transaction, right before the edit. Returns the ids still accepted; the
        others were changed meanwhile (e.g. to keep Commons' value) and must not be
        written. While ``applying`` the review page cannot change them."""
        now = utcnow()
        claimed: list[int] = []
        with self.transaction() as conn:
            for cid in conflict_ids:
                row = conn.execute("SELECT status FROM conflicts WHERE id=?", (cid,)).fetchone()
                if row and row[0] == ConflictStatus.ACCEPT_FLICKR:
                    conn.execute(
                        "UPDATE conflicts SET status=?, updated_at=? WHERE id=?",
                        (ConflictStatus.APPLYING, now, cid),
                    )
                    self._event(conn, cid, row[0], ConflictStatus.APPLYING, None, now)
                    claimed.append(int(cid))
        return claimed

    def release_decisions(self, conflict_ids: Sequence[int], note: str) -> None:
        """Give claimed conflicts back (``applying`` → ``accept_flickr``) when the edit was
        not made; who decided, when and the note are kept."""
        now = utcnow()
        with self.transaction() as conn:
            for cid in conflict_ids:
                cur = conn.execute(
                    "UPDATE conflicts SET status=?, updated_at=? WHERE id=? AND status=?",
                    (ConflictStatus.ACCEPT_FLICKR, now, cid, ConflictStatus.APPLYING),
                )
                if cur.rowcount:
                    self._event(
                        conn, cid, ConflictStatus.APPLYING, ConflictStatus.ACCEPT_FLICKR, note, now
                    )

    def refuse_decisions(self, conflict_ids: Sequence[int], note: str) -> None:
        """Accepted conflicts the bot will not write as decided (``note`` says why): back
        to ``open`` for a maintainer, who decided and why kept in the history."""
        now = utcnow()
        with self.transaction() as conn:
            for cid in conflict_ids:
                row = conn.execute("SELECT status FROM conflicts WHERE id=?", (cid,)).fetchone()
                if row and row[0] in (ConflictStatus.ACCEPT_FLICKR, ConflictStatus.APPLYING):
                    self._transition(conn, int(cid), row[0], ConflictStatus.OPEN, "bot", note, now)

    def release_orphan_claims(self) -> int:
        """Claims left by a run that died before journaling its edit: give them back."""
        claimed = [
            int(r[0])
            for r in self.conn.execute("SELECT id FROM conflicts WHERE status = 'applying'")
        ]
        if not claimed:
            return 0
        journaled = {int(c) for e in self.open_edits() for c in e["conflict_ids"]}
        orphans = [c for c in claimed if c not in journaled]
        self.release_decisions(orphans, "not written: the run stopped before the edit")
        return len(orphans)

    def supersede(self, conflict_id: int, reason: str, *, actor: str = "bot") -> None:
        now = utcnow()
        with self.transaction() as conn:
            row = conn.execute("SELECT status FROM conflicts WHERE id=?", (conflict_id,)).fetchone()
            if row and row[0] not in (ConflictStatus.APPLIED, ConflictStatus.SUPERSEDED):
                self._transition(
                    conn,
                    conflict_id,
                    row[0],
                    ConflictStatus.SUPERSEDED,
                    actor,
                    reason,
                    now,
                    closed_reason=reason,
                )

    def accepted_conflicts(
        self,
        limit: int | None = None,
        *,
        only: Sequence[str] | None = None,
        owner: str | None = None,
    ) -> list[dict[str, Any]]:
        """Conflicts maintainers answered with "use Flickr's value", oldest decision first.

        ``only`` (M-ids or titles) and ``owner`` (NSID or path alias) narrow them the way
        ``select_files`` narrows the worklist, so ``backfill run --only/--owner`` applies
        only those files' decisions.
        """
        clauses = ["status = 'accept_flickr'"]
        params: list[Any] = []
        if only:
            marks = ",".join("?" * len(only))
            clauses.append(f"(mid IN ({marks}) OR title IN ({marks}))")
            params += list(only) + [normalise_title(t) for t in only]
        if owner:
            clauses.append(
                "(owner_nsid = ? OR mid IN (SELECT mid FROM files WHERE owner_nsid = ? "
                "OR lower(owner_alias) = lower(?)))"
            )
            params += [owner, owner, owner]
        sql = (
            f"SELECT {_CONFLICT_COLUMNS} FROM conflicts WHERE {' AND '.join(clauses)} "
            "ORDER BY decided_at, id"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [_conflict(r) for r in self.conn.execute(sql, params)]

    def decided_photo_ids(self, mids: Sequence[str]) -> dict[str, str]:
        """The Flickr photo id a maintainer decided for each file (the latest applied
        P12120 decision), for the files that have one."""
        found: dict[str, str] = {}
        for chunk in (mids[i : i + 500] for i in range(0, len(mids), 500)):
            marks = ",".join("?" * len(chunk))
            for mid, proposed in self.conn.execute(
                f"SELECT mid, proposed FROM conflicts WHERE status = 'applied' "
                f"AND property = 'P12120' AND proposed IS NOT NULL AND mid IN ({marks}) "
                "ORDER BY applied_at, id",
                list(chunk),
            ):
                value = ((loads(proposed).get("mainsnak") or {}).get("datavalue") or {}).get(
                    "value"
                )
                if isinstance(value, str) and value.strip():
                    found[mid] = value.strip()
        return found

    def close_conflicts_of(self, mid: str, reason: str, note: str) -> int:
        """Close every undecided or pending conflict of a file that is gone or no longer
        names a Flickr photo: there is nothing left to decide."""
        now = utcnow()
        with self.transaction() as conn:
            rows = conn.execute(
                "SELECT id, status FROM conflicts WHERE mid = ? AND status IN "
                "('open', 'skip', 'accept_flickr', 'keep_commons')",
                (mid,),
            ).fetchall()
            for cid, status in rows:
                self._transition(
                    conn,
                    int(cid),
                    status,
                    ConflictStatus.SUPERSEDED,
                    "bot",
                    note,
                    now,
                    closed_reason=reason,
                )
        return len(rows)

    def list_conflicts(
        self,
        flt: QueueFilter,
        *,
        after_id: int | None = None,
        before_id: int | None = None,
        limit: int = 50,
        newest_first: bool = False,
    ) -> list[dict[str, Any]]:
        """One page of the queue, by keyset (``after_id``/``before_id``): no OFFSET scans."""
        if flt.uses_title_index():
            return self._list_by_title(flt, after_id, before_id, limit, newest_first)
        where, params = flt.where()
        order = "DESC" if newest_first else "ASC"
        if after_id is not None:
            where += " AND id < ?" if newest_first else " AND id > ?"
            params.append(after_id)
        if before_id is not None:
            where += " AND id > ?" if newest_first else " AND id < ?"
            params.append(before_id)
            order = "ASC" if newest_first else "DESC"
        rows = self.conn.execute(
            f"SELECT {_CONFLICT_COLUMNS} FROM conflicts WHERE {where} ORDER BY id {order} LIMIT ?",
            (*params, limit),
        ).fetchall()
        result = [_conflict(r) for r in rows]
        if before_id is not None:
            result.reverse()
        return result

    def _list_by_title(
        self,
        flt: QueueFilter,
        after_id: int | None,
        before_id: int | None,
        limit: int,
        newest_first: bool,
    ) -> list[dict[str, Any]]:
        """A title search page driven by the trigram index, joined to the conflicts:
        the index yields matching ids in order, so a rare title costs as little as a
        common one."""
        assert flt.title is not None
        where, params = flt.where("c.", skip_title=True)
        order = "DESC" if newest_first else "ASC"
        if after_id is not None:
            where += " AND f.rowid < ?" if newest_first else " AND f.rowid > ?"
            params.append(after_id)
        if before_id is not None:
            where += " AND f.rowid > ?" if newest_first else " AND f.rowid < ?"
            params.append(before_id)
            order = "ASC" if newest_first else "DESC"
        columns = ", ".join(f"c.{k.strip()}" for k in _CONFLICT_COLUMNS.split(","))
        rows = self.conn.execute(
            f"SELECT {columns} FROM conflict_titles f JOIN conflicts c ON c.id = f.rowid "
            f"WHERE conflict_titles MATCH ? AND {where} ORDER BY f.rowid {order} LIMIT ?",
            (fts_phrase(flt.title), *params, limit),
        ).fetchall()
        result = [_conflict(r) for r in rows]
        if before_id is not None:
            result.reverse()
        return result

    def get_conflict(self, conflict_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(
            f"SELECT {_CONFLICT_COLUMNS} FROM conflicts WHERE id = ?", (conflict_id,)
        ).fetchone()
        return _conflict(row) if row else None

    def neighbours(self, conflict_id: int, flt: QueueFilter) -> tuple[int | None, int | None]:
        """Previous and next conflict ids in the filtered queue (for keyboard triage)."""
        where, params = flt.where()
        prev = self.conn.execute(
            f"SELECT max(id) FROM conflicts WHERE {where} AND id < ?", (*params, conflict_id)
        ).fetchone()[0]
        nxt = self.conn.execute(
            f"SELECT min(id) FROM conflicts WHERE {where} AND id > ?", (*params, conflict_id)
        ).fetchone()[0]
        return prev, nxt

    def conflict_history(self, conflict_id: int) -> list[dict[str, Any]]:
        return [
            {
                "at": r[0],
                "actor": r[1],
                "from_status": r[2],
                "to_status": r[3],
                "note": r[4],
                "revid": r[5],
            }
            for r in self.conn.execute(
                "SELECT at, actor, from_status, to_status, note, revid FROM conflict_events "
                "WHERE conflict_id = ? ORDER BY id",
                (conflict_id,),
            )
        ]

    def conflict_counts(
        self, status: str | None = ConflictStatus.OPEN
    ) -> dict[str, dict[str, int]]:
        """Counts by reason and by property (for one status, or all), from the trigger table."""
        sql = "SELECT reason, property, sum(n) FROM conflict_counts"
        params: tuple[Any, ...] = ()
        if status:
            sql += " WHERE status = ?"
            params = (status,)
        by_reason: dict[str, int] = {}
        by_property: dict[str, int] = {}
        for reason, prop, n in self.conn.execute(sql + " GROUP BY reason, property", params):
            if not n:
                continue
            by_reason[reason] = by_reason.get(reason, 0) + int(n)
            by_property[prop] = by_property.get(prop, 0) + int(n)
        return {"reason": by_reason, "property": by_property}

    def status_totals(self) -> dict[str, int]:
        return {
            s: int(n)
            for s, n in self.conn.execute(
                "SELECT status, sum(n) FROM conflict_counts GROUP BY status"
            )
            if n
        }

    # ----------------------------------------------------------------- caches

    def get_owner(self, nsid: str, max_age: timedelta | None = None) -> FlickrOwner | None:
        """A cached people.getInfo answer; None if unknown or fetched over ``max_age`` ago."""
        cutoff = (
            (datetime.now(UTC) - max_age).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            if max_age is not None
            else ""
        )
        row = self.conn.execute(
            "SELECT nsid, username, realname, path_alias, photos_count, is_deleted FROM owners "
            "WHERE nsid = ? AND fetched_at >= ?",
            (nsid, cutoff),
        ).fetchone()
        if not row:
            return None
        return FlickrOwner(
            nsid=row[0],
            username=row[1],
            realname=row[2],
            path_alias=row[3],
            photos_count=row[4],
            is_deleted=bool(row[5]),
        )

    def put_owner(self, owner: FlickrOwner) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO owners(nsid, username, realname, path_alias, photos_count, "
                "is_deleted, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(nsid) DO UPDATE "
                "SET username=excluded.username, realname=excluded.realname, "
                "path_alias=excluded.path_alias, photos_count=excluded.photos_count, "
                "is_deleted=excluded.is_deleted, fetched_at=excluded.fetched_at",
                (
                    owner.nsid,
                    owner.username,
                    owner.realname,
                    owner.path_alias,
                    owner.photos_count,
                    int(owner.is_deleted),
                    utcnow(),
                ),
            )

    def get_alias(self, alias: str) -> tuple[bool, str | None]:
        row = self.conn.execute(
            "SELECT nsid FROM alias_nsid WHERE alias = ?", (alias.lower(),)
        ).fetchone()
        return (True, row[0]) if row else (False, None)

    def put_alias(self, alias: str, nsid: str | None) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO alias_nsid(alias, nsid, fetched_at) VALUES (?, ?, ?) "
                "ON CONFLICT(alias) DO UPDATE SET nsid=excluded.nsid, fetched_at=excluded.fetched_at",
                (alias.lower(), nsid, utcnow()),
            )

    def get_wikidata_flickr_ids(
        self, qids: Iterable[str], max_age: timedelta | None = None
    ) -> dict[str, list[str]]:
        """Cached P3267 values of Wikidata items (fresh enough ones only)."""
        qids = list(qids)
        if not qids:
            return {}
        marks = ",".join("?" * len(qids))
        cutoff = (datetime.now(UTC) - max_age).strftime("%Y-%m-%dT%H:%M:%S") if max_age else ""
        return {
            qid: loads(ids)
            for qid, ids in self.conn.execute(
                f"SELECT qid, flickr_user_ids FROM wikidata_flickr_ids WHERE qid IN ({marks}) "
                "AND fetched_at >= ?",
                (*qids, cutoff),
            )
        }

    def put_wikidata_flickr_ids(self, mapping: Mapping[str, Sequence[str]]) -> None:
        now = utcnow()
        with self.transaction() as conn:
            conn.executemany(
                "INSERT INTO wikidata_flickr_ids(qid, flickr_user_ids, fetched_at) VALUES (?,?,?) "
                "ON CONFLICT(qid) DO UPDATE SET flickr_user_ids=excluded.flickr_user_ids, "
                "fetched_at=excluded.fetched_at",
                [(q, dumps(list(v)), now) for q, v in mapping.items()],
            )

    def put_photo_gone(self, photo_id: str, reason: str, code: int) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO flickr_photo_status(photo_id, status, reason, code, checked_at) "
                "VALUES (?, 'gone', ?, ?, ?) ON CONFLICT(photo_id) DO UPDATE SET "
                "reason=excluded.reason, code=excluded.code, checked_at=excluded.checked_at",
                (photo_id, reason, code, utcnow()),
            )

    def get_photo_gone(self, photo_id: str) -> tuple[str, int] | None:
        row = self.conn.execute(
            "SELECT reason, code FROM flickr_photo_status WHERE photo_id = ? AND status = 'gone'",
            (photo_id,),
        ).fetchone()
        return (row[0], int(row[1])) if row else None

    # ----------------------------------------------------------------- lock

    def acquire_lock(
        self, name: str = "run", *, stale_after: timedelta = timedelta(hours=2)
    ) -> str:
        """Take the named lease or raise ``LockHeld``. A lease whose holder has not
        heartbeaten within ``stale_after`` (a crashed run) is taken over."""
        holder = f"{socket.gethostname()}:{os.getpid()}:{utcnow()}"
        now = utcnow()
        cutoff = (datetime.now(UTC) - stale_after).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT holder, heartbeat_at FROM locks WHERE name = ?", (name,)
            ).fetchone()
            if row and row[1] >= cutoff and not _holder_is_dead(row[0]):
                raise LockHeld(
                    f"another run holds the {name!r} lock: {row[0]} (last heartbeat {row[1]})"
                )
            conn.execute(
                "INSERT INTO locks(name, holder, acquired_at, heartbeat_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET holder=excluded.holder, "
                "acquired_at=excluded.acquired_at, heartbeat_at=excluded.heartbeat_at",
                (name, holder, now, now),
            )
        return holder

    def heartbeat(self, holder: str, name: str = "run") -> bool:
        """Renew the lease; False if another run has taken it over (stop at once)."""
        with self.transaction() as conn:
            return self._beat(conn, holder, name)

    @staticmethod
    def _beat(conn: sqlite3.Connection, holder: str, name: str) -> bool:
        cur = conn.execute(
            "UPDATE locks SET heartbeat_at=? WHERE name=? AND holder=?", (utcnow(), name, holder)
        )
        return cur.rowcount == 1

    def release_lock(self, holder: str, name: str = "run") -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM locks WHERE name=? AND holder=?", (name, holder))


def _narrow(
    clauses: list[str], params: list[Any], *, owner: str | None, only: Sequence[str] | None
) -> None:
    """Add a run's ``--owner`` (NSID or path alias) and ``--only`` (M-ids or titles)."""
    if owner:
        clauses.append("(owner_nsid = ? OR lower(owner_alias) = lower(?))")
        params += [owner, owner]
    if only:
        marks = ",".join("?" * len(only))
        clauses.append(f"(mid IN ({marks}) OR title IN ({marks}))")
        params += list(only) + [normalise_title(t) for t in only]


def _holder_is_dead(holder: str) -> bool:
    """A holder on this host whose process is gone (kill -9) does not block a new run."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def normalise_title(raw: str) -> str:
    """``foo.jpg`` / ``File:foo_bar.jpg`` / ``file: foo`` → ``File:Foo bar.jpg`` style."""
    title = raw.strip().replace("_", " ")
    if not title:
        return ""
    prefix, sep, rest = title.partition(":")
    if sep and prefix.strip().lower() in ("file", "image"):
        title = rest.strip()
    title = " ".join(title.split())
    if not title:
        return ""
    return "File:" + title[0].upper() + title[1:]


_WORKFILE_COLUMNS = (
    "id, mid, title, pageid, photo_ids, owner_nsid, owner_alias, evidence, "
    "evidence_sources, has_p12120, status, attempts, origin, checked_revid, "
    "edited_revid"
)


def _workfile(row: Sequence[Any]) -> WorkFile:
    return WorkFile(
        id=row[0],
        mid=row[1],
        title=row[2],
        pageid=row[3],
        photo_ids=loads(row[4]),
        owner_nsid=row[5],
        owner_alias=row[6],
        evidence=loads(row[7]),
        evidence_sources=loads(row[8]),
        has_p12120=bool(row[9]),
        status=row[10],
        attempts=row[11],
        origin=row[12],
        checked_revid=row[13],
        edited_revid=row[14],
    )


_CONFLICT_COLUMNS = (
    "id, mid, title, flickr_photo_id, owner_nsid, property, reason, existing, "
    "proposed, statement_id, base_revid, status, found_at, found_run_id, "
    "found_dry_run, last_seen_at, decided_by, decided_at, note, applied_revid, "
    "applied_at, closed_reason, updated_at"
)


def _conflict(row: Sequence[Any]) -> dict[str, Any]:
    keys = [k.strip() for k in _CONFLICT_COLUMNS.split(",")]
    record = dict(zip(keys, row, strict=True))
    record["existing"] = loads(record["existing"]) or []
    record["proposed"] = loads(record["proposed"])
    record["found_dry_run"] = bool(record["found_dry_run"])
    return record


def _split_sql(script: str) -> list[str]:
    """Split a schema script into statements, keeping trigger bodies whole."""
    statements: list[str] = []
    buf: list[str] = []
    for line in script.splitlines():
        if line.strip().startswith("--") or not line.strip():
            continue
        buf.append(line)
        text = "\n".join(buf)
        if sqlite3.complete_statement(text):
            statements.append(text)
            buf = []
    return statements
