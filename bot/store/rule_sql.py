"""Decision rules in SQL: a ``RuleFilter`` as conditions over the conflicts' fact columns,
the facts a new row gets, and the rules that decide a conflict as the job queues it.

Shared by the queue (``record_conflicts`` asks the active rules about each conflict it
queues) and ``RuleStore`` (previews, first passes, withdrawals). Plain, portable SQL:
``?`` placeholders, no functions of one database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from bot.core.rules import (
    ConflictFacts,
    RuleDecision,
    RuleFilter,
    RuleState,
    Side,
    conflict_sides,
    rule_actor,
)
from bot.store.base import Connection
from bot.store.records import ConflictRecord, loads

FACT_COLUMNS: Final = (
    "commons_value",
    "commons_precision",
    "commons_year",
    "commons_day",
    "commons_circa",
    "flickr_value",
    "flickr_precision",
    "flickr_year",
    "flickr_day",
    "flickr_circa",
)


def _side_values(side: Side) -> list[Any]:
    return [
        side.value,
        side.precision,
        side.year,
        side.day,
        None if side.value is None else int(side.circa),
    ]


def fact_values(rec: ConflictRecord) -> list[Any]:
    """The fact columns of a conflict (``FACT_COLUMNS`` order)."""
    commons, flickr = conflict_sides(rec.existing, rec.proposed, rec.statement_id)
    return [*_side_values(commons), *_side_values(flickr)]


def rule_where(flt: RuleFilter, alias: str = "") -> tuple[str, list[Any]]:
    """The conditions of ``flt`` over the conflicts table (``RuleFilter.matches`` in SQL)."""
    clauses = [f"{alias}reason = ?"]
    params: list[Any] = [flt.reason]
    for column, value in (
        ("property", flt.property),
        ("owner_nsid", flt.owner),
        ("commons_value", flt.commons_value),
        ("flickr_value", flt.flickr_value),
        ("commons_precision", flt.commons_precision),
        ("flickr_precision", flt.flickr_precision),
        ("commons_day", flt.commons_day),
        ("flickr_day", flt.flickr_day),
    ):
        if value is not None:
            clauses.append(f"{alias}{column} = ?")
            params.append(value)
    for side, circa in (("commons", flt.commons_circa), ("flickr", flt.flickr_circa)):
        if circa is not None:  # NULL (no such side) never equals 0 or 1
            clauses.append(f"{alias}{side}_circa = ?")
            params.append(int(circa))
    if flt.same_year:
        clauses.append(f"{alias}commons_year = {alias}flickr_year")
    return " AND ".join(clauses), params


@dataclass(frozen=True, slots=True)
class ActiveRule:
    """What the queue needs of an active rule to decide a new conflict."""

    id: int
    filter: RuleFilter
    decision: RuleDecision
    note: str


def decision_note(rule_id: int, created_by: str, created_at: str, note: str | None) -> str:
    """The note every decision of a rule carries: which rule, who wrote it, when."""
    text = f"decided by rule #{rule_id}, written by {created_by} on {created_at[:10]}"
    return f"{text}: {note}" if note else text


def active_rules(conn: Connection) -> list[ActiveRule]:
    """The active rules, oldest first (the first that matches decides)."""
    return [
        ActiveRule(
            int(r[0]),
            RuleFilter.from_json(loads(r[1])),
            RuleDecision(r[2]),
            decision_note(int(r[0]), r[4], r[5], r[3]),
        )
        for r in conn.execute(
            "SELECT id, filter, decision, note, created_by, created_at FROM rules "
            "WHERE state = ? ORDER BY id",
            (RuleState.ACTIVE.value,),
        )
    ]


def never_answered(conn: Connection, conflict_id: int) -> bool:
    """Nobody (person or rule) ever decided this conflict: a rule may. One that comes back
    after its decision was written and reverted waits for a person."""
    row = conn.execute(
        "SELECT 1 FROM conflict_events WHERE conflict_id = ? AND to_status IN (?, ?, ?, ?) LIMIT 1",
        (conflict_id, *[d.value for d in RuleDecision], "applied"),
    ).fetchone()
    return row is None


def facts_of(rec: ConflictRecord, owner_nsid: str | None) -> ConflictFacts:
    commons, flickr = conflict_sides(rec.existing, rec.proposed, rec.statement_id)
    return ConflictFacts(rec.reason, rec.property, owner_nsid, commons, flickr)


def first_match(rules: Sequence[ActiveRule], facts: ConflictFacts) -> ActiveRule | None:
    return next((r for r in rules if r.filter.matches(facts)), None)


__all__ = [
    "FACT_COLUMNS",
    "ActiveRule",
    "active_rules",
    "decision_note",
    "fact_values",
    "facts_of",
    "first_match",
    "never_answered",
    "rule_actor",
    "rule_where",
]
