"""The store's schema on MariaDB/MySQL: the same tables, keys and guarantees as the SQLite
schema (``schema.py``), in MariaDB's DDL.

A new MariaDB database is created directly at ``MARIADB_BASE_VERSION`` (there are no old
MariaDB stores to bring up through v1..v5). Every later schema version adds its statements
to both ``schema.MIGRATIONS`` (SQLite) and ``MARIADB_MIGRATIONS`` here (a test checks that
each version has both).

The differences, each deliberate:

- InnoDB tables, ``utf8mb4`` with the binary collation ``utf8mb4_bin``: SQLite compares
  text byte by byte, and titles and M-ids are case-sensitive (``File:A.jpg`` and
  ``File:a.jpg`` are two files). Keyed and indexed text is ``VARCHAR`` (an index needs a
  bounded length); the rest is ``TEXT``/``MEDIUMTEXT``.
- SQLite's partial unique index ``files_title_titles ON files(title) WHERE mid IS NULL``
  becomes a unique index on a stored generated column that holds the title only while
  ``mid`` is NULL (NULLs never collide in a unique index). The column, ``title_no_mid``,
  is MariaDB's own: it is not written, and a copy between backends leaves it out.
- The FTS5 trigram index over conflict titles has no MariaDB equivalent (FULLTEXT finds
  words, not substrings): title search is ``LIKE`` there (``Dialect.title_index``).
- Triggers: ``conflict_counts`` kept by AFTER triggers as on SQLite; ``conflict_events``
  append-only by BEFORE triggers raising ``SIGNAL SQLSTATE '45000'``.
- ``meta.key`` and ``undo_files.left`` are reserved words in MariaDB: the store writes
  them quoted with backticks, which SQLite accepts as well.
"""

from __future__ import annotations

from typing import Final

MARIADB_BASE_VERSION: Final = 6

_TABLE: Final = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
_ID: Final = "id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY"
_TS: Final = "VARCHAR(32)"  # utcnow(): 2026-01-02T03:04:05.678901Z
_TITLE: Final = "VARCHAR(512)"  # 'File:' + a title of up to 255 bytes
_MID: Final = "VARCHAR(32)"

