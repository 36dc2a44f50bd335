"""Reconciliation: compare the statements the bot wants with what the file already has.

``plan`` is pure: one ``Action`` per wanted statement, and at most one ``wbeditentity``
payload for everything that can be written safely. The rules, most important first:

- Nothing on the file is ever removed, and outside ``replace`` no existing qualifier,
  reference or rank is changed: extending a statement resends it whole, with only our
  missing qualifiers appended.
- Equivalence is semantic (Flickr URLs through ``bot.core.flickr_urls``, dates at their
  precision and circa-ness, coordinates within the coarser precision, items by id), so
  a file described slightly differently from how the bot would write it is left alone.
- Anything the bot cannot prove to be the same fact, or a known placeholder for it,
  is a conflict for a person, with a stable reason code from ``REASONS``.
- If the file's Flickr photo id is in doubt (several ids, or a different one), nothing
  at all is written for it: every other change becomes a ``blocked_by_photo_id_conflict``.
- Deprecated statements are never touched: one equivalent to ours means the value was
  judged wrong, so it is not added again; any other deprecated statement is ignored.

Decisions worth knowing:

- A creator with our account's P3267 (NSID, or the path alias some editors put there)
  is ``unchanged`` whatever else it says; the bot does not add names or URLs to it.
- A creator without P3267 is extended (``add_qualifiers``) only when it positively names
  this Flickr account and nothing else: an author name (P2093) that is the account's
  real name, username, path alias or NSID, or a P2699 profile URL of this user, with
  every other qualifier one of those or neutral (P3831 role, P1545 ordinal). A bare
  "unknown value", a Wikimedia username (P4174), another name or URL, or any qualifier
  the bot does not know is ``creator_differs``: attaching our account to it could
  declare someone else's work to be this Flickr user's.
- Extending beats replacing: a creator whose only qualifier is exactly our author
  name gets our P3267 and P2699 added; a placeholder name that differs from ours
  (``null``, alias, username, real name in another spelling, NSID, ``Flickr user X``,
  any case and spacing) is replaced. When we have no author name of our own (a gone
  photo of an owner without names) a placeholder that names the account is extended,
  so its name is not lost.
- P7482 (source of file): a "file available on the internet" statement whose
  qualifiers agree with ours is unchanged or extended (a missing P973 URL or P137
  operator added). One with another URL, another Flickr page or a page elsewhere, is
  ``source_url_differs``; with another operator ``source_operator_differs``. The bot
  never adds a second source next to a source that is not ours; a source off Flickr
  does not stop it from extending one of ours on the same file, though.
- P1433 (published in) naming another publication is another fact, not a conflict: a
  photo can have been printed in a magazine and posted on Flickr, and both statements
  are true side by side, so ours (Flickr, with the posting day) is added.
- Circa is part of an inception's value (P1480 = circa), not an extra qualifier.
- Several statements that could each be extended or replaced are a conflict
  (``multiple_candidate_statements``) rather than a guess.

``apply_edit`` is the other half: what Commons stores after ``wbeditentity`` with a
payload (:mod:`bot.core.wbeditentity`, re-exported here), used by the property tests
(planning again after applying gives no edit) and checked against a real Wikibase by
``tests/adapters/test_commons_conformance.py``.
"""

from __future__ import annotations

import builtins
import functools
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any, Final

from bot.core import ids
from bot.core.flickr_photo import FlickrOwner
from bot.core.flickr_urls import (
    FlickrUrlError,
    NotAFlickrUrl,
    parse_flickr_url,
    same_flickr_photo_url,
)
from bot.core.wbeditentity import apply_edit as apply_edit  # re-exported: callers import it here
from bot.core.wbeditentity import new_statement_id as new_statement_id
from bot.core.wikibase import (
    RANK_DEPRECATED,
    Snak,
    Statement,
    compare_times,
    coordinate_value,
    coordinates_equivalent,
    is_value,
    item_value,
    qualifier_order,
    qualifiers_of,
    rank_of,
    snak_key,
    snaks_equivalent,
    statements_for,
    statements_of,
    string_value,
    strip_hashes,
    time_value,
)


