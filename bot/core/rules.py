"""Decision rules: a maintainer's saved filter plus a decision, as typed records (pure).

A rule decides open conflicts for a maintainer: "reason ``date_precision_differs``,
Commons has 1 January at day precision, Flickr says circa the same year → use
Flickr's value". Its predicates are a small fixed set, each a typed field of
:class:`RuleFilter` (never code or SQL from the page); :func:`parse_rule` turns form
or command-line text into one, refusing anything else. The store evaluates a filter in
SQL over the columns :func:`conflict_sides` fills (preview, counts, the first pass),
and in Python with :meth:`RuleFilter.matches` for one new conflict the job queues. Both
read the same :class:`Side` facts, so they agree.

The predicates (all but ``reason`` optional; all must hold):

``reason``             the conflict's reason code (required)
``property``           the property (``P571``)
``owner``              the Flickr owner's NSID (``12345678@N00``)
``commons_value``,     the main value of that side as text: an item id (``Q42``), a
``flickr_value``       string, a date (``1965-05-17``; ``1943-00-00`` at year
                       precision), ``lat,lon``, ``somevalue`` or ``novalue``
``commons_precision``, a date's precision: 9 year, 10 month, 11 day (0-14)
``flickr_precision``
``commons_day``,       the date falls on this day of the year, ``MM-DD`` (``01-01``: 1
``flickr_day``         January); only dates at day precision have one
``commons_circa``,     that side's date is (true) or is not (false) marked circa
``flickr_circa``       (P1480 = Q5727902)
``same_year``          both sides are dates in the same year

The Commons side is the statement the conflict would change (``statement_id``), or the
only existing statement; a conflict about several statements has no Commons side, so
no predicate on that side matches it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from typing import Any, Final

from bot.core import ids
from bot.core.errors import UsageError
from bot.core.reasons import CONFLICT_REASONS, JOB_REASONS, ONE_BY_ONE_REASONS
from bot.core.wikibase import coordinate_value, item_value, qualifiers_of, string_value, time_value

RULE_REASONS: Final = frozenset(CONFLICT_REASONS | set(JOB_REASONS))
"""The reason codes a rule may name: every code the review queue can carry."""

_PROPERTY_RE: Final = re.compile(r"^P[1-9]\d{0,8}$")
_NSID_RE: Final = re.compile(r"^\d{1,15}@N\d{2}$")
_DAY_RE: Final = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")
_TIME_TEXT_RE: Final = re.compile(r"^([+-])(\d+)-(\d\d)-(\d\d)T")
VALUE_MAX: Final = 400
NOTE_MAX: Final = 1000


class RuleInvalid(UsageError, ValueError):
    """A rule that cannot be saved as written (the message says which field and why)."""


class RuleDecision(StrEnum):
    """What a rule decides (the review queue's decision states)."""

    ACCEPT_FLICKR = "accept_flickr"
    KEEP_COMMONS = "keep_commons"
    SKIP = "skip"


class RuleState(StrEnum):
    """A rule's life: deciding; paused (decides nothing new, keeps its decisions);
    retired (decides nothing more; its decisions not yet written were withdrawn)."""

    ACTIVE = "active"
    PAUSED = "paused"
    RETIRED = "retired"


@dataclass(frozen=True, slots=True)
class Side:
    """What a rule can look at on one side of a conflict (None: that side has none)."""

    value: str | None = None
    precision: int | None = None
    year: int | None = None
    day: str | None = None  # "MM-DD", for a date at day precision
    circa: bool = False


@dataclass(frozen=True, slots=True)
class ConflictFacts:
    """A conflict as a rule sees it."""

    reason: str
    property: str
    owner: str | None
    commons: Side
    flickr: Side


def _side(statement: Mapping[str, Any] | None) -> Side:
    """The facts of one statement's main value."""
    if not statement:
        return Side()
    snak = statement.get("mainsnak") or {}
    kind = snak.get("snaktype")
    if kind in ("somevalue", "novalue"):
        return Side(value=str(kind))
    circa = any(
        item_value(s) == ids.Q_CIRCA for s in qualifiers_of(statement, ids.P_SOURCING_CIRCUMSTANCES)
    )
    when = time_value(snak)
    if when is not None:
        match = _TIME_TEXT_RE.match(str(when.get("time", "")))
        if match is None:
            return Side(circa=circa)
        sign, year, month, day = match.groups()
        precision = when.get("precision")
        precision = int(precision) if isinstance(precision, int) else None
        text = ("-" if sign == "-" else "") + f"{int(year):04d}-{month}-{day}"
        at_day = precision is not None and precision >= ids.PRECISION_DAY
        return Side(
            value=text,
            precision=precision,
            year=-int(year) if sign == "-" else int(year),
            day=f"{month}-{day}" if at_day else None,
            circa=circa,
        )
    coord = coordinate_value(snak)
    if coord is not None:
        return Side(value=f"{coord.get('latitude')},{coord.get('longitude')}", circa=circa)
    found = string_value(snak) or item_value(snak)
    if found is None:
        value = (snak.get("datavalue") or {}).get("value")
        if isinstance(value, Mapping) and "amount" in value:
            found = str(value["amount"])
    return Side(value=found[:VALUE_MAX] if found is not None else None, circa=circa)


def conflict_sides(
    existing: Sequence[Mapping[str, Any]],
    proposed: Mapping[str, Any] | None,
    statement_id: str | None,
) -> tuple[Side, Side]:
    """(Commons side, Flickr side) of a conflict: the statement it would change (or the
    only one), and the proposed statement."""
    commons: Mapping[str, Any] | None = None
    if statement_id:
        commons = next((s for s in existing if s.get("id") == statement_id), None)
    if commons is None and len(existing) == 1:
        commons = existing[0]
    return _side(commons), _side(proposed)


@dataclass(frozen=True, slots=True)
class RuleFilter:
    """The typed predicates of a rule (module docstring); every given one must hold."""

    reason: str
    property: str | None = None
    owner: str | None = None
    commons_value: str | None = None
    flickr_value: str | None = None
    commons_precision: int | None = None
    flickr_precision: int | None = None
    commons_day: str | None = None
    flickr_day: str | None = None
    commons_circa: bool | None = None
    flickr_circa: bool | None = None
    same_year: bool = False

    def matches(self, facts: ConflictFacts) -> bool:
        """Whether this conflict matches (the store's SQL says the same for its rows)."""
        if facts.reason != self.reason:
            return False
        if self.property is not None and facts.property != self.property:
            return False
        if self.owner is not None and facts.owner != self.owner:
            return False
        for side, value, precision, day, circa in (
            (
                facts.commons,
                self.commons_value,
                self.commons_precision,
                self.commons_day,
                self.commons_circa,
            ),
            (
                facts.flickr,
                self.flickr_value,
                self.flickr_precision,
                self.flickr_day,
                self.flickr_circa,
            ),
        ):
            if value is not None and side.value != value:
                return False
            if precision is not None and side.precision != precision:
                return False
            if day is not None and side.day != day:
                return False
            if circa is not None and (side.value is None or side.circa != circa):
                return False
        if self.same_year:
            c, f = facts.commons.year, facts.flickr.year
            if c is None or f is None or c != f:
                return False
        return True

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None and v is not False}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RuleFilter:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def parts(self) -> list[tuple[str, str]]:
        """(what, value) pairs in words, for pages and the command line."""
        out = [("reason", self.reason)]
        for name, label in (
            ("property", "property"),
            ("owner", "Flickr owner"),
            ("commons_value", "Commons value"),
            ("commons_precision", "Commons precision"),
            ("commons_day", "Commons day of the year"),
            ("flickr_value", "Flickr value"),
            ("flickr_precision", "Flickr precision"),
            ("flickr_day", "Flickr day of the year"),
        ):
            value = getattr(self, name)
            if value is not None:
                shown = PRECISION_WORDS.get(value, str(value)) if "precision" in name else value
                out.append((label, str(shown)))
        for name, label in (("commons_circa", "Commons"), ("flickr_circa", "Flickr")):
            value = getattr(self, name)
            if value is not None:
                out.append((label, "circa" if value else "not circa"))
        if self.same_year:
            out.append(("both dates", "in the same year"))
        return out

    def describe(self) -> str:
        return "; ".join(f"{what}: {value}" for what, value in self.parts())


