"""What an accepted conflict writes (``bot.core.decisions``): never a statement the file
already holds, never a second Flickr photo id."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.claims import photo_id_statement
from bot.core.decisions import apply_decision, second_photo_id
from bot.core.wikibase import pseudo_hash, string_snak

MID = "M131000110"
A, B, C = "53377120054", "53377120188", "53377120999"


def sid(n: int) -> str:
    return f"{MID}$00000000-0000-4000-8000-{n:012d}"


def on_file(value: str, n: int, rank: str = "normal") -> dict[str, Any]:
    """A P12120 statement as wbgetentities returns it."""
    snak = string_snak("P12120", value)
    return {
        "mainsnak": {**snak, "hash": pseudo_hash(snak)},
        "type": "statement",
        "id": sid(n),
        "rank": rank,
    }


def entity(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"id": MID, "type": "mediainfo", "statements": {"P12120": list(statements)}}


def replacing(n: int, value: str) -> dict[str, Any]:
    return {**photo_id_statement(value), "id": sid(n)}


def test_accepting_a_statement_the_file_already_holds_writes_nothing() -> None:
    there = entity(on_file(A, 1))
    assert apply_decision(there, [on_file(A, 1)], photo_id_statement(A), None) == []
    (added,) = apply_decision(there, [on_file(A, 1)], photo_id_statement(B), None)
    assert "id" not in added and added["mainsnak"]["datavalue"]["value"] == B


def test_accepting_with_a_statement_id_replaces_that_statement() -> None:
    there = entity(on_file(A, 1))
    (claim,) = apply_decision(there, [on_file(A, 1)], photo_id_statement(B), sid(1))
    assert claim["id"] == sid(1) and claim["mainsnak"]["datavalue"]["value"] == B


TWO = [on_file(A, 1), on_file(B, 2)]
SECOND_PHOTO_ID_CASES = [
    # (case, P12120 on the file, claims, the ids it would hold (empty: allowed))
    ("the one id on a file without any", [], [photo_id_statement(A)], set()),
    ("two candidates accepted", [], [photo_id_statement(A), photo_id_statement(B)], {A, B}),
    ("a second id next to one on the file", [on_file(A, 1)], [photo_id_statement(B)], {A, B}),
    ("the id replaced in place", [on_file(A, 1)], [replacing(1, B)], set()),
    (
        "next to a deprecated other id",
        [on_file(A, 1, "deprecated")],
        [photo_id_statement(B)],
        set(),
    ),
    ("two on the file, nothing added", TWO, [replacing(2, A)], set()),
    ("two on the file, a third added", TWO, [photo_id_statement(C)], {A, B, C}),
    ("not a photo id", [on_file(A, 1)], [{"mainsnak": string_snak("P687", "1")}], set()),
]


@pytest.mark.parametrize(
    ("case", "existing", "claims", "ids"),
    SECOND_PHOTO_ID_CASES,
    ids=[c[0] for c in SECOND_PHOTO_ID_CASES],
)
def test_second_photo_id(
    case: str, existing: list[dict[str, Any]], claims: list[dict[str, Any]], ids: set[str]
) -> None:
    assert second_photo_id(entity(*existing), claims) == ids
