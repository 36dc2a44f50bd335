"""Did someone else change what the bot just wrote to? (pure: plain Wikibase JSON in and out)

Wikibase does not refuse every edit with a stale ``baserevid``: when the change and the
edits made since touch different statements it *patches* the change onto the latest
revision (warning ``wikibase-conflict-patched``). New statements touch nothing, so if a
person adds an inception date between the bot's read and its write, both dates end up
on the file. The bot planned each property against what it read; if the statements of a
property it wrote are not what it planned against (plus its own), its plan for that
property no longer holds.

:func:`interference` finds those properties by comparing, per written property, the
statements the plan was made against (``planned_against``, kept in the edit journal)
with the statements on the file now, leaving out the bot's own: the ones it modified (by
id) and the ones it created (matched by content among the statements that are new since
the read). :func:`undo_claims` is the follow-up edit that takes the bot's part back out,
and nothing else: it removes the statements the bot created and restores the ones it
modified to what they were. A statement that cannot be told apart for sure is left
alone: the conflict goes to a person either way.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from bot.core.wikibase import strip_hashes

Statement = dict[str, Any]


def statements_of(entity: Mapping[str, Any] | None) -> dict[str, list[Statement]]:
    """An entity's statements by property (``statements`` or ``claims``)."""
    found = (entity or {}).get("statements")
    if found is None:
        found = (entity or {}).get("claims")
    return found if isinstance(found, dict) else {}


def _strip(value: Any) -> Any:
    """Content for comparing: no hashes, and no ``datatype`` (Wikibase drops it from snaks)."""
    return strip_hashes(value, ("hash", "datatype"))


def content_key(statement: Mapping[str, Any]) -> bytes:
    """What a statement says (value, qualifiers, references, rank), without ids or hashes."""
    return orjson.dumps(
        {
            "mainsnak": _strip(statement.get("mainsnak") or {}),
            "qualifiers": _strip(statement.get("qualifiers") or {}),
            "references": _strip(statement.get("references") or []),
            "rank": statement.get("rank") or "normal",
        },
        option=orjson.OPT_SORT_KEYS,
    )


def _full_key(statement: Mapping[str, Any]) -> bytes:
    return str(statement.get("id")).encode() + b"\0" + content_key(statement)


def _property(claim: Mapping[str, Any]) -> str:
    return str((claim.get("mainsnak") or {}).get("property") or "")


def planned_against(entity: Mapping[str, Any], claims: Sequence[Mapping[str, Any]]) -> dict:
    """The statements, per property written, that a plan was made against (for the journal)."""
    current = statements_of(entity)
    props = {_property(c) for c in claims if _property(c)}
    ids = {str(c["id"]) for c in claims if c.get("id")}
    for sid in ids:  # a removal names no property: find it by id
        for prop, group in current.items():
            if any(s.get("id") == sid for s in group):
                props.add(prop)
    return {prop: copy.deepcopy(current.get(prop, [])) for prop in sorted(props)}


@dataclass(slots=True)
class Interference:
    """One written property whose statements someone else changed meanwhile."""

    property: str
    created: list[str] = field(default_factory=list)
    """Ids of the statements the bot created on it (to remove)."""
    restore: list[Statement] = field(default_factory=list)
    """The statements the bot modified, as they were before (to put back)."""
    others: list[Statement] = field(default_factory=list)
    """What is on the file for this property apart from the bot's part, now."""
    proposed: Statement | None = None
    """What the bot meant to write for this property (the first claim)."""
    statement_id: str | None = None
    """The statement that proposal would change, when it changed one."""
    uncertain: bool = False
    """Some of the bot's statements could not be told from others': left alone."""