PRECISION_WORDS: Final[dict[int, str]] = {
    ids.PRECISION_YEAR: "year (9)",
    ids.PRECISION_MONTH: "month (10)",
    ids.PRECISION_DAY: "day (11)",
}

DECISION_WORDS: Final[dict[str, str]] = {
    RuleDecision.ACCEPT_FLICKR: "use Flickr's value",
    RuleDecision.KEEP_COMMONS: "keep Commons' value",
    RuleDecision.SKIP: "skip for now",
}

# The form's (and the command line's) field names: every RuleFilter field, the decision.
FIELDS: Final = tuple(f.name for f in fields(RuleFilter))


def _text(raw: Mapping[str, Any], key: str, limit: int = VALUE_MAX) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    text = str(value).strip()
    if len(text) > limit:
        raise RuleInvalid(f"{key} is longer than {limit} characters")
    return text or None


def _precision(raw: Mapping[str, Any], key: str) -> int | None:
    text = _text(raw, key, 4)
    if text is None:
        return None
    if not text.isdigit() or not 0 <= int(text) <= 14:
        raise RuleInvalid(f"{key} must be a Wikibase time precision, 0 to 14 (11 is a day)")
    return int(text)


def _tristate(raw: Mapping[str, Any], key: str) -> bool | None:
    text = (_text(raw, key, 8) or "").lower()
    if text in ("", "any"):
        return None
    if text in ("1", "yes", "true", "circa"):
        return True
    if text in ("0", "no", "false", "not"):
        return False
    raise RuleInvalid(f"{key} must be yes, no or empty (either)")


