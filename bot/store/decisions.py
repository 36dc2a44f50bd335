"""Maintainers' decisions: one, in bulk, claimed and applied by the job."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

from bot.store.base import Connection, retry_deadlocks
from bot.store.journal import JournalStore
from bot.store.queue import QueueStore
from bot.store.records import (
    _CONFLICT_COLUMNS,
    BULK_CHUNK_ROWS,
    DECIDABLE_FROM,
    DECISIONS,
    BulkResult,
    BulkScope,
    ConflictStatus,
    InvalidTransition,
    QueueFilter,
    _bulk_leaves_out,
    _conflict,
    bulk_pause,
    fts_phrase,
    normalise_title,
    utcnow,
)


class DecisionStore(JournalStore, QueueStore):
    """Maintainers' decisions: one, in bulk, claimed and applied by the job."""

    @retry_deadlocks
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
                "SELECT status FROM conflicts WHERE id = ?" + self.dialect.for_update,
                (conflict_id,),
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
        where, params = flt.where(dialect=self.dialect)
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

        The job shares the store, so the set is decided in id order, ``chunk_size``
        rows per short transaction (SQLite: ``BEGIN IMMEDIATE``), never one
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
        if self.dialect.title_index and flt.uses_title_index():
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
            where, params = flt.where(dialect=self.dialect)
            pick = (
                f"SELECT id FROM conflicts WHERE {where} AND status IN ({marks}) "
                f"AND status != ? AND reason NOT IN ({out}) AND id > ? AND id <= ? "
                "ORDER BY id LIMIT ?"
            )
            head, tail = [*params, *decidable], []
        chunk = f"{self.dialect.temp}bulk_chunk"
        still = f"AND status IN ({marks}) AND status != ? AND reason NOT IN ({out})"
        by_table = bool(self.dialect.temp)  # SQLite: the chunk's ids in a TEMP table
        if by_table:
            self.conn.execute(self.dialect.temp_ids_table("bulk_chunk"))
        result = BulkResult()
        last = 0

        def one_chunk(store: DecisionStore) -> tuple[Any, float]:
            """One chunk, one transaction (run again whole if MariaDB picks it as a
            deadlock's victim); the largest id it looked at, and when it began."""
            with store.transaction() as conn:
                held_from = time.perf_counter()
                ids: list[int] = []
                if by_table:
                    conn.execute(f"DELETE FROM {chunk}")
                    conn.execute(
                        f"INSERT INTO {chunk}(id) {pick}",
                        (*head, last, max_id, *tail, chunk_size),
                    )
                    top = conn.execute(f"SELECT max(id) FROM {chunk}").fetchone()[0]
                    in_chunk = f"id IN (SELECT id FROM {chunk}) {still}"
                else:
                    # MariaDB: pick the chunk and lock its rows, then name them (10.x
                    # runs an UPDATE's ``IN (SELECT ...)`` as a scan of the table)
                    ids = [
                        int(r[0])
                        for r in conn.execute(
                            pick + store.dialect.for_update,
                            (*head, last, max_id, *tail, chunk_size),
                        ).fetchall()
                    ]
                    top = max(ids) if ids else None
                    in_chunk = f"id IN ({','.join('?' * len(ids))}) {still}"
                if top is not None:
                    now = utcnow()
                    logged = conn.execute(
                        "INSERT INTO conflict_events(conflict_id, at, actor, from_status, "
                        f"to_status, note) SELECT id, ?, ?, status, ?, ? FROM conflicts "
                        f"WHERE {in_chunk} ORDER BY id",
                        (now, actor, decision, note, *ids, *decidable),
                    ).rowcount
                    changed = conn.execute(
                        "UPDATE conflicts SET status = ?, decided_by = ?, decided_at = ?, "
                        f"note = ?, updated_at = ?, decided_rule = NULL WHERE {in_chunk}",
                        (decision, actor, now, note, now, *ids, *decidable),
                    ).rowcount
                    if logged != changed:  # cannot happen while we hold the rows' locks
                        raise RuntimeError(f"bulk decision: {logged} events, {changed} rows")
                    result.decided += changed
            return top, held_from

        try:
            while True:
                top, held_from = retry_deadlocks(one_chunk)(self)
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
            if by_table:
                self.conn.execute(f"DELETE FROM {chunk}")
        if expected is not None:
            result.changed_meanwhile = max(0, expected - result.decided)
        if leave_out:
            result.left_out = self.bulk_scope(flt, decision).left_out
        result.seconds = time.perf_counter() - started
        return result

    def count_matching(self, flt: QueueFilter, decision: str | None = None) -> int:
        """How many conflicts a bulk decision would change."""
        where, params = flt.where(dialect=self.dialect)
        marks = ",".join("?" * len(DECIDABLE_FROM))
        sql = f"SELECT count(*) FROM conflicts WHERE {where} AND status IN ({marks})"
        extra: list[Any] = list(DECIDABLE_FROM)
        if decision:
            sql += " AND status != ?"
            extra.append(decision)
        return int(self.conn.execute(sql, (*params, *extra)).fetchone()[0])

    @retry_deadlocks
    def mark_applied(
        self,
        conflict_ids: Sequence[int],
        revid: int | None,
        *,
        note: str | None = None,
        conn: Connection | None = None,
    ) -> None:
        """The bot's edit ``revid`` wrote these decisions (None: it landed, in a revision
        not known exactly; ``note`` says what is known). Always leaves a trace: a conflict
        that is no longer accepted (a maintainer changed it, or it was closed) keeps its
        status, and its history records that the edit was made anyway, with the revision."""
        now = utcnow()
        where = f"in revision {revid}" if revid is not None else "(revision unknown)"

        def run(c: Connection) -> None:
            for cid in conflict_ids:
                row = c.execute(
                    "SELECT status FROM conflicts WHERE id=?" + self.dialect.for_update, (cid,)
                ).fetchone()
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

    @retry_deadlocks
    def claim_decisions(self, conflict_ids: Sequence[int]) -> list[int]:
        """Take accepted conflicts for writing: ``accept_flickr`` → ``applying``, in one
        short transaction, right before the edit. Returns the ids still accepted; the
        others were changed meanwhile (e.g. to keep Commons' value) and must not be
        written. While ``applying`` the review page cannot change them."""
        now = utcnow()
        claimed: list[int] = []
        with self.transaction() as conn:
            for cid in conflict_ids:
                row = conn.execute(
                    "SELECT status FROM conflicts WHERE id=?" + self.dialect.for_update, (cid,)
                ).fetchone()
                if row and row[0] == ConflictStatus.ACCEPT_FLICKR:
                    conn.execute(
                        "UPDATE conflicts SET status=?, updated_at=? WHERE id=?",
                        (ConflictStatus.APPLYING, now, cid),
                    )
                    self._event(conn, cid, row[0], ConflictStatus.APPLYING, None, now)
                    claimed.append(int(cid))
        return claimed

    @retry_deadlocks
    def release_decisions(self, conflict_ids: Sequence[int], note: str) -> None:
        """Give claimed conflicts back (``applying`` → ``accept_flickr``) when the edit was
        not made; who decided, when and the note are kept. A decision of a rule retired
        meanwhile is withdrawn instead (back to ``open``): the rule's withdrawal could not
        take it while the bot held it."""
        now = utcnow()
        with self.transaction() as conn:
            for cid in conflict_ids:
                cur = conn.execute(
                    "UPDATE conflicts SET status=?, updated_at=? WHERE id=? AND status=?",
                    (ConflictStatus.ACCEPT_FLICKR, now, cid, ConflictStatus.APPLYING),
                )
                if not cur.rowcount:
                    continue
                self._event(
                    conn, cid, ConflictStatus.APPLYING, ConflictStatus.ACCEPT_FLICKR, note, now
                )
                retired = conn.execute(
                    "SELECT r.id FROM conflicts c JOIN rules r ON r.id = c.decided_rule "
                    "WHERE c.id = ? AND r.state = 'retired'",
                    (cid,),
                ).fetchone()
                if retired:
                    self._transition(
                        conn,
                        cid,
                        ConflictStatus.ACCEPT_FLICKR,
                        ConflictStatus.OPEN,
                        "bot",
                        f"withdrawn: rule #{retired[0]} was retired while the bot held it",
                        now,
                        rule_id=int(retired[0]),
                    )

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

    @retry_deadlocks
    def supersede(self, conflict_id: int, reason: str, *, actor: str = "bot") -> None:
        now = utcnow()
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT status FROM conflicts WHERE id=?" + self.dialect.for_update, (conflict_id,)
            ).fetchone()
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
        # a retired rule's decisions are not written, even before they are withdrawn
        clauses = [
            "status = 'accept_flickr'",
            "(decided_rule IS NULL OR decided_rule NOT IN "
            "(SELECT id FROM rules WHERE state = 'retired'))",
        ]
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

    @retry_deadlocks
    def close_conflicts_of(self, mid: str, reason: str, note: str) -> int:
        """Close every undecided or pending conflict of a file that is gone or no longer
        names a Flickr photo: there is nothing left to decide."""
        now = utcnow()
        with self.transaction() as conn:
            rows = conn.execute(
                "SELECT id, status FROM conflicts WHERE mid = ? AND status IN "
                "('open', 'skip', 'accept_flickr', 'keep_commons')" + self.dialect.for_update,
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
