"""The licence drift page and its CSV, and the EXIF field on a conflict's page."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from bot.core import ids
from bot.core.exif import ExifMatch
from bot.core.flickr_photo import FlickrOwner, FlickrPhoto
from bot.core.licences import licence_check
from bot.core.wikibase import item_snak, new_statement
from bot.store import ConflictRecord, Store
from review_ui.app import create_app

OWNER = FlickrOwner(nsid="74108412@N03", username="Harbour Lights")


@pytest.fixture(autouse=True)
def no_tool_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("TOOL_"):
            monkeypatch.delenv(key)


def _photo(photo_id: str, licence: str) -> FlickrPhoto:
    return FlickrPhoto(photo_id, OWNER, datetime(2023, 4, 1, tzinfo=UTC), license_id=licence)


def _file(*qids: str) -> dict[str, Any]:
    return {"statements": {"P275": [new_statement(item_snak("P275", q)) for q in qids]}}


# (mid, Flickr photo, Flickr licence now, the file's P275): same / changed / unknown
FILES = [
    ("M1", "1001", "4", _file(ids.Q_CC_BY_2_0)),  # same
    ("M2", "1002", "4", _file(ids.Q_CC_BY_SA_2_0)),  # changed: CC BY-SA 2.0 → CC BY 2.0
    ("M3", "1003", "0", _file(ids.Q_CC_BY_SA_2_0)),  # changed: → All Rights Reserved
    ("M4", "1004", "4", _file()),  # unknown: no P275, no wikitext
    ("M5", "1005", "7", _file(ids.Q_CC_BY_2_0)),  # unknown: a copyright status
]


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "bot.db"
    with Store(path) as store:
        for mid, photo_id, licence, entity in FILES:
            check = licence_check(_photo(photo_id, licence), entity)
            store.record_licence(mid, f"File:{mid} harbour.jpg", photo_id, check, run_id=1)
        store.record_conflicts(
            mid="M9", title="File:Scan.jpg", flickr_photo_id="1009", owner_nsid=None,
            base_revid=7, run_id=1, dry_run=False,
            conflicts=[ConflictRecord("P571", "commons_date_from_exif", [], None,
                                      evidence=ExifMatch("DateTimeOriginal", "2018:03:04 10:21:55"))],
        )  # fmt: skip
    return path


@pytest.fixture()
def client(db: Path) -> FlaskClient:
    app = create_app({"DB_PATH": str(db), "SECRET_KEY": "x" * 32, "MAINTAINERS": "Alice"})
    return app.test_client()


def test_the_page_lists_only_changed_licences(client: FlaskClient) -> None:
    page = client.get("/licences").get_data(as_text=True)
    assert "M2 harbour.jpg" in page and "M3 harbour.jpg" in page
    assert (
        "M1 harbour.jpg" not in page and "M4 harbour.jpg" not in page and "M5 harbour" not in page
    )
    assert "2 files" in page and "/licences.csv" in page


def test_filter_by_pair(client: FlaskClient) -> None:
    page = client.get("/licences?commons=CC+BY-SA+2.0&flickr=All+Rights+Reserved").get_data(
        as_text=True
    )
    assert "M3 harbour.jpg" in page and "M2 harbour.jpg" not in page and "1 file:" in page


def test_pages(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from review_ui import licences

    monkeypatch.setattr(licences, "PAGE_SIZE", 1)
    first = client.get("/licences").get_data(as_text=True)
    assert "M2 harbour.jpg" in first and "M3 harbour.jpg" not in first and "after=M2" in first
    second = client.get("/licences?after=M2").get_data(as_text=True)
    assert "M3 harbour.jpg" in second and "M2 harbour.jpg" not in second


def test_csv_export(client: FlaskClient) -> None:
    response = client.get("/licences.csv?flickr=CC+BY+2.0")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [
        (r["mid"], r["commons_licence"], r["flickr_licence"], r["flickr_photo_id"]) for r in rows
    ] == [("M2", "CC BY-SA 2.0", "CC BY 2.0", "1002")]


def test_the_conflict_page_shows_the_exif_field(client: FlaskClient) -> None:
    page = client.get("/conflict/1").get_data(as_text=True)
    assert "DateTimeOriginal" in page and "2018:03:04 10:21:55" in page