def _day(raw: Mapping[str, Any], key: str) -> str | None:
    text = _text(raw, key, 5)
    if text is not None and not _DAY_RE.match(text):
        raise RuleInvalid(f"{key} must be a day of the year as MM-DD (01-01 is 1 January)")
    return text


def parse_rule(raw: Mapping[str, Any]) -> tuple[RuleFilter, RuleDecision]:
    """A rule from form or command-line text; ``RuleInvalid`` naming the first bad field.

    Refuses a reason the queue never carries, and "use Flickr's value" for reasons that
    are decided one conflict at a time (``ONE_BY_ONE_REASONS``), as bulk decisions do."""
    decision_text = _text(raw, "decision", 20)
    if decision_text not in {d.value for d in RuleDecision}:
        raise RuleInvalid("choose the decision: accept_flickr, keep_commons or skip")
    decision = RuleDecision(decision_text)
    reason = _text(raw, "reason", 100)
    if reason is None:
        raise RuleInvalid("a rule needs a reason")
    if reason not in RULE_REASONS:
        raise RuleInvalid(f"unknown reason {reason!r}")
    if decision == RuleDecision.ACCEPT_FLICKR and reason in ONE_BY_ONE_REASONS:
        raise RuleInvalid(
            f"conflicts of reason {reason} are decided one by one: a rule cannot use "
            "Flickr's value for them"
        )
    prop = _text(raw, "property", 12)
    if prop is not None:
        prop = prop.upper()
        if not _PROPERTY_RE.match(prop):
            raise RuleInvalid("property looks like P571")
    owner = _text(raw, "owner", 30)
    if owner is not None and not _NSID_RE.match(owner):
        raise RuleInvalid("owner is a Flickr NSID, like 12345678@N00")
    same_year = _tristate(raw, "same_year")
    return (
        RuleFilter(
            reason=reason,
            property=prop,
            owner=owner,
            commons_value=_text(raw, "commons_value"),
            flickr_value=_text(raw, "flickr_value"),
            commons_precision=_precision(raw, "commons_precision"),
            flickr_precision=_precision(raw, "flickr_precision"),
            commons_day=_day(raw, "commons_day"),
            flickr_day=_day(raw, "flickr_day"),
            commons_circa=_tristate(raw, "commons_circa"),
            flickr_circa=_tristate(raw, "flickr_circa"),
            same_year=bool(same_year),
        ),
        decision,
    )


def rule_actor(rule_id: int) -> str:
    """The actor a rule's decisions are recorded under in the history."""
    return f"rule #{rule_id}"
