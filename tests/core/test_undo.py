"""plan_undo: what taking a run back removes, restores and leaves, one case per test line."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bot.core.undo import JournaledEdit, plan_undo
from bot.core.wikibase import item_snak, somevalue_snak, string_snak, time_snak

MID = "M7"


def stmt(sid: str, mainsnak: dict[str, Any], **quals: list[dict[str, Any]]) -> dict[str, Any]:
    s: dict[str, Any] = {"mainsnak": mainsnak, "type": "statement", "rank": "normal"}
    if sid:
        s["id"] = f"{MID}${sid}"
    if quals:
        s["qualifiers"] = dict(quals)
        s["qualifiers-order"] = list(quals)
    return s


def stored(s: dict[str, Any]) -> dict[str, Any]:
    """As Commons stores a sent claim: hashes and datatypes added."""
    out = copy.deepcopy(s)
    out["mainsnak"]["hash"] = "h0"
    out["mainsnak"]["datatype"] = "x"
    for snaks in out.get("qualifiers", {}).values():
        for snak in snaks:
            snak["hash"] = "hq"
    return out


DATE = time_snak("P571", "+2019-06-02T00:00:00Z", 11)
OTHER_DATE = time_snak("P571", "+2018-01-01T00:00:00Z", 11)
SOURCE = item_snak("P7482", "Q74228490")
URL = string_snak("P973", "https://www.flickr.com/photos/x/1/")
OPERATOR = item_snak("P137", "Q103204")
CREATOR = somevalue_snak("P170")
NULL_NAME = string_snak("P2093", "null")
NSID = string_snak("P3267", "1@N01")
NAME = string_snak("P2093", "Ada Marsh")

ADDED_DATE = stmt("", DATE)
SOURCE_BEFORE = stmt("S1", SOURCE, P973=[URL])
SOURCE_EXTENDED = stmt("S1", SOURCE, P973=[URL], P137=[OPERATOR])
PLACEHOLDER = stmt("C1", CREATOR, P2093=[NULL_NAME])
OUR_CREATOR = stmt("C1", CREATOR, P3267=[NSID], P2093=[NAME])


def edit(claims: list[dict[str, Any]], planned: dict[str, Any], jid: int = 1) -> JournaledEdit:
    return JournaledEdit(jid, claims, planned)


def entity(*statements: dict[str, Any]) -> dict[str, Any]:
    by_prop: dict[str, list[dict[str, Any]]] = {}
    for s in statements:
        by_prop.setdefault(s["mainsnak"]["property"], []).append(s)
    return {"id": MID, "statements": by_prop}


def with_id(s: dict[str, Any], sid: str) -> dict[str, Any]:
    return {**stored(s), "id": f"{MID}${sid}"}


CASES = [
    # (name, the file now, the run's edit, claims expected, taken, left)
    (
        "added statement still as added: removed by GUID",
        entity(with_id(ADDED_DATE, "NEW")),
        edit([ADDED_DATE], {"P571": []}),
        [{"id": f"{MID}$NEW", "remove": ""}],
        ["remove"],
        [],
    ),
    (
        "added statement a person changed: left",
        entity(with_id(stmt("", OTHER_DATE), "NEW")),
        edit([ADDED_DATE], {"P571": []}),
        [],
        [],
        ["changed"],
    ),
    (
        "added statement removed since: nothing to do",
        entity(),
        edit([ADDED_DATE], {"P571": []}),
        [],
        [],
        [],
    ),
    (
        "a person's statement next to ours stays",
        entity(with_id(stmt("", OTHER_DATE), "THEIRS"), with_id(ADDED_DATE, "NEW")),
        edit([ADDED_DATE], {"P571": [with_id(stmt("", OTHER_DATE), "THEIRS")]}),
        [{"id": f"{MID}$NEW", "remove": ""}],
        ["remove"],
        [],
    ),
    (
        "qualifier added to someone's statement: only it removed",
        entity(stored(SOURCE_EXTENDED)),
        edit([SOURCE_EXTENDED], {"P7482": [stored(SOURCE_BEFORE)]}),
        [stored(SOURCE_BEFORE)],
        ["remove_qualifiers"],
        [],
    ),
    (
        "qualifier added, a reference added since: reference kept",
        entity({**stored(SOURCE_EXTENDED), "references": [{"snaks": {"P854": [URL]}}]}),
        edit([SOURCE_EXTENDED], {"P7482": [stored(SOURCE_BEFORE)]}),
        [{**stored(SOURCE_BEFORE), "references": [{"snaks": {"P854": [URL]}}]}],
        ["remove_qualifiers"],
        [],
    ),
    (
        "qualifier added, then changed by a person: left",
        entity(stmt("S1", SOURCE, P973=[URL], P137=[item_snak("P137", "Q1")])),
        edit([SOURCE_EXTENDED], {"P7482": [stored(SOURCE_BEFORE)]}),
        [],
        [],
        ["changed"],
    ),
    (
        "placeholder creator replaced, still ours: put back",
        entity(stored(OUR_CREATOR)),
        edit([OUR_CREATOR], {"P170": [stored(PLACEHOLDER)]}),
        [stored(PLACEHOLDER)],
        ["restore"],
        [],
    ),
    (
        "placeholder creator replaced, then edited: left",
        entity(stmt("C1", CREATOR, P3267=[NSID], P2093=[string_snak("P2093", "A. Marsh")])),
        edit([OUR_CREATOR], {"P170": [stored(PLACEHOLDER)]}),
        [],
        [],
        ["changed"],
    ),
    (
        "already undone (a resumed undo): nothing to send",
        entity(stored(SOURCE_BEFORE), stored(PLACEHOLDER)),
        edit(
            [SOURCE_EXTENDED, OUR_CREATOR, ADDED_DATE],
            {"P7482": [stored(SOURCE_BEFORE)], "P170": [stored(PLACEHOLDER)], "P571": []},
        ),
        [],
        [],
        [],
    ),
]


@pytest.mark.parametrize(
    ("now", "the_edit", "claims", "taken", "left"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_plan_undo(
    now: dict[str, Any],
    the_edit: JournaledEdit,
    claims: list[dict[str, Any]],
    taken: list[str],
    left: list[str],
) -> None:
    before = copy.deepcopy(now)
    plan = plan_undo(now, [the_edit])
    assert plan.claims == claims
    assert [t.action for t in plan.taken] == taken
    assert [x.action for x in plan.left] == left
    assert now == before  # pure


def test_a_statement_created_then_extended_in_one_run_comes_out_whole() -> None:
    created = with_id(ADDED_DATE, "NEW")
    extended = {**created, "qualifiers": {"P1480": [item_snak("P1480", "Q5727902")]}}
    extended["qualifiers-order"] = ["P1480"]
    plan = plan_undo(
        entity(extended),
        [edit([ADDED_DATE], {"P571": []}, 1), edit([extended], {"P571": [created]}, 2)],
    )
    assert plan.claims == [{"id": f"{MID}$NEW", "remove": ""}]
    assert [t.action for t in plan.taken] == ["remove_qualifiers", "remove"]
