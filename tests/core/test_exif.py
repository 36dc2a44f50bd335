"""EXIF-date evidence: Commons' inception equals an EXIF date while Flickr's is earlier or coarser."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core import ids
from bot.core.exif import ExifMatch, conflict_exif_evidence, exif_dates, exif_evidence
from bot.core.wikibase import format_time, new_statement, time_snak

YEAR, MONTH, DAY = ids.PRECISION_YEAR, ids.PRECISION_MONTH, ids.PRECISION_DAY


def t(year: int, month: int, day: int, precision: int) -> dict[str, Any]:
    return time_snak(ids.P_INCEPTION, format_time(year, month, day, precision), precision)[
        "datavalue"
    ]["value"]


SCAN = {"DateTimeOriginal": "2018:03:04 10:21:55"}

# (commons, flickr, exif dates, expected field or None)
CASES = [
    pytest.param(t(2018, 3, 4, DAY), t(1965, 9, 1, MONTH), SCAN, "DateTimeOriginal", id="equal-flickr-coarser-and-earlier"),
    pytest.param(t(2018, 3, 4, DAY), t(1965, 9, 12, DAY), SCAN, "DateTimeOriginal", id="equal-flickr-earlier"),
    pytest.param(t(2018, 3, 4, DAY), t(2018, 3, 1, MONTH), SCAN, "DateTimeOriginal", id="equal-flickr-coarser-same-month"),
    pytest.param(t(2018, 1, 1, YEAR), t(1965, 1, 1, YEAR), SCAN, "DateTimeOriginal", id="equal-at-commons-year-precision"),
    pytest.param(t(2018, 3, 5, DAY), t(1965, 9, 1, MONTH), SCAN, None, id="different-day"),
    pytest.param(t(2018, 3, 4, DAY), t(2019, 6, 2, DAY), SCAN, None, id="flickr-later-same-precision"),
    pytest.param(t(2018, 3, 4, DAY), t(1965, 9, 1, MONTH), {}, None, id="absent"),
    pytest.param(t(2018, 3, 4, DAY), t(1965, 9, 1, MONTH), {"DateTime": "0000:00:00 00:00:00"}, None, id="blank-exif-date"),
    pytest.param(t(2018, 3, 4, DAY), t(1965, 9, 1, MONTH), {"DateTime": "2018:03:04 11:00:00", "DateTimeDigitized": "2018:03:04 10:00:00"}, "DateTimeDigitized", id="digitized-before-datetime"),
    pytest.param(t(2018, 3, 4, DAY), t(1965, 9, 1, MONTH), {"DateTime": "2018-03-04 11:00:00"}, "DateTime", id="dashes"),
]  # fmt: skip


@pytest.mark.parametrize(("commons", "flickr", "dates", "field"), CASES)
def test_exif_evidence(
    commons: dict[str, Any], flickr: dict[str, Any], dates: dict[str, str], field: str | None
) -> None:
    match = exif_evidence(commons, flickr, dates)
    assert (match.field if match else None) == field
    if match:
        assert match.value == dates[field or ""]


# The shape of prop=imageinfo&iiprop=metadata|commonmetadata (formatversion=2) for a JPEG
# with EXIF, and for a file with none (MediaWiki gives null or an empty list).
JPEG_METADATA = [
    {"name": "Make", "value": "EPSON"},
    {"name": "Model", "value": "Perfection V700"},
    {"name": "DateTime", "value": "2018:03:04 10:30:00"},
    {"name": "DateTimeOriginal", "value": "2018:03:04 10:21:55"},
    {"name": "MEDIAWIKI_EXIF_VERSION", "value": 2},
]
COMMON_METADATA = [{"name": "DateTimeDigitized", "value": "2018:03:04 10:21:55"}]
XMP_NESTED = [{"name": "xmp", "value": [{"name": "DateTimeOriginal", "value": "2001:02:03"}]}]
# What MediaWiki 1.39 gave for a PNG with a tIME chunk and a tEXt "Creation Time": the
# text chunks nested under "metadata", the creation time language-tagged.
PNG_METADATA = [
    {"name": "frameCount", "value": 0},
    {"name": "bitDepth", "value": 8},
    {"name": "metadata", "value": [
        {"name": "DateTime", "value": "2018:03:04 10:21:55"},
        {"name": "DateTimeDigitized", "value": [
            {"name": "x-default", "value": "2018:03:04 10:21:55"}, {"name": "_type", "value": "lang"}]},
        {"name": "_MW_PNG_VERSION", "value": 1},
    ]},
]  # fmt: skip


@pytest.mark.parametrize(
    ("lists", "expected"),
    [
        ((JPEG_METADATA, COMMON_METADATA), {"DateTime": "2018:03:04 10:30:00", "DateTimeOriginal": "2018:03:04 10:21:55", "DateTimeDigitized": "2018:03:04 10:21:55"}),
        ((None, None), {}),
        (([], []), {}),
        ((XMP_NESTED,), {"DateTimeOriginal": "2001:02:03"}),
        ((PNG_METADATA, []), {"DateTime": "2018:03:04 10:21:55", "DateTimeDigitized": "2018:03:04 10:21:55"}),
        (([{"name": "DateTime", "value": [{"name": "de", "value": "2018:01:02"}, {"name": "_type", "value": "lang"}]}],), {"DateTime": "2018:01:02"}),
        (([{"name": "DateTime", "value": 20180304}],), {}),
    ],
)  # fmt: skip
def test_exif_dates(lists: tuple[Any, ...], expected: dict[str, str]) -> None:
    assert exif_dates(*lists) == expected


def _inception(time: dict[str, Any], sid: str | None = None) -> dict[str, Any]:
    statement = new_statement(time_snak(ids.P_INCEPTION, time["time"], time["precision"]))
    if sid:
        statement["id"] = sid
    return statement


def test_conflict_evidence_only_for_date_reasons_and_one_compared_statement() -> None:
    commons, flickr = _inception(t(2018, 3, 4, DAY), "M1$a"), _inception(t(1965, 9, 1, MONTH))
    other = _inception(t(1990, 1, 1, YEAR), "M1$b")
    found = ExifMatch("DateTimeOriginal", SCAN["DateTimeOriginal"])
    assert conflict_exif_evidence("date_differs", [commons], None, flickr, SCAN) == found
    assert conflict_exif_evidence("date_differs", [commons, other], "M1$a", flickr, SCAN) == found
    assert conflict_exif_evidence("date_differs", [commons, other], None, flickr, SCAN) is None
    assert conflict_exif_evidence("creator_differs", [commons], None, flickr, SCAN) is None
    assert ExifMatch.from_json(found.to_json()) == found