class ActionKind(StrEnum):
    """What the plan does with one wanted statement."""

    ADD = "add"
    UNCHANGED = "unchanged"
    ADD_QUALIFIERS = "add_qualifiers"
    REPLACE = "replace"
    CONFLICT = "conflict"


# Which reason a disagreeing qualifier gives, per (statement property, qualifier property).
_QUALIFIER_REASONS: Final[Mapping[tuple[str, str], str]] = {
    (ids.P_SOURCE_OF_FILE, ids.P_DESCRIBED_AT_URL): "source_url_differs",
    (ids.P_SOURCE_OF_FILE, ids.P_OPERATOR): "source_operator_differs",
    (ids.P_PUBLISHED_IN, ids.P_PUBLICATION_DATE): "publication_date_differs",
    (ids.P_CREATOR, ids.P_AUTHOR_NAME_STRING): "creator_differs",
    (ids.P_CREATOR, ids.P_URL): "creator_differs",
    (ids.P_CREATOR, ids.P_FLICKR_USER_ID): "creator_differs",
}


# --- the plan ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Action:
    """The decision for one wanted statement.

    ``existing`` is every statement of the property on the file (the review page shows
    them all); ``statement_id`` the one acted on or compared, when there is exactly one;
    ``proposed`` the statement as it would be sent (with its id for ``add_qualifiers``
    and ``replace``), or for ``unchanged``/``conflict`` the statement the bot wanted.
    """

    property: str
    action: ActionKind
    reason: str
    statement_id: str | None
    existing: tuple[Statement, ...]
    proposed: Statement | None

    @builtins.property  # the field ``property`` shadows the builtin in this class body
    def writes(self) -> bool:
        """True for actions that put a claim in the edit."""
        return self.action in (ActionKind.ADD, ActionKind.ADD_QUALIFIERS, ActionKind.REPLACE)

    def to_json(self) -> dict[str, Any]:
        """The action as the plan JSON shows it."""
        return {
            "property": self.property,
            "action": str(self.action),
            "reason": self.reason,
            "statement_id": self.statement_id,
            "existing": list(self.existing),
            "proposed": self.proposed,
        }


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything the bot would do to one file, against revision ``base_revid``."""

    mid: str | None
    base_revid: int | None
    flickr_photo_id: str | None
    actions: tuple[Action, ...]
    licence: Mapping[str, Any] | None = None

    @property
    def conflicts(self) -> list[Action]:
        """The actions a person has to look at."""
        return [a for a in self.actions if a.action is ActionKind.CONFLICT]

    @property
    def edit(self) -> dict[str, Any] | None:
        """The one ``wbeditentity`` payload (``{"claims": [...]}``), or None if nothing to write."""
        claims = [a.proposed for a in self.actions if a.writes and a.proposed is not None]
        return {"claims": claims} if claims else None

    @property
    def changed_properties(self) -> list[str]:
        """Properties the edit adds to or changes, in plan order, each once."""
        seen: dict[str, None] = {}
        for a in self.actions:
            if a.writes:
                seen.setdefault(a.property, None)
        return list(seen)

    def to_json(self) -> dict[str, Any]:
        """``{"mid", "flickr_photo_id", "actions", "edit"}`` (+ ``"licence"`` when there is one)."""
        out: dict[str, Any] = {
            "mid": self.mid,
            "flickr_photo_id": self.flickr_photo_id,
            "actions": [a.to_json() for a in self.actions],
            "edit": self.edit,
        }
        if self.licence is not None:
            out["licence"] = dict(self.licence)
        return out


# --- Flickr-aware comparisons -------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _is_flickr_url(text: str) -> bool:
    """Whether the text is on a Flickr domain (recognised or not)."""
    try:
        parse_flickr_url(text)
    except NotAFlickrUrl:
        return False
    except FlickrUrlError:
        return True
    return True


@functools.lru_cache(maxsize=4096)
def _same_photo_url(a: str, b: str) -> bool:
    """Whether two texts are URLs of the same Flickr photo."""
    try:
        return bool(same_flickr_photo_url(a, b))
    except FlickrUrlError:
        return False


@functools.lru_cache(maxsize=4096)
def _url_user(text: str) -> str | None:
    """The user (NSID or path alias, casefolded) a Flickr user/profile URL names."""
    try:
        parsed = parse_flickr_url(text)
    except FlickrUrlError:
        return None
    if parsed.type != "user" or not parsed.user:
        return None
    return parsed.user.casefold()


def clear_caches() -> None:
    """Forget parsed URLs (they are cached per process): for benchmarks, and tests."""
    _is_flickr_url.cache_clear()
    _same_photo_url.cache_clear()
    _url_user.cache_clear()


def _norm_name(text: str) -> str:
    """Case- and whitespace-insensitive form of a name, for placeholder matching."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True, slots=True)
