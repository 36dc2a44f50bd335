"""``backfill licences``: the licence drift report on the command line (counts, CSV)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.errors import ExitCode
from bot.core.licences import LicenceCheck, LicenceStatus
from bot.store import Store

CHANGED = LicenceCheck(LicenceStatus.CHANGED, "4", "CC BY 2.0", "CC BY-SA 2.0", "P275")
TO_ARR = LicenceCheck(LicenceStatus.CHANGED, "0", "All Rights Reserved", "CC BY 2.0", "wikitext")
SAME = LicenceCheck(LicenceStatus.SAME, "4", "CC BY 2.0", "CC BY 2.0", "P275")


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "bot.db"
    with Store(path) as store:
        store.record_licence("M1", "File:One.jpg", "11", CHANGED, run_id=1)
        store.record_licence("M2", "File:Two.jpg", "22", TO_ARR, run_id=1)
        store.record_licence("M3", "File:Three.jpg", "33", SAME, run_id=1)
    return path


def test_counts_by_pair(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["licences", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2 file(s)")
    assert "CC BY-SA 2.0 (Commons) -> CC BY 2.0 (Flickr now)" in out


def test_csv_to_stdout_filtered(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["licences", "--db", str(db), "--csv", "--flickr", "All Rights Reserved"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["mid"], r["commons_source"]) for r in rows] == [("M2", "wikitext")]


def test_csv_to_a_file(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "drift.csv"
    assert main(["licences", "--db", str(db), "--csv", "-o", str(out)]) == 0
    assert [r["mid"] for r in csv.DictReader(out.open(encoding="utf-8"))] == ["M1", "M2"]


def test_no_store_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["licences", "--db", str(tmp_path / "none.db")]) == int(ExitCode.STORE_MISSING)
    assert "no store at" in capsys.readouterr().err
