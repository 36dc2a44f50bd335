"""The data model: which statements the bot wants on a file, from its Flickr photo.

Pure functions of a ``FlickrPhoto`` (or ``FlickrPhotoGone``) to Wikibase JSON statements
without ids or hashes. What is already on the file is not looked at here; deciding
whether to add, extend or leave alone is ``bot.core.reconcile``'s job. Licence and copyright
status are never written (Commons' templates are authoritative for those); only
``licence_info`` compares them, for the plan's information.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from bot.core import ids
from bot.core.flickr_photo import (
    FlickrLocation,
    FlickrOwner,
    FlickrPhoto,
    FlickrPhotoGone,
    GoneReason,
)
from bot.core.wikibase import (
    Statement,
    date_snak,
    format_time,
    globecoordinate_snak,
    item_snak,
    item_value,
    new_statement,
    rank_of,
    somevalue_snak,
    statements_for,
    string_snak,
    time_snak,
    url_snak,
)

# Flickr's ``takengranularity`` → (Wikibase precision, circa).
# https://www.flickr.com/services/api/misc.dates.html: 0 = Y-m-d H:i:s, 4 = Y-m, 6 = Y,
# 8 = "circa" (a year).
GRANULARITY: Final[Mapping[int, tuple[int, bool]]] = {
    0: (ids.PRECISION_DAY, False),
    4: (ids.PRECISION_MONTH, False),
    6: (ids.PRECISION_YEAR, False),
    8: (ids.PRECISION_YEAR, True),
}

# Flickr geo ``accuracy`` (1 world .. 16 street) → globecoordinate precision in degrees.
# The values are the ones the Commons SDC editor offers at the matching map zoom (as
# Flickypedia measured them): 1/36000° is "to 1/10 of an arcsecond", 1/3600° "to an
# arcsecond", 1/60° "to an arcminute" — written as exact fractions, not as the rounded
# 2.78e-05 / 2.78e-04 / 0.0167, so Commons shows them as the named precisions.
GEO_PRECISION: Final[Mapping[int, float]] = {
    16: 1e-05,
    15: 1 / 36000,
    14: 1 / 36000,
    13: 1e-04,
    12: 1e-04,
    11: 1 / 3600,
    10: 0.001,
    9: 0.001,
    8: 0.001,
    7: 0.001,
    6: 0.01,
    5: 1 / 60,
    4: 1 / 60,
    3: 0.1,
    2: 0.1,
    1: 0.1,
}

# Local time can be at most 14 hours ahead of UTC (Line Islands), so a photo taken
# "today" in Kiribati may be posted "yesterday" in UTC; allow for that before calling a
# date taken "after posting".
_MAX_UTC_OFFSET: Final = timedelta(hours=14)

_DATE_TAKEN_RE: Final = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_BHL_PAGE_PREFIX: Final = "bhl:page="
_DIGITS_RE: Final = re.compile(r"[0-9]+")
_DC_IDENTIFIER_PREFIX: Final = "dc:identifier="
# A BHL page URL (http[s]://[www.]biodiversitylibrary.org/page/<id>) in Flickr's
# normalised form, where the punctuation is gone: "httpsbiodiversitylibraryorgpage33665645".
_NORMALISED_BHL_PAGE_URL_RE: Final = re.compile(
    r"(?:https?)?(?:www)?biodiversitylibraryorgpage([0-9]+)"
)


@dataclass(frozen=True, slots=True)
class FlickrLicence:
    """A Flickr licence id with its name and Wikidata item (None: not a licence item)."""

    id: str
    name: str
    item: str | None
    is_licence: bool = True


# flickr.photos.licenses.getInfo, ids 0–16. Ids 7 and 8 are statements about copyright
# status, not licences, so a file's P275 is never compared with them.
FLICKR_LICENCES: Final[Mapping[str, FlickrLicence]] = {
    lic.id: lic
    for lic in (
        FlickrLicence("0", "All Rights Reserved", None),
        FlickrLicence("1", "CC BY-NC-SA 2.0", ids.Q_CC_BY_NC_SA_2_0),
        FlickrLicence("2", "CC BY-NC 2.0", ids.Q_CC_BY_NC_2_0),
        FlickrLicence("3", "CC BY-NC-ND 2.0", ids.Q_CC_BY_NC_ND_2_0),
        FlickrLicence("4", "CC BY 2.0", ids.Q_CC_BY_2_0),
        FlickrLicence("5", "CC BY-SA 2.0", ids.Q_CC_BY_SA_2_0),
        FlickrLicence("6", "CC BY-ND 2.0", ids.Q_CC_BY_ND_2_0),
        FlickrLicence("7", "No known copyright restrictions", None, is_licence=False),
        FlickrLicence("8", "United States Government Work", None, is_licence=False),
        FlickrLicence("9", "Public Domain Dedication (CC0)", ids.Q_CC0_1_0),
        FlickrLicence("10", "Public Domain Mark", ids.Q_PUBLIC_DOMAIN_MARK_1_0),
        FlickrLicence("11", "CC BY 4.0", ids.Q_CC_BY_4_0),
        FlickrLicence("12", "CC BY-SA 4.0", ids.Q_CC_BY_SA_4_0),
        FlickrLicence("13", "CC BY-ND 4.0", ids.Q_CC_BY_ND_4_0),
        FlickrLicence("14", "CC BY-NC 4.0", ids.Q_CC_BY_NC_4_0),
        FlickrLicence("15", "CC BY-NC-SA 4.0", ids.Q_CC_BY_NC_SA_4_0),
        FlickrLicence("16", "CC BY-NC-ND 4.0", ids.Q_CC_BY_NC_ND_4_0),
    )
}


@dataclass(frozen=True, slots=True)
class DateTaken:
    """What the bot makes of Flickr's date taken: a Wikibase time, maybe circa."""

    time: str
    precision: int
    circa: bool