class _Owner:
    """What the plan knows about the photo's owner, for creator matching."""

    nsid: str | None = None
    identifiers: frozenset[str] = frozenset()  # casefolded NSID and path alias
    names: frozenset[str] = frozenset()  # normalised names that identify the account
    placeholders: frozenset[str] = frozenset()  # ``names`` and "null"


def _owner_context(wanted: Sequence[Statement], owner: FlickrOwner | None) -> _Owner:
    """Owner facts from ``owner`` if given, plus what the wanted creator statement says
    (its P3267 NSID, P2093 name and the user in its P2699 profile URL)."""
    nsid = owner.nsid if owner is not None else None
    identifiers: set[str] = set()
    names: list[str] = []
    if owner is not None:
        names += [n for n in (owner.path_alias, owner.username, owner.realname) if n]
        if owner.path_alias:
            identifiers.add(owner.path_alias.casefold())
    for statement in wanted:
        if statement["mainsnak"]["property"] != ids.P_CREATOR:
            continue
        for snak in qualifiers_of(statement, ids.P_FLICKR_USER_ID):
            nsid = nsid or string_value(snak)
        for snak in qualifiers_of(statement, ids.P_AUTHOR_NAME_STRING):
            if (name := string_value(snak)) is not None:
                names.append(name)
        for snak in qualifiers_of(statement, ids.P_URL):
            if (text := string_value(snak)) is not None and (user := _url_user(text)):
                names.append(user)
                identifiers.add(user)
    if nsid:
        names.append(nsid)
        identifiers.add(nsid.casefold())
    normalised = {_norm_name(n) for n in names if n.strip()}
    naming = normalised | {f"flickr user {n}" for n in normalised}
    return _Owner(
        nsid=nsid,
        identifiers=frozenset(identifiers),
        names=frozenset(naming),
        placeholders=frozenset(naming | {"null"}),
    )


def _qualifier_equivalent(qualifier: str, theirs: Snak, ours: Snak, owner: _Owner) -> bool:
    """Semantic equality of one existing qualifier snak with one of ours."""
    if qualifier in (ids.P_DESCRIBED_AT_URL, ids.P_URL):
        a, b = string_value(theirs), string_value(ours)
        if a is None or b is None:
            return snaks_equivalent(theirs, ours)
        if a.strip() == b.strip():
            return True
        if qualifier == ids.P_DESCRIBED_AT_URL:
            return _same_photo_url(a.strip(), b.strip())
        user = _url_user(a.strip())
        return (
            user is not None
            and user in owner.identifiers
            and _url_user(b.strip()) in owner.identifiers
        )
    if qualifier == ids.P_FLICKR_USER_ID:
        a, b = string_value(theirs), string_value(ours)
        return a is not None and b is not None and a.strip().casefold() == b.strip().casefold()
    return snaks_equivalent(theirs, ours)


# --- per-statement verdicts ---------------------------------------------------------


class _Kind(Enum):
    EQUIVALENT = 1
    DIFFERENT = 2
    EXTENDABLE = 3
    PLACEHOLDER = 4
    UNRELATED = 5
    OTHER = 6  # another statement of the same kind: blocks adding ours, not extending ours


@dataclass(frozen=True, slots=True)
class _Verdict:
    kind: _Kind
    reason: str
    missing: tuple[Snak, ...] = ()


