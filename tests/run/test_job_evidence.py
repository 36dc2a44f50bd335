"""The job with real pywikibot and httpx against the stand-ins: EXIF evidence for date
conflicts, and the licence drift report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.core import ids
from bot.core.exif import ExifMatch
from bot.core.wikibase import item_snak, new_statement
from bot.store import QueueFilter
from tests.support.world import World, p571

# A scan's EXIF as imageinfo gives it: the scanner wrote the date of the scan.
SCAN_EXIF = [
    {"name": "Make", "value": "EPSON"},
    {"name": "DateTimeOriginal", "value": "2018:03:04 10:21:55"},
    {"name": "MEDIAWIKI_EXIF_VERSION", "value": 2},
]
SCAN_DAY = "+2018-03-04T00:00:00Z"
MONTH_GRANULARITY = 4  # Flickr: "September 1965"


def _imageinfo_titles(running: Any) -> list[list[str]]:
    return [
        e["params"]["titles"].split("|")
        for e in running.wiki.log
        if e["params"].get("prop") == "imageinfo"
    ]


def test_a_date_conflict_explained_by_exif_gets_its_own_reason(tmp_path: Path) -> None:
    world = World(tmp_path)
    scanned = world.add_file(
        101,
        "52810336619",
        statements={"P571": [p571("M101", SCAN_DAY, ids.PRECISION_DAY)]},
        taken="1965-09-01 00:00:00",
        granularity=MONTH_GRANULARITY,
    )
    world.commons.entities[scanned]["metadata"] = SCAN_EXIF
    no_exif = world.add_file(
        102,
        "52810336620",
        statements={"P571": [p571("M102", SCAN_DAY, ids.PRECISION_DAY)]},
        taken="1965-09-01 00:00:00",
        granularity=MONTH_GRANULARITY,
    )
    world.add_file(103, "52810336621")  # no P571: no date conflict, no metadata read
    with world.start() as running:
        summary = running.run()
        conflicts = {c["mid"]: c for c in running.store().list_conflicts(QueueFilter())}
        titles = _imageinfo_titles(running)
    assert conflicts[scanned]["reason"] == "commons_date_from_exif"
    assert conflicts[scanned]["evidence"] == ExifMatch("DateTimeOriginal", "2018:03:04 10:21:55")
    assert conflicts[no_exif]["reason"] == "date_differs"
    assert conflicts[no_exif]["evidence"] is None
    assert summary.conflicts["commons_date_from_exif"] == 1
    assert len(titles) == 1 and len(titles[0]) == 2  # one request, only the two conflicts


def test_a_date_conflict_answered_before_its_exif_was_read_is_not_asked_again(
    tmp_path: Path,
) -> None:
    """The answer stands while the facts on both sides are the same: the EXIF evidence
    found on a later run does not turn a kept conflict into a new question."""
    world = World(tmp_path)
    scanned = world.add_file(
        101,
        "52810336619",
        statements={"P571": [p571("M101", SCAN_DAY, ids.PRECISION_DAY)]},
        taken="1965-09-01 00:00:00",
        granularity=MONTH_GRANULARITY,
    )
    with world.start() as running:
        running.run()
        with running.store() as store:
            [first] = store.list_conflicts(QueueFilter())
            assert first["reason"] == "date_differs"
            store.decide(first["id"], "keep_commons", actor="Maintainer")
        page = running.wiki.standin.file_page(scanned)
        assert page is not None
        page.metadata = SCAN_EXIF  # the file's EXIF becomes known (as if read for the first time)
        again = running.run(recheck=True)
        with running.store() as store:
            rows = store.list_conflicts(QueueFilter(status=None))
    assert [(r["reason"], r["status"]) for r in rows] == [("date_differs", "keep_commons")]
    assert again.conflicts == {} or "commons_date_from_exif" not in again.conflicts


def test_no_date_conflict_means_no_metadata_request(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.add_file(101, "52810336619")
    with world.start() as running:
        running.run()
        assert _imageinfo_titles(running) == []


def _p275(qid: str) -> dict[str, Any]:
    return new_statement(item_snak(ids.P_COPYRIGHT_LICENSE, qid))


def test_licence_drift_is_recorded_updated_and_cleared(tmp_path: Path) -> None:
    world = World(tmp_path)
    changed = world.add_file(101, "52810336619", statements={"P275": [_p275(ids.Q_CC_BY_SA_2_0)]})
    world.add_file(102, "52810336620", statements={"P275": [_p275(ids.Q_CC_BY_2_0)]})  # same
    world.add_file(103, "52810336621", statements={})  # no P275, no wikitext read: unknown
    with world.start() as running:
        summary = running.run()
        rows = running.store().licence_drifts()
        assert summary.licence_drift == 1 and summary.to_json()["licence_drift"] == 1
        assert [(r.mid, r.commons_licence, r.flickr_licence) for r in rows] == [
            (changed, "CC BY-SA 2.0", "CC BY 2.0")
        ]
        assert rows[0].flickr_photo_id == "52810336619" and rows[0].commons_source == "P275"
        assert all("P275" not in str(w) for w in running.wiki.writes)  # no licence written
        # Flickr's licence changes back to the file's: the next run clears the row
        running.flickr.app.data.photos["52810336619"]["license"] = "5"
        running.run(recheck=True)
        assert running.store().licence_drifts() == []
