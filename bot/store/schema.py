"""The store's schema: tables, indexes, triggers and the migrations between versions."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass


SCHEMA_VERSION = 8


BUSY_TIMEOUT_MS = 30_000


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


# v4 (licence-exif): a conflict's typed evidence (the EXIF field behind
# ``commons_date_from_exif``), and the licence drift report (one row per file whose
# Flickr licence now differs from the one Commons records).
_SCHEMA_V4_LICENCE_EXIF = """
ALTER TABLE conflicts ADD COLUMN evidence TEXT;
CREATE TABLE IF NOT EXISTS licence_drift (
    mid TEXT PRIMARY KEY,
    title TEXT,
    flickr_photo_id TEXT NOT NULL,
    commons_licence TEXT NOT NULL,   -- what Commons records: P275 items or the template
    commons_source TEXT NOT NULL,    -- 'P275' | 'wikitext'
    flickr_licence TEXT NOT NULL,    -- Flickr's licence name now
    flickr_license_id TEXT NOT NULL,
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    last_seen_run_id INTEGER
);
CREATE INDEX IF NOT EXISTS licence_drift_pair ON licence_drift(commons_licence, flickr_licence, mid);
"""


# v5: undoing a run. Journal rows of an undo name the run they take back (``undo_of``), so
# a normal run never settles them as its own; ``undo_files`` records, per file of the run
# undone, what was taken back and what was left for a person (one row: never twice); a
# run's edits are found by run (the undo, the runs page's counts).
_SCHEMA_V5_UNDO = """
ALTER TABLE edit_journal ADD COLUMN undo_of INTEGER;
CREATE INDEX IF NOT EXISTS edit_journal_run ON edit_journal(run_id, state);
CREATE TABLE IF NOT EXISTS undo_files (
    id INTEGER PRIMARY KEY,
    undone_run_id INTEGER NOT NULL,  -- the run taken back
    undo_run_id INTEGER NOT NULL,    -- the runs row of the undo itself
    mid TEXT NOT NULL,
    outcome TEXT NOT NULL,           -- undone | left | nothing_to_undo
    taken TEXT NOT NULL DEFAULT '[]',  -- JSON: what was removed or put back
    left TEXT NOT NULL DEFAULT '[]',   -- JSON: changed since, left for a person
    base_revid INTEGER,
    new_revid INTEGER,
    at TEXT NOT NULL,
    UNIQUE (undone_run_id, mid)
);
"""


# v6: bulk decisions in the background. The POST records the task and answers at once;
# a worker thread of the web process runs it in chunks, writing its progress and a
# heartbeat here, so the progress page (any process) can show it and a task left
# ``running`` by a dead process is taken up again once its heartbeat is stale.
_SCHEMA_V6_BULK_TASKS = """
CREATE TABLE IF NOT EXISTS bulk_tasks (
    id INTEGER PRIMARY KEY,
    actor TEXT NOT NULL,             -- the maintainer who confirmed it
    filter TEXT NOT NULL,            -- JSON: the QueueFilter's fields
    decision TEXT NOT NULL,
    note TEXT,
    max_id INTEGER NOT NULL,         -- the largest id the confirmation page counted
    expected INTEGER NOT NULL,       -- the count it showed
    state TEXT NOT NULL DEFAULT 'queued', -- queued | running | done | failed
    decided INTEGER NOT NULL DEFAULT 0,
    chunks INTEGER NOT NULL DEFAULT 0,
    changed_meanwhile INTEGER,
    left_out INTEGER,
    longest_transaction_ms REAL,     -- the longest chunk's hold on the write lock
    worker TEXT,                     -- host:pid:thread of the worker holding it
    created_at TEXT NOT NULL,
    started_at TEXT,
    heartbeat_at TEXT,
    finished_at TEXT,
    error TEXT
);
CREATE INDEX IF NOT EXISTS bulk_tasks_state ON bulk_tasks(state, id);
"""

# v8: BHL reverse matching. BHL's Flickr photos with the pages they are tagged with, read
# once from the owner's photo list (extras=machine_tags) and kept up to date by
# ``min_upload_date``, read whole again now and then (see bot/store/bhl_pages.py), so a
# file citing only a BHL page id
# finds its photo without a Flickr call of its own.
_SCHEMA_V8_BHL_PAGES = """
CREATE TABLE IF NOT EXISTS bhl_photos (
    photo_id TEXT NOT NULL,
    page_id TEXT NOT NULL,           -- a bhl:page=<digits> machine tag of the photo
    upload_date INTEGER NOT NULL,    -- Flickr's dateupload (unix seconds)
    listed_at TEXT NOT NULL,
    PRIMARY KEY (photo_id, page_id)
);
CREATE INDEX IF NOT EXISTS bhl_photos_page ON bhl_photos(page_id);
CREATE TABLE IF NOT EXISTS bhl_listing (
    owner TEXT PRIMARY KEY,          -- the Flickr account listed (BHL's NSID)
    complete INTEGER NOT NULL DEFAULT 0, -- a full read of the list has finished once
    newest_upload INTEGER,           -- the newest dateupload seen: the next min_upload_date
    photos_listed INTEGER NOT NULL DEFAULT 0,
    refreshed_at TEXT,
    full_read_at TEXT                -- when the last whole read began (its rows are newer)
);
"""


# v7: decision rules. A rule is a saved filter plus a decision (``bot.core.rules``);
# ``rule_events`` records who wrote, paused or retired it. Each conflict carries the
# facts a rule's predicates read (``bot.core.rules.conflict_sides``: each side's main
# value, date precision, year, day of the year, circa), filled when it is queued (rows
# from before v7: ``Store.fill_rule_sides``), so a preview counts in SQL; and the rule
# whose decision it holds (``decided_rule``), which a retired rule withdraws. An event
# names the rule that made it (``rule_id``); a background task can be a rule's first
# pass or its withdrawal (``bulk_tasks.rule_id``). Plain columns and indexes only.
_SCHEMA_V7_RULES = """
CREATE TABLE IF NOT EXISTS rules (
    id INTEGER PRIMARY KEY,
    filter TEXT NOT NULL,            -- JSON: the RuleFilter's fields
    decision TEXT NOT NULL,          -- accept_flickr | keep_commons | skip
    note TEXT,
    state TEXT NOT NULL,             -- active | paused | retired
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_by TEXT,
    updated_at TEXT NOT NULL,
    decided INTEGER NOT NULL DEFAULT 0,    -- conflicts it has decided, ever
    withdrawn INTEGER NOT NULL DEFAULT 0   -- of those, taken back when it was retired
);
CREATE TABLE IF NOT EXISTS rule_events (
    id INTEGER PRIMARY KEY,
    rule_id INTEGER NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,            -- created | paused | resumed | retired
    note TEXT
);
CREATE INDEX IF NOT EXISTS rule_events_rule ON rule_events(rule_id, id);
ALTER TABLE conflicts ADD COLUMN commons_value TEXT;
ALTER TABLE conflicts ADD COLUMN commons_precision INTEGER;
ALTER TABLE conflicts ADD COLUMN commons_year INTEGER;
ALTER TABLE conflicts ADD COLUMN commons_day TEXT;
ALTER TABLE conflicts ADD COLUMN commons_circa INTEGER;
ALTER TABLE conflicts ADD COLUMN flickr_value TEXT;
ALTER TABLE conflicts ADD COLUMN flickr_precision INTEGER;
ALTER TABLE conflicts ADD COLUMN flickr_year INTEGER;
ALTER TABLE conflicts ADD COLUMN flickr_day TEXT;
ALTER TABLE conflicts ADD COLUMN flickr_circa INTEGER;
ALTER TABLE conflicts ADD COLUMN sides_known INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conflicts ADD COLUMN decided_rule INTEGER;
CREATE INDEX IF NOT EXISTS conflicts_rule_facts ON conflicts(status, reason, property,
    commons_precision, flickr_precision, commons_year, flickr_year, commons_day, flickr_day,
    commons_circa, flickr_circa, owner_nsid, commons_value, flickr_value);
CREATE INDEX IF NOT EXISTS conflicts_decided_rule ON conflicts(decided_rule, status, id);
CREATE INDEX IF NOT EXISTS conflicts_sides_known ON conflicts(sides_known, id);
ALTER TABLE conflict_events ADD COLUMN rule_id INTEGER;
ALTER TABLE bulk_tasks ADD COLUMN rule_id INTEGER;
"""


MIGRATIONS: dict[int, str] = {
    1: _SCHEMA_V1,
    2: _SCHEMA_V2,
    3: _SCHEMA_V3,
    4: _SCHEMA_V4_LICENCE_EXIF,
    5: _SCHEMA_V5_UNDO,
    6: _SCHEMA_V6_BULK_TASKS,
    7: _SCHEMA_V7_RULES,
    8: _SCHEMA_V8_BHL_PAGES,
}


# The worklist's secondary indexes (as in the schema above). A first extract into an
# empty worklist drops them and builds them once at the end: millions of rows arrive in
# page-id order, and keeping four B-trees updated row by row costs more than the rest
# of the load. Store() recreates any that are missing (a load that was killed).
_FILES_INDEXES: dict[str, str] = {
    "files_status": "CREATE INDEX IF NOT EXISTS files_status ON files(status, owner_nsid, id)",
    "files_owner": "CREATE INDEX IF NOT EXISTS files_owner ON files(owner_nsid)",
    "files_title": "CREATE INDEX IF NOT EXISTS files_title ON files(title)",
}


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
