"""Taking a run's edits back: what to remove from a file now, and what to leave (pure).

A run's edit journal keeps, per edit, the claims sent and the statements of each written
property as they were before (``planned_against``). Against the file as it is now,
:func:`plan_undo` takes back only what the bot wrote and nobody changed since:

- a statement the bot added (a claim without id) that is still there exactly as sent
  (same value, qualifiers, references, rank; found by content among the statements that
  are new since the edit's read) is removed by its GUID;
- a statement the bot extended (its claim is the old statement plus qualifiers) loses
  just the qualifiers the bot added that are still there as added; everything else on it
  now, including what people added since, is kept;
- a statement the bot replaced (a placeholder creator) is put back as it was, only if it
  is still exactly the bot's version;
- anything else (the bot's statement changed since, or not found as the bot left it
  while the property holds other new statements) is left and listed for a person.

The edits of one run are undone newest first on a working copy, so a statement the run
created and later extended comes out whole. The result is one ``wbeditentity`` payload.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.core.concurrency import content_key, statements_of
from bot.core.wikibase import snak_key

Statement = dict[str, Any]


@dataclass(frozen=True, slots=True)
class JournaledEdit:
    """One edit of the run being undone, as its journal row keeps it."""

    journal_id: int
    claims: list[Statement]
    planned_against: dict[str, list[Statement]]


@dataclass(frozen=True, slots=True)
class UndoItem:
    """One statement the undo takes back or leaves: which, how, and why."""

    property: str
    statement_id: str | None
    action: str
    """``remove`` (the bot's statement, GUID), ``remove_qualifiers``, ``restore`` (a
    replaced statement put back), ``gone`` (nothing left to take back), ``changed``
    (left for a person: changed since)."""
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "property": self.property,
            "statement_id": self.statement_id,
            "action": self.action,
            "detail": self.detail,
        }


@dataclass(slots=True)
class UndoPlan:
    """What the undo of one file sends, takes back and leaves."""

    claims: list[Statement] = field(default_factory=list)
    taken: list[UndoItem] = field(default_factory=list)
    left: list[UndoItem] = field(default_factory=list)
    """Changed since: a person should look (listed, recorded, not touched)."""
    gone: list[UndoItem] = field(default_factory=list)
    """Already not there (removed by someone, or by this undo before a crash)."""


def _prop(claim: Mapping[str, Any]) -> str:
    return str((claim.get("mainsnak") or {}).get("property") or "")


def _key(snak: Mapping[str, Any]) -> str:
    """A snak's content as sent or as stored (hash and datatype left out)."""
    return snak_key({k: v for k, v in snak.items() if k != "datatype"})


def _qualifier_keys(statement: Mapping[str, Any]) -> list[tuple[str, str]]:
    quals = statement.get("qualifiers") or {}
    return [(p, _key(s)) for p, snaks in quals.items() for s in snaks]


def _is_extension(before: Mapping[str, Any], claim: Mapping[str, Any]) -> bool:
    """The claim is ``before`` plus qualifiers (an ``add_qualifiers``), not a replacement."""
    bare_before = content_key({**before, "qualifiers": {}})
    bare_claim = content_key({**claim, "qualifiers": {}})
    return bare_before == bare_claim and _subset(_qualifier_keys(before), _qualifier_keys(claim))


def _subset(small: list[tuple[str, str]], big: list[tuple[str, str]]) -> bool:
    pool = list(big)
    for item in small:
        if item not in pool:
            return False
        pool.remove(item)
    return True


def _without_qualifiers(statement: Statement, drop: list[tuple[str, str]]) -> Statement:
    """``statement`` minus one occurrence of each (property, snak) in ``drop``."""
    result = copy.deepcopy(statement)
    quals: dict[str, list[Any]] = result.get("qualifiers") or {}
    for prop, key in drop:
        snaks = quals.get(prop, [])
        for i, snak in enumerate(snaks):
            if _key(snak) == key:
                del snaks[i]
                break
    kept = {p: s for p, s in quals.items() if s}
    order = [p for p in result.get("qualifiers-order", list(quals)) if p in kept]
    if kept:
        result["qualifiers"] = kept
        result["qualifiers-order"] = order
    else:
        result.pop("qualifiers", None)
        result.pop("qualifiers-order", None)
    return result


