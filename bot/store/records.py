"""The store's typed records, statuses and errors, and the helpers that build them from rows."""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

import orjson

from bot.core.errors import LockHeldError, UsageError
from bot.core.exif import ExifMatch
from bot.core.reasons import ONE_BY_ONE_REASONS
from bot.core.wikibase import normalise_file_title as normalise_title
from bot.core.wikibase import strip_hashes
from bot.store.dialect import SQLITE, Dialect

if TYPE_CHECKING:
    pass


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
    BHL_NO_MATCH = "bhl_no_match"  # only a BHL page id, and no BHL photo is tagged with it
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
# A conflict a maintainer has answered (or whose answer the bot is writing or wrote).
ANSWERED = (*DECISIONS, ConflictStatus.APPLYING, ConflictStatus.APPLIED)


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


# What a decision round leaves on a conflicts row; cleared when the conflict is reopened.
_DECISION_COLUMNS: Final = (
    "decided_by",
    "decided_at",
    "note",
    "applied_revid",
    "applied_at",
    "closed_reason",
    "decided_rule",
)


# Title searches this long use the trigram index; shorter ones fall back to LIKE.
FTS_MIN_CHARS = 3


def fts_phrase(text: str) -> str:
    """A search string as one FTS5 phrase (quotes doubled), matched as a substring."""
    return '"' + text.replace('"', '""') + '"'


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
    evidence: ExifMatch | None = None
    """What backs the conflict's reason (the EXIF date behind ``commons_date_from_exif``)."""


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

    def where(
        self, alias: str = "", *, skip_title: bool = False, dialect: Dialect = SQLITE
    ) -> tuple[str, list[Any]]:
        """SQL conditions and parameters; ``alias`` prefixes columns (``"c."``). Without
        the dialect's trigram index a title is matched with ``LIKE``."""
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
        if self.title and dialect.title_index and self.uses_title_index() and not skip_title:
            clauses.append(
                f"{alias}id IN (SELECT rowid FROM conflict_titles WHERE conflict_titles MATCH ?)"
            )
            params.append(fts_phrase(self.title))
        elif self.title and not skip_title:
            clauses.append(dialect.title_like(f"{alias}title"))
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
    by_rule: int = 0  # decided by a decision rule as they were queued
    ids: list[int] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    """The status of each conflict after recording, in the order given (``open`` or
    ``skip``: waiting for a person; ``keep_commons``: answered already; or the decision
    a rule just made). A dry run gives
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


ONE_BY_ONE_MESSAGE: Final = (
    "“Use Flickr's value” cannot be given in bulk to conflicts about a file that cites "
    "several Flickr photos (multiple_photo_ids), or a BHL page that several BHL photos are "
    "tagged with (bhl_page_several): each file needs the one photo id chosen. "
    "Open them one by one and accept the right photo; the other candidates are then closed."
)


def _bulk_leaves_out(flt: QueueFilter, decision: str) -> tuple[str, ...]:
    """The reasons a bulk decision leaves out; refuses a filter that names one of them."""
    if decision != ConflictStatus.ACCEPT_FLICKR:
        return ()
    if flt.reason in ONE_BY_ONE_REASONS:
        raise BulkRefused(ONE_BY_ONE_MESSAGE)
    return ONE_BY_ONE_REASONS


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
    from bot.core.reconcile import same_statement  # the pure core; the review page never needs it

    mine = [s for s in (rec.proposed, *own) if s and s.get("mainsnak")]
    existing = [e for e in rec.existing if not any(same_statement(e, s) for s in mine)]
    text = dumps(
        [mid, rec.property, rec.reason, strip_hashes(existing), strip_hashes(rec.proposed)]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def holds_proposal(rec: ConflictRecord) -> bool:
    """The Commons side already holds the proposed statement, identical (e.g. written by
    the bot when a maintainer accepted it)."""
    from bot.core.reconcile import same_statement

    proposed = rec.proposed
    if not proposed or not proposed.get("mainsnak"):
        return False
    return any(same_statement(e, proposed) for e in rec.existing)


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
    "applied_at, closed_reason, updated_at, evidence, decided_rule"
)


def _conflict(row: Sequence[Any]) -> dict[str, Any]:
    keys = [k.strip() for k in _CONFLICT_COLUMNS.split(",")]
    record = dict(zip(keys, row, strict=True))
    record["existing"] = loads(record["existing"]) or []
    record["proposed"] = loads(record["proposed"])
    record["found_dry_run"] = bool(record["found_dry_run"])
    record["evidence"] = ExifMatch.from_json(loads(record["evidence"]))
    return record
