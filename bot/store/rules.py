"""Decision rules in the store: write, preview, pause, resume, retire; a rule's first pass
over the open conflicts and the withdrawal of its decisions when it is retired.

A rule (``bot.core.rules``) decides open conflicts nobody has answered: the ones open
when it is saved (its first pass, a background task like a bulk decision: ``bulk_tasks``
with ``rule_id``), and each new one the job queues (``record_conflicts``). Every
decision it makes is an event naming the rule (``conflict_events.rule_id``, actor
``rule #N``, a note with who wrote it and when). Paused, it decides nothing new and its
decisions stand; retired, it decides nothing more and its decisions the bot has not
written are withdrawn: back to ``open``, each with an event. The job already skips a
retired rule's decisions while the withdrawal runs (``accepted_conflicts``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Final

from bot.core.rules import RuleDecision, RuleFilter, RuleInvalid, RuleState, rule_actor
from bot.store.decisions import DecisionStore
from bot.store.records import (
    _CONFLICT_COLUMNS,
    _DECISION_COLUMNS,
    BULK_CHUNK_ROWS,
    BulkResult,
    ConflictStatus,
    QueueFilter,
    _conflict,
    bulk_pause,
    dumps,
    loads,
    utcnow,
)
from bot.store.rule_sql import FACT_COLUMNS, decision_note, fact_values, rule_where

log = logging.getLogger(__name__)

WITHDRAW: Final = "open"
"""The ``decision`` of a background task that withdraws a retired rule's decisions."""

_RULE_COLUMNS: Final = (
    "id, filter, decision, note, state, created_by, created_at, updated_by, updated_at, "
    "decided, withdrawn"
)
_WITHDRAWABLE: Final = (
    ConflictStatus.ACCEPT_FLICKR.value,
    ConflictStatus.KEEP_COMMONS.value,
    ConflictStatus.SKIP.value,
)