MARIADB_SCHEMA: Final[tuple[str, ...]] = (
    f"""CREATE TABLE IF NOT EXISTS meta (
    `key` VARCHAR(64) NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
) {_TABLE}""",
    f"""CREATE TABLE IF NOT EXISTS files (
    {_ID},
    mid {_MID} UNIQUE,
    pageid BIGINT,
    title {_TITLE},
    snapshot_revid BIGINT,
    snapshot_name TEXT,
    photo_ids TEXT NOT NULL DEFAULT '[]',
    multi_photo INT NOT NULL DEFAULT 0,
    owner_nsid VARCHAR(64),
    owner_alias VARCHAR(255),
    evidence MEDIUMTEXT NOT NULL DEFAULT '[]',
    evidence_sources TEXT NOT NULL DEFAULT '[]',
    has_p12120 INT NOT NULL DEFAULT 0,
    user_only INT NOT NULL DEFAULT 0,
    origin VARCHAR(16) NOT NULL DEFAULT 'snapshot',
    added_at {_TS} NOT NULL,
    evidence_updated_at {_TS} NOT NULL,
    status VARCHAR(32) NOT NULL DEFAULT 'pending',
    attempts INT NOT NULL DEFAULT 0,
    last_error TEXT,
    checked_revid BIGINT,
    edited_revid BIGINT,
    changed_properties TEXT,
    processed_at {_TS},
    last_run_id BIGINT,
    title_no_mid {_TITLE} AS (CASE WHEN mid IS NULL THEN title END) PERSISTENT,
    UNIQUE KEY files_title_titles (title_no_mid)
) {_TABLE}""",
    "CREATE INDEX IF NOT EXISTS files_status ON files(status, owner_nsid, id)",
    "CREATE INDEX IF NOT EXISTS files_owner ON files(owner_nsid)",
    "CREATE INDEX IF NOT EXISTS files_title ON files(title)",
    f"""CREATE TABLE IF NOT EXISTS runs (
    {_ID},
    started_at {_TS} NOT NULL,
    ended_at {_TS},
    dry_run INT NOT NULL,
    host VARCHAR(255),
    pid BIGINT,
    args MEDIUMTEXT,
    stop_reason TEXT,
    summary MEDIUMTEXT
) {_TABLE}""",
    f"""CREATE TABLE IF NOT EXISTS edit_journal (
    {_ID},
    run_id BIGINT NOT NULL,
    mid {_MID} NOT NULL,
    base_revid BIGINT,
    payload MEDIUMTEXT NOT NULL,
    summary TEXT,
    conflict_ids MEDIUMTEXT,
    state VARCHAR(16) NOT NULL DEFAULT 'open',
    new_revid BIGINT,
    error TEXT,
    created_at {_TS} NOT NULL,
    closed_at {_TS},
    undo_of BIGINT,
    KEY edit_journal_open (state, mid),
    KEY edit_journal_run (run_id, state)
) {_TABLE}""",
    f"""CREATE TABLE IF NOT EXISTS conflicts (
    {_ID},
    fingerprint VARCHAR(64) NOT NULL UNIQUE,
    mid {_MID} NOT NULL,
    title {_TITLE},
    flickr_photo_id VARCHAR(64),
    owner_nsid VARCHAR(64),
    property VARCHAR(32) NOT NULL,
    reason VARCHAR(64) NOT NULL,
    existing MEDIUMTEXT NOT NULL,
    proposed MEDIUMTEXT,
    statement_id TEXT,
    base_revid BIGINT,
    status VARCHAR(32) NOT NULL DEFAULT 'open',
    found_at {_TS} NOT NULL,
    found_run_id BIGINT,
    found_dry_run INT NOT NULL DEFAULT 0,
    last_seen_at {_TS},
    last_seen_run_id BIGINT,
    decided_by VARCHAR(255),
    decided_at {_TS},
    note TEXT,
    applied_revid BIGINT,
    applied_at {_TS},
    closed_reason TEXT,
    updated_at {_TS} NOT NULL,
    evidence MEDIUMTEXT,
    KEY conflicts_status (status, id),
    KEY conflicts_status_reason (status, reason, id),
    KEY conflicts_status_property (status, property, id),
    KEY conflicts_status_owner (status, owner_nsid, id),
    KEY conflicts_mid (mid, status),
    KEY conflicts_title (title)
) {_TABLE}""",
    f"""CREATE TABLE IF NOT EXISTS conflict_events (
    {_ID},
    conflict_id BIGINT NOT NULL,
    at {_TS} NOT NULL,
    actor VARCHAR(255) NOT NULL,
    from_status VARCHAR(32),
    to_status VARCHAR(32) NOT NULL,
    note TEXT,
    revid BIGINT,
    KEY conflict_events_conflict (conflict_id, id),
    CONSTRAINT conflict_events_conflict_fk FOREIGN KEY (conflict_id) REFERENCES conflicts(id)
) {_TABLE}""",
    f"""CREATE TABLE IF NOT EXISTS conflict_counts (
    status VARCHAR(32) NOT NULL,
    reason VARCHAR(64) NOT NULL,
    property VARCHAR(32) NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (status, reason, property)
) {_TABLE}""",
    """CREATE TRIGGER IF NOT EXISTS conflict_counts_insert AFTER INSERT ON conflicts FOR EACH ROW
    INSERT INTO conflict_counts(status, reason, property, n)
        VALUES (NEW.status, NEW.reason, NEW.property, 1)
        ON DUPLICATE KEY UPDATE n = n + 1""",
    """CREATE TRIGGER IF NOT EXISTS conflict_counts_update AFTER UPDATE ON conflicts FOR EACH ROW
BEGIN
    IF NOT (OLD.status <=> NEW.status) THEN
        UPDATE conflict_counts SET n = n - 1
            WHERE status = OLD.status AND reason = OLD.reason AND property = OLD.property;
        INSERT INTO conflict_counts(status, reason, property, n)
            VALUES (NEW.status, NEW.reason, NEW.property, 1)
            ON DUPLICATE KEY UPDATE n = n + 1;
    END IF;
END""",
    """CREATE TRIGGER IF NOT EXISTS conflict_counts_delete AFTER DELETE ON conflicts FOR EACH ROW
    UPDATE conflict_counts SET n = n - 1
        WHERE status = OLD.status AND reason = OLD.reason AND property = OLD.property""",
    """CREATE TRIGGER IF NOT EXISTS conflict_events_no_update BEFORE UPDATE ON conflict_events FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'conflict_events is append-only'""",
    """CREATE TRIGGER IF NOT EXISTS conflict_events_no_delete BEFORE DELETE ON conflict_events FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'conflict_events is append-only'""",
    f"""CREATE TABLE IF NOT EXISTS owners (
    nsid VARCHAR(64) NOT NULL PRIMARY KEY,
    username TEXT,
    realname TEXT,
    path_alias TEXT,
    photos_count BIGINT,
    is_deleted INT NOT NULL DEFAULT 0,
    fetched_at {_TS} NOT NULL
) {_TABLE}""",
    f"""CREATE TABLE IF NOT EXISTS alias_nsid (
    alias VARCHAR(255) NOT NULL PRIMARY KEY,
    nsid VARCHAR(64),
    fetched_at {_TS} NOT NULL
) {_TABLE}""",
    f"""CREATE TABLE IF NOT EXISTS wikidata_flickr_ids (
    qid VARCHAR(32) NOT NULL PRIMARY KEY,
    flickr_user_ids TEXT NOT NULL,
    fetched_at {_TS} NOT NULL
) {_TABLE}""",
    f"""CREATE TABLE IF NOT EXISTS flickr_photo_status (
    photo_id VARCHAR(64) NOT NULL PRIMARY KEY,
    status VARCHAR(16) NOT NULL,
    reason TEXT,
    code INT,
    checked_at {_TS} NOT NULL
) {_TABLE}""",
    f"""CREATE TABLE IF NOT EXISTS locks (
    name VARCHAR(64) NOT NULL PRIMARY KEY,
    holder VARCHAR(255) NOT NULL,
    acquired_at {_TS} NOT NULL,
    heartbeat_at {_TS} NOT NULL
) {_TABLE}""",
    f"""CREATE TABLE IF NOT EXISTS licence_drift (
    mid {_MID} NOT NULL PRIMARY KEY,
    title {_TITLE},
    flickr_photo_id VARCHAR(64) NOT NULL,
    commons_licence VARCHAR(255) NOT NULL,
    commons_source VARCHAR(16) NOT NULL,
    flickr_licence VARCHAR(255) NOT NULL,
    flickr_license_id VARCHAR(32) NOT NULL,
    first_seen_at {_TS} NOT NULL,
    last_seen_at {_TS} NOT NULL,
    last_seen_run_id BIGINT,
    KEY licence_drift_pair (commons_licence, flickr_licence, mid)
) {_TABLE}""",
    f"""CREATE TABLE IF NOT EXISTS undo_files (
    {_ID},
    undone_run_id BIGINT NOT NULL,
    undo_run_id BIGINT NOT NULL,
    mid {_MID} NOT NULL,
    outcome VARCHAR(32) NOT NULL,
    taken MEDIUMTEXT NOT NULL DEFAULT '[]',
    `left` MEDIUMTEXT NOT NULL DEFAULT '[]',
    base_revid BIGINT,
    new_revid BIGINT,
    at {_TS} NOT NULL,
    UNIQUE KEY undo_files_run_mid (undone_run_id, mid)
) {_TABLE}""",
    f"""CREATE TABLE IF NOT EXISTS bulk_tasks (
    {_ID},
    actor VARCHAR(255) NOT NULL,
    filter TEXT NOT NULL,
    decision VARCHAR(32) NOT NULL,
    note TEXT,
    max_id BIGINT NOT NULL,
    expected BIGINT NOT NULL,
    state VARCHAR(16) NOT NULL DEFAULT 'queued',
    decided BIGINT NOT NULL DEFAULT 0,
    chunks BIGINT NOT NULL DEFAULT 0,
    changed_meanwhile BIGINT,
    left_out BIGINT,
    longest_transaction_ms DOUBLE,
    worker VARCHAR(255),
    created_at {_TS} NOT NULL,
    started_at {_TS},
    heartbeat_at {_TS},
    finished_at {_TS},
    error TEXT,
    KEY bulk_tasks_state (state, id)
) {_TABLE}""",
)