# --- single statements ---------------------------------------------------------------


def photo_id_statement(photo_id: str) -> Statement:
    """P12120 Flickr photo ID."""
    return new_statement(string_snak(ids.P_FLICKR_PHOTO_ID, photo_id))


def creator_statement(owner: FlickrOwner) -> Statement:
    """P170 creator: "unknown value" qualified by the Flickr account.

    The account is not assumed to be a Wikidata item; its NSID (P3267) identifies it,
    its display name (P2093) and profile URL (P2699) make it readable.
    """
    qualifiers = [string_snak(ids.P_FLICKR_USER_ID, owner.nsid)]
    if owner.display_name:
        qualifiers.append(string_snak(ids.P_AUTHOR_NAME_STRING, owner.display_name))
    qualifiers.append(url_snak(ids.P_URL, owner.profile_url))
    return new_statement(somevalue_snak(ids.P_CREATOR), qualifiers)


def source_statement(photo_page_url: str) -> Statement:
    """P7482 source of file: available on the internet, at this page, operated by Flickr."""
    return new_statement(
        item_snak(ids.P_SOURCE_OF_FILE, ids.Q_FILE_AVAILABLE_ON_INTERNET),
        [
            url_snak(ids.P_DESCRIBED_AT_URL, photo_page_url),
            item_snak(ids.P_OPERATOR, ids.Q_FLICKR),
        ],
    )


def date_taken(photo: FlickrPhoto) -> DateTaken | None:
    """Flickr's date taken as a Wikibase time, or None when it should not be written.

    None when Flickr says the date is unknown, the date is a ``0000-`` placeholder or
    unreadable, the granularity is not one Flickr documents, or the date is after the
    photo was posted (a camera clock that was never set): bad data is skipped, not a
    conflict.
    """
    if photo.date_taken_unknown or not photo.date_taken:
        return None
    granularity = GRANULARITY.get(photo.date_taken_granularity)
    match = _DATE_TAKEN_RE.match(photo.date_taken.strip())
    if granularity is None or match is None:
        return None
    precision, circa = granularity
    year, month, day = (int(part) for part in match.groups())
    if year == 0:
        return None
    if precision >= ids.PRECISION_MONTH and not 1 <= month <= 12:
        return None
    if precision >= ids.PRECISION_DAY:
        try:
            date(year, month, day)
        except ValueError:
            return None
    if _after_posting(year, month, day, precision, photo.date_posted):
        return None
    return DateTaken(format_time(year, month, day, precision), precision, circa)