class RuleNotFound(RuleInvalid):
    """No rule has this id."""


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule as the store records it."""

    id: int
    filter: RuleFilter
    decision: RuleDecision
    note: str | None
    state: RuleState
    created_by: str
    created_at: str
    updated_by: str | None
    updated_at: str
    decided: int  # conflicts it decided, ever
    withdrawn: int  # of those, withdrawn when it was retired

    @property
    def actor(self) -> str:
        return rule_actor(self.id)


@dataclass(frozen=True, slots=True)
class RulePreview:
    """What the page shows before a rule is saved: how many open conflicts match now,
    the largest id (the first pass stops there), and a few of them (by id)."""

    count: int
    max_id: int | None
    sample: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class RuleEvent:
    at: str
    actor: str
    action: str
    note: str | None


@dataclass(frozen=True, slots=True)
class SavedRule:
    """A new rule and the background task of its first pass (None: nothing matched)."""

    rule: Rule
    task_id: int | None
    expected: int


def _rule(row: Any) -> Rule:
    return Rule(
        id=int(row[0]),
        filter=RuleFilter.from_json(loads(row[1])),
        decision=RuleDecision(row[2]),
        note=row[3],
        state=RuleState(row[4]),
        created_by=row[5],
        created_at=row[6],
        updated_by=row[7],
        updated_at=row[8],
        decided=int(row[9]),
        withdrawn=int(row[10]),
    )


def _queue_filter(flt: RuleFilter) -> QueueFilter:
    """The part of a rule a queue page can show (its link from the progress page)."""
    return QueueFilter(
        status=ConflictStatus.OPEN, reason=flt.reason, property=flt.property, owner=flt.owner
    )


class RuleStore(DecisionStore):
    """The ``rules`` and ``rule_events`` tables and the decisions rules make."""

    # ------------------------------------------------------------------ reading

    def get_rule(self, rule_id: int) -> Rule:
        row = self.conn.execute(
            f"SELECT {_RULE_COLUMNS} FROM rules WHERE id = ?", (rule_id,)
        ).fetchone()
        if row is None:
            raise RuleNotFound(f"there is no rule {rule_id}")
        return _rule(row)

    def list_rules(self) -> list[Rule]:
        """Every rule, newest first."""
        return [
            _rule(r)
            for r in self.conn.execute(f"SELECT {_RULE_COLUMNS} FROM rules ORDER BY id DESC")
        ]

    def rule_events(self, rule_id: int) -> list[RuleEvent]:
        return [
            RuleEvent(*r)
            for r in self.conn.execute(
                "SELECT at, actor, action, note FROM rule_events WHERE rule_id = ? ORDER BY id",
                (rule_id,),
            )
        ]

    def rule_conflicts(self, rule_id: int, limit: int = 20) -> list[dict[str, Any]]:
        """The latest conflicts whose decision this rule holds now."""
        return [
            _conflict(r)
            for r in self.conn.execute(
                f"SELECT {_CONFLICT_COLUMNS} FROM conflicts WHERE decided_rule = ? "
                "ORDER BY id DESC LIMIT ?",
                (rule_id, limit),
            )
        ]

    def last_conflict_id(self) -> int:
        """The largest conflict id now (0: none): bounds a first pass."""
        return int(self.conn.execute("SELECT coalesce(max(id), 0) FROM conflicts").fetchone()[0])

    def preview_rule(self, flt: RuleFilter, *, sample: int = 5) -> RulePreview:
        """How many open conflicts the rule would decide now, and the first few: the
        count and sample come from the fact columns' index (no JSON is read)."""
        where, params = rule_where(flt)
        count, max_id = self.conn.execute(
            f"SELECT count(*), max(id) FROM conflicts WHERE status = ? AND {where}",
            (ConflictStatus.OPEN.value, *params),
        ).fetchone()
        # the sample's ids from the same covering index (in its order, not by id: ORDER
        # BY id would walk the rows of the whole reason when few of them match)
        ids = (
            [
                int(r[0])
                for r in self.conn.execute(
                    f"SELECT id FROM conflicts WHERE status = ? AND {where} LIMIT ?",
                    (ConflictStatus.OPEN.value, *params, sample),
                )
            ]
            if count and sample
            else []
        )
        rows = (
            self.conn.execute(
                f"SELECT {_CONFLICT_COLUMNS} FROM conflicts WHERE id IN "
                f"({','.join('?' * len(ids))}) ORDER BY id",
                ids,
            ).fetchall()
            if ids
            else []
        )
        return RulePreview(
            count=int(count),
            max_id=None if max_id is None else int(max_id),
            sample=[_conflict(r) for r in rows],
        )

    # ------------------------------------------------------------------ writing

    def create_rule(
        self,
        flt: RuleFilter,
        decision: RuleDecision,
        *,
        actor: str,
        note: str | None = None,
        max_id: int | None = None,
        expected: int | None = None,
    ) -> SavedRule:
        """Save an active rule and queue its first pass over the open conflicts up to
        ``max_id`` (what the preview counted; default: every one now), in one transaction.
        From the commit on, the job's new conflicts are asked too."""
        if max_id is None or expected is None:
            preview = self.preview_rule(flt, sample=0)
            max_id, expected = preview.max_id, preview.count
        now = utcnow()
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO rules(filter, decision, note, state, created_by, created_at, "
                "updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    dumps(flt.to_json()),
                    decision.value,
                    note,
                    RuleState.ACTIVE.value,
                    actor,
                    now,
                    actor,
                    now,
                ),
            )
            rule_id = int(cur.lastrowid or 0)
            self._rule_event(conn, rule_id, actor, "created", flt.describe(), now)
            task_id = None
            if max_id is not None and expected:
                task_id = self._rule_task(
                    conn, rule_id, flt, decision.value, actor, max_id, expected
                )
        return SavedRule(self.get_rule(rule_id), task_id, int(expected or 0))

    def pause_rule(self, rule_id: int, *, actor: str, note: str | None = None) -> Rule:
        """Decide nothing new (its decisions stand, and its first pass stops)."""
        return self._change_state(rule_id, RuleState.PAUSED, actor, "paused", note)

    def resume_rule(
        self, rule_id: int, *, actor: str, note: str | None = None, background: bool = True
    ) -> SavedRule:
        """A paused rule decides again: new conflicts, and (a new first pass) the open
        ones that match now: a background task, or none with ``background=False`` (the
        caller runs ``rule_decide`` itself)."""
        rule = self._change_state(rule_id, RuleState.ACTIVE, actor, "resumed", note)
        preview = self.preview_rule(rule.filter, sample=0)
        task_id = None
        if background and preview.max_id is not None and preview.count:
            with self.transaction() as conn:
                task_id = self._rule_task(
                    conn,
                    rule_id,
                    rule.filter,
                    rule.decision.value,
                    actor,
                    preview.max_id,
                    preview.count,
                )
        return SavedRule(rule, task_id, preview.count)

    def retire_rule(
        self, rule_id: int, *, actor: str, note: str | None = None, background: bool = True
    ) -> SavedRule:
        """Decide nothing more; queue the withdrawal of its decisions the bot has not
        written (``withdraw_rule_decisions``; with ``background=False`` the caller runs
        it). From the commit on the job writes none of them, even before they are
        withdrawn."""
        rule = self._change_state(rule_id, RuleState.RETIRED, actor, "retired", note)
        marks = ",".join("?" * len(_WITHDRAWABLE))
        pending = int(
            self.conn.execute(
                f"SELECT count(*) FROM conflicts WHERE decided_rule = ? AND status IN ({marks})",
                (rule_id, *_WITHDRAWABLE),
            ).fetchone()[0]
        )
        task_id = None
        if pending and background:
            top = self.last_conflict_id()
            with self.transaction() as conn:
                task_id = self._rule_task(conn, rule_id, rule.filter, WITHDRAW, actor, top, pending)
        return SavedRule(rule, task_id, pending)

    def _change_state(
        self, rule_id: int, to: RuleState, actor: str, action: str, note: str | None
    ) -> Rule:
        allowed = {
            RuleState.PAUSED: (RuleState.ACTIVE,),
            RuleState.ACTIVE: (RuleState.PAUSED,),
            RuleState.RETIRED: (RuleState.ACTIVE, RuleState.PAUSED),
        }[to]
        now = utcnow()
        with self.transaction() as conn:
            row = conn.execute("SELECT state FROM rules WHERE id = ?", (rule_id,)).fetchone()
            if row is None:
                raise RuleNotFound(f"there is no rule {rule_id}")
            if RuleState(row[0]) not in allowed:
                raise RuleInvalid(f"rule {rule_id} is {row[0]}: it cannot be {action}")
            conn.execute(
                "UPDATE rules SET state = ?, updated_by = ?, updated_at = ? WHERE id = ?",
                (to.value, actor, now, rule_id),
            )
            self._rule_event(conn, rule_id, actor, action, note, now)
        return self.get_rule(rule_id)

    @staticmethod
    def _rule_event(
        conn: Any, rule_id: int, actor: str, action: str, note: str | None, now: str
    ) -> None:
        conn.execute(
            "INSERT INTO rule_events(rule_id, at, actor, action, note) VALUES (?, ?, ?, ?, ?)",
            (rule_id, now, actor, action, note),
        )

    @staticmethod
    def _rule_task(
        conn: Any,
        rule_id: int,
        flt: RuleFilter,
        decision: str,
        actor: str,
        max_id: int,
        expected: int,
    ) -> int:
        cur = conn.execute(
            "INSERT INTO bulk_tasks(actor, filter, decision, note, max_id, expected, "
            "created_at, rule_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                actor,
                json.dumps(asdict(_queue_filter(flt))),
                decision,
                None,
                max_id,
                expected,
                utcnow(),
                rule_id,
            ),
        )
        return int(cur.lastrowid or 0)

    # ------------------------------------------------------------------ chunked passes

    def rule_decide(
        self,
        rule_id: int,
        *,
        max_id: int,
        chunk_size: int = BULK_CHUNK_ROWS,
        pause: float | None = None,
        between_chunks: Callable[[BulkResult], None] | None = None,
    ) -> BulkResult:
        """A rule's first pass: decide the open conflicts it matches up to ``max_id``, in
        short chunks (as ``bulk_decide``), each row with its event. Stops at the first
        chunk after the rule was paused or retired."""
        result = BulkResult()
        started = time.perf_counter()
        last = 0
        while True:
            held_from = time.perf_counter()
            with self.transaction() as conn:
                row = conn.execute(
                    f"SELECT {_RULE_COLUMNS} FROM rules WHERE id = ?", (rule_id,)
                ).fetchone()
                if row is None or RuleState(row[4]) != RuleState.ACTIVE:
                    break
                rule = _rule(row)
                where, params = rule_where(rule.filter)
                ids = [
                    int(r[0])
                    for r in conn.execute(
                        f"SELECT id FROM conflicts WHERE status = ? AND {where} AND id > ? "
                        "AND id <= ? ORDER BY id LIMIT ?",
                        (ConflictStatus.OPEN.value, *params, last, max_id, chunk_size),
                    )
                ]
                if ids:
                    note = decision_note(rule.id, rule.created_by, rule.created_at, rule.note)
                    result.decided += self._decide_chunk(conn, rule, ids, note)
            held = time.perf_counter() - held_from
            if not ids:
                break
            last = ids[-1]
            result.chunks += 1
            result.longest_transaction_s = max(result.longest_transaction_s, held)
            if between_chunks is not None:
                between_chunks(result)
            time.sleep(bulk_pause(held) if pause is None else pause)
        result.seconds = time.perf_counter() - started
        return result

    @staticmethod
    def _decide_chunk(conn: Any, rule: Rule, ids: list[int], note: str) -> int:
        """One chunk of a first pass: events, then the rows, both set-based."""
        now = utcnow()
        marks = ",".join("?" * len(ids))
        still = (f"id IN ({marks}) AND status = ?", (*ids, ConflictStatus.OPEN.value))
        logged = conn.execute(
            "INSERT INTO conflict_events(conflict_id, at, actor, from_status, to_status, note, "
            f"rule_id) SELECT id, ?, ?, status, ?, ?, ? FROM conflicts WHERE {still[0]} "
            "ORDER BY id",
            (now, rule.actor, rule.decision.value, note, rule.id, *still[1]),
        ).rowcount
        changed = conn.execute(
            "UPDATE conflicts SET status = ?, decided_by = ?, decided_at = ?, note = ?, "
            f"decided_rule = ?, updated_at = ? WHERE {still[0]}",
            (rule.decision.value, rule.actor, now, note, rule.id, now, *still[1]),
        ).rowcount
        if logged != changed:  # cannot happen while we hold the write lock
            raise RuntimeError(f"rule {rule.id}: {logged} events, {changed} rows")
        conn.execute("UPDATE rules SET decided = decided + ? WHERE id = ?", (changed, rule.id))
        return int(changed)

    def withdraw_rule_decisions(
        self,
        rule_id: int,
        *,
        chunk_size: int = BULK_CHUNK_ROWS,
        pause: float | None = None,
        between_chunks: Callable[[BulkResult], None] | None = None,
    ) -> BulkResult:
        """A retired rule's decisions the bot has not written (accepted, kept, skipped)
        back to ``open``, each with an event; ones being written or written stay."""
        rule = self.get_rule(rule_id)
        if rule.state != RuleState.RETIRED:
            raise RuleInvalid(f"rule {rule_id} is {rule.state}: only a retired rule is withdrawn")
        marks = ",".join("?" * len(_WITHDRAWABLE))
        actor = rule.updated_by or rule.created_by  # who retired it
        note = f"withdrawn: rule #{rule_id} was retired by {actor}"
        clear = ", ".join(f"{c} = NULL" for c in _DECISION_COLUMNS)
        result = BulkResult()
        started = time.perf_counter()
        while True:
            held_from = time.perf_counter()
            with self.transaction() as conn:
                ids = [
                    int(r[0])
                    for r in conn.execute(
                        f"SELECT id FROM conflicts WHERE decided_rule = ? AND status IN ({marks}) "
                        "ORDER BY id LIMIT ?",
                        (rule_id, *_WITHDRAWABLE, chunk_size),
                    )
                ]
                if ids:
                    now = utcnow()
                    where = f"id IN ({','.join('?' * len(ids))}) AND status IN ({marks})"
                    args = (*ids, *_WITHDRAWABLE)
                    conn.execute(
                        "INSERT INTO conflict_events(conflict_id, at, actor, from_status, "
                        f"to_status, note, rule_id) SELECT id, ?, ?, status, ?, ?, ? FROM "
                        f"conflicts WHERE {where} ORDER BY id",
                        (now, actor, ConflictStatus.OPEN.value, note, rule_id, *args),
                    )
                    changed = conn.execute(
                        f"UPDATE conflicts SET status = ?, updated_at = ?, {clear} WHERE {where}",
                        (ConflictStatus.OPEN.value, now, *args),
                    ).rowcount
                    conn.execute(
                        "UPDATE rules SET withdrawn = withdrawn + ? WHERE id = ?",
                        (changed, rule_id),
                    )
                    result.decided += int(changed)
            held = time.perf_counter() - held_from
            if not ids:
                break
            result.chunks += 1
            result.longest_transaction_s = max(result.longest_transaction_s, held)
            if between_chunks is not None:
                between_chunks(result)
            time.sleep(bulk_pause(held) if pause is None else pause)
        result.seconds = time.perf_counter() - started
        return result

    # ------------------------------------------------------------------ upgrade

    def fill_rule_sides(self, chunk_size: int = 2000) -> int:
        """Fill the fact columns of conflicts queued before rules existed (schema < 7), in
        short chunks; returns how many. Cheap when none are left (an index lookup)."""
        filled = 0
        cols = ", ".join(f"{c} = ?" for c in FACT_COLUMNS)
        while True:
            rows = self.conn.execute(
                "SELECT id, existing, proposed, statement_id, property, reason FROM conflicts "
                "WHERE sides_known = 0 ORDER BY id LIMIT ?",
                (chunk_size,),
            ).fetchall()
            if not rows:
                return filled
            from bot.store.records import ConflictRecord

            with self.transaction() as conn:
                for cid, existing, proposed, sid, prop, reason in rows:
                    rec = ConflictRecord(prop, reason, loads(existing) or [], loads(proposed), sid)
                    conn.execute(
                        f"UPDATE conflicts SET {cols}, sides_known = 1 WHERE id = ?",
                        (*fact_values(rec), cid),
                    )
            filled += len(rows)
            if filled % 100_000 < chunk_size:
                log.info("rule facts filled for %d conflicts queued before schema 7", filled)
