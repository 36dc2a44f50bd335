"""Statements in words: Wikibase JSON → small view models the templates print.

A maintainer decides between two statements in seconds only if they read like
sentences: "circa 1943", "51.5074° N, 0.1278° W (±11 m)", "creator: unknown value;
author name string: Jane Roe". Everything here is pure (no Flask, no store) so the
rendering is tested on its own, and every value that came from Commons or Flickr stays
plain text: the templates escape it, and a URL becomes a link only when it is http(s).
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Final
from urllib.parse import quote, urlsplit

from markupsafe import Markup, escape

from bot.core import ids
from bot.core.wikibase import (
    coordinate_value,
    item_value,
    parse_time,
    qualifier_order,
    rank_of,
    string_value,
    time_value,
)
from review_ui.labels import item_label, property_label

log = logging.getLogger(__name__)

WIKIDATA: Final = "https://www.wikidata.org/wiki/"
COMMONS: Final = "https://commons.wikimedia.org"

MONTHS: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
PRECISION_NAMES: Final = {
    14: "second",
    13: "minute",
    12: "hour",
    11: "day",
    10: "month",
    9: "year",
    8: "decade",
    7: "century",
    6: "millennium",
}
RANK_WORDS: Final = {
    "normal": "normal rank",
    "preferred": "preferred rank",
    "deprecated": "deprecated rank",
}

# String properties whose values are web addresses (linked when http/https).
URL_PROPERTIES: Final = frozenset({ids.P_URL, ids.P_DESCRIBED_AT_URL, "P854", "P953", "P2078"})
_NSID_RE: Final = re.compile(r"^\d+@N\d+$")
_DIGITS_RE: Final = re.compile(r"^\d{1,20}$")
_UNSAFE_URL_CHARS: Final = re.compile(r"[\x00-\x20\x7f]")


# --------------------------------------------------------------------------- view models


@dataclass(frozen=True, slots=True)
class Piece:
    """One run of a rendered value. ``kind``: ``text`` (the value), ``id`` (an entity
    id), ``muted`` (a detail such as a precision) or ``link`` (a helper link, e.g. a
    map). ``href`` is set only for http/https addresses, so a template can link it
    without checking again."""

    text: str
    href: str | None = None
    kind: str = "text"
    title: str | None = None


@dataclass(frozen=True, slots=True)
class EntityRef:
    """A property or item: its id, its bundled English label (if known), its Wikidata page."""

    id: str
    label: str | None
    href: str

    @property
    def text(self) -> str:
        return self.label or self.id


@dataclass(slots=True)
class QualifierView:
    prop: EntityRef
    values: list[list[Piece]]


@dataclass(slots=True)
class StatementView:
    """One statement, ready to print: value, qualifiers, rank and references count."""

    prop: EntityRef
    value: list[Piece]
    qualifiers: list[QualifierView] = field(default_factory=list)
    rank: str = "normal"
    references: int = 0
    statement_id: str | None = None
    is_target: bool = False  # the existing statement a decision would change

    @property
    def rank_text(self) -> str:
        return RANK_WORDS.get(self.rank, f"{self.rank} rank")

    @property
    def references_text(self) -> str:
        if self.references == 0:
            return "no references"
        return "1 reference" if self.references == 1 else f"{self.references} references"


# --------------------------------------------------------------------------- URLs


def safe_url(url: Any) -> str | None:
    """The URL if it may become a link: http(s) with a host and no spaces or control
    characters. Everything else (``javascript:``, ``data:``, relative) stays text."""
    if not isinstance(url, str) or not url or _UNSAFE_URL_CHARS.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def wikidata_url(entity_id: str) -> str:
    """Wikidata page of an item or property id."""
    if entity_id.startswith("P"):
        return f"{WIKIDATA}Property:{quote(entity_id)}"
    return f"{WIKIDATA}{quote(entity_id)}"


def _page_name(title: str) -> str:
    return quote(title.replace(" ", "_"), safe=":/(),!*'")


def site_url(raw: Any) -> str:
    """The wiki the page links to (``COMMONS_URL``): an http(s) origin, no trailing slash.
    Refused otherwise, so a typo cannot turn every revision link into a relative one."""
    text = str(raw or "").strip().rstrip("/")
    url = safe_url(text)
    parts = urlsplit(url) if url else None
    if parts is None or parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"not an http(s) site address: {raw!r}")
    return text


def commons_file_url(title: str, base: str = COMMONS) -> str:
    return f"{base}/wiki/{_page_name(title)}"


def commons_history_url(title: str, base: str = COMMONS) -> str:
    return f"{base}/wiki/{_page_name(title)}?action=history"


def commons_thumb_url(title: str, width: int = 400, base: str = COMMONS) -> str:
    """``Special:FilePath`` redirects to a thumbnail of the requested width."""
    name = title.split(":", 1)[1] if title.lower().startswith("file:") else title
    return f"{base}/wiki/Special:FilePath/{_page_name(name)}?width={int(width)}"


def commons_entity_url(mid: str, base: str = COMMONS) -> str:
    return f"{base}/wiki/Special:EntityPage/{quote(mid)}"


def commons_revision_url(revid: int, base: str = COMMONS) -> str:
    return f"{base}/w/index.php?oldid={int(revid)}"


def commons_diff_url(revid: int, base: str = COMMONS) -> str:
    """What one revision changed (``diff=N`` alone: against the revision before it)."""
    return f"{base}/w/index.php?diff={int(revid)}"


def flickr_photo_url(photo_id: str | None) -> str | None:
    """``photo.gne?id=`` finds a photo by id alone (no owner needed)."""
    if not photo_id or not _DIGITS_RE.match(photo_id):
        return None
    return f"https://www.flickr.com/photo.gne?id={photo_id}"


def flickr_people_url(nsid_or_alias: str | None) -> str | None:
    if not nsid_or_alias or not re.match(r"^[\w@.-]{1,64}$", nsid_or_alias):
        return None
    return f"https://www.flickr.com/people/{quote(nsid_or_alias, safe='@')}/"


def bhl_page_url(page_id: str) -> str | None:
    if not _DIGITS_RE.match(page_id):
        return None
    return f"https://www.biodiversitylibrary.org/page/{page_id}"


# --------------------------------------------------------------------------- entities


def entity_ref(entity_id: str) -> EntityRef:
    label = property_label(entity_id) if entity_id.startswith("P") else item_label(entity_id)
    return EntityRef(id=entity_id, label=label, href=wikidata_url(entity_id))


def entity_pieces(entity_id: str) -> list[Piece]:
    """``label`` then the id linked to Wikidata (or just the linked id if unlabelled)."""
    ref = entity_ref(entity_id)
    id_piece = Piece(entity_id, href=ref.href, kind="id", title=f"{entity_id} on Wikidata")
    return [Piece(ref.label), id_piece] if ref.label else [id_piece]


# --------------------------------------------------------------------------- dates


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def format_time(value: Mapping[str, Any], *, circa: bool = False) -> str:
    """A Wikibase time in words at its precision: "17 February 2017", "May 1965",
    "1943", "1940s", "20th century"; "circa" in front when the statement says so."""
    parsed = parse_time(value)
    if parsed is None:
        return str(value.get("time", "?"))
    year, month, day, precision = parsed.year, parsed.month, parsed.day, parsed.precision
    era = " BCE" if year < 0 else ""
    y = abs(year)
    if precision >= 11 and 1 <= month <= 12 and day >= 1:
        text = f"{day} {MONTHS[month - 1]} {y}{era}"
        if precision >= 12:
            match = re.search(r"T(\d\d):(\d\d):(\d\d)Z$", str(value.get("time", "")))
            if match:
                text += f", {match.group(1)}:{match.group(2)}"
                text += f":{match.group(3)} UTC" if precision >= 14 else " UTC"
    elif precision >= 10 and 1 <= month <= 12:
        text = f"{MONTHS[month - 1]} {y}{era}"
    elif precision >= 9:
        text = f"{y}{era}"
    elif precision == 8:
        text = f"{y - y % 10}s{era}"
    elif precision == 7:
        text = f"{_ordinal((y - 1) // 100 + 1)} century{era}"
    elif precision == 6:
        text = f"{_ordinal((y - 1) // 1000 + 1)} millennium{era}"
    else:
        text = f"{y}{era} (to within 10^{9 - precision} years)"
    if parsed.calendar != ids.CALENDAR_GREGORIAN:
        qid = parsed.calendar.rsplit("/", 1)[-1]
        text += f" ({item_label(qid) or qid})"
    return f"circa {text}" if circa else text


def precision_name(value: Mapping[str, Any]) -> str:
    try:
        precision = int(value.get("precision", 11))
    except (TypeError, ValueError):
        return "unknown"
    return PRECISION_NAMES.get(precision, f"precision {precision}")


# --------------------------------------------------------------------------- coordinates


def _decimals(precision: float | None) -> int:
    if not precision or precision <= 0:
        return 6
    return max(0, min(8, math.ceil(-math.log10(precision) - 1e-9)))


def _distance(precision: float) -> str:
    metres = precision * 111_320  # one degree of latitude
    if metres >= 1000:
        return (
            f"about {metres / 1000:.0f} km" if metres >= 10_000 else f"about {metres / 1000:.1f} km"
        )
    return f"about {max(metres, 0.01):.0f} m" if metres >= 1 else f"about {metres:.2f} m"


_ARC_PRECISIONS: Final = (
    (1 / 60, "1′"),
    (1 / 3600, "1″"),
    (1 / 36000, "0.1″"),
    (1 / 360000, "0.01″"),
)


def _angle(precision: float) -> str:
    """Decimal degrees, or arcminutes/arcseconds when the precision is one of those."""
    for value, text in _ARC_PRECISIONS:
        if math.isclose(precision, value, rel_tol=1e-6):
            return text
    return f"{precision:.10f}".rstrip("0").rstrip(".") + "°"


def _zoom(precision: float | None) -> int:
    if not precision or precision <= 0:
        return 16
    return max(2, min(18, round(math.log2(360 / precision)) - 1))


def osm_url(latitude: float, longitude: float, precision: float | None = None) -> str:
    lat, lon = f"{latitude:.6f}", f"{longitude:.6f}"
    return (
        f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map={_zoom(precision)}/{lat}/{lon}"
    )


def coordinate_pieces(value: Mapping[str, Any]) -> list[Piece]:
    """ "51.5074° N, 0.1278° W", its precision in degrees and metres, and a map link."""
    try:
        lat, lon = float(value["latitude"]), float(value["longitude"])
    except (KeyError, TypeError, ValueError):
        return [Piece(str(dict(value)))]
    raw_precision = value.get("precision")
    try:
        precision = float(raw_precision) if raw_precision is not None else None
    except (TypeError, ValueError):
        precision = None
    places = _decimals(precision)
    text = (
        f"{abs(lat):.{places}f}° {'N' if lat >= 0 else 'S'}, "
        f"{abs(lon):.{places}f}° {'E' if lon >= 0 else 'W'}"
    )
    pieces = [Piece(text)]
    if precision:
        pieces.append(
            Piece(f"precision ±{_angle(precision)} ({_distance(precision)})", kind="muted")
        )
    else:
        pieces.append(Piece("precision not given", kind="muted"))
    globe = str(value.get("globe") or ids.GLOBE_EARTH)
    if globe == ids.GLOBE_EARTH:
        pieces.append(
            Piece(
                "OpenStreetMap",
                href=osm_url(lat, lon, precision),
                kind="link",
                title="Show this point on a map",
            )
        )
    else:
        qid = globe.rsplit("/", 1)[-1]
        pieces.append(Piece(f"on {item_label(qid) or qid}", kind="muted"))
    return pieces


def distance_between(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> str | None:
    """How far apart the points of two coordinate statements are ("about 1.2 km"), or
    None when either is not a point on Earth. Reviewers judge "same place?" by this."""
    try:
        ca = coordinate_value((a or {}).get("mainsnak") or {})
        cb = coordinate_value((b or {}).get("mainsnak") or {})
        if ca is None or cb is None:
            return None
        if any(str(c.get("globe") or ids.GLOBE_EARTH) != ids.GLOBE_EARTH for c in (ca, cb)):
            return None
        lat1, lon1, lat2, lon2 = (
            math.radians(float(v))
            for v in (ca["latitude"], ca["longitude"], cb["latitude"], cb["longitude"])
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    metres = 2 * 6_371_000 * math.asin(min(1.0, math.sqrt(h)))
    if metres >= 10_000:
        return f"about {metres / 1000:,.0f} km"
    if metres >= 1000:
        return f"about {metres / 1000:.1f} km"
    return f"about {metres:.0f} m"


# --------------------------------------------------------------------------- snaks


def string_pieces(prop: str, text: str) -> list[Piece]:
    """A string value; addresses and ids of known sites become links (http/https only)."""
    if prop in URL_PROPERTIES:
        return [Piece(text, href=safe_url(text))]
    if prop == ids.P_FLICKR_PHOTO_ID:
        return [Piece(text, href=flickr_photo_url(text), title="Flickr photo page")]
    if prop == ids.P_FLICKR_USER_ID:
        href = flickr_people_url(text) if _NSID_RE.match(text) else None
        return [Piece(text, href=href, title="Flickr profile")]
    if prop == ids.P_BHL_PAGE_ID:
        return [Piece(text, href=bhl_page_url(text), title="Biodiversity Heritage Library page")]
    return [Piece(text)]


def snak_pieces(snak: Mapping[str, Any], *, circa: bool = False) -> list[Piece]:
    """Any snak in words; an unknown shape falls back to its JSON as plain text."""
    snaktype = snak.get("snaktype")
    if snaktype == "somevalue":
        pieces = [
            Piece("unknown value", title="somevalue: there is a value, but not one Wikidata knows")
        ]
        if snak.get("property") == ids.P_CREATOR:
            pieces.append(
                Piece("a creator without a Wikidata item; see the qualifiers", kind="muted")
            )
        return pieces
    if snaktype == "novalue":
        return [Piece("no value", title="novalue: there is none")]
    prop = str(snak.get("property", ""))
    datavalue = snak.get("datavalue") or {}
    kind = datavalue.get("type")
    if kind == "string":
        text = string_value(snak)
        return string_pieces(prop, text) if text is not None else [Piece("?")]
    if kind == "wikibase-entityid":
        qid = item_value(snak)
        return entity_pieces(qid) if qid else [Piece("?")]
    if kind == "time":
        tv = time_value(snak)
        if tv is None:
            return [Piece("?")]
        return [
            Piece(format_time(tv, circa=circa)),
            Piece(f"precision: {precision_name(tv)}", kind="muted"),
        ]
    if kind == "globecoordinate":
        cv = coordinate_value(snak)
        return coordinate_pieces(cv) if cv is not None else [Piece("?")]
    value = datavalue.get("value")
    if kind == "monolingualtext" and isinstance(value, Mapping):
        return [
            Piece(str(value.get("text", ""))),
            Piece(f"({value.get('language', '?')})", kind="muted"),
        ]
    if kind == "quantity" and isinstance(value, Mapping):
        amount = str(value.get("amount", "?")).lstrip("+")
        unit = str(value.get("unit", "1"))
        if unit in ("1", ""):
            return [Piece(amount)]
        return [Piece(amount), *entity_pieces(unit.rsplit("/", 1)[-1])]
    return [Piece(_compact(datavalue or snak))]


def _compact(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 300 else text[:299] + "…"


def _is_circa(statement: Mapping[str, Any]) -> bool:
    qualifiers = statement.get("qualifiers") or {}
    return any(
        item_value(s) == ids.Q_CIRCA for s in qualifiers.get(ids.P_SOURCING_CIRCUMSTANCES, ())
    )


# --------------------------------------------------------------------------- statements


def render_statement(
    statement: Mapping[str, Any], *, target_id: str | None = None
) -> StatementView:
    """A statement in words. Never raises: a malformed one is shown as its JSON."""
    try:
        mainsnak = statement.get("mainsnak") or {}
        prop = str(mainsnak.get("property", "?"))
        qualifiers = statement.get("qualifiers") or {}
        views = [
            QualifierView(
                prop=entity_ref(qp), values=[snak_pieces(s) for s in qualifiers.get(qp, ())]
            )
            for qp in qualifier_order(statement)
        ]
        sid = statement.get("id")
        return StatementView(
            prop=entity_ref(prop),
            value=snak_pieces(mainsnak, circa=_is_circa(statement)),
            qualifiers=views,
            rank=rank_of(statement),
            references=len(statement.get("references") or ()),
            statement_id=str(sid) if sid else None,
            is_target=bool(sid) and sid == target_id,
        )
    except Exception:  # data from outside: show it rather than fail the page
        log.exception("could not render a statement")
        return StatementView(
            prop=EntityRef("?", None, WIKIDATA), value=[Piece(_compact(statement))]
        )


def render_statements(
    statements: Sequence[Mapping[str, Any]], *, target_id: str | None = None
) -> list[StatementView]:
    return [render_statement(s, target_id=target_id) for s in statements if isinstance(s, Mapping)]


def summary(statement: Mapping[str, Any] | None) -> str:
    """One short line for the queue list: the value, or for an unknown creator the name.

    Reads only the main snak (and the author name), not the whole statement: the list
    shows fifty of these per page.
    """
    if not statement:
        return "—"
    try:
        mainsnak = statement.get("mainsnak") or {}
        if mainsnak.get("snaktype") == "somevalue":
            names = (statement.get("qualifiers") or {}).get(ids.P_AUTHOR_NAME_STRING) or ()
            name = string_value(names[0]) if names else None
            if name:
                return name
        pieces = snak_pieces(mainsnak, circa=_is_circa(statement))
    except Exception:  # data from outside: a summary is never worth an error page
        return "?"
    text = " ".join(p.text for p in pieces if p.kind == "text")
    return text if len(text) <= 80 else text[:79] + "…"


# --------------------------------------------------------------------------- bidi

# Embeddings and overrides (LRE RLE LRO RLO ... PDF) and isolates (LRI RLI FSI ... PDI).
_OPENERS: Final = frozenset({"\u202a", "\u202b", "\u202d", "\u202e"})
_ISOLATES: Final = frozenset({"\u2066", "\u2067", "\u2068"})
_PDF: Final = "\u202c"
_PDI: Final = "\u2069"
_BIDI_CONTROLS_RE: Final = re.compile("[\u202a-\u202e\u2066-\u2069]")
FSI: Final = "\u2068"


def balance_bidi(text: str) -> str:
    """The text with its bidi controls paired: a closer without an opener is dropped, and
    every opener left open is closed at the end. Inside ``<bdi>`` (or between FSI and PDI)
    such text then cannot reorder anything outside it: a stray PDI could otherwise end
    the isolate early and let an RLO after it run over the rest of the line."""
    if not _BIDI_CONTROLS_RE.search(text):
        return text
    out: list[str] = []
    stack: list[str] = []  # what each open control needs: PDF or PDI
    for ch in text:
        if ch in _OPENERS:
            stack.append(_PDF)
        elif ch in _ISOLATES:
            stack.append(_PDI)
        elif ch == _PDF:
            # a PDF closes the innermost embedding, never across an open isolate
            if not stack or stack[-1] != _PDF:
                continue
            stack.pop()
        elif ch == _PDI:
            if _PDI not in stack:
                continue
            while stack.pop() != _PDI:  # a PDI also ends the embeddings opened inside it
                pass
        out.append(ch)
    out.extend(reversed(stack))
    return "".join(out)


def bdi(text: Any) -> Markup:
    """Text from outside (a title, a name, a note, a value) escaped in a ``<bdi>``, so a
    right-to-left name or a stray U+202E cannot reorder what follows it on the page."""
    if text is None or text == "":
        return Markup("")
    value = str(text)
    if not _BIDI_CONTROLS_RE.search(value):  # the common case, 200 times a queue page
        return Markup(f"<bdi>{escape(value)}</bdi>")
    controls = sorted({f"U+{ord(c):04X}" for c in _BIDI_CONTROLS_RE.findall(value)})
    # shown as a browser shows it, but marked: what one reads is not the order typed
    return Markup('<bdi class="bidi-controls" title="{}">{}</bdi>').format(
        f"Contains Unicode direction controls ({', '.join(controls)}): "
        "the characters are not shown in the order they were typed",
        balance_bidi(value),
    )


def isolated(text: Any) -> str:
    """Plain text (an attribute, a page title, a log line) as one isolated run: FSI, the
    balanced text, PDI, the Unicode equivalent of ``<bdi>``."""
    value = "" if text is None else str(text)
    return f"{FSI}{balance_bidi(value)}{_PDI}" if value else ""


# --------------------------------------------------------------------------- times


_STORE_TIME_RE: Final = re.compile(
    r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?Z\Z"
)


@dataclass(frozen=True, slots=True)
class UtcTime:
    """A stored timestamp for a ``<time>`` element: ``iso`` for its ``datetime``
    attribute (``2026-12-04T13:34:56Z``), ``text`` to read (``2026-12-04 13:34 UTC``)."""

    iso: str
    text: str


def utc_time(stamp: Any) -> UtcTime | None:
    """The store writes ISO 8601 UTC (``...Z``); one without a zone is read as UTC too,
    since the store writes nothing else. None for an empty or unreadable value."""
    if not stamp:
        return None
    text = str(stamp)
    if _STORE_TIME_RE.match(text):  # the store's own form: no parsing needed
        return UtcTime(iso=f"{text[:19]}Z", text=f"{text[:10]} {text[11:16]} UTC")
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    moment = parsed.astimezone(UTC)
    return UtcTime(
        iso=moment.strftime("%Y-%m-%dT%H:%M:%SZ"), text=moment.strftime("%Y-%m-%d %H:%M UTC")
    )


# --------------------------------------------------------------------------- reasons


@lru_cache(maxsize=1)
def _reason_table() -> dict[str, str]:
    """Reason code → explanation: the planning core's, then those the job raises itself."""
    from bot.core.reasons import JOB_REASONS, REASONS

    return {**REASONS, **JOB_REASONS}


def reason_text(code: str) -> str | None:
    """The one-line explanation of a reason code, or None if there is none."""
    text = _reason_table().get(code)
    return str(text) if text else None


@dataclass(frozen=True, slots=True)
class ReasonView:
    """A reason as the page shows it: the explanation in words, the code on hover."""

    code: str
    text: str
    explained: bool


def reason_view(code: str) -> ReasonView:
    """Words from the one reason table; an unknown code (an older bot's) shows as itself."""
    text = reason_text(code)
    return ReasonView(code=code, text=text or code, explained=text is not None)


def known_reasons() -> list[str]:
    """Reason codes a conflict can have, for the filter's choices."""
    from bot.core.reasons import CONFLICT_REASONS, JOB_REASONS

    return sorted({*CONFLICT_REASONS, *JOB_REASONS})