def _after_posting(year: int, month: int, day: int, precision: int, posted: datetime) -> bool:
    """Whether the date taken is later than the posting, at the date's own precision."""
    if posted.tzinfo is None:
        posted = posted.replace(tzinfo=UTC)
    latest = (posted.astimezone(UTC) + _MAX_UTC_OFFSET).date()
    if precision >= ids.PRECISION_DAY:
        return (year, month, day) > (latest.year, latest.month, latest.day)
    if precision == ids.PRECISION_MONTH:
        return (year, month) > (latest.year, latest.month)
    return year > latest.year


def inception_statement(photo: FlickrPhoto) -> Statement | None:
    """P571 inception from the date taken, with P1480 = circa for Flickr's "circa"."""
    taken = date_taken(photo)
    if taken is None:
        return None
    qualifiers = [item_snak(ids.P_SOURCING_CIRCUMSTANCES, ids.Q_CIRCA)] if taken.circa else []
    return new_statement(time_snak(ids.P_INCEPTION, taken.time, taken.precision), qualifiers)


def coordinates_statement(location: FlickrLocation | None) -> Statement | None:
    """P1259 coordinates of the point of view (the camera, not the subject).

    None without public geo data, for accuracy 0 or outside 1–16, for "null island"
    (0, 0), which Flickr uses for broken data, and for impossible coordinates.
    """
    if location is None:
        return None
    precision = GEO_PRECISION.get(location.accuracy)
    if precision is None:
        return None
    lat, lon = location.latitude, location.longitude
    if lat == 0 and lon == 0:
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return new_statement(globecoordinate_snak(ids.P_COORDINATES_OF_POV, lat, lon, precision))


def published_in_statement(date_posted: datetime) -> Statement:
    """P1433 published in Flickr, with P577 the posting day (UTC)."""
    if date_posted.tzinfo is None:
        date_posted = date_posted.replace(tzinfo=UTC)
    day = date_posted.astimezone(UTC).date()
    return new_statement(
        item_snak(ids.P_PUBLISHED_IN, ids.Q_FLICKR),
        [date_snak(ids.P_PUBLICATION_DATE, day)],
    )


def bhl_page_id(photo: FlickrPhoto) -> str | None:
    """The BHL page id of a Biodiversity Heritage Library photo, if exactly one is tagged.

    Only the BHL account's own ``bhl:page=<digits>`` machine tags count; several
    different ones (or a non-numeric one) are ambiguous and give None. Raw tags
    (photos.getInfo's ``tag[].raw``) are read as they are. A photo list gives only
    Flickr's normalised form, which strips punctuation from the value (real answers:
    ``geh:accession=1978:1628:0030`` becomes ``197816280030``, ``41C651(+5)``
    ``41c6515``), so a value that was not a page number can look like one: a listed
    photo's page is only taken when ``listed_bhl_page`` vouches for it.
    """
    if photo.owner.nsid != ids.BHL_NSID:
        return None
    if photo.machine_tags_normalised:
        return listed_bhl_page(photo.machine_tags)
    values = {
        tag.strip()[len(_BHL_PAGE_PREFIX) :].strip()
        for tag in photo.machine_tags
        if tag.strip().lower().startswith(_BHL_PAGE_PREFIX)
    }
    if len(values) != 1:
        return None
    (value,) = values
    return value if _DIGITS_RE.fullmatch(value) else None


def listed_bhl_page(normalised_tags: Sequence[str]) -> str | None:
    """The BHL page a photo list's normalised machine tags show beyond doubt, else None.

    Taken only when there is exactly one ``bhl:page=`` tag, its value is plain digits,
    and a ``dc:identifier`` BHL page URL (which BHL's uploads carry beside it, and
    which Flickr normalises separately) names the same page and no other. A raw
    ``bhl:page=4321(2)`` also normalises to digits (``43212``); the list cannot tell
    it from a plain ``43212``, but two tags agreeing on the number can. In every other
    case the caller reads the photo's raw tags (``needs_raw_machine_tags``).
    """
    pages = [
        tag[len(_BHL_PAGE_PREFIX) :] for tag in normalised_tags if tag.startswith(_BHL_PAGE_PREFIX)
    ]
    if len(pages) != 1 or not _DIGITS_RE.fullmatch(pages[0]):
        return None
    urls = {
        match.group(1)
        for tag in normalised_tags
        if tag.startswith(_DC_IDENTIFIER_PREFIX)
        and (match := _NORMALISED_BHL_PAGE_URL_RE.fullmatch(tag[len(_DC_IDENTIFIER_PREFIX) :]))
    }
    return pages[0] if urls == {pages[0]} else None


