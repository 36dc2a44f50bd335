"""Small pure helpers for Wikibase JSON (snaks, statements, entities).

Statements are kept as the plain dicts the API speaks (``wbgetentities`` output,
``wbeditentity`` input) rather than wrapped in classes: the plan shows them to reviewers
and sends them back to Commons verbatim, so any translation layer would have to be
undone twice. ``bot.core.claims`` builds them with these helpers and ``bot.core.reconcile``
reads and compares them with the same helpers, so both agree on one shape.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from bot.core import ids

Snak = dict[str, Any]
Statement = dict[str, Any]
Entity = dict[str, Any]

RANK_NORMAL: Final = "normal"
RANK_PREFERRED: Final = "preferred"
RANK_DEPRECATED: Final = "deprecated"

_TIME_RE: Final = re.compile(r"^([+-])(\d+)-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z$")


# --- building -------------------------------------------------------------------------


def string_snak(prop: str, value: str) -> Snak:
    """A value snak of a string (also url and external-id) property."""
    return {
        "snaktype": "value",
        "property": prop,
        "datavalue": {"value": value, "type": "string"},
    }


url_snak = string_snak
"""URL properties (P973, P2699) use the string datavalue type in the JSON."""


def item_snak(prop: str, qid: str) -> Snak:
    """A value snak pointing at a Wikidata item."""
    return {
        "snaktype": "value",
        "property": prop,
        "datavalue": {
            "value": {"entity-type": "item", "numeric-id": int(qid[1:]), "id": qid},
            "type": "wikibase-entityid",
        },
    }


def format_time(year: int, month: int, day: int, precision: int) -> str:
    """Wikibase's time string, with the parts finer than ``precision`` zeroed.

    ``+1943-00-00T00:00:00Z`` (year), ``+1965-05-00T00:00:00Z`` (month),
    ``+2017-02-17T00:00:00Z`` (day): the form the Commons UI and Flickypedia write.
    """
    if precision < ids.PRECISION_MONTH:
        month = 0
    if precision < ids.PRECISION_DAY:
        day = 0
    sign = "-" if year < 0 else "+"
    return f"{sign}{abs(year):04d}-{month:02d}-{day:02d}T00:00:00Z"


def time_snak(prop: str, time: str, precision: int) -> Snak:
    """A value snak of a Gregorian time with no timezone offset or uncertainty."""
    return {
        "snaktype": "value",
        "property": prop,
        "datavalue": {
            "value": {
                "time": time,
                "timezone": 0,
                "before": 0,
                "after": 0,
                "precision": precision,
                "calendarmodel": ids.CALENDAR_GREGORIAN,
            },
            "type": "time",
        },
    }


def date_snak(prop: str, day: dt.date) -> Snak:
    """A day-precision time snak for a calendar date."""
    return time_snak(
        prop, format_time(day.year, day.month, day.day, ids.PRECISION_DAY), ids.PRECISION_DAY
    )


def globecoordinate_snak(prop: str, latitude: float, longitude: float, precision: float) -> Snak:
    """A value snak of a point on Earth (altitude is always null in Wikibase)."""
    return {
        "snaktype": "value",
        "property": prop,
        "datavalue": {
            "value": {
                "latitude": latitude,
                "longitude": longitude,
                "altitude": None,
                "precision": precision,
                "globe": ids.GLOBE_EARTH,
            },
            "type": "globecoordinate",
        },
    }


def somevalue_snak(prop: str) -> Snak:
    """An "unknown value" snak: used for creators who are not Wikidata items."""
    return {"snaktype": "somevalue", "property": prop}


def new_statement(
    mainsnak: Snak,
    qualifiers: Sequence[Snak] = (),
    *,
    rank: str = RANK_NORMAL,
) -> Statement:
    """A statement without id, as ``wbeditentity`` accepts it; qualifiers keep their order."""
    statement: Statement = {"mainsnak": mainsnak, "type": "statement", "rank": rank}
    if qualifiers:
        grouped: dict[str, list[Snak]] = {}
        for snak in qualifiers:
            grouped.setdefault(snak["property"], []).append(snak)
        statement["qualifiers"] = grouped
        statement["qualifiers-order"] = list(grouped)
    return statement


# --- reading ------------------------------------------------------------------------


def entity_from_response(body: Mapping[str, Any]) -> Entity:
    """One entity from a whole ``wbgetentities`` response, or the entity itself.

    A response holding several entities is refused: which one was meant is not ours to guess.
    """
    entities = body.get("entities")
    if isinstance(entities, Mapping):
        if len(entities) != 1:
            raise ValueError(f"expected one entity in the response, got {len(entities)}")
        (entity,) = entities.values()
        return dict(entity)
    return dict(body)


def is_missing(entity: Mapping[str, Any]) -> bool:
    """True for ``{"id": "M1004", "missing": ""}``: a file with no structured data yet."""
    return "missing" in entity


def statements_of(entity: Mapping[str, Any]) -> Mapping[str, list[Statement]]:
    """The statements by property, under ``statements`` (mediainfo) or ``claims`` (items).

    A missing entity has none; dumps serialise an empty map as ``[]``.
    """
    if is_missing(entity):
        return {}
    found = entity.get("statements")
    if found is None:
        found = entity.get("claims")
    if not found:  # None, {} or the dumps' []
        return {}
    if not isinstance(found, Mapping):
        raise ValueError("statements must be a map from property id to a list")
    return found


def statements_for(entity: Mapping[str, Any], prop: str) -> list[Statement]:
    """The statements of one property, in their stored order."""
    return list(statements_of(entity).get(prop, ()))


def iter_statements(entity: Mapping[str, Any]) -> Iterator[Statement]:
    """Every statement of the entity, grouped by property in stored order."""
    for group in statements_of(entity).values():
        yield from group


def rank_of(statement: Mapping[str, Any]) -> str:
    """The statement's rank (``normal`` when the JSON leaves it out)."""
    return str(statement.get("rank", RANK_NORMAL))