_UNRELATED: Final = _Verdict(_Kind.UNRELATED, "")
_PLACEHOLDER: Final = _Verdict(_Kind.PLACEHOLDER, "placeholder_creator")


def _compare_qualifiers(
    existing: Statement,
    wanted: Statement,
    owner: _Owner,
    skip: Collection[str] = (),
) -> _Verdict:
    """Same main value assumed: equivalent if all our qualifiers are there (extras are
    fine), extendable if the missing ones can be added to qualifiers that all agree."""
    prop = wanted["mainsnak"]["property"]
    missing: list[Snak] = []
    disagreeing: str | None = None
    for qualifier in qualifier_order(wanted):
        if qualifier in skip:
            continue
        ours = qualifiers_of(wanted, qualifier)
        theirs = qualifiers_of(existing, qualifier)
        if disagreeing is None and any(
            not any(_qualifier_equivalent(qualifier, t, o, owner) for o in ours) for t in theirs
        ):
            disagreeing = qualifier
        missing.extend(
            o
            for o in ours
            if not any(_qualifier_equivalent(qualifier, t, o, owner) for t in theirs)
        )
    if not missing:
        return _Verdict(_Kind.EQUIVALENT, "equivalent")
    if disagreeing is not None:
        return _Verdict(
            _Kind.DIFFERENT, _QUALIFIER_REASONS.get((prop, disagreeing), "qualifiers_differ")
        )
    return _Verdict(_Kind.EXTENDABLE, "missing_qualifiers", tuple(missing))


def _verdict_default(
    existing: Statement, wanted: Statement, owner: _Owner, lookups: Mapping[str, Collection[str]]
) -> _Verdict:
    """Same main value (semantically) → qualifiers decide; else a different value."""
    theirs, ours = existing["mainsnak"], wanted["mainsnak"]
    if is_value(ours) and not is_value(theirs):
        return _Verdict(_Kind.DIFFERENT, "existing_not_a_value")
    if not snaks_equivalent(theirs, ours):
        specific = {
            ids.P_FLICKR_PHOTO_ID: "photo_id_differs",
            ids.P_BHL_PAGE_ID: "bhl_page_differs",
        }
        return _Verdict(_Kind.DIFFERENT, specific.get(ours["property"], "value_differs"))
    return _compare_qualifiers(existing, wanted, owner)


def _verdict_creator(
    existing: Statement, wanted: Statement, owner: _Owner, lookups: Mapping[str, Collection[str]]
) -> _Verdict:
    """Creators match by Flickr account: P3267 on a somevalue, or a Wikidata item's P3267."""
    theirs = existing["mainsnak"]
    qid = item_value(theirs)
    if qid is not None:
        if qid not in lookups:
            return _Verdict(_Kind.DIFFERENT, "creator_item_unverified")
        values = {str(v).strip().casefold() for v in lookups[qid]}
        if values & owner.identifiers:
            return _Verdict(_Kind.EQUIVALENT, "creator_item_matches")
        return _Verdict(_Kind.DIFFERENT, "creator_item_differs")
    if theirs.get("snaktype") != "somevalue" or wanted["mainsnak"].get("snaktype") != "somevalue":
        return _Verdict(_Kind.DIFFERENT, "creator_differs")
    user_ids = [string_value(s) for s in qualifiers_of(existing, ids.P_FLICKR_USER_ID)]
    if user_ids:
        if any(u is not None and u.strip().casefold() in owner.identifiers for u in user_ids):
            return _Verdict(_Kind.EQUIVALENT, "same_flickr_user")
        return _Verdict(_Kind.DIFFERENT, "creator_differs")
    if _is_placeholder(existing, owner):
        return _verdict_placeholder(existing, wanted, owner)
    if not _names_this_account(existing, owner):
        return _Verdict(_Kind.DIFFERENT, "creator_differs")
    present = set(qualifier_order(existing))
    missing = tuple(o for o in qualifiers_of(wanted) if o["property"] not in present)
    return _Verdict(_Kind.EXTENDABLE, "missing_qualifiers", missing)


