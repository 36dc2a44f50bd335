"""Bulk decisions as background tasks: recorded by the review page's POST, run by a worker.

A bulk decision of 125,000 conflicts takes half a minute of short chunks; the request
that confirms it must not wait for that. The POST records a ``bulk_tasks`` row and
answers; a worker claims the oldest task, runs ``bulk_decide`` and writes its progress
and a heartbeat after every chunk. One task runs at a time over every process sharing
the store (claiming checks that no other task has a fresh heartbeat); a task whose
worker died (stale heartbeat) is claimed again and continues: ``bulk_decide`` is
idempotent over ``max_id``, the rows already decided no longer match.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from bot.store.base import StoreBase, retry_deadlocks
from bot.store.records import (
    DECISIONS,
    InvalidTransition,
    QueueFilter,
    _bulk_leaves_out,
    utcnow,
)

BULK_STALE_SECONDS: Final = 120.0
"""A running task whose heartbeat is older than this lost its worker. Longer than any
wait for the lock (the busy timeout, 30 s) plus a chunk and its pause."""

_TASK_COLUMNS: Final = (
    "id, actor, filter, decision, note, max_id, expected, state, decided, chunks, "
    "changed_meanwhile, left_out, longest_transaction_ms, worker, created_at, started_at, heartbeat_at, "
    "finished_at, error, rule_id"
)


class TaskState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class TaskLost(RuntimeError):
    """Another worker took the task over (this one's heartbeat went stale): stop."""


@dataclass(frozen=True, slots=True)
class BulkTask:
    """One bulk decision as the store records it."""

    id: int
    actor: str
    filter: QueueFilter
    decision: str
    note: str | None
    max_id: int
    expected: int
    state: TaskState
    decided: int
    chunks: int
    changed_meanwhile: int | None
    left_out: int | None
    longest_transaction_ms: float | None
    worker: str | None
    created_at: str
    started_at: str | None
    heartbeat_at: str | None
    finished_at: str | None
    error: str | None
    rule_id: int | None = None
    """A decision rule's task: its first pass (``decision`` is the rule's) or the
    withdrawal of its decisions (``decision`` is ``open``)."""

    @property
    def active(self) -> bool:
        return self.state in (TaskState.QUEUED, TaskState.RUNNING)


def _task(row: Any) -> BulkTask:
    values = list(row)
    values[2] = QueueFilter(**json.loads(values[2]))
    values[7] = TaskState(values[7])
    return BulkTask(*values)


def stale_before(seconds: float, now: datetime | None = None) -> str:
    """The heartbeat time (``utcnow`` format) older than which a running task is stale."""
    moment = (now or datetime.now(UTC)) - timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class BulkTaskStore(StoreBase):
    """The ``bulk_tasks`` table: create, claim, report progress, finish."""

    @retry_deadlocks
    def create_bulk_task(
        self,
        flt: QueueFilter,
        decision: str,
        *,
        actor: str,
        max_id: int,
        expected: int,
        note: str | None = None,
    ) -> int:
        """Record a confirmed bulk decision, queued; returns its id. One small insert.
        Refuses (``BulkRefused``) what ``bulk_decide`` would refuse, before queueing it."""
        if decision not in DECISIONS:
            raise InvalidTransition(f"unknown decision {decision!r}")
        _bulk_leaves_out(flt, decision)
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO bulk_tasks(actor, filter, decision, note, max_id, expected, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (actor, json.dumps(asdict(flt)), decision, note, max_id, expected, utcnow()),
            )
            return int(cur.lastrowid or 0)

    def get_bulk_task(self, task_id: int) -> BulkTask | None:
        row = self.conn.execute(
            f"SELECT {_TASK_COLUMNS} FROM bulk_tasks WHERE id = ?", (task_id,)
        ).fetchone()
        return _task(row) if row else None

    def active_bulk_tasks(self) -> list[BulkTask]:
        """Queued and running tasks, in the order they run."""
        return [
            _task(r)
            for r in self.conn.execute(
                f"SELECT {_TASK_COLUMNS} FROM bulk_tasks WHERE state IN ('queued', 'running') "
                "ORDER BY id"
            )
        ]

    @retry_deadlocks
    def claim_bulk_task(
        self, worker: str, *, stale_seconds: float = BULK_STALE_SECONDS
    ) -> BulkTask | None:
        """Take the next task for ``worker``: the oldest queued one, or one left running
        by a worker whose heartbeat is stale. None while another task runs with a fresh
        heartbeat (one at a time, in order), or when there is nothing to do."""
        now = utcnow()
        stale = stale_before(stale_seconds)
        with self.transaction() as conn:
            if self.dialect.for_update:
                # MariaDB: claimers on two hosts queue here, on the active tasks' rows
                # (SQLite's BEGIN IMMEDIATE already made this transaction the only writer)
                conn.execute(
                    "SELECT id FROM bulk_tasks WHERE state IN ('queued', 'running') ORDER BY id"
                    + self.dialect.for_update
                ).fetchall()
            busy = conn.execute(
                "SELECT 1 FROM bulk_tasks WHERE state = 'running' AND heartbeat_at >= ? "
                f"AND {self.dialect.distinct_from('worker')} LIMIT 1",
                (stale, worker),
            ).fetchone()
            if busy:
                return None
            row = conn.execute(
                "SELECT id FROM bulk_tasks WHERE state = 'queued' "
                "OR (state = 'running' AND (heartbeat_at < ? OR "
                f"{self.dialect.same_as('worker')})) ORDER BY id LIMIT 1",
                (stale, worker),
            ).fetchone()
            if row is None:
                return None
            taken = conn.execute(
                "UPDATE bulk_tasks SET state = 'running', worker = ?, heartbeat_at = ?, "
                "started_at = coalesce(started_at, ?) WHERE id = ? AND (state = 'queued' OR "
                f"(state = 'running' AND (heartbeat_at < ? OR {self.dialect.same_as('worker')})))",
                (worker, now, now, row[0], stale, worker),
            ).rowcount
            if taken != 1:  # compare-and-set: another worker claimed it first
                return None
        return self.get_bulk_task(int(row[0]))

    @retry_deadlocks
    def bulk_task_progress(self, task_id: int, worker: str, decided: int, chunks: int) -> None:
        """The counts so far and a fresh heartbeat; ``TaskLost`` if another worker has it."""
        with self.transaction() as conn:
            cur = conn.execute(
                "UPDATE bulk_tasks SET decided = ?, chunks = ?, heartbeat_at = ? "
                "WHERE id = ? AND worker = ? AND state = 'running'",
                (decided, chunks, utcnow(), task_id, worker),
            )
        if cur.rowcount != 1:
            raise TaskLost(f"bulk task {task_id} is no longer held by {worker}")

    @retry_deadlocks
    def finish_bulk_task(
        self,
        task_id: int,
        worker: str,
        *,
        decided: int,
        chunks: int,
        left_out: int,
        longest_transaction_ms: float = 0.0,
    ) -> None:
        """Done: the final counts, and how many of those confirmed changed meanwhile."""
        now = utcnow()
        greatest = self.dialect.greatest
        with self.transaction() as conn:
            cur = conn.execute(
                "UPDATE bulk_tasks SET state = 'done', decided = ?, chunks = ?, left_out = ?, "
                f"changed_meanwhile = {greatest}(0, expected - ?), finished_at = ?, "
                "heartbeat_at = ?, "
                f"longest_transaction_ms = {greatest}(coalesce(longest_transaction_ms, 0), ?) "
                "WHERE id = ? AND worker = ? AND state = 'running'",
                (
                    decided,
                    chunks,
                    left_out,
                    decided,
                    now,
                    now,
                    longest_transaction_ms,
                    task_id,
                    worker,
                ),
            )
        if cur.rowcount != 1:
            raise TaskLost(f"bulk task {task_id} is no longer held by {worker}")

    @retry_deadlocks
    def fail_bulk_task(self, task_id: int, worker: str, error: str) -> None:
        """Stopped by an error (kept, shown on the progress page); the rows decided stay."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE bulk_tasks SET state = 'failed', error = ?, finished_at = ? "
                "WHERE id = ? AND worker = ? AND state = 'running'",
                (error[:2000], utcnow(), task_id, worker),
            )