_V7_RULES: Final[tuple[str, ...]] = (
    f"""CREATE TABLE IF NOT EXISTS rules (
    {_ID},
    filter TEXT NOT NULL,
    decision VARCHAR(32) NOT NULL,
    note TEXT,
    state VARCHAR(16) NOT NULL,
    created_by VARCHAR(255) NOT NULL,
    created_at {_TS} NOT NULL,
    updated_by VARCHAR(255),
    updated_at {_TS} NOT NULL,
    decided BIGINT NOT NULL DEFAULT 0,
    withdrawn BIGINT NOT NULL DEFAULT 0
) {_TABLE}""",
    f"""CREATE TABLE IF NOT EXISTS rule_events (
    {_ID},
    rule_id BIGINT NOT NULL,
    at {_TS} NOT NULL,
    actor VARCHAR(255) NOT NULL,
    action VARCHAR(16) NOT NULL,
    note TEXT,
    KEY rule_events_rule (rule_id, id)
) {_TABLE}""",
    """ALTER TABLE conflicts
    ADD COLUMN commons_value TEXT,
    ADD COLUMN commons_precision INT,
    ADD COLUMN commons_year INT,
    ADD COLUMN commons_day VARCHAR(8),
    ADD COLUMN commons_circa INT,
    ADD COLUMN flickr_value TEXT,
    ADD COLUMN flickr_precision INT,
    ADD COLUMN flickr_year INT,
    ADD COLUMN flickr_day VARCHAR(8),
    ADD COLUMN flickr_circa INT,
    ADD COLUMN sides_known INT NOT NULL DEFAULT 0,
    ADD COLUMN decided_rule BIGINT""",
    # the values are TEXT: a prefix of each in the index (equality is rechecked on the row)
    """CREATE INDEX conflicts_rule_facts ON conflicts(status, reason, property,
    commons_precision, flickr_precision, commons_year, flickr_year, commons_day, flickr_day,
    commons_circa, flickr_circa, owner_nsid, commons_value(150), flickr_value(150))""",
    "CREATE INDEX conflicts_decided_rule ON conflicts(decided_rule, status, id)",
    "CREATE INDEX conflicts_sides_known ON conflicts(sides_known, id)",
    "ALTER TABLE conflict_events ADD COLUMN rule_id BIGINT",
    "ALTER TABLE bulk_tasks ADD COLUMN rule_id BIGINT",
)
"""v7, decision rules: as ``schema._SCHEMA_V7_RULES``."""