# Creator qualifiers that say something about the creation, not about who the creator
# is: they neither identify the account nor contradict it.
_NEUTRAL_CREATOR_QUALIFIERS: Final = frozenset({ids.P_OBJECT_HAS_ROLE, ids.P_SERIES_ORDINAL})


def _names_this_account(existing: Statement, owner: _Owner) -> bool:
    """Whether a creator without P3267 positively names this Flickr account and nothing
    else: at least one author name (P2093) that is one of the account's names or a
    profile URL (P2699) of this user, and every other qualifier either such a name or
    URL or a neutral one (role, ordinal). Anything else (a Wikimedia username, another
    name or URL, a qualifier the bot does not know) may be someone else."""
    identified = False
    for snak in qualifiers_of(existing):
        prop = snak.get("property")
        if prop in _NEUTRAL_CREATOR_QUALIFIERS:
            continue
        text = string_value(snak)
        if text is None:
            return False
        names_us = (prop == ids.P_AUTHOR_NAME_STRING and _norm_name(text) in owner.names) or (
            prop == ids.P_URL and _url_user(text.strip()) in owner.identifiers
        )
        if not names_us:
            return False
        identified = True
    return identified


def _verdict_placeholder(existing: Statement, wanted: Statement, owner: _Owner) -> _Verdict:
    """A creator whose only qualifier is a placeholder author name.

    Exactly our own P2093 is extended (nothing of theirs is lost). Another placeholder
    is replaced by our statement, except when we have no author name of our own (a gone
    photo whose owner's names are unknown) and the placeholder names the account: then
    replacing would lose the only readable name, so it is extended instead.
    """
    (name_snak,) = qualifiers_of(existing)
    ours = qualifiers_of(wanted, ids.P_AUTHOR_NAME_STRING)
    name = _norm_name(string_value(name_snak) or "")
    if any(_qualifier_equivalent(ids.P_AUTHOR_NAME_STRING, name_snak, o, owner) for o in ours) or (
        not ours and name in owner.names
    ):
        missing = tuple(
            o for o in qualifiers_of(wanted) if o["property"] != ids.P_AUTHOR_NAME_STRING
        )
        return _Verdict(_Kind.EXTENDABLE, "missing_qualifiers", missing)
    return _PLACEHOLDER


def _is_placeholder(existing: Statement, owner: _Owner) -> bool:
    """Only qualifier a single author name that just repeats the account's name, or "null"."""
    all_qualifiers = qualifiers_of(existing)
    if len(all_qualifiers) != 1 or all_qualifiers[0].get("property") != ids.P_AUTHOR_NAME_STRING:
        return False
    name = string_value(all_qualifiers[0])
    return name is not None and _norm_name(name) in owner.placeholders


def _verdict_source(
    existing: Statement, wanted: Statement, owner: _Owner, lookups: Mapping[str, Collection[str]]
) -> _Verdict:
    """P7482: another source, or the same kind of source at another URL (Flickr or not),
    differs; one that names our photo page among its URLs is compared qualifier by
    qualifier."""
    theirs = existing["mainsnak"]
    if not is_value(theirs):
        return _Verdict(_Kind.DIFFERENT, "existing_not_a_value")
    if item_value(theirs) != item_value(wanted["mainsnak"]):
        return _Verdict(_Kind.DIFFERENT, "source_differs")
    urls = [string_value(s) or "" for s in qualifiers_of(existing, ids.P_DESCRIBED_AT_URL)]
    operators = [item_value(s) for s in qualifiers_of(existing, ids.P_OPERATOR)]
    if urls and not any(_is_flickr_url(u.strip()) for u in urls) and ids.Q_FLICKR not in operators:
        return _Verdict(_Kind.OTHER, "source_url_differs")
    return _compare_qualifiers(existing, wanted, owner)


def _is_circa(statement: Statement) -> bool:
    return any(
        item_value(s) == ids.Q_CIRCA for s in qualifiers_of(statement, ids.P_SOURCING_CIRCUMSTANCES)
    )