def interference(
    planned: Mapping[str, Sequence[Mapping[str, Any]]],
    claims: Sequence[Mapping[str, Any]],
    entity: Mapping[str, Any],
    *,
    landed: bool = True,
) -> list[Interference]:
    """The written properties whose other statements are no longer what was planned against.

    ``planned``: statements per property as read before the edit; ``claims``: what the
    edit sent; ``entity``: the file now. ``landed``: the edit is known to have landed
    (its answer came back). Then, when exactly as many statements are new on a property
    as the edit created there, they are all the bot's even if Commons normalised their
    values. Otherwise (a journal entry of unknown outcome) only statements matching the
    claims' content count as the bot's, and a property where none of the bot's is found
    is left alone: the edit did not land there.
    """
    current = statements_of(entity)
    by_prop: dict[str, list[Mapping[str, Any]]] = {}
    for claim in claims:
        prop = _property(claim)
        if not prop and claim.get("id"):
            prop = next(
                (p for p, g in planned.items() if any(s.get("id") == claim["id"] for s in g)),
                "",
            )
        if prop:
            by_prop.setdefault(prop, []).append(claim)
    found: list[Interference] = []
    for prop, sent in by_prop.items():
        base = list(planned.get(prop, ()))
        base_ids = {str(s.get("id")) for s in base}
        modified = {str(c["id"]) for c in sent if c.get("id")}
        new_claims = [c for c in sent if not c.get("id")]
        now = list(current.get(prop, ()))
        added = [s for s in now if str(s.get("id")) not in base_ids]
        created, unmatched = _match(new_claims, added)
        if landed and unmatched and len(added) == len(new_claims):
            created = [str(s.get("id")) for s in added]  # nobody else added: all ours
            unmatched = 0
        by_id = {str(s.get("id")): s for s in now}
        ours_modified = [
            c
            for c in sent
            if c.get("id")
            and str(c["id"]) in by_id
            and content_key(by_id[str(c["id"])]) == content_key(c)
        ]
        if not landed and not created and not ours_modified:
            continue
        others_added = [s for s in added if str(s.get("id")) not in created]
        kept_then = sorted(_full_key(s) for s in base if str(s.get("id")) not in modified)
        kept_now = sorted(
            _full_key(s)
            for s in now
            if str(s.get("id")) in base_ids and str(s.get("id")) not in modified
        )
        if not others_added and kept_then == kept_now:
            continue
        # a stale edit that touches a statement someone else touched is refused, so
        # after a landed edit every statement it modified is still the bot's version
        ours_ids = (modified & set(by_id)) if landed else {str(c["id"]) for c in ours_modified}
        restore: list[Statement] = [
            copy.deepcopy(dict(s)) for s in base if str(s.get("id")) in ours_ids
        ]
        ours = set(created) | {str(s.get("id")) for s in restore}
        proposal = next(iter(sent), None)
        found.append(
            Interference(
                property=prop,
                created=created,
                restore=restore,
                others=[copy.deepcopy(s) for s in now if str(s.get("id")) not in ours],
                proposed=copy.deepcopy(dict(proposal)) if proposal is not None else None,
                statement_id=str(proposal["id"]) if proposal and proposal.get("id") else None,
                uncertain=bool(unmatched),
            )
        )
    return found


def _match(
    claims: Sequence[Mapping[str, Any]], candidates: Sequence[Mapping[str, Any]]
) -> tuple[list[str], int]:
    """Ids of the candidates that are these claims (by content, each used once); misses.

    The last match wins: Wikibase appends a patched edit's new statements after the ones
    added meanwhile, so of two equal statements the later one is the bot's.
    """
    pool = [(content_key(s), str(s.get("id"))) for s in candidates]
    ids: list[str] = []
    misses = 0
    for claim in claims:
        key = content_key(claim)
        hit = next((i for i in reversed(range(len(pool))) if pool[i][0] == key), None)
        if hit is None:
            misses += 1
            continue
        ids.append(pool.pop(hit)[1])
    return ids, misses


def undo_claims(found: Sequence[Interference]) -> list[Statement]:
    """The ``wbeditentity`` claims that take the bot's part of these properties back out."""
    claims: list[Statement] = [{"id": sid, "remove": ""} for f in found for sid in f.created]
    claims += [copy.deepcopy(s) for f in found for s in f.restore]
    return claims


def claims_present(entity: Mapping[str, Any], claims: Sequence[Mapping[str, Any]]) -> bool:
    """Whether the file holds what these claims say (a statement with that id and
    content, or for a claim without id one with that content): the edit's aim is met."""
    current = statements_of(entity)
    for claim in claims:
        if "remove" in claim:
            if any(s.get("id") == claim.get("id") for g in current.values() for s in g):
                return False
            continue
        group = current.get(_property(claim), [])
        key = content_key(claim)
        if claim.get("id"):
            if not any(s.get("id") == claim["id"] and content_key(s) == key for s in group):
                return False
        elif not any(content_key(s) == key for s in group):
            return False
    return True


__all__ = [
    "Interference",
    "claims_present",
    "content_key",
    "interference",
    "planned_against",
    "statements_of",
    "undo_claims",
]
