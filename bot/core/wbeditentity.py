"""What Commons stores after ``wbeditentity``: the bot's model of an edit, pure.

:func:`apply_edit` is the other half of :mod:`bot.core.reconcile` (which re-exports it):
the property tests plan again after applying a plan's payload and expect no edit, and
``tests/adapters/test_commons_conformance.py`` checks it against a real Wikibase (the
stand-in Commons has its own implementation, so the two are not the same code).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Final

from bot.core.wikibase import (
    Entity,
    Snak,
    Statement,
    canonical_json,
    deep_copy,
    is_missing,
    pseudo_hash,
    qualifiers_of,
    snak_key,
    statements_of,
    strip_hashes,
)

_STATEMENT_ID_NAMESPACE: Final = uuid.UUID("5b0e3c46-9a51-4f43-9d0b-2f7c1a1d6e0a")


def new_statement_id(mid: str, index: int, claim: Mapping[str, Any]) -> str:
    """A deterministic GUID for a new statement, ``M123$XXXXXXXX-XXXX-...`` like Commons'."""
    name = f"{mid}|{index}|{canonical_json(strip_hashes(claim))}"
    return f"{mid}${str(uuid.uuid5(_STATEMENT_ID_NAMESPACE, name)).upper()}"


def _claims_of(edit: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The claims of a payload: a list, or the older map from property to list."""
    claims = edit.get("claims") or []
    if isinstance(claims, Mapping):
        return [c for group in claims.values() for c in group]
    return list(claims)


def _with_hash(snak: Mapping[str, Any], known: Mapping[str, str]) -> Snak:
    """The snak as stored: its content plus a hash (the stored one for known content)."""
    clean: Snak = strip_hashes(snak)
    clean["hash"] = known.get(snak_key(clean)) or pseudo_hash(clean)
    return clean


def _stored_statement(claim: Mapping[str, Any], sid: str, known: Mapping[str, str]) -> Statement:
    """Normalise a sent claim into the stored shape (API key order, hashes, defaults)."""
    stored: Statement = {"mainsnak": _with_hash(claim["mainsnak"], known), "type": "statement"}
    qualifiers = claim.get("qualifiers") or {}
    if qualifiers:
        order = [p for p in claim.get("qualifiers-order", ()) if p in qualifiers]
        order += [p for p in qualifiers if p not in order]
        stored["qualifiers"] = {
            p: [_with_hash(s, known) for s in qualifiers[p]] for p in order if qualifiers[p]
        }
        stored["qualifiers-order"] = [p for p in order if qualifiers[p]]
        if not stored["qualifiers"]:
            del stored["qualifiers"], stored["qualifiers-order"]
    stored["id"] = sid
    stored["rank"] = claim.get("rank", "normal")
    references = claim.get("references") or []
    if references:
        stored["references"] = [_stored_reference(r, known) for r in references]
    return stored


def _stored_reference(reference: Mapping[str, Any], known: Mapping[str, str]) -> dict[str, Any]:
    snaks = reference.get("snaks") or {}
    order = [p for p in reference.get("snaks-order", ()) if p in snaks]
    order += [p for p in snaks if p not in order]
    stored_snaks = {p: [_with_hash(s, known) for s in snaks[p]] for p in order}
    content = {"snaks": strip_hashes(stored_snaks), "snaks-order": order}
    return {
        "hash": known.get(canonical_json(content)) or pseudo_hash(content),
        "snaks": stored_snaks,
        "snaks-order": order,
    }


def _known_hashes(entity: Mapping[str, Any]) -> dict[str, str]:
    """Hashes already stored for snak and reference content, so resent content keeps them."""
    known: dict[str, str] = {}
    for statement in (s for group in statements_of(entity).values() for s in group):
        snaks = [statement["mainsnak"], *qualifiers_of(statement)]
        for reference in statement.get("references") or ():
            ref_snaks = reference.get("snaks") or {}
            snaks.extend(s for group in ref_snaks.values() for s in group)
            if reference.get("hash"):
                order = [p for p in reference.get("snaks-order", ()) if p in ref_snaks]
                order += [p for p in ref_snaks if p not in order]
                content = {
                    "snaks": strip_hashes({p: ref_snaks[p] for p in order}),
                    "snaks-order": order,
                }
                known.setdefault(canonical_json(content), reference["hash"])
        for snak in snaks:
            if snak.get("hash"):
                known.setdefault(snak_key(snak), snak["hash"])
    return known


def apply_edit(entity: Mapping[str, Any], edit: Mapping[str, Any] | None) -> Entity:
    """What Commons stores after ``wbeditentity`` with ``edit`` (pure; the input is untouched).

    Per claim, as Wikibase's ChangeOpStatement does: with an ``id`` it replaces that
    statement entirely, in place (a new property for an existing id is refused; an
    unknown id of this entity is added); without one it is appended under a generated
    deterministic id; ``"remove": ""`` with an id deletes the statement. A ``missing``
    entity becomes an empty mediainfo entity first. ``lastrevid`` is left to the caller.
    """
    result: Entity = deep_copy(dict(entity))
    mid = result.get("id")
    if not mid:
        raise ValueError("cannot edit an entity without id (the file does not exist)")
    if is_missing(result):
        result = {
            "type": "mediainfo",
            "id": mid,
            "labels": {},
            "descriptions": {},
            "statements": {},
        }
    key = "claims" if "claims" in result and "statements" not in result else "statements"
    statements: dict[str, list[Statement]] = dict(statements_of(result))
    result[key] = statements
    known = _known_hashes(result)
    for index, claim in enumerate(_claims_of(edit or {})):
        sid = claim.get("id") or new_statement_id(mid, index, claim)
        if str(sid).split("$", 1)[0].upper() != str(mid).upper() or "$" not in str(sid):
            raise ValueError(f"statement id {sid!r} is not valid for {mid}")
        where = _find(statements, sid)
        if "remove" in claim:
            if where is None:
                raise ValueError(f"no statement {sid} to remove")
            prop, position = where
            del statements[prop][position]
            if not statements[prop]:
                del statements[prop]
            continue
        stored = _stored_statement(claim, sid, known)
        prop = stored["mainsnak"]["property"]
        if where is None:
            statements.setdefault(prop, []).append(stored)
            continue
        old_prop, position = where
        if old_prop != prop:
            raise ValueError(f"statement {sid} uses {old_prop}, cannot change to {prop}")
        statements[prop][position] = stored
    return result


def _find(statements: Mapping[str, list[Statement]], sid: str) -> tuple[str, int] | None:
    for prop, group in statements.items():
        for position, statement in enumerate(group):
            if statement.get("id") == sid:
                return prop, position
    return None
