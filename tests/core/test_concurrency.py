"""The pure check of a merged edit: whose statements are whose, and what to take back."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.concurrency import (
    claims_present,
    interference,
    planned_against,
    statements_of,
    undo_claims,
)
from bot.core.reconcile import apply_edit

MID = "M7"


def string(prop: str, value: str, sid: str | None = None, **extra: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "mainsnak": {
            "snaktype": "value",
            "property": prop,
            "datavalue": {"type": "string", "value": value},
        },
        "type": "statement",
        "rank": "normal",
        **extra,
    }
    if sid:
        statement["id"] = f"{MID}${sid}"
    return statement


def entity(*statements: dict[str, Any]) -> dict[str, Any]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for s in statements:
        grouped.setdefault(s["mainsnak"]["property"], []).append(copy.deepcopy(s))
    return {"type": "mediainfo", "id": MID, "statements": grouped}


def land(base: dict[str, Any], *edits: list[dict[str, Any]]) -> dict[str, Any]:
    """Apply edits in order, as Commons stores them (new random ids, hashes)."""
    for claims in edits:
        with_ids = [
            c if c.get("id") or "remove" in c else {**c, "id": f"{MID}${uuid.uuid4()}"}
            for c in claims
        ]
        base = apply_edit(base, {"claims": with_ids})
    return base


def test_someone_elses_statement_next_to_ours_is_interference() -> None:
    base = entity(string("P12120", "1", "A"))
    ours = [string("P571", "2019")]
    planned = planned_against(base, ours)
    merged = land(base, [string("P571", "1999")], ours)  # theirs first, then ours patched on
    (found,) = interference(planned, ours, merged)
    theirs, mine = statements_of(merged)["P571"]
    assert found.property == "P571"
    assert found.created == [mine["id"]] and found.restore == []
    assert [s["id"] for s in found.others] == [theirs["id"]]
    assert found.proposed == ours[0] and found.statement_id is None
    assert undo_claims([found]) == [{"id": mine["id"], "remove": ""}]
    after = land(merged, undo_claims([found]))
    assert statements_of(after)["P571"] == [theirs]
    assert statements_of(after)["P12120"] == statements_of(base)["P12120"]


def test_a_change_to_another_property_is_no_interference() -> None:
    base = entity(string("P12120", "1", "A"))
    ours = [string("P571", "2019")]
    merged = land(base, [string("P180", "a harbour")], ours)
    assert interference(planned_against(base, ours), ours, merged) == []


def test_an_edit_nobody_else_touched_is_no_interference() -> None:
    base = entity(string("P571", "2019", "D"))
    ours = [string("P1259", "52,4"), {**string("P571", "2019", "D"), "rank": "preferred"}]
    merged = land(base, ours)
    assert interference(planned_against(base, ours), ours, merged) == []


def test_a_statement_we_extended_is_put_back_as_it_was() -> None:
    old = string("P7482", "source", "S", references=[{"snaks": {}, "snaks-order": []}])
    base = entity(old)
    extended = {**old, "qualifiers": {"P137": [string("P137", "Flickr")["mainsnak"]]}}
    ours = [extended]
    merged = land(base, [string("P7482", "another source")], ours)
    (found,) = interference(planned_against(base, ours), ours, merged)
    assert found.created == [] and [s["id"] for s in found.restore] == [old["id"]]
    assert found.statement_id == old["id"]
    after = land(merged, undo_claims([found]))
    restored = next(s for s in statements_of(after)["P7482"] if s["id"] == old["id"])
    assert "qualifiers" not in restored
    assert [{k: v for k, v in r.items() if k != "hash"} for r in restored["references"]] == (
        old["references"]
    )


def test_someone_changing_a_statement_we_planned_against_is_interference() -> None:
    theirs_before = string("P571", "1999", "H")
    base = entity(theirs_before)
    ours = [string("P571", "2019")]
    merged = land(base, [{**theirs_before, "rank": "deprecated"}], ours)
    (found,) = interference(planned_against(base, ours), ours, merged)
    assert len(found.created) == 1 and found.others[0]["rank"] == "deprecated"


def test_values_normalised_by_commons_are_still_ours_when_the_edit_landed() -> None:
    base = entity()
    sent = [string("P571", "2019")]
    stored_as = [string("P571", "2019-00-00")]  # Commons stored it differently
    merged = land(base, stored_as)
    assert interference(planned_against(base, sent), sent, merged) == []
    # one more statement than ours is new, and ours cannot be recognised: left alone
    merged = land(base, [string("P571", "1999")], stored_as)
    (found,) = interference(planned_against(base, sent), sent, merged)
    assert found.uncertain and found.created == [] and len(found.others) == 2
    assert undo_claims([found]) == []


def test_a_journal_entry_of_unknown_outcome_only_counts_what_matches() -> None:
    base = entity()
    ours = [string("P571", "2019")]
    planned = planned_against(base, ours)
    not_landed = land(base, [string("P571", "1999")])
    # our edit never landed: the person's date is not mistaken for ours
    assert interference(planned, ours, not_landed, landed=False) == []
    landed = land(not_landed, ours)
    (found,) = interference(planned, ours, landed, landed=False)
    assert [statements_of(landed)["P571"][1]["id"]] == found.created


def test_claims_present() -> None:
    base = entity(string("P571", "2019", "D"))
    assert claims_present(base, [string("P571", "2019")])
    assert claims_present(base, [string("P571", "2019", "D")])
    assert not claims_present(base, [string("P571", "2020")])
    assert not claims_present(base, [{**string("P571", "2019", "D"), "rank": "preferred"}])
    assert claims_present(base, [{"id": f"{MID}$GONE", "remove": ""}])
    assert not claims_present(base, [{"id": f"{MID}$D", "remove": ""}])


values = st.sampled_from(["1999", "2019", "circa 1900", "unknown"])
props = st.sampled_from(["P571", "P170", "P1259"])


@settings(max_examples=150, deadline=None)
@given(
    existing=st.lists(st.tuples(props, values), max_size=3),
    theirs=st.lists(st.tuples(props, values), max_size=3),
    ours=st.lists(st.tuples(props, values), min_size=1, max_size=3),
)
def test_the_undo_never_takes_away_anything_but_ours(
    existing: list[tuple[str, str]],
    theirs: list[tuple[str, str]],
    ours: list[tuple[str, str]],
) -> None:
    base = entity(*(string(p, v, f"E{i}") for i, (p, v) in enumerate(existing)))
    claims = [string(p, v) for p, v in ours]
    planned = planned_against(base, claims)
    after_theirs = land(base, [string(p, v) for p, v in theirs])
    merged = land(after_theirs, claims)
    found = interference(planned, claims, merged)
    undone = land(merged, undo_claims(found)) if undo_claims(found) else merged
    # everything that was there before our edit is still there, untouched
    kept = {s["id"]: s for g in statements_of(undone).values() for s in g}
    for group in statements_of(after_theirs).values():
        for statement in group:
            assert kept.get(statement["id"]) == statement
    # on the properties someone else added to, none of ours is left
    for f in found:
        assert not set(f.created) & set(kept)
    # and where nobody else touched a property, our statements stay
    hit = {f.property for f in found}
    touched_by_them = {p for p, _ in theirs}
    for prop in {p for p, _ in ours} - touched_by_them:
        assert prop not in hit
