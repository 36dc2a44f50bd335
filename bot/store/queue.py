"""The review queue as the job writes it and the page reads it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

from bot.store.base import Connection, StoreBase, retry_deadlocks
from bot.store.records import (
    _CONFLICT_COLUMNS,
    _DECISION_COLUMNS,
    ANSWERED,
    DECISIONS,
    ConflictOutcome,
    ConflictRecord,
    ConflictStatus,
    QueueFilter,
    _conflict,
    conflict_fingerprint,
    dumps,
    fts_phrase,
    holds_proposal,
    loads,
    utcnow,
)
from bot.store.rule_sql import (
    FACT_COLUMNS,
    ActiveRule,
    active_rules,
    fact_values,
    facts_of,
    first_match,
    never_answered,
    rule_actor,
)


class QueueStore(StoreBase):
    """The review queue as the job writes it and the page reads it."""

    @retry_deadlocks
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
            rules = [] if dry_run else active_rules(conn)
            own = self._applied_proposals(conn, mid)
            fingerprints = []
            for rec in conflicts:
                fp = conflict_fingerprint(mid, rec, own.get(rec.property, ()))
                fingerprints.append(fp)
                row = conn.execute(
                    "SELECT id, status FROM conflicts WHERE fingerprint = ?"
                    + self.dialect.for_update,
                    (fp,),
                ).fetchone()
                if row:
                    cid, status = int(row[0]), row[1]
                    conn.execute(
                        "UPDATE conflicts SET last_seen_at=?, last_seen_run_id=?, "
                        "base_revid=coalesce(?, base_revid), title=coalesce(?, title), "
                        "evidence=coalesce(?, evidence), updated_at=? WHERE id=?",
                        (
                            now,
                            run_id,
                            rec.base_revid or base_revid,
                            title,
                            _evidence(rec),
                            now,
                            cid,
                        ),
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
                    elif status == ConflictStatus.OPEN and rules:
                        status = self._decide_by_rule(conn, cid, rec, owner_nsid, rules, now)
                        outcome.by_rule += status != ConflictStatus.OPEN
                    outcome.ids.append(cid)
                    outcome.statuses.append(str(status))
                    continue
                cur = conn.execute(
                    "INSERT INTO conflicts(fingerprint, mid, title, flickr_photo_id, owner_nsid, "
                    "property, reason, existing, proposed, statement_id, base_revid, status, "
                    "found_at, found_run_id, found_dry_run, last_seen_at, last_seen_run_id, "
                    f"updated_at, evidence, sides_known, {', '.join(FACT_COLUMNS)}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, 1, "
                    f"{', '.join('?' * len(FACT_COLUMNS))})",
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
                        _evidence(rec),
                        *fact_values(rec),
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
                decided = (
                    self._decide_by_rule(conn, cid, rec, owner_nsid, rules, now)
                    if rules
                    else ConflictStatus.OPEN
                )
                outcome.by_rule += decided != ConflictStatus.OPEN
                outcome.statuses.append(decided)
            if not dry_run:
                marks = ",".join("?" * len(fingerprints)) or "''"
                stale = conn.execute(
                    f"SELECT id, status FROM conflicts WHERE mid = ? AND status IN "
                    f"('open', 'skip', 'accept_flickr') AND fingerprint NOT IN ({marks})"
                    + self.dialect.for_update,
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
                        f"AND fingerprint NOT IN ({marks})" + self.dialect.for_update,
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

    def _decide_by_rule(
        self,
        conn: Connection,
        cid: int,
        rec: ConflictRecord,
        owner_nsid: str | None,
        rules: Sequence[ActiveRule],
        now: str,
    ) -> str:
        """The first active rule matching this open conflict decides it, when nobody ever
        answered it; returns its status now (``open``: no rule did)."""
        rule = first_match(rules, facts_of(rec, owner_nsid))
        if rule is None or not never_answered(conn, cid):
            return ConflictStatus.OPEN
        self._transition(
            conn,
            cid,
            ConflictStatus.OPEN,
            rule.decision,
            rule_actor(rule.id),
            rule.note,
            now,
            rule_id=rule.id,
        )
        conn.execute("UPDATE rules SET decided = decided + 1 WHERE id = ?", (rule.id,))
        return str(rule.decision)

    def is_answered(self, mid: str, rec: ConflictRecord) -> bool:
        """Whether a maintainer already answered this very conflict (same file, property,
        reason and values): kept, skipped, accepted or applied. A run that learns more
        about a conflict (its evidence) must not ask again what was answered."""
        fp = conflict_fingerprint(
            mid, rec, self._applied_proposals(self.conn, mid).get(rec.property, ())
        )
        row = self.conn.execute(
            "SELECT status FROM conflicts WHERE fingerprint = ?", (fp,)
        ).fetchone()
        return row is not None and row[0] in ANSWERED

    @staticmethod
    def _applied_proposals(conn: Connection, mid: str) -> dict[str, list[dict[str, Any]]]:
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
        conn: Connection,
        conflict_id: int,
        from_status: str,
        to_status: str,
        actor: str,
        note: str | None,
        now: str,
        *,
        revid: int | None = None,
        closed_reason: str | None = None,
        rule_id: int | None = None,
    ) -> None:
        """One state change and its event; ``rule_id``: the rule that decided it."""
        sets = "status=?, updated_at=?"
        params: list[Any] = [str(to_status), now]
        if to_status in DECISIONS:
            sets += ", decided_by=?, decided_at=?, note=?, decided_rule=?"
            params += [actor, now, note, rule_id]
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
            "revid, rule_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (conflict_id, now, actor, from_status, str(to_status), note, revid, rule_id),
        )

    @staticmethod
    def _event(
        conn: Connection,
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

    @retry_deadlocks
    def refuse_decisions(self, conflict_ids: Sequence[int], note: str) -> None:
        """Accepted conflicts the bot will not write as decided (``note`` says why): back
        to ``open`` for a maintainer, who decided and why kept in the history."""
        now = utcnow()
        with self.transaction() as conn:
            for cid in conflict_ids:
                row = conn.execute(
                    "SELECT status FROM conflicts WHERE id=?" + self.dialect.for_update, (cid,)
                ).fetchone()
                if row and row[0] in (ConflictStatus.ACCEPT_FLICKR, ConflictStatus.APPLYING):
                    self._transition(conn, int(cid), row[0], ConflictStatus.OPEN, "bot", note, now)

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
        if self.dialect.title_index and flt.uses_title_index():
            return self._list_by_title(flt, after_id, before_id, limit, newest_first)
        where, params = flt.where(dialect=self.dialect)
        order = "DESC" if newest_first else "ASC"
        if after_id is not None:
            where += " AND id < ?" if newest_first else " AND id > ?"
            params.append(after_id)
        if before_id is not None:
            where += " AND id > ?" if newest_first else " AND id < ?"
            params.append(before_id)
            order = "ASC" if newest_first else "DESC"
        rows = self.conn.execute(
            f"SELECT {_CONFLICT_COLUMNS} FROM conflicts{self._keyset_hint(flt)} WHERE {where} "
            f"ORDER BY id {order} LIMIT ?",
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

    def _keyset_hint(self, flt: QueueFilter) -> str:
        """The index a status-only keyset page must use (``Dialect.force_index``)."""
        if flt.status and not (flt.reason or flt.property or flt.owner or flt.title):
            return self.dialect.force_index("conflicts_status")
        return ""

    def get_conflict(self, conflict_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(
            f"SELECT {_CONFLICT_COLUMNS} FROM conflicts WHERE id = ?", (conflict_id,)
        ).fetchone()
        return _conflict(row) if row else None

    def neighbours(self, conflict_id: int, flt: QueueFilter) -> tuple[int | None, int | None]:
        """Previous and next conflict ids in the filtered queue (for keyboard triage)."""
        where, params = flt.where(dialect=self.dialect)
        hint = self._keyset_hint(flt)
        prev = self.conn.execute(
            f"SELECT max(id) FROM conflicts{hint} WHERE {where} AND id < ?", (*params, conflict_id)
        ).fetchone()[0]
        nxt = self.conn.execute(
            f"SELECT min(id) FROM conflicts{hint} WHERE {where} AND id > ?", (*params, conflict_id)
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
                "rule_id": r[6],
            }
            for r in self.conn.execute(
                "SELECT at, actor, from_status, to_status, note, revid, rule_id FROM conflict_events "
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


def _evidence(rec: ConflictRecord) -> str | None:
    """The conflict's evidence as stored (JSON), None when it has none."""
    return dumps(rec.evidence.to_json()) if rec.evidence is not None else None
