"""What a maintainer's "use Flickr's value" means as a wbeditentity claim (pure).

A conflict names the existing statement(s) it was about (``statement_id`` when exactly
one statement was compared) and the statement the bot proposed. Accepting Flickr's value:

- with a ``statement_id`` still on the file: that statement gets the proposed main value
  and qualifiers, and **keeps its id, rank and references** (the same shape as the
  automatic ``replace`` of placeholders);
- without one (e.g. several existing statements): the proposed statement is added next
  to them, never removing anything.

The job only calls this after checking that the file still holds what the maintainer saw.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any


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
    return [new]
