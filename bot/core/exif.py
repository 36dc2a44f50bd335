"""EXIF-date evidence for a date conflict: was Commons' P571 copied from the file's EXIF?

Many Commons inceptions were filled from the file's EXIF, which records when a scan was
made (2018), not when the photo was taken (Flickr: "September 1965"). When Commons' date
equals one of the EXIF dates (at Commons' precision) and Flickr's is earlier or coarser,
the conflict gets its own reason, ``commons_date_from_exif``, and carries the field that
matched, so a maintainer can decide in one look. Pure: the metadata comes from
``prop=imageinfo&iiprop=metadata|commonmetadata`` (read by the Commons adapter).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from bot.core import ids
from bot.core.wikibase import WikibaseTime, parse_time, time_value

EXIF_DATE_FIELDS: Final = ("DateTimeOriginal", "DateTimeDigitized", "DateTime")
"""The EXIF dates compared, most telling first: a match on the original wins."""

DATE_CONFLICT_REASONS: Final = frozenset(
    {"date_differs", "date_precision_differs", "date_circa_differs"}
)
"""The planner's P571 reasons that EXIF evidence can explain."""

EXIF_REASON: Final = "commons_date_from_exif"

# EXIF writes "YYYY:MM:DD HH:MM:SS"; MediaWiki passes it through, some tools write "-".
_EXIF_DATE_RE: Final = re.compile(r"^\s*(\d{4})[:\-](\d{2})[:\-](\d{2})")


@dataclass(frozen=True, slots=True)
class ExifMatch:
    """The EXIF field whose date equals Commons' inception, and its value as stored."""

    field: str
    value: str

    def to_json(self) -> dict[str, str]:
        return {"exif_field": self.field, "exif_value": self.value}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> ExifMatch | None:
        """The match stored with a conflict; None when there is none or it is unreadable."""
        if not data or "exif_field" not in data:
            return None
        return cls(str(data["exif_field"]), str(data.get("exif_value", "")))


def exif_dates(*metadata_lists: Sequence[Mapping[str, Any]] | None) -> dict[str, str]:
    """The EXIF date fields of imageinfo ``metadata`` / ``commonmetadata`` lists.

    Each list holds ``{"name", "value"}`` pairs. MediaWiki nests them: a PNG's text
    chunks sit in a ``metadata`` pair whose value is another list, and a language-tagged
    value is a list of ``x-default`` / language pairs plus ``_type: lang`` (seen on
    MediaWiki 1.39 for a PNG's "Creation Time"). The first list that has a field gives
    it; missing or null lists (files without metadata) give nothing.
    """
    found: dict[str, str] = {}
    for items in metadata_lists:
        for name, value in _pairs(items or ()):
            if name in EXIF_DATE_FIELDS and name not in found and value is not None:
                found[name] = value
    return found


def _pairs(items: Iterable[Any]) -> Iterable[tuple[str, str | None]]:
    for item in items:
        if not isinstance(item, Mapping):
            continue
        name, value = str(item.get("name", "")), item.get("value")
        if name in EXIF_DATE_FIELDS:
            yield name, _text(value)
        elif isinstance(value, list):
            yield from _pairs(value)


def _text(value: Any) -> str | None:
    """A field's text: itself, or a language-tagged value's ``x-default`` (else first)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        texts = {
            str(v.get("name")): v["value"]
            for v in value
            if isinstance(v, Mapping)
            and isinstance(v.get("value"), str)
            and v.get("name") != "_type"
        }
        return texts.get("x-default") or next(iter(texts.values()), None)
    return None


def parse_exif_date(text: str) -> WikibaseTime | None:
    """An EXIF date as a day-precision time; None for blanks and ``0000:00:00``."""
    match = _EXIF_DATE_RE.match(text)
    if match is None:
        return None
    year, month, day = (int(part) for part in match.groups())
    if year == 0 or not 1 <= month <= 12 or not 1 <= day <= 31:
        return None
    return WikibaseTime(year, month, day, ids.PRECISION_DAY, ids.CALENDAR_GREGORIAN)


def exif_evidence(
    commons: Mapping[str, Any], flickr: Mapping[str, Any], dates: Mapping[str, str]
) -> ExifMatch | None:
    """The EXIF field that Commons' date equals, when Flickr's date is earlier or coarser.

    ``commons`` and ``flickr`` are time datavalue values. Compared at Commons' precision
    (a year-precision 2018 equals any EXIF date in 2018). None when no field matches,
    when either date is unreadable, or when Flickr's date is neither earlier nor coarser
    (then EXIF explains nothing: the two simply disagree).
    """
    ours, theirs = parse_time(flickr), parse_time(commons)
    if ours is None or theirs is None:
        return None
    coarser = ours.precision < theirs.precision
    common = min(ours.precision, theirs.precision)
    earlier = ours.key(common) < theirs.key(common)
    if not (coarser or earlier):
        return None
    for name in EXIF_DATE_FIELDS:
        exif = parse_exif_date(dates.get(name, ""))
        if exif is not None and exif.key(theirs.precision) == theirs.key(theirs.precision):
            return ExifMatch(name, dates[name])
    return None


def conflict_exif_evidence(
    reason: str,
    existing: Sequence[Mapping[str, Any]],
    statement_id: str | None,
    proposed: Mapping[str, Any] | None,
    dates: Mapping[str, str],
) -> ExifMatch | None:
    """EXIF evidence for one P571 conflict of the plan (None when it has none).

    The Commons side is the statement the plan compared (``statement_id``), or the only
    one there is; with several and none named, nothing is claimed.
    """
    if reason not in DATE_CONFLICT_REASONS or proposed is None or not dates:
        return None
    compared = [s for s in existing if statement_id and s.get("id") == statement_id]
    if not compared and len(existing) == 1:
        compared = list(existing)
    if len(compared) != 1:
        return None
    theirs = time_value(compared[0].get("mainsnak") or {})
    ours = time_value(proposed.get("mainsnak") or {})
    if theirs is None or ours is None:
        return None
    return exif_evidence(theirs, ours, dates)
