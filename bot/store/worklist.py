"""The worklist: files found in the snapshot and their processing state."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson

from bot.core.evidence import FileEvidence

if TYPE_CHECKING:
    pass

from bot.store.base import Connection, StoreBase, retry_deadlocks
from bot.store.records import (
    _WORKFILE_COLUMNS,
    FileStatus,
    WorkFile,
    _narrow,
    _workfile,
    dumps,
    normalise_title,
    utcnow,
)
from bot.store.schema import _FILES_INDEXES


class WorklistStore(StoreBase):
    """The worklist: files found in the snapshot and their processing state."""

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
                    conn.execute(self.dialect.drop_index(name, "files"))
        try:
            yield bulk
        finally:
            if bulk:
                self._ensure_files_indexes()

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
                ""
                + self.dialect.upsert(
                    "mid",
                    "pageid=excluded.pageid, title=excluded.title, "
                    "snapshot_revid=excluded.snapshot_revid, snapshot_name=excluded.snapshot_name, "
                    "photo_ids=excluded.photo_ids, multi_photo=excluded.multi_photo, "
                    "owner_nsid=excluded.owner_nsid, owner_alias=excluded.owner_alias, "
                    "evidence=excluded.evidence, evidence_sources=excluded.evidence_sources, "
                    "has_p12120=excluded.has_p12120, user_only=excluded.user_only, "
                    "evidence_updated_at=excluded.evidence_updated_at",
                ),
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

        A file whose edits a maintainer took back with ``backfill undo`` is not chosen
        again, not even by ``recheck``: the bot would write the same statements anew. Only
        naming it in ``only`` plans it again.
        """
        clauses: list[str] = []
        params: list[Any] = []
        if not only:
            clauses.append(
                "(mid IS NULL OR mid NOT IN (SELECT mid FROM undo_files WHERE outcome = 'undone'))"
            )
        if not recheck:
            clauses.append(
                "(status = 'pending' OR (status = 'error' AND attempts < ?) OR mid IN "
                "(SELECT mid FROM edit_journal WHERE state = 'open' AND undo_of IS NULL))"
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

    @retry_deadlocks
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

    @retry_deadlocks
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

    @retry_deadlocks
    def requeue_files(self, file_ids: Sequence[int], *, note: str | None = None) -> None:
        """Back to ``pending``: the next walk re-plans these files (attempts reset)."""
        if not file_ids:
            return
        with self.transaction() as conn:
            conn.executemany(
                "UPDATE files SET status='pending', attempts=0, last_error=? WHERE id=?",
                [(note, i) for i in file_ids],
            )

    @retry_deadlocks
    def requeue_mid(self, mid: str, *, note: str | None = None) -> None:
        with self.transaction() as conn:
            conn.execute(
                "UPDATE files SET status='pending', attempts=0, last_error=? WHERE mid=?",
                (note, mid),
            )

    @retry_deadlocks
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

    @retry_deadlocks
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
        conn: Connection | None = None,
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