def _verdict_inception(
    existing: Statement, wanted: Statement, owner: _Owner, lookups: Mapping[str, Collection[str]]
) -> _Verdict:
    """P571: date, precision and circa-ness all have to agree; circa is part of the value."""
    theirs, ours = time_value(existing["mainsnak"]), time_value(wanted["mainsnak"])
    if ours is None:
        return _verdict_default(existing, wanted, owner, lookups)
    if theirs is None:
        return _Verdict(_Kind.DIFFERENT, "existing_not_a_value")
    relation = compare_times(theirs, ours)
    if relation != "same":
        return _Verdict(
            _Kind.DIFFERENT, f"date_{relation}_differs" if relation != "date" else "date_differs"
        )
    if _is_circa(existing) != _is_circa(wanted):
        return _Verdict(_Kind.DIFFERENT, "date_circa_differs")
    return _compare_qualifiers(existing, wanted, owner, skip=(ids.P_SOURCING_CIRCUMSTANCES,))


def _verdict_coordinates(
    existing: Statement, wanted: Statement, owner: _Owner, lookups: Mapping[str, Collection[str]]
) -> _Verdict:
    """P1259: equal within the coarser precision."""
    theirs, ours = coordinate_value(existing["mainsnak"]), coordinate_value(wanted["mainsnak"])
    if ours is None:
        return _verdict_default(existing, wanted, owner, lookups)
    if theirs is None:
        return _Verdict(_Kind.DIFFERENT, "existing_not_a_value")
    if not coordinates_equivalent(theirs, ours):
        return _Verdict(_Kind.DIFFERENT, "coordinates_differ")
    return _compare_qualifiers(existing, wanted, owner)


def _verdict_published_in(
    existing: Statement, wanted: Statement, owner: _Owner, lookups: Mapping[str, Collection[str]]
) -> _Verdict:
    """P1433: publication in something other than Flickr is another fact, not a conflict."""
    theirs = existing["mainsnak"]
    if not is_value(theirs):
        return _Verdict(_Kind.DIFFERENT, "existing_not_a_value")
    if item_value(theirs) != item_value(wanted["mainsnak"]):
        return _UNRELATED
    return _compare_qualifiers(existing, wanted, owner)


_Judge = Callable[[Statement, Statement, _Owner, Mapping[str, Collection[str]]], _Verdict]

_VERDICTS: Final[Mapping[str, _Judge]] = {
    ids.P_CREATOR: _verdict_creator,
    ids.P_SOURCE_OF_FILE: _verdict_source,
    ids.P_INCEPTION: _verdict_inception,
    ids.P_COORDINATES_OF_POV: _verdict_coordinates,
    ids.P_PUBLISHED_IN: _verdict_published_in,
}


def _verdict(
    existing: Statement, wanted: Statement, owner: _Owner, lookups: Mapping[str, Collection[str]]
) -> _Verdict:
    """Judge one existing statement against the wanted one; deprecated ones only block re-adding."""
    judge = _VERDICTS.get(wanted["mainsnak"]["property"], _verdict_default)
    verdict = judge(existing, wanted, owner, lookups)
    if rank_of(existing) == RANK_DEPRECATED:
        if verdict.kind is _Kind.EQUIVALENT:
            return _Verdict(_Kind.EQUIVALENT, "deprecated_equivalent")
        return _UNRELATED
    return verdict


# --- building the claims -------------------------------------------------------------


def _extended(existing: Statement, missing: Sequence[Snak]) -> Statement:
    """The existing statement resent whole, with ``missing`` appended to its qualifiers."""
    qualifiers = {p: list(snaks) for p, snaks in (existing.get("qualifiers") or {}).items()}
    order = qualifier_order(existing)
    for snak in missing:
        prop = snak["property"]
        qualifiers.setdefault(prop, []).append(strip_hashes(snak))
        if prop not in order:
            order.append(prop)
    claim = dict(existing)
    claim["qualifiers"] = {p: qualifiers[p] for p in order}
    claim["qualifiers-order"] = order
    return claim


def _replaced(existing: Statement, wanted: Statement) -> Statement:
    """Our content under the existing statement's id, rank and references."""
    claim: Statement = {"mainsnak": wanted["mainsnak"], "type": "statement"}
    if wanted.get("qualifiers"):
        claim["qualifiers"] = wanted["qualifiers"]
        claim["qualifiers-order"] = qualifier_order(wanted)
    claim["id"] = existing["id"]
    claim["rank"] = rank_of(existing)
    if existing.get("references"):
        claim["references"] = existing["references"]
    return claim