def _undo_created(
    claim: Statement, planned: Sequence[Statement], working: list[Statement], plan: UndoPlan
) -> None:
    prop = _prop(claim)
    before_ids = {str(s.get("id")) for s in planned}
    new = [s for s in working if str(s.get("id")) not in before_ids]
    key = content_key(claim)
    match = next((s for s in reversed(new) if content_key(s) == key), None)
    if match is not None:
        working.remove(match)
        plan.taken.append(UndoItem(prop, str(match.get("id")), "remove", "added by the run"))
    elif new:
        ids = ", ".join(str(s.get("id")) for s in new)
        plan.left.append(
            UndoItem(prop, None, "changed", f"not as the run added it; new since: {ids}")
        )
    else:
        plan.gone.append(UndoItem(prop, None, "gone", "the run's statement is no longer there"))


def _undo_modified(
    claim: Statement, before: Statement, working: list[Statement], plan: UndoPlan
) -> None:
    prop = _prop(claim) or _prop(before)
    sid = str(claim["id"])
    index = next((i for i, s in enumerate(working) if str(s.get("id")) == sid), None)
    if index is None:
        plan.gone.append(UndoItem(prop, sid, "gone", "the statement was removed since"))
        return
    now = working[index]
    if content_key(now) == content_key(before):
        plan.gone.append(UndoItem(prop, sid, "gone", "already as it was before the run"))
        return
    if _is_extension(before, claim):
        pool = _qualifier_keys(before)
        added: list[tuple[str, str]] = []
        for item in _qualifier_keys(claim):
            if item in pool:
                pool.remove(item)
            else:
                added.append(item)
        present = _qualifier_keys(now)
        still = [q for q in added if q in present]
        missing = sorted({p for p, k in added if (p, k) not in still})
        if still:
            working[index] = _without_qualifiers(now, still)
            names = ", ".join(sorted({p for p, _ in still}))
            plan.taken.append(UndoItem(prop, sid, "remove_qualifiers", names))
        if missing:
            plan.left.append(
                UndoItem(prop, sid, "changed", f"qualifiers changed since: {', '.join(missing)}")
            )
        return
    if content_key(now) == content_key(claim):
        working[index] = copy.deepcopy(before)
        plan.taken.append(UndoItem(prop, sid, "restore", "replaced by the run; put back"))
        return
    plan.left.append(UndoItem(prop, sid, "changed", "replaced by the run and changed since"))


def plan_undo(entity: Mapping[str, Any], edits: Sequence[JournaledEdit]) -> UndoPlan:
    """The one edit that takes ``edits`` (one run's, on this file) back out of ``entity``."""
    current = statements_of(entity)
    working: dict[str, list[Statement]] = {p: copy.deepcopy(g) for p, g in current.items()}
    plan = UndoPlan()
    for edit in sorted(edits, key=lambda e: e.journal_id, reverse=True):
        for claim in reversed(edit.claims):
            if "remove" in claim:  # the run's own take-back: nothing of it to undo
                continue
            prop = _prop(claim)
            planned = edit.planned_against.get(prop, [])
            group = working.setdefault(prop, [])
            if claim.get("id"):
                before = next((s for s in planned if str(s.get("id")) == str(claim["id"])), None)
                if before is not None:
                    _undo_modified(claim, before, group, plan)
                    continue
                claim = {k: v for k, v in claim.items() if k != "id"}
            _undo_created(claim, planned, group, plan)
    plan.claims = _diff(current, working)
    return plan


def _diff(
    current: Mapping[str, Sequence[Statement]], working: Mapping[str, Sequence[Statement]]
) -> list[Statement]:
    """``wbeditentity`` claims turning ``current`` into ``working``: removals by GUID,
    changed statements sent whole with their id."""
    claims: list[Statement] = []
    for prop, group in current.items():
        after = {str(s.get("id")): s for s in working.get(prop, [])}
        for statement in group:
            sid = str(statement.get("id"))
            if sid not in after:
                claims.append({"id": sid, "remove": ""})
            elif content_key(after[sid]) != content_key(statement):
                claims.append(copy.deepcopy(after[sid]))
    return claims


__all__ = ["JournaledEdit", "UndoItem", "UndoPlan", "plan_undo"]
