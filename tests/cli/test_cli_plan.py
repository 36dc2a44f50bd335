"""``backfill plan``: offline plans from saved API responses (``tests/fixtures/core``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.cli.plan import build_plan, load_entity
from bot.core.reconcile import apply_edit

FIXTURES = Path(__file__).parents[1] / "fixtures" / "core"


def fixture(name: str) -> str:
    return str(FIXTURES / name)


def run_plan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    status = main(["plan", *args])
    captured = capsys.readouterr()
    return status, json.loads(captured.out) if captured.out else None, captured.err


def summary(out: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(a["property"], a["action"], a["reason"]) for a in out["actions"]]


CASES = [
    (
        "placeholder creator, URL without operator, same date, licence changed",
        [
            "--entity",
            fixture("commons-wbgetentities-M140000001.json"),
            "--flickr-photo",
            fixture("flickr-getinfo-54300000001.json"),
            "--flickr-owner",
            fixture("flickr-people-getinfo-30000001@N05.json"),
        ],
        [
            ("P12120", "add", "absent"),
            ("P170", "replace", "placeholder_creator"),
            ("P7482", "add_qualifiers", "missing_qualifiers"),
            ("P571", "unchanged", "equivalent"),
            ("P1259", "add", "absent"),
            ("P1433", "add", "absent"),
        ],
    ),
    (
        "file without structured data",
        [
            "--entity",
            fixture("commons-wbgetentities-M140000002-missing.json"),
            "--flickr-photo",
            fixture("flickr-getinfo-54300000001.json"),
        ],
        [
            ("P12120", "add", "absent"),
            ("P170", "add", "absent"),
            ("P7482", "add", "absent"),
            ("P571", "add", "absent"),
            ("P1259", "add", "absent"),
            ("P1433", "add", "absent"),
        ],
    ),
    (
        "creator item checked on Wikidata; circa 1923 against a day",
        [
            "--entity",
            fixture("commons-wbgetentities-M140000003-creator-item.json"),
            "--flickr-photo",
            fixture("flickr-getinfo-54300000002-circa.json"),
            "--wikidata",
            fixture("wikidata-wbgetentities-Q1000001.json"),
        ],
        [
            ("P12120", "add", "absent"),
            ("P170", "unchanged", "creator_item_matches"),
            ("P7482", "unchanged", "equivalent"),
            ("P571", "conflict", "date_precision_differs"),
            ("P1433", "add", "absent"),
        ],
    ),
    (
        "creator item without the Wikidata response",
        [
            "--entity",
            fixture("commons-wbgetentities-M140000003-creator-item.json"),
            "--flickr-photo",
            fixture("flickr-getinfo-54300000002-circa.json"),
        ],
        [
            ("P12120", "add", "absent"),
            ("P170", "conflict", "creator_item_unverified"),
            ("P7482", "unchanged", "equivalent"),
            ("P571", "conflict", "date_precision_differs"),
            ("P1433", "add", "absent"),
        ],
    ),
    (
        "photo gone, owner only from the evidence: no creator",
        [
            "--entity",
            fixture("commons-wbgetentities-M140000004-gone.json"),
            "--flickr-photo",
            fixture("flickr-getinfo-gone.json"),
        ],
        [("P12120", "add", "absent")],
    ),
    (
        "photo gone, people.getInfo says the owner exists",
        [
            "--entity",
            fixture("commons-wbgetentities-M140000004-gone.json"),
            "--flickr-photo",
            fixture("flickr-getinfo-gone.json"),
            "--flickr-owner",
            fixture("flickr-people-getinfo-30000009@N07.json"),
        ],
        [("P12120", "add", "absent"), ("P170", "unchanged", "same_flickr_user")],
    ),
    (
        "photo gone, file without SDC, owner exists: creator added",
        [
            "--entity",
            fixture("commons-wbgetentities-M140000002-missing.json"),
            "--flickr-photo",
            fixture("flickr-getinfo-gone.json"),
            "--photo-id",
            "54300000009",
            "--flickr-owner",
            fixture("flickr-people-getinfo-30000009@N07.json"),
        ],
        [("P12120", "add", "absent"), ("P170", "add", "absent")],
    ),
    (
        "photo gone, owner deleted (people.getInfo code 5)",
        [
            "--entity",
            fixture("commons-wbgetentities-M140000002-missing.json"),
            "--flickr-photo",
            fixture("flickr-getinfo-gone.json"),
            "--photo-id",
            "54300000009",
            "--flickr-owner",
            fixture("flickr-people-getinfo-deleted.json"),
        ],
        [("P12120", "add", "absent")],
    ),
    (
        "live photo, owner body says deleted: the photo's owner counts",
        [
            "--entity",
            fixture("commons-wbgetentities-M140000001.json"),
            "--flickr-photo",
            fixture("flickr-getinfo-54300000001.json"),
            "--flickr-owner",
            fixture("flickr-people-getinfo-deleted.json"),
        ],
        [
            ("P12120", "add", "absent"),
            ("P170", "replace", "placeholder_creator"),
            ("P7482", "add_qualifiers", "missing_qualifiers"),
            ("P571", "unchanged", "equivalent"),
            ("P1259", "add", "absent"),
            ("P1433", "add", "absent"),
        ],
    ),
    (
        "photo gone, file without SDC, id given",
        [
            "--entity",
            fixture("commons-wbgetentities-M140000002-missing.json"),
            "--flickr-photo",
            fixture("flickr-getinfo-gone.json"),
            "--photo-id",
            "54300000009",
        ],
        [("P12120", "add", "absent")],
    ),
    (
        "evidence given on the command line names two photos",
        [
            "--entity",
            fixture("commons-wbgetentities-M140000002-missing.json"),
            "--flickr-photo",
            fixture("flickr-getinfo-54300000001.json"),
            "--evidence-photo-id",
            "54300000001",
            "--evidence-photo-id",
            "54300000007",
        ],
        [
            ("P12120", "conflict", "multiple_photo_ids"),
            ("P170", "conflict", "blocked_by_photo_id_conflict"),
            ("P7482", "conflict", "blocked_by_photo_id_conflict"),
            ("P571", "conflict", "blocked_by_photo_id_conflict"),
            ("P1259", "conflict", "blocked_by_photo_id_conflict"),
            ("P1433", "conflict", "blocked_by_photo_id_conflict"),
        ],
    ),
]


@pytest.mark.parametrize(("case", "args", "expected"), CASES, ids=[c[0] for c in CASES])
def test_plan_command(
    capsys: pytest.CaptureFixture[str],
    case: str,
    args: list[str],
    expected: list[tuple[str, str, str]],
) -> None:
    status, out, err = run_plan(capsys, *args)
    assert status == 0, err
    assert summary(out) == expected
    assert list(out)[:4] == ["mid", "flickr_photo_id", "actions", "edit"]
    writes = [a for a in out["actions"] if a["action"] in ("add", "add_qualifiers", "replace")]
    assert (out["edit"] is None) == (not writes)
    if out["edit"] is not None:
        assert len(out["edit"]["claims"]) == len(writes)


def test_licence_information_is_in_the_plan(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_plan(
        capsys,
        "--entity",
        fixture("commons-wbgetentities-M140000001.json"),
        "--flickr-photo",
        fixture("flickr-getinfo-54300000001.json"),
    )
    assert status == 0
    assert out["licence"] == {
        "reason": "licence_differs",
        "flickr_license_id": "4",
        "flickr_license": "CC BY 2.0",
        "flickr_license_item": "Q19125117",
        "commons_license_items": ["Q19068220"],
    }


def test_replace_keeps_rank_and_references(capsys: pytest.CaptureFixture[str]) -> None:
    entity = json.loads((FIXTURES / "commons-wbgetentities-M140000001.json").read_text())
    (creator,) = entity["entities"]["M140000001"]["statements"]["P170"]
    _, out, _ = run_plan(
        capsys,
        "--entity",
        fixture("commons-wbgetentities-M140000001.json"),
        "--flickr-photo",
        fixture("flickr-getinfo-54300000001.json"),
    )
    (claim,) = [c for c in out["edit"]["claims"] if c.get("id") == creator["id"]]
    assert claim["rank"] == "preferred"
    assert claim["references"] == creator["references"]
    assert claim["qualifiers"]["P2093"][0]["datavalue"]["value"] == "Mei Tanaka"


def test_plan_after_applying_the_edit_is_empty() -> None:
    body = json.loads((FIXTURES / "commons-wbgetentities-M140000001.json").read_text())
    photo = json.loads((FIXTURES / "flickr-getinfo-54300000001.json").read_text())
    entity = load_entity(body)
    first = build_plan(entity, photo)
    assert first.edit is not None
    second = build_plan(apply_edit(entity, first.edit), photo)
    assert second.edit is None
    assert {a.action for a in second.actions} == {"unchanged"}


def test_a_single_entity_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = json.loads((FIXTURES / "commons-wbgetentities-M140000001.json").read_text())
    single = tmp_path / "entity.json"
    single.write_text(json.dumps(body["entities"]["M140000001"]))
    status, out, _ = run_plan(
        capsys,
        "--entity",
        str(single),
        "--flickr-photo",
        fixture("flickr-getinfo-54300000001.json"),
    )
    assert status == 0 and out["mid"] == "M140000001"


ERROR_CASES = [
    (
        "gone photo and no way to tell its id",
        {"entities": {"M140000002": {"id": "M140000002", "missing": ""}}},
        "flickr-getinfo-gone.json",
        "--photo-id",
    ),
    (
        "Flickr error that is no answer",
        {"entities": {"M140000002": {"id": "M140000002", "missing": ""}}},
        "flickr-getinfo-unavailable.json",
        "no answer",
    ),
    (
        "file does not exist",
        {"entities": {"-1": {"site": "commonswiki", "title": "File:Nope.jpg", "missing": ""}}},
        "flickr-getinfo-54300000001.json",
        "does not exist",
    ),
    (
        "several entities",
        {"entities": {"M1": {"id": "M1", "missing": ""}, "M2": {"id": "M2", "missing": ""}}},
        "flickr-getinfo-54300000001.json",
        "one entity",
    ),
]


@pytest.mark.parametrize(
    ("case", "entity", "photo", "message"), ERROR_CASES, ids=[c[0] for c in ERROR_CASES]
)
def test_unusable_input_exits_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    case: str,
    entity: dict[str, Any],
    photo: str,
    message: str,
) -> None:
    path = tmp_path / "entity.json"
    path.write_text(json.dumps(entity))
    status, out, err = run_plan(capsys, "--entity", str(path), "--flickr-photo", fixture(photo))
    assert (status, out) == (2, None)
    assert err.startswith("backfill plan: ") and message in err


@pytest.mark.parametrize(
    ("case", "owner", "message"),
    [
        (
            "people.getInfo of another account than the evidence names",
            "flickr-people-getinfo-30000001@N05.json",
            "names 30000009@N07",
        ),
        ("people.getInfo code 1", "flickr-people-getinfo-not-found.json", "only code 5"),
    ],
)
def test_unusable_owner_exits_2(
    capsys: pytest.CaptureFixture[str], case: str, owner: str, message: str
) -> None:
    status, out, err = run_plan(
        capsys,
        "--entity",
        fixture("commons-wbgetentities-M140000004-gone.json"),
        "--flickr-photo",
        fixture("flickr-getinfo-gone.json"),
        "--flickr-owner",
        fixture(owner),
    )
    assert (status, out) == (2, None)
    assert err.startswith("backfill plan: --flickr-owner: ") and message in err


def test_unreadable_files_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    status, _, err = run_plan(
        capsys, "--entity", str(broken), "--flickr-photo", fixture("flickr-getinfo-gone.json")
    )
    assert status == 2 and "--entity" in err and "not JSON" in err
    status, _, err = run_plan(
        capsys,
        "--entity",
        str(tmp_path / "absent.json"),
        "--flickr-photo",
        fixture("flickr-getinfo-gone.json"),
    )
    assert status == 2 and "cannot read" in err