def _decide(
    wanted: Statement,
    existing: Sequence[Statement],
    owner: _Owner,
    lookups: Mapping[str, Collection[str]],
) -> Action:
    """Combine the verdicts on every existing statement of the property into one action."""
    prop = wanted["mainsnak"]["property"]
    judged = [(s, _verdict(s, wanted, owner, lookups)) for s in existing]
    everything = tuple(existing)

    def of(kind: _Kind) -> list[tuple[Statement, _Verdict]]:
        return [(s, v) for s, v in judged if v.kind is kind]

    if equivalent := of(_Kind.EQUIVALENT):
        statement, verdict = equivalent[0]
        return Action(
            prop, ActionKind.UNCHANGED, verdict.reason, statement.get("id"), everything, wanted
        )
    if different := of(_Kind.DIFFERENT):
        only = different[0][0].get("id") if len(different) == 1 else None
        return Action(prop, ActionKind.CONFLICT, different[0][1].reason, only, everything, wanted)
    candidates = of(_Kind.EXTENDABLE) + of(_Kind.PLACEHOLDER)
    if len(candidates) > 1:
        return Action(
            prop, ActionKind.CONFLICT, "multiple_candidate_statements", None, everything, wanted
        )
    if candidates:
        statement, verdict = candidates[0]
        if verdict.kind is _Kind.EXTENDABLE:
            claim = _extended(statement, verdict.missing)
            return Action(
                prop, ActionKind.ADD_QUALIFIERS, verdict.reason, statement["id"], everything, claim
            )
        claim = _replaced(statement, wanted)
        return Action(prop, ActionKind.REPLACE, verdict.reason, statement["id"], everything, claim)
    if other := of(_Kind.OTHER):
        only = other[0][0].get("id") if len(other) == 1 else None
        return Action(prop, ActionKind.CONFLICT, other[0][1].reason, only, everything, wanted)
    return Action(prop, ActionKind.ADD, "absent", None, everything, wanted)


def photo_ids_on_file(entity: Mapping[str, Any]) -> set[str]:
    """The Flickr photo ids the file states: P12120 values, deprecated ones aside."""
    return {
        (string_value(s["mainsnak"]) or "").strip()
        for s in statements_for(entity, ids.P_FLICKR_PHOTO_ID)
        if rank_of(s) != RANK_DEPRECATED and is_value(s["mainsnak"])
    }


def _photo_id_problem(
    wanted_id: str | None, existing: Sequence[Statement], evidence: Collection[str]
) -> tuple[str, str | None] | None:
    """(reason, statement id) when the file's photo id is in doubt, else None."""
    evidence_ids = {str(e).strip() for e in evidence if str(e).strip()}
    if len(evidence_ids) > 1:
        return "multiple_photo_ids", None
    if evidence_ids and wanted_id is not None and wanted_id not in evidence_ids:
        return "photo_id_differs", None
    live = [s for s in existing if rank_of(s) != RANK_DEPRECATED and is_value(s["mainsnak"])]
    values = {(string_value(s["mainsnak"]) or "").strip() for s in live}
    if len(values) > 1:
        return "multiple_photo_ids", None
    if values and wanted_id is not None and wanted_id not in values:
        return "photo_id_differs", live[0].get("id") if len(live) == 1 else None
    return None