_V8_BHL_PAGES: Final[tuple[str, ...]] = (
    f"""CREATE TABLE IF NOT EXISTS bhl_photos (
    photo_id VARCHAR(64) NOT NULL,
    page_id VARCHAR(64) NOT NULL,
    upload_date BIGINT NOT NULL,
    listed_at {_TS} NOT NULL,
    PRIMARY KEY (photo_id, page_id),
    KEY bhl_photos_page (page_id)
) {_TABLE}""",
    f"""CREATE TABLE IF NOT EXISTS bhl_listing (
    owner VARCHAR(64) NOT NULL PRIMARY KEY,
    complete INT NOT NULL DEFAULT 0,
    newest_upload BIGINT,
    photos_listed BIGINT NOT NULL DEFAULT 0,
    refreshed_at {_TS},
    full_read_at {_TS}
) {_TABLE}""",
)
"""v8, BHL reverse matching: as ``schema._SCHEMA_V8_BHL_PAGES``."""

MARIADB_MIGRATIONS: Final[dict[int, tuple[str, ...]]] = {7: _V7_RULES, 8: _V8_BHL_PAGES}
"""Statements per schema version above ``MARIADB_BASE_VERSION``, one statement per item
(MariaDB takes them one at a time); each version here is also in ``schema.MIGRATIONS``."""