def property_of(statement: Mapping[str, Any]) -> str:
    """The property of a statement (its main snak's)."""
    return str(statement["mainsnak"]["property"])


def qualifier_order(statement: Mapping[str, Any]) -> list[str]:
    """Qualifier properties in display order: ``qualifiers-order``, then any not listed."""
    qualifiers = statement.get("qualifiers") or {}
    order = [p for p in statement.get("qualifiers-order", ()) if p in qualifiers]
    return order + [p for p in qualifiers if p not in order]


def qualifiers_of(statement: Mapping[str, Any], prop: str | None = None) -> list[Snak]:
    """Qualifier snaks of one property, or all of them in display order."""
    qualifiers = statement.get("qualifiers") or {}
    if prop is not None:
        return list(qualifiers.get(prop, ()))
    return [snak for p in qualifier_order(statement) for snak in qualifiers[p]]


def is_value(snak: Mapping[str, Any]) -> bool:
    """True for a snak carrying a value (not somevalue/novalue)."""
    return snak.get("snaktype") == "value" and "datavalue" in snak


def string_value(snak: Mapping[str, Any]) -> str | None:
    """The text of a string/url/external-id snak, else None."""
    if not is_value(snak) or snak["datavalue"].get("type") != "string":
        return None
    value = snak["datavalue"].get("value")
    return value if isinstance(value, str) else None


def item_value(snak: Mapping[str, Any]) -> str | None:
    """The id (``Q103204``) of an entity-valued snak, else None.

    Old serialisations carry only ``numeric-id``; both forms are read.
    """
    if not is_value(snak) or snak["datavalue"].get("type") != "wikibase-entityid":
        return None
    value = snak["datavalue"].get("value") or {}
    if value.get("id"):
        return str(value["id"])
    if "numeric-id" in value:
        prefix = {"item": "Q", "property": "P"}.get(value.get("entity-type", "item"), "Q")
        return f"{prefix}{value['numeric-id']}"
    return None


def time_value(snak: Mapping[str, Any]) -> dict[str, Any] | None:
    """The time datavalue's value dict, else None."""
    if not is_value(snak) or snak["datavalue"].get("type") != "time":
        return None
    value = snak["datavalue"].get("value")
    return value if isinstance(value, dict) else None


def coordinate_value(snak: Mapping[str, Any]) -> dict[str, Any] | None:
    """The globecoordinate datavalue's value dict, else None."""
    if not is_value(snak) or snak["datavalue"].get("type") != "globecoordinate":
        return None
    value = snak["datavalue"].get("value")
    return value if isinstance(value, dict) else None


# --- times -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WikibaseTime:
    """A parsed time value: enough of it to compare two dates as a person would."""

    year: int
    month: int
    day: int
    precision: int
    calendar: str

    def key(self, precision: int) -> tuple[int, ...]:
        """The parts that matter at ``precision`` (decades and coarser by year buckets)."""
        if precision >= ids.PRECISION_DAY:
            return (self.year, self.month, self.day)
        if precision == ids.PRECISION_MONTH:
            return (self.year, self.month)
        if precision == ids.PRECISION_YEAR:
            return (self.year,)
        # 8 decade, 7 century, 6 millennium, ...: compare by the bucket the year falls in.
        return (math.floor(self.year / 10 ** (ids.PRECISION_YEAR - precision)),)


def parse_time(value: Mapping[str, Any]) -> WikibaseTime | None:
    """Parse a time datavalue's value; None when it is not in Wikibase's form."""
    match = _TIME_RE.match(str(value.get("time", "")))
    if match is None:
        return None
    sign, year, month, day = (
        match.group(1),
        int(match.group(2)),
        int(match.group(3)),
        int(match.group(4)),
    )
    try:
        precision = int(value.get("precision", ids.PRECISION_DAY))
    except (TypeError, ValueError):
        return None
    return WikibaseTime(
        year=-year if sign == "-" else year,
        month=month,
        day=day,
        precision=precision,
        calendar=str(value.get("calendarmodel", ids.CALENDAR_GREGORIAN)),
    )