def plan(
    entity: Mapping[str, Any],
    wanted: Sequence[Statement],
    *,
    evidence_photo_ids: Collection[str] = (),
    wikidata_flickr_ids: Mapping[str, Collection[str]] | None = None,
    owner: FlickrOwner | None = None,
    licence: Mapping[str, Any] | None = None,
) -> Plan:
    """Decide, for each wanted statement, what to do with the file ``entity``.

    ``entity`` is a mediainfo entity as ``wbgetentities`` or the dumps give it (``missing``
    means no structured data yet). ``evidence_photo_ids`` are the Flickr photo ids the
    file's wikitext and metadata cite; ``wikidata_flickr_ids`` maps the creator items
    from ``creator_items_to_look_up`` to their P3267 values. ``owner`` (optional) gives
    the account's username and path alias for recognising placeholder creators; without
    it they are taken from the wanted creator statement. ``licence`` is passed through
    to the plan as information (see ``bot.core.claims.licence_info``).
    """
    lookups: Mapping[str, Collection[str]] = wikidata_flickr_ids or {}
    context = _owner_context(wanted, owner)
    actions: list[Action] = []
    photo_id: str | None = None
    for statement in wanted:
        prop = statement["mainsnak"]["property"]
        existing = statements_for(entity, prop)
        if prop == ids.P_FLICKR_PHOTO_ID:
            photo_id = string_value(statement["mainsnak"])
            problem = _photo_id_problem(photo_id, existing, evidence_photo_ids)
            if problem is not None:
                reason, sid = problem
                actions.append(
                    Action(prop, ActionKind.CONFLICT, reason, sid, tuple(existing), statement)
                )
                continue
        actions.append(_not_twice(_decide(statement, existing, context, lookups)))
    if any(
        a.property == ids.P_FLICKR_PHOTO_ID and a.action is ActionKind.CONFLICT for a in actions
    ):
        actions = [_blocked(a) if a.writes else a for a in actions]
    mid = entity.get("id")
    revid = entity.get("lastrevid")
    return Plan(
        mid=str(mid) if mid is not None else None,
        base_revid=int(revid) if revid is not None else None,
        flickr_photo_id=photo_id,
        actions=tuple(actions),
        licence=licence,
    )


def _not_twice(action: Action) -> Action:
    """An add of a statement the file already holds, identical, is no change at all."""
    if action.action is not ActionKind.ADD or action.proposed is None:
        return action
    same = [s for s in action.existing if same_statement(s, action.proposed)]
    if not same:
        return action
    return Action(
        action.property,
        ActionKind.UNCHANGED,
        "equivalent",
        same[0].get("id"),
        action.existing,
        action.proposed,
    )


def _blocked(action: Action) -> Action:
    """A write turned into a conflict because the photo id is in doubt."""
    return Action(
        action.property,
        ActionKind.CONFLICT,
        "blocked_by_photo_id_conflict",
        action.statement_id,
        action.existing,
        action.proposed,
    )


def creator_items_to_look_up(entity: Mapping[str, Any]) -> set[str]:
    """Wikidata items named as creator: the caller fetches their P3267 (and caches them)."""
    found: set[str] = set()
    for statement in statements_for(entity, ids.P_CREATOR):
        qid = item_value(statement["mainsnak"])
        if qid is not None:
            found.add(qid)
    return found


# --- never the same statement twice ----------------------------------------------------


def statement_identity(statement: Mapping[str, Any]) -> tuple[str, str, tuple[str, ...]]:
    """What makes two statements the same: property, main value and qualifiers, by content
    (hashes, ids, rank, references and the order of qualifiers aside)."""
    mainsnak = statement.get("mainsnak") or {}
    qualifiers = statement.get("qualifiers") or {}
    return (
        str(mainsnak.get("property")),
        snak_key(mainsnak),
        tuple(sorted(snak_key(q) for group in qualifiers.values() for q in group)),
    )


def same_statement(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Same property, value and qualifiers."""
    return statement_identity(a) == statement_identity(b)


def without_duplicates(
    entity: Mapping[str, Any], claims: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The claims minus every new statement the file already holds, identical (or that an
    earlier claim of the same edit adds).

    Wikibase appends a claim without an id whatever is there, so an edit built from stale
    facts (a decision, a resent intent) would add the same statement again. Claims with
    an id change that statement in place and are kept; so are removals.
    """
    seen = {statement_identity(s) for group in statements_of(entity).values() for s in group}
    kept: list[dict[str, Any]] = []
    for claim in claims:
        if not claim.get("id") and "remove" not in claim:
            identity = statement_identity(claim)
            if identity in seen:
                continue
            seen.add(identity)
        kept.append(dict(claim))
    return kept