def needs_raw_machine_tags(photo: FlickrPhoto) -> bool:
    """Whether a photo read from a list must be read again with getInfo for its raw tags.

    Only a BHL photo carrying a ``bhl:page=`` tag whose page ``listed_bhl_page`` cannot
    vouch for: one with no such tag has none in its raw tags either (every raw machine
    tag is listed, lower-cased namespace and predicate included), so P687 is the same.
    """
    return (
        photo.machine_tags_normalised
        and photo.owner.nsid == ids.BHL_NSID
        and any(tag.startswith(_BHL_PAGE_PREFIX) for tag in photo.machine_tags)
        and listed_bhl_page(photo.machine_tags) is None
    )


def bhl_page_statement(photo: FlickrPhoto) -> Statement | None:
    """P687 BHL page ID, for BHL photos carrying exactly one page tag."""
    page = bhl_page_id(photo)
    return None if page is None else new_statement(string_snak(ids.P_BHL_PAGE_ID, page))


# --- the whole set -----------------------------------------------------------------


def wanted_statements(
    photo: FlickrPhoto | FlickrPhotoGone, owner_hint: FlickrOwner | None = None
) -> list[Statement]:
    """Every statement the bot wants on the file, in ``ids.WRITTEN_PROPERTIES`` order.

    For a photo Flickr no longer shows only the photo id is certain. The creator is
    added only when ``owner_hint`` is the account the file's evidence names *as
    flickr.people.getInfo describes it*: the caller passes it only when Flickr has said
    the account exists (the job through the client's owner cache, ``backfill plan``
    from ``--flickr-owner``), never an owner guessed from the evidence alone. A deleted
    account (people.getInfo code 5, or a photo gone with code 5) gets no creator: the
    account can no longer be checked, and its NSID may have been anybody's.
    ``owner_hint`` is ignored for a live photo, whose owner Flickr has just told us.
    """
    if isinstance(photo, FlickrPhotoGone):
        gone = [photo_id_statement(photo.id)]
        if (
            owner_hint is not None
            and not owner_hint.is_deleted
            and photo.reason is not GoneReason.OWNER_DELETED
        ):
            gone.append(creator_statement(owner_hint))
        return gone
    candidates = [
        photo_id_statement(photo.id),
        creator_statement(photo.owner),
        source_statement(photo.photo_page_url),
        inception_statement(photo),
        coordinates_statement(photo.location),
        published_in_statement(photo.date_posted),
        bhl_page_statement(photo),
    ]
    return [statement for statement in candidates if statement is not None]


# --- licence information ------------------------------------------------------------


def licence_items(entity: Mapping[str, Any]) -> list[str]:
    """The licence items (P275) the file states, deprecated ones left out."""
    return [
        qid
        for statement in statements_for(entity, ids.P_COPYRIGHT_LICENSE)
        if rank_of(statement) != "deprecated"
        and (qid := item_value(statement["mainsnak"])) is not None
    ]


def licence_info(
    photo: FlickrPhoto | FlickrPhotoGone, entity: Mapping[str, Any]
) -> dict[str, Any] | None:
    """Information for the plan when Flickr's licence is not among the file's P275 items.

    None when there is nothing to report: the photo is gone, Flickr's licence id is
    unknown or is a copyright status rather than a licence (7, 8), the file has no
    (non-deprecated) P275, or the file already states Flickr's licence. Never a conflict:
    licences change on Flickr all the time, and the licence at upload is what counts.
    """
    if isinstance(photo, FlickrPhotoGone) or photo.license_id is None:
        return None
    licence = FLICKR_LICENCES.get(str(photo.license_id))
    if licence is None or not licence.is_licence:
        return None
    file_items = licence_items(entity)
    if not file_items or (licence.item is not None and licence.item in file_items):
        return None
    return {
        "reason": "licence_differs",
        "flickr_license_id": licence.id,
        "flickr_license": licence.name,
        "flickr_license_item": licence.item,
        "commons_license_items": file_items,
    }