def compare_times(a: Mapping[str, Any], b: Mapping[str, Any]) -> str:
    """How two time values relate: ``same``, ``date`` (they disagree), ``precision``
    (they agree as far as the coarser one goes) or ``calendar``; ``date`` if unreadable.

    Parts finer than the precision are ignored: Commons stores month precision both as
    ``+2004-07-00`` and ``+2004-07-01``.
    """
    ta, tb = parse_time(a), parse_time(b)
    if ta is None or tb is None:
        return "date"
    coarser = min(ta.precision, tb.precision)
    if ta.key(coarser) != tb.key(coarser):
        return "date"
    if ta.precision != tb.precision:
        return "precision"
    if ta.calendar != tb.calendar:
        return "calendar"
    return "same"


# --- coordinates -------------------------------------------------------------------


_COORD_EPSILON: Final = 1e-9


def coordinates_equivalent(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Same globe, and within the coarser of the two precisions on both axes.

    A null precision (allowed by Wikibase) counts as exact.
    """
    if a.get("globe", ids.GLOBE_EARTH) != b.get("globe", ids.GLOBE_EARTH):
        return False
    try:
        tolerance = max(float(a.get("precision") or 0), float(b.get("precision") or 0))
        dlat = abs(float(a["latitude"]) - float(b["latitude"]))
        dlon = abs(float(a["longitude"]) - float(b["longitude"]))
    except (KeyError, TypeError, ValueError):
        return False
    dlon = min(dlon, 360 - dlon)  # -179.99 and 179.99 are neighbours
    return dlat <= tolerance + _COORD_EPSILON and dlon <= tolerance + _COORD_EPSILON


# --- comparing snaks ---------------------------------------------------------------


def strip_hashes(value: Any, drop: tuple[str, ...] = ("hash",)) -> Any:
    """A deep copy without the server-computed ``hash`` keys (and any other ``drop`` keys),
    for comparing content: snak hashes differ between the snapshot and the API; they are
    not data. Tuples become lists, as in JSON."""
    if isinstance(value, Mapping):
        return {k: strip_hashes(v, drop) for k, v in value.items() if k not in drop}
    if isinstance(value, list | tuple):
        return [strip_hashes(v, drop) for v in value]
    return value


def normalise_file_title(raw: str) -> str:
    """``foo_bar.jpg`` / ``file:foo.jpg`` / ``Image:x`` → ``File:Foo bar.jpg`` (MediaWiki form)."""
    title = " ".join(raw.replace("_", " ").split())
    prefix, sep, rest = title.partition(":")
    if sep and prefix.strip().lower() in ("file", "image"):
        title = rest.strip()
    return "File:" + title[:1].upper() + title[1:] if title else ""


def canonical_json(value: Any) -> str:
    """Stable text of a JSON value (sorted keys, no spaces): for ids, hashes, equality."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def snak_key(snak: Mapping[str, Any]) -> str:
    """Canonical text of a snak's content, hash excluded; entity values by id only."""
    content = strip_hashes(snak)
    qid = item_value(snak)
    if qid is not None:
        content["datavalue"] = {"type": "wikibase-entityid", "value": {"id": qid}}
    return canonical_json(content)


def snaks_identical(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Same content, ignoring hashes and the redundant ``numeric-id``."""
    return snak_key(a) == snak_key(b)


def snaks_equivalent(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Same meaning: entities by id, times at the same date and precision, coordinates
    within precision, strings exactly (trimmed); other datatypes by content.
    """
    if a.get("property") != b.get("property") or a.get("snaktype") != b.get("snaktype"):
        return False
    if not is_value(a) or not is_value(b):
        return a.get("snaktype") == b.get("snaktype") and not (is_value(a) or is_value(b))
    type_a, type_b = a["datavalue"].get("type"), b["datavalue"].get("type")
    if type_a != type_b:
        return False
    if type_a == "wikibase-entityid":
        return item_value(a) == item_value(b)
    if type_a == "string":
        sa, sb = string_value(a), string_value(b)
        return sa is not None and sb is not None and sa.strip() == sb.strip()
    if type_a == "time":
        ta, tb = time_value(a), time_value(b)
        return ta is not None and tb is not None and compare_times(ta, tb) == "same"
    if type_a == "globecoordinate":
        ca, cb = coordinate_value(a), coordinate_value(b)
        return ca is not None and cb is not None and coordinates_equivalent(ca, cb)
    return snaks_identical(a, b)


def pseudo_hash(value: Any) -> str:
    """A deterministic 40-hex stand-in for Wikibase's snak/reference hash.

    Not MediaWiki's algorithm (that hashes PHP serialisations); stable for equal content,
    which is all a local stand-in for Commons needs.
    """
    return hashlib.sha1(canonical_json(strip_hashes(value)).encode("utf-8")).hexdigest()


def deep_copy(value: Any) -> Any:
    """A deep copy of plain JSON data (dicts, lists, scalars)."""
    return copy.deepcopy(value)
