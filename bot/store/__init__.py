"""The one store: SQLite through sqlite-utils (worklist, review queue, edit journal, runs and
the run lock, caches, migrations) and the typed records it returns.

It may import ``bot.core``; never adapters, the job or the CLI.
"""

from bot.core.evidence import FileEvidence
from bot.store.bhl_pages import BhlListing, ListedBhlPhoto
from bot.store.bulk_tasks import BULK_STALE_SECONDS, BulkTask, TaskLost, TaskState
from bot.store.database import Store
from bot.store.licences import LicenceDrift
from bot.store.records import (
    BULK_CHUNK_ROWS,
    DECIDABLE_FROM,
    DECISIONS,
    FTS_MIN_CHARS,
    ONE_BY_ONE_MESSAGE,
    ONE_BY_ONE_REASONS,
    BulkRefused,
    BulkResult,
    BulkScope,
    ConflictOutcome,
    ConflictRecord,
    ConflictStatus,
    FileStatus,
    InvalidTransition,
    LockHeld,
    LockLost,
    QueueFilter,
    WorkFile,
    bulk_pause,
    conflict_fingerprint,
    dumps,
    fts_phrase,
    holds_proposal,
    loads,
    normalise_title,
    utcnow,
)
from bot.store.rules import WITHDRAW, Rule, RuleEvent, RuleNotFound, RulePreview, SavedRule
from bot.store.schema import BUSY_TIMEOUT_MS, MIGRATIONS, SCHEMA_VERSION

__all__ = [
    "BULK_CHUNK_ROWS",
    "BULK_STALE_SECONDS",
    "BUSY_TIMEOUT_MS",
    "DECIDABLE_FROM",
    "DECISIONS",
    "FTS_MIN_CHARS",
    "MIGRATIONS",
    "ONE_BY_ONE_MESSAGE",
    "ONE_BY_ONE_REASONS",
    "SCHEMA_VERSION",
    "WITHDRAW",
    "BhlListing",
    "BulkRefused",
    "BulkResult",
    "BulkScope",
    "BulkTask",
    "ConflictOutcome",
    "ConflictRecord",
    "ConflictStatus",
    "FileEvidence",
    "FileStatus",
    "InvalidTransition",
    "LicenceDrift",
    "ListedBhlPhoto",
    "LockHeld",
    "LockLost",
    "QueueFilter",
    "Rule",
    "RuleEvent",
    "RuleNotFound",
    "RulePreview",
    "SavedRule",
    "Store",
    "TaskLost",
    "TaskState",
    "WorkFile",
    "bulk_pause",
    "conflict_fingerprint",
    "dumps",
    "fts_phrase",
    "holds_proposal",
    "loads",
    "normalise_title",
    "utcnow",
]
