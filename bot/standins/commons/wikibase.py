"""Wikibase's edit model: ``wbeditentity``'s claims input, statement GUIDs and storage
shape, and how an edit on a stale ``baserevid`` is patched onto the latest revision.

What MediaWiki 1.39 + Wikibase + WikibaseMediaInfo were seen to do (the conformance suite
in tests/conformance/ runs the same scenarios against both): the stand-in's own code,
never the bot's (it must not agree with the bot by construction).
"""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from collections.abc import Mapping
from typing import Any

from bot.standins.commons.data import ApiError

_NO_SUCH_GUID = "Entity does not have statement with GUID {}"
CONFLICT_INFO = "Edit conflict. Could not patch the current revision."
PATCHED_WARNING = "wikibase-conflict-patched"
BAD_REVISION_CODE = "internal_api_error_Wikibase\\Lib\\Store\\BadRevisionException"


def _statements_by_id(entity: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Every statement of an entity by its id."""
    groups = (entity or {}).get("statements") or {}
    return {str(st.get("id")): st for group in groups.values() for st in group}


def _strip(value: Any) -> Any:
    """A statement without its snak hashes (they follow from the data)."""
    if isinstance(value, Mapping):
        return {k: _strip(v) for k, v in value.items() if k != "hash"}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _hash_of(content: Any) -> str:
    """A stable 40-hex hash of snak or reference content (Wikibase hashes PHP data)."""
    text = json.dumps(_strip(content), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _stored_snak(snak: Mapping[str, Any]) -> dict[str, Any]:
    """A snak as Wikibase stores it: ``snaktype, property, hash, datavalue``, no ``datatype``."""
    content = {k: copy.deepcopy(v) for k, v in snak.items() if k not in ("hash", "datatype")}
    stored: dict[str, Any] = {
        "snaktype": content.get("snaktype"),
        "property": content.get("property"),
    }
    stored["hash"] = _hash_of(content)
    if "datavalue" in content:
        stored["datavalue"] = content["datavalue"]
    return stored


def _snak_groups(groups: Any, order: Any) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """Snaks by property (a map, in ``order`` first) and the order as stored."""
    if not isinstance(groups, Mapping):
        raise ApiError("modification-failed", "snaks must be a map from property to a list")
    props = [p for p in (order or ()) if p in groups] + [
        p for p in groups if p not in (order or ())
    ]
    out = {p: [_stored_snak(s) for s in groups[p]] for p in props if groups[p]}
    return out, list(out)


def _stored_statement(claim: Mapping[str, Any], sid: str) -> dict[str, Any]:
    """A claim as Wikibase stores it (key order of ``wbgetentities``); rank defaults to normal."""
    if "mainsnak" not in claim:
        raise ApiError("modification-failed", "a claim needs a mainsnak")
    stored: dict[str, Any] = {"mainsnak": _stored_snak(claim["mainsnak"]), "type": "statement"}
    qualifiers, order = _snak_groups(claim.get("qualifiers") or {}, claim.get("qualifiers-order"))
    if qualifiers:
        stored["qualifiers"], stored["qualifiers-order"] = qualifiers, order
    stored["id"] = sid
    stored["rank"] = str(claim.get("rank") or "normal")
    references = []
    for reference in claim.get("references") or ():
        snaks, snaks_order = _snak_groups(
            reference.get("snaks") or {}, reference.get("snaks-order")
        )
        content = {"snaks": snaks, "snaks-order": snaks_order}
        references.append({"hash": _hash_of(content), **content})
    if references:
        stored["references"] = references
    return stored


def _input_claims(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """``data.claims`` as a list (Wikibase takes a list or a map by property).

    ``data.statements`` is not read: Wikibase silently ignores that key in input.
    """
    claims = data.get("claims") or []
    if isinstance(claims, Mapping):
        claims = [c for group in claims.values() for c in group]
    if not isinstance(claims, list) or not all(isinstance(c, Mapping) for c in claims):
        raise ApiError("not-recognized-array", "claims must be a list of statements")
    return claims


def _find_statement(
    statements: Mapping[str, list[dict[str, Any]]], sid: str
) -> tuple[str, int] | None:
    for prop, group in statements.items():
        for position, statement in enumerate(group):
            if statement.get("id") == sid:
                return prop, position
    return None


def empty_mediainfo(mid: str) -> dict[str, Any]:
    """The entity a file gets on its first structured-data edit."""
    return {"type": "mediainfo", "id": mid, "labels": {}, "descriptions": {}, "statements": {}}


def public_entity(entity: Mapping[str, Any], mid: str) -> dict[str, Any]:
    """A stored mediainfo entity as the API shows it: no statements is ``[]``, not ``{}``.

    (Empty labels and descriptions are ``{}`` on a wiki that, like Commons, sets
    ``tmpSerializeEmptyListsAsObjects``; the statements map is not covered by it.)
    """
    statements = copy.deepcopy(entity.get("statements") or {})
    return {
        "type": "mediainfo",
        "id": mid,
        "labels": copy.deepcopy(entity.get("labels") or {}),
        "descriptions": copy.deepcopy(entity.get("descriptions") or {}),
        "statements": statements if statements else [],
    }


def change_entity(
    entity: Mapping[str, Any] | None, mid: str, data: Mapping[str, Any]
) -> dict[str, Any]:
    """``wbeditentity`` without ``clear``: the entity after ``data`` (the input is untouched).

    Per claim: with ``"remove"`` the statement of that GUID goes (an unknown GUID is
    ``modification-failed``); with an ``id`` of this entity the statement is replaced
    whole, in place (an unknown id of this entity is added; a GUID of another entity or
    another property for the GUID is ``modification-failed``); without one it is appended
    under ``M<n>$<UUID>``. Statements not named stay. Labels and descriptions are set per
    language (an empty value removes one).
    """
    result = copy.deepcopy(dict(entity)) if entity is not None else empty_mediainfo(mid)
    for key in ("labels", "descriptions"):
        terms = dict(result.get(key) or {})
        for lang, term in (data.get(key) or {}).items():
            value = term.get("value", "") if isinstance(term, Mapping) else ""
            if "remove" in term or not value:
                terms.pop(lang, None)
            else:
                terms[lang] = {"language": lang, "value": value}
        result[key] = terms
    statements = {p: list(g) for p, g in (result.get("statements") or {}).items()}
    for claim in _input_claims(data):
        sid = str(claim.get("id") or "")
        if sid and (sid.partition("$")[0].upper() != mid.upper() or "$" not in sid):
            raise ApiError("modification-failed", "Statement GUID invalid for given entity")
        where = _find_statement(statements, sid) if sid else None
        if "remove" in claim:
            if where is None:
                raise ApiError("modification-failed", _NO_SUCH_GUID.format(sid))
            prop, position = where
            del statements[prop][position]
            if not statements[prop]:
                del statements[prop]
            continue
        stored = _stored_statement(claim, sid or f"{mid}${str(uuid.uuid4()).upper()}")
        prop = str(stored["mainsnak"]["property"])
        if where is None:
            statements.setdefault(prop, []).append(stored)
        elif where[0] != prop:
            raise ApiError(
                "modification-failed",
                f"Claim with GUID {sid} uses property {where[0]}, can't change to {prop}",
            )
        else:
            statements[prop][where[1]] = stored
    result["statements"] = statements
    return result


def patch_onto_latest(
    base: Mapping[str, Any], ours: Mapping[str, Any], latest: Mapping[str, Any]
) -> dict[str, Any]:
    """A stale edit (``ours`` made from ``base``) applied to ``latest``, as Wikibase patches.

    Seen on the real wiki: a term or statement nobody else touched is patched in; a new
    statement is appended after the ones others added; a statement the other edit
    changed is overwritten (last writer wins); a caption both changed, a statement the
    other edit removed but this one changes, or one both changed the same way is an
    ``editconflict``; removing a statement the other edit already removed is
    ``modification-failed``.
    """
    conflict = ApiError("editconflict", CONFLICT_INFO)
    patched = copy.deepcopy(dict(latest))
    for key in ("labels", "descriptions"):
        before, after, now = base.get(key) or {}, ours.get(key) or {}, dict(patched.get(key) or {})
        for lang in set(before) | set(after):
            if before.get(lang) == after.get(lang):
                continue
            if now.get(lang) != before.get(lang):
                raise conflict
            if lang in after:
                now[lang] = after[lang]
            else:
                now.pop(lang, None)
        patched[key] = now
    then, mine = _statements_by_id(base), _statements_by_id(ours)
    statements = {p: list(g) for p, g in (patched.get("statements") or {}).items()}
    for sid in list(then) + [s for s in mine if s not in then]:
        old, new = then.get(sid), mine.get(sid)
        if _strip(old) == _strip(new):
            continue
        where = _find_statement(statements, sid)
        if new is None:  # removed by us
            if where is None:
                raise ApiError("modification-failed", _NO_SUCH_GUID.format(sid))
            del statements[where[0]][where[1]]
            if not statements[where[0]]:
                del statements[where[0]]
        elif old is None:  # added by us
            statements.setdefault(str(new["mainsnak"]["property"]), []).append(new)
        elif where is None or _strip(statements[where[0]][where[1]]) == _strip(new):
            raise conflict
        else:
            statements[where[0]][where[1]] = new
    patched["statements"] = statements
    return patched
