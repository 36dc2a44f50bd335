"""Runs, the write-ahead edit journal and the run lock."""

from __future__ import annotations

import os
import socket
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

from bot.store.base import StoreBase
from bot.store.records import LockHeld, LockLost, _holder_is_dead, dumps, loads, utcnow


class JournalStore(StoreBase):
    """Runs, the write-ahead edit journal and the run lock."""

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
