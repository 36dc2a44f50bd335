"""Runs, the write-ahead edit journal and the run lock."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

from bot.store.base import Connection, StoreBase, retry_deadlocks
from bot.store.records import LockHeld, LockLost, _holder_is_dead, dumps, loads, utcnow


@dataclass(frozen=True, slots=True)
class JournalRow:
    """One edit of the journal: what was sent to ``mid`` against which revision."""

    id: int
    run_id: int
    mid: str
    base_revid: int | None
    payload: dict[str, Any]
    new_revid: int | None
    state: str


@dataclass(frozen=True, slots=True)
class UndoFile:
    """What the undo of one run did to one file (``undo_files``)."""

    undone_run_id: int
    undo_run_id: int
    mid: str
    outcome: str  # undone | left | nothing_to_undo
    taken: list[dict[str, Any]]
    left: list[dict[str, Any]]
    base_revid: int | None
    new_revid: int | None
    at: str


@dataclass(frozen=True, slots=True)
class RunRow:
    """A run as the review page lists it."""

    id: int
    started_at: str
    ended_at: str | None
    dry_run: bool
    stop_reason: str | None
    undo_of: int | None
    """Set when this run was ``backfill undo --run N``."""
    edits: int
    """Edits the journal holds as done for this run."""
    files_undone: int
    """Files of this run an undo has taken back (in whole or in part)."""
    files_left: int
    """Files of this run an undo left (in whole or in part) for a person."""


_JOURNAL_COLUMNS = "id, run_id, mid, base_revid, payload, new_revid, state"


def _journal_row(r: Sequence[Any]) -> JournalRow:
    return JournalRow(r[0], r[1], r[2], r[3], loads(r[4]) or {}, r[5], r[6])


class JournalStore(StoreBase):
    """Runs, the write-ahead edit journal and the run lock."""

    # --- undoing a run ------------------------------------------------------------------

    def run_args(self, run_id: int) -> dict[str, Any] | None:
        """What a run was asked to do (its options; ``undo_of`` for an undo), or None."""
        row = self.conn.execute("SELECT args FROM runs WHERE id = ?", (run_id,)).fetchone()
        return None if row is None else (loads(row[0]) or {})

    def run_edits(self, run_id: int, mids: Sequence[str] | None = None) -> list[JournalRow]:
        """The edits a run made (journal rows closed as done), by file then in order."""
        sql = f"SELECT {_JOURNAL_COLUMNS} FROM edit_journal WHERE run_id = ? AND state = 'done'"
        params: list[Any] = [run_id]
        if mids is not None:
            sql += f" AND mid IN ({', '.join('?' * len(mids))})"
            params += list(mids)
        return [_journal_row(r) for r in self.conn.execute(sql + " ORDER BY mid, id", params)]

    def unsettled_edits(self, run_id: int) -> int:
        """Edits of a run still open (sent, outcome never recorded)."""
        return int(
            self.conn.execute(
                "SELECT count(*) FROM edit_journal WHERE run_id = ? AND state = 'open'", (run_id,)
            ).fetchone()[0]
        )

    def open_undo_edits(self, undone_run_id: int) -> list[JournalRow]:
        """An undo's intents never closed: the undo died between sending and recording."""
        return [
            _journal_row(r)
            for r in self.conn.execute(
                f"SELECT {_JOURNAL_COLUMNS} FROM edit_journal "
                "WHERE state = 'open' AND undo_of = ? ORDER BY id",
                (undone_run_id,),
            )
        ]

    def undo_files(self, undone_run_id: int) -> list[UndoFile]:
        """What undoing this run did, per file."""
        return [
            UndoFile(r[0], r[1], r[2], r[3], loads(r[4]) or [], loads(r[5]) or [], r[6], r[7], r[8])
            for r in self.conn.execute(
                "SELECT undone_run_id, undo_run_id, mid, outcome, taken, `left`, base_revid, "
                "new_revid, at FROM undo_files WHERE undone_run_id = ? ORDER BY mid",
                (undone_run_id,),
            )
        ]

    @retry_deadlocks
    def record_undo_file(
        self,
        *,
        undone_run_id: int,
        undo_run_id: int,
        mid: str,
        outcome: str,
        taken: Sequence[Mapping[str, Any]],
        left: Sequence[Mapping[str, Any]],
        base_revid: int | None,
        new_revid: int | None,
        journal_ids: Sequence[int] = (),
        journal_note: str | None = None,
    ) -> None:
        """Record one file's undo and close its journal intents, in one transaction."""
        with self.transaction() as conn:
            for journal_id in journal_ids:
                self.close_edit(
                    journal_id, state="done", new_revid=new_revid, error=journal_note, conn=conn
                )
            conn.execute(
                "INSERT INTO undo_files(undone_run_id, undo_run_id, mid, outcome, taken, `left`, "
                "base_revid, new_revid, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    undone_run_id,
                    undo_run_id,
                    mid,
                    outcome,
                    dumps(list(taken)),
                    dumps(list(left)),
                    base_revid,
                    new_revid,
                    utcnow(),
                ),
            )

    def list_runs(self, limit: int = 200) -> list[RunRow]:
        """The latest runs, newest first, with their edit counts and what undoing did."""
        sql = """
            SELECT r.id, r.started_at, r.ended_at, r.dry_run, r.stop_reason, r.args,
                (SELECT count(*) FROM edit_journal j WHERE j.run_id = r.id AND j.state = 'done'),
                (SELECT count(*) FROM undo_files u WHERE u.undone_run_id = r.id
                    AND u.taken != '[]'),
                (SELECT count(*) FROM undo_files u WHERE u.undone_run_id = r.id
                    AND u.`left` != '[]')
            FROM runs r ORDER BY r.id DESC LIMIT ?
        """
        rows = []
        for r in self.conn.execute(sql, (limit,)):
            args = loads(r[5]) or {}
            undo_of = args.get("undo_of") if isinstance(args, dict) else None
            rows.append(
                RunRow(r[0], r[1], r[2], bool(r[3]), r[4], undo_of, int(r[6]), int(r[7]), int(r[8]))
            )
        return rows

    @retry_deadlocks
    def start_run(self, *, dry_run: bool, args: Mapping[str, Any] | None = None) -> int:
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO runs(started_at, dry_run, host, pid, args) VALUES (?, ?, ?, ?, ?)",
                (utcnow(), int(dry_run), socket.gethostname(), os.getpid(), dumps(args or {})),
            )
            return int(cur.lastrowid or 0)

    @retry_deadlocks
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

    @retry_deadlocks
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
        undo_of: int | None = None,
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
                "created_at, undo_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    mid,
                    base_revid,
                    dumps(payload),
                    summary,
                    dumps(list(conflict_ids)),
                    utcnow(),
                    undo_of,
                ),
            )
            return int(cur.lastrowid or 0)

    @retry_deadlocks
    def close_edit(
        self,
        journal_id: int,
        *,
        state: str,
        new_revid: int | None = None,
        error: str | None = None,
        conn: Connection | None = None,
    ) -> None:
        sql = "UPDATE edit_journal SET state=?, new_revid=?, error=?, closed_at=? WHERE id=?"
        params = (state, new_revid, error, utcnow(), journal_id)
        if conn is not None:
            conn.execute(sql, params)
            return
        with self.transaction() as c:
            c.execute(sql, params)

    @retry_deadlocks
    def annotate_edit(self, journal_id: int, note: str) -> None:
        """A note on an intent that stays open (e.g. the outcome of its edit is unknown)."""
        with self.transaction() as conn:
            conn.execute("UPDATE edit_journal SET error=? WHERE id=?", (note, journal_id))

    def open_edits(self, mid: str | None = None) -> list[dict[str, Any]]:
        """Intents never closed: a previous run died between sending and recording.
        An undo's intents are not a run's (``open_undo_edits``)."""
        sql = (
            "SELECT id, run_id, mid, base_revid, payload, conflict_ids FROM edit_journal "
            "WHERE state = 'open' AND undo_of IS NULL"
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

    @retry_deadlocks
    def acquire_lock(
        self, name: str = "run", *, stale_after: timedelta = timedelta(hours=2)
    ) -> str:
        """Take the named lease or raise ``LockHeld``. A lease whose holder has not
        heartbeaten within ``stale_after`` (a crashed run) is taken over.

        Enforced by the database, not by a file lock, so two hosts can race for it: a
        free lease is an INSERT that the primary key lets only one run win; a stale one
        is taken over compare-and-set (an UPDATE naming the holder and heartbeat it saw,
        whose row count says who won). The loser raises ``LockHeld``."""
        holder = f"{socket.gethostname()}:{os.getpid()}:{utcnow()}"
        now = utcnow()
        cutoff = (datetime.now(UTC) - stale_after).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT holder, heartbeat_at FROM locks WHERE name = ?" + self.dialect.for_update,
                (name,),
            ).fetchone()
            if row and row[1] >= cutoff and not _holder_is_dead(row[0]):
                raise LockHeld(
                    f"another run holds the {name!r} lock: {row[0]} (last heartbeat {row[1]})"
                )
            if row is None:
                taken = conn.execute(
                    self.dialect.insert_ignore()
                    + " INTO locks(name, holder, acquired_at, heartbeat_at) VALUES (?, ?, ?, ?)",
                    (name, holder, now, now),
                ).rowcount
            else:
                taken = conn.execute(
                    "UPDATE locks SET holder=?, acquired_at=?, heartbeat_at=? "
                    "WHERE name=? AND holder=? AND heartbeat_at=?",
                    (holder, now, now, name, row[0], row[1]),
                ).rowcount
            if taken != 1:
                raise LockHeld(f"another run took the {name!r} lock at the same moment")
        return holder

    @retry_deadlocks
    def heartbeat(self, holder: str, name: str = "run") -> bool:
        """Renew the lease; False if another run has taken it over (stop at once)."""
        with self.transaction() as conn:
            return self._beat(conn, holder, name)

    @staticmethod
    def _beat(conn: Connection, holder: str, name: str) -> bool:
        cur = conn.execute(
            "UPDATE locks SET heartbeat_at=? WHERE name=? AND holder=?", (utcnow(), name, holder)
        )
        return cur.rowcount == 1

    @retry_deadlocks
    def release_lock(self, holder: str, name: str = "run") -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM locks WHERE name=? AND holder=?", (name, holder))
