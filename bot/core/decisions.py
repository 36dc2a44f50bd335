"""What a maintainer's "use Flickr's value" means as a wbeditentity claim (pure).

A conflict names the existing statement(s) it was about (``statement_id`` when exactly
one statement was compared) and the statement the bot proposed. Accepting Flickr's value:

- with a ``statement_id`` still on the file: that statement gets the proposed main value
  and qualifiers, and **keeps its id, rank and references** (the same shape as the
  automatic ``replace`` of placeholders);
- without one (e.g. several existing statements): the proposed statement is added next
  to them, never removing anything — unless the file already holds it, identical (same
  property, value and qualifiers): then there is nothing to write.

A file never gets a second Flickr photo id from a decision: ``second_photo_id`` tells the
job when the claims would leave two different P12120 values, and it writes none of them.

The job only calls this after checking that the file still holds what the maintainer saw.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from bot.core import ids
from bot.core.reconcile import without_duplicates
from bot.core.wikibase import RANK_DEPRECATED, is_value, rank_of, string_value


def _statements(entity: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found = entity.get("statements")
    if found is None:
        found = entity.get("claims")
    return found if isinstance(found, dict) else {}


def find_statement(entity: Mapping[str, Any], statement_id: str) -> dict[str, Any] | None:
    """The statement with this id, whatever its property."""
    for statements in _statements(entity).values():
        for statement in statements:
            if statement.get("id") == statement_id:
                return statement
    return None


def apply_decision(
    entity: Mapping[str, Any],
    existing: Sequence[Mapping[str, Any]],
    proposed: Mapping[str, Any] | None,
    statement_id: str | None,
) -> list[dict[str, Any]]:
    """The claims to send for an accepted conflict (empty: nothing to write)."""
    if not proposed or not proposed.get("mainsnak"):
        return []
    if statement_id:
        current = find_statement(entity, statement_id)
        if current is not None:
            claim: dict[str, Any] = {
                "id": statement_id,
                "type": "statement",
                "mainsnak": copy.deepcopy(dict(proposed["mainsnak"])),
                "rank": current.get("rank", "normal"),
            }
            if proposed.get("qualifiers"):
                claim["qualifiers"] = copy.deepcopy(dict(proposed["qualifiers"]))
                if proposed.get("qualifiers-order"):
                    claim["qualifiers-order"] = list(proposed["qualifiers-order"])
            if current.get("references"):
                claim["references"] = copy.deepcopy(current["references"])
            return [claim]
    new = copy.deepcopy(dict(proposed))
    new.pop("id", None)
    new.setdefault("type", "statement")
    new.setdefault("rank", "normal")
    return without_duplicates(entity, [new])


def _photo_id_values(statements: Sequence[Mapping[str, Any]]) -> set[str]:
    return {
        (string_value(s["mainsnak"]) or "").strip()
        for s in statements
        if rank_of(s) != RANK_DEPRECATED and is_value(s.get("mainsnak") or {})
    }


def second_photo_id(entity: Mapping[str, Any], claims: Sequence[Mapping[str, Any]]) -> set[str]:
    """The Flickr photo ids the file would hold after ``claims``, when the claims would
    bring it to more than one (empty: none of that). Ids on the file already count; a
    file that already held several is not made worse by claims adding none."""
    current: dict[str, Mapping[str, Any]] = {
        str(s.get("id")): s
        for s in _statements(entity).get(ids.P_FLICKR_PHOTO_ID, [])
        if isinstance(s, Mapping)
    }
    before = _photo_id_values(list(current.values()))
    after = dict(current)
    added: list[Mapping[str, Any]] = []
    for claim in claims:
        sid = str(claim.get("id") or "")
        if "remove" in claim:
            after.pop(sid, None)
        elif (claim.get("mainsnak") or {}).get("property") != ids.P_FLICKR_PHOTO_ID:
            continue
        elif sid:
            after[sid] = claim
        else:
            added.append(claim)
    values = _photo_id_values([*after.values(), *added])
    return values if len(values) > 1 and not values <= before else set()
