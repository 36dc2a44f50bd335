"""The licence drift report in the store: one row per file, updated, cleared, paged, CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from bot.core.exif import ExifMatch
from bot.core.licences import LicenceCheck, LicenceStatus
from bot.store import ConflictRecord, QueueFilter, Store

SAME = LicenceCheck(LicenceStatus.SAME, "4", "CC BY 2.0", "CC BY 2.0", "P275")
CHANGED = LicenceCheck(LicenceStatus.CHANGED, "4", "CC BY 2.0", "CC BY-SA 2.0", "P275")
CHANGED_AGAIN = LicenceCheck(
    LicenceStatus.CHANGED, "0", "All Rights Reserved", "CC BY-SA 2.0", "P275"
)
UNKNOWN = LicenceCheck(LicenceStatus.UNKNOWN)


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "bot.db")


def pairs(store: Store) -> list[tuple[str, str, str]]:
    return [(r.mid, r.commons_licence, r.flickr_licence) for r in store.licence_drifts()]


def test_changed_is_recorded_same_clears_unknown_keeps(store: Store) -> None:
    store.record_licence("M1", "File:A.jpg", "111", CHANGED, run_id=1)
    store.record_licence("M2", "File:B.jpg", "222", SAME, run_id=1)
    assert pairs(store) == [("M1", "CC BY-SA 2.0", "CC BY 2.0")]
    first = store.licence_drifts()[0]
    store.record_licence("M1", None, "111", CHANGED_AGAIN, run_id=2)  # later run: updated
    again = store.licence_drifts()[0]
    assert (again.flickr_licence, again.flickr_license_id, again.last_seen_run_id) == (
        "All Rights Reserved",
        "0",
        2,
    )
    assert again.first_seen_at == first.first_seen_at and again.title == "File:A.jpg"
    store.record_licence("M1", "File:A.jpg", "111", UNKNOWN, run_id=3)  # cannot tell: kept
    assert pairs(store) == [("M1", "CC BY-SA 2.0", "All Rights Reserved")]
    store.record_licence("M1", "File:A.jpg", "111", SAME, run_id=4)  # agree again: cleared
    assert pairs(store) == []


def test_filter_by_pair_and_page(store: Store) -> None:
    for i in range(5):
        store.record_licence(
            f"M{i}", f"File:{i}.jpg", str(i), CHANGED if i % 2 else CHANGED_AGAIN, run_id=1
        )
    assert store.licence_drift_pairs() == [
        ("CC BY-SA 2.0", "All Rights Reserved", 3),
        ("CC BY-SA 2.0", "CC BY 2.0", 2),
    ]
    assert [r.mid for r in store.licence_drifts(flickr="CC BY 2.0")] == ["M1", "M3"]
    assert store.licence_drift_count(commons="CC BY-SA 2.0", flickr="All Rights Reserved") == 3
    page1 = store.licence_drifts(limit=2)
    page2 = store.licence_drifts(limit=2, after_mid=page1[-1].mid)
    assert [r.mid for r in page1 + page2] == ["M0", "M1", "M2", "M3"]


def test_csv_has_a_header_and_every_row_across_pages(store: Store) -> None:
    for i in range(7):
        store.record_licence(f"M{i}", f"File:{i}, with comma.jpg", str(i), CHANGED, run_id=1)
    text = "".join(store.iter_licence_drift_csv(page=3))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["mid"] for r in rows] == [f"M{i}" for i in range(7)]
    assert rows[0]["title"] == "File:0, with comma.jpg" and rows[0]["flickr_licence"] == "CC BY 2.0"
    assert "".join(store.iter_licence_drift_csv(flickr="none such")).count("\n") == 1


def test_a_conflict_keeps_its_exif_evidence(store: Store) -> None:
    match = ExifMatch("DateTimeOriginal", "2018:03:04 10:21:55")
    rec = ConflictRecord("P571", "commons_date_from_exif", [], None, evidence=match)
    store.record_conflicts(
        mid="M1", title="File:A.jpg", flickr_photo_id="1", owner_nsid=None, base_revid=5,
        conflicts=[rec], run_id=1, dry_run=False,
    )  # fmt: skip
    (row,) = store.list_conflicts(QueueFilter())
    assert row["evidence"] == match
    assert store.get_conflict(row["id"])["evidence"] == match  # type: ignore[index]
