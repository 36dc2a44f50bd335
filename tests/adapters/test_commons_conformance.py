"""Every kind of edit the bot makes, against the real Wikibase and against the stand-in.

Each scenario runs twice (``backend`` is ``real`` or ``standin``): through real pywikibot
and the bot's own adapter (:class:`bot.adapters.commons.CommonsClient`), with "someone else"
editing through a second raw API session. Each asserts what the wiki stores, and that
the bot's own model of an edit (:func:`bot.core.reconcile.apply_edit`) agrees with it. The
``real`` runs are marked ``real_wikibase`` (``pytest -m real_wikibase``); without a real
wiki they skip with the reason, and with ``REQUIRE_WIKIBASE=1`` they fail.
"""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.commons import CommonsClient, EditConflict, EditRefused
from bot.core import ids
from bot.core.claims import wanted_statements
from bot.core.concurrency import interference, planned_against, undo_claims
from bot.core.flickr_photo import FlickrLocation, FlickrOwner, FlickrPhoto
from bot.core.reconcile import ActionKind, apply_edit, plan
from bot.core.wikibase import item_snak, new_statement, somevalue_snak, string_snak
from tests.support.commons import offline_fixture, pywikibot_dir_fixture  # noqa: F401 - fixtures
from tests.support.wikibase import (
    BOT,
    START_SCRIPT,
    TAG,
    Backend,
    backend_fixture,  # noqa: F401 - fixture
    ids_of,
    real_backend_fixture,  # noqa: F401 - fixture
    shape,
    standin_backend_fixture,  # noqa: F401 - fixture
    statements,
    warning_names,
)

OWNER = FlickrOwner(
    nsid="55696846@N04",
    username="Rafael Moura SP",
    realname="Rafael B. de Moura",
    path_alias="rbmoura",
)
PHOTO = FlickrPhoto(
    id="28952265972",
    owner=OWNER,
    date_posted=datetime(2016, 8, 12, 19, 4, 2, tzinfo=UTC),
    date_taken="2016-08-10 21:30:00",
    location=FlickrLocation(-23.550520, -46.633308, 16),
    license_id="5",
)
REFERENCE = {"snaks": {"P973": [string_snak("P973", "https://example.org/source")]}}
CONFLICT_INFO = "Edit conflict. Could not patch the current revision."


# --------------------------------------------------------------------------- helpers


def page_revid(backend: Backend, mid: str) -> int:
    page = backend.raw.get(action="query", pageids=mid[1:], prop="info")["query"]["pages"][0]
    return int(page["lastrevid"])


def seeded(backend: Backend, claims: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """A fresh file on which someone else put ``claims``; (M-id, stored entity)."""
    mid = backend.new_file()
    answer = backend.raw.edit(mid, {"claims": claims}, baserevid=page_revid(backend, mid))
    assert answer.get("success") == 1, answer
    return mid, backend.raw.entity(mid)


def string_claim_p(prop: str, value: str) -> dict[str, Any]:
    return new_statement(string_snak(prop, value))


def creator(qualifiers: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """An existing-style creator statement: unknown value with these qualifiers."""
    return {**new_statement(somevalue_snak(ids.P_CREATOR), qualifiers), **extra}


def assert_model_agrees(
    before: dict[str, Any], edit: dict[str, Any], stored: dict[str, Any]
) -> None:
    """``apply_edit`` (the bot's model of wbeditentity) gives what the wiki stored."""
    expected = apply_edit(before, edit)
    assert shape(expected, ids_of(before)) == shape(stored, ids_of(before))


def no_datatype(value: Any) -> bool:
    return "datatype" not in json.dumps(value)


def one_edit(backend: Backend, mid: str, claims: list[dict[str, Any]], **kw: Any) -> Any:
    state = backend.client.read_entities([mid])[mid]
    assert state.lastrevid is not None
    return backend.client.edit(mid, claims, baserevid=state.lastrevid, summary="conformance", **kw)


# --------------------------------------------------------------------------- reading


def test_reading_a_file_without_structured_data(backend: Backend) -> None:
    mid = backend.new_file()
    assert backend.raw.entity(mid) == {"id": mid, "missing": ""}
    state = backend.client.read_entities([mid])[mid]
    assert (state.has_sdc, state.gone, state.lastrevid) == (False, False, page_revid(backend, mid))
    assert statements(state.entity) == {}
    assert plan(state.entity, wanted_statements(PHOTO), owner=OWNER).base_revid == state.lastrevid


def test_reading_a_file_that_does_not_exist(backend: Backend) -> None:
    mid = "M987654321"
    assert backend.raw.entity(mid) == {"id": mid, "missing": ""}  # same as "no SDC yet"
    state = backend.client.read_entities([mid])[mid]
    assert (state.gone, state.has_sdc, state.lastrevid, state.entity) == (True, False, None, {})


def test_reading_a_file_with_statements(backend: Backend) -> None:
    claim = creator(
        [string_snak(ids.P_AUTHOR_NAME_STRING, "Someone")], rank="preferred", references=[REFERENCE]
    )
    mid, stored = seeded(backend, [claim])
    state = backend.client.read_entities([mid])[mid]
    assert (state.has_sdc, state.gone, state.lastrevid) == (True, False, stored["lastrevid"])
    assert "claims" not in state.entity and no_datatype(state.entity)
    (read,) = state.entity["statements"][ids.P_CREATOR]
    assert read["id"].startswith(f"{mid}$") and read["rank"] == "preferred"
    assert read["references"][0]["snaks-order"] == ["P973"] and read["references"][0]["hash"]
    assert_model_agrees({"id": mid, "missing": ""}, {"claims": [claim]}, stored)


def test_reading_files_by_title(backend: Backend) -> None:
    """The ``--titles`` path: with SDC, without, missing; titles in another spelling."""
    with_sdc, _ = seeded(backend, [string_claim_p(ids.P_BHL_PAGE_ID, "1")])
    without = backend.new_file()
    titles = {
        mid: backend.raw.get(action="query", pageids=mid[1:])["query"]["pages"][0]["title"]
        for mid in (with_sdc, without)
    }
    sites = backend.raw.get(
        action="wbgetentities", sites=backend.site.dbName(), titles=titles[with_sdc]
    )
    if "error" in sites:
        pytest.skip(f"this wiki does not know itself as a site (tests/wikibase/start.sh): {sites}")
    asked = {
        "sdc": titles[with_sdc],
        "none": "file:" + titles[without].removeprefix("File:").replace(" ", "_"),
        "gone": "File:No such file 1234567.png",
    }
    states = backend.client.read_entities_by_title(list(asked.values()))
    got = {k: (states[t].mid, states[t].has_sdc, states[t].gone) for k, t in asked.items()}
    assert got == {
        "sdc": (with_sdc, True, False),
        "none": (without, False, False),
        "gone": ("", False, True),
    }
    assert states[asked["none"]].lastrevid == page_revid(backend, without)


# --------------------------------------------------------------------------- the planner's edits


def test_first_edit_adds_every_planned_statement(backend: Backend) -> None:
    mid = backend.new_file()
    state = backend.client.read_entities([mid])[mid]
    the_plan = plan(state.entity, wanted_statements(PHOTO), owner=OWNER)
    assert {a.action for a in the_plan.actions} == {ActionKind.ADD} and the_plan.edit
    result = backend.client.edit(
        mid, the_plan.edit["claims"], baserevid=state.lastrevid or 0, summary="conformance"
    )
    stored = backend.raw.entity(mid)
    assert not result.patched and result.revid == stored["lastrevid"]
    assert shape(result.entity) == shape(stored) and no_datatype(stored)
    assert_model_agrees(state.entity, the_plan.edit, stored)
    # planning again against what was stored finds nothing left to do
    again = plan(stored, wanted_statements(PHOTO), owner=OWNER)
    assert again.edit is None and {a.action for a in again.actions} == {ActionKind.UNCHANGED}


def test_add_qualifiers_keeps_references_rank_and_other_qualifiers(backend: Backend) -> None:
    existing = creator(
        [
            string_snak(ids.P_AUTHOR_NAME_STRING, OWNER.realname or ""),
            item_snak(ids.P_OBJECT_HAS_ROLE, "Q33231"),
        ],
        rank="preferred",
        references=[REFERENCE],
    )
    mid, before = seeded(backend, [existing])
    the_plan = plan(before, wanted_statements(PHOTO), owner=OWNER)
    (action,) = [a for a in the_plan.actions if a.property == ids.P_CREATOR]
    assert (action.action, action.reason) == (ActionKind.ADD_QUALIFIERS, "missing_qualifiers")
    assert the_plan.edit is not None
    result = one_edit(backend, mid, the_plan.edit["claims"])
    stored = backend.raw.entity(mid)
    (kept,) = stored["statements"][ids.P_CREATOR]
    (was,) = before["statements"][ids.P_CREATOR]
    assert kept["id"] == was["id"] and kept["rank"] == "preferred"
    assert kept["references"] == was["references"]  # hashes too: the same reference
    assert kept["qualifiers-order"] == ["P2093", "P3831", "P3267", "P2699"]
    assert kept["qualifiers"]["P3831"] == was["qualifiers"]["P3831"]
    assert result.revid == stored["lastrevid"]
    assert_model_agrees(before, the_plan.edit, stored)


def test_replace_of_a_placeholder_creator_keeps_rank_and_references(backend: Backend) -> None:
    placeholder = creator(
        [string_snak(ids.P_AUTHOR_NAME_STRING, "rbmoura")], rank="preferred", references=[REFERENCE]
    )
    mid, before = seeded(backend, [placeholder])
    the_plan = plan(before, wanted_statements(PHOTO), owner=OWNER)
    (action,) = [a for a in the_plan.actions if a.property == ids.P_CREATOR]
    assert (action.action, action.reason) == (ActionKind.REPLACE, "placeholder_creator")
    assert the_plan.edit is not None
    one_edit(backend, mid, the_plan.edit["claims"])
    stored = backend.raw.entity(mid)
    (replaced,) = stored["statements"][ids.P_CREATOR]
    (was,) = before["statements"][ids.P_CREATOR]
    assert (replaced["id"], replaced["rank"]) == (was["id"], "preferred")
    assert replaced["references"] == was["references"]
    assert replaced["qualifiers-order"] == ["P3267", "P2093", "P2699"]
    assert_model_agrees(before, the_plan.edit, stored)


def test_concurrent_addition_on_the_same_property_is_merged_then_undone(backend: Backend) -> None:
    """Someone adds an inception while the bot writes one: Wikibase keeps both (patched);
    the job's undo removes the bot's and leaves theirs."""
    mid, _ = seeded(backend, [string_claim_p(ids.P_BHL_PAGE_ID, "1")])
    state = backend.client.read_entities([mid])[mid]
    theirs = new_statement(string_snak(ids.P_BHL_PAGE_ID, "2"))
    backend.raw.edit(mid, {"claims": [theirs]}, baserevid=state.lastrevid)
    ours = [new_statement(string_snak(ids.P_BHL_PAGE_ID, "3"))]
    result = backend.client.edit(mid, ours, baserevid=state.lastrevid or 0, summary="conformance")
    assert result.patched and result.warnings == ("wikibase-conflict-patched",)
    values = [s["mainsnak"]["datavalue"]["value"] for s in result.entity["statements"]["P687"]]
    assert values == ["1", "2", "3"]  # the client re-read: the answer alone lacks "2"
    found = interference(planned_against(state.entity, ours), ours, result.entity)
    assert [f.property for f in found] == ["P687"]
    undo = undo_claims(found)
    assert len(undo) == 1 and "remove" in undo[0]
    before_undo = backend.raw.entity(mid)
    backend.client.edit(mid, undo, baserevid=result.revid, summary="undo")
    stored = backend.raw.entity(mid)
    assert [s["mainsnak"]["datavalue"]["value"] for s in stored["statements"]["P687"]] == ["1", "2"]
    assert_model_agrees(before_undo, {"claims": undo}, stored)


# --------------------------------------------------------------------------- stale baserevid


def test_stale_edit_after_a_change_of_another_property_is_patched(backend: Backend) -> None:
    mid, _ = seeded(backend, [string_claim_p(ids.P_BHL_PAGE_ID, "1")])
    state = backend.client.read_entities([mid])[mid]
    other = backend.raw.edit(
        mid, {"claims": [new_statement(item_snak("P180", "Q4006"))]}, baserevid=state.lastrevid
    )
    latest = backend.raw.entity(mid)
    ours = [string_claim_p(ids.P_FLICKR_PHOTO_ID, PHOTO.id)]
    result = backend.client.edit(mid, ours, baserevid=state.lastrevid or 0, summary="conformance")
    stored = backend.raw.entity(mid)
    assert result.warnings == ("wikibase-conflict-patched",) and result.patched
    assert result.revid == stored["lastrevid"] > other["entity"]["lastrevid"]
    assert set(statements(stored)) == {"P687", "P180", "P12120"}
    assert shape(result.entity) == shape(stored)
    # Wikibase patched as if the edit had been made on the latest revision
    assert_model_agrees(latest, {"claims": ours}, stored)


def test_the_answer_to_a_patched_edit_is_the_base_plus_this_edit(backend: Backend) -> None:
    mid, base = seeded(backend, [string_claim_p(ids.P_BHL_PAGE_ID, "1")])
    backend.raw.edit(
        mid, {"claims": [new_statement(item_snak("P180", "Q4006"))]}, baserevid=base["lastrevid"]
    )
    answer = backend.raw.edit(
        mid, {"claims": [string_claim_p(ids.P_FLICKR_PHOTO_ID, "5")]}, baserevid=base["lastrevid"]
    )
    assert warning_names(answer) == ["wikibase-conflict-patched"]
    assert set(statements(answer["entity"])) == {"P687", "P12120"}  # no P180
    assert set(statements(backend.raw.entity(mid))) == {"P687", "P180", "P12120"}
    assert answer["entity"]["lastrevid"] == backend.raw.entity(mid)["lastrevid"]


def test_stale_extension_of_a_statement_someone_changed_is_undone_and_a_conflict(
    backend: Backend,
) -> None:
    """Wikibase lets the last writer win on one statement, so the bot's extension would
    silently drop the reference someone added meanwhile: the client puts theirs back."""
    existing = creator([string_snak(ids.P_AUTHOR_NAME_STRING, OWNER.realname or "")])
    mid, before = seeded(backend, [existing])
    the_plan = plan(before, wanted_statements(PHOTO), owner=OWNER)
    claims = [c for c in (the_plan.edit or {})["claims"] if c.get("id")]
    assert len(claims) == 1
    theirs = copy.deepcopy(before["statements"][ids.P_CREATOR][0])
    theirs["references"] = [REFERENCE]
    backend.raw.edit(mid, {"claims": [theirs]}, baserevid=before["lastrevid"])
    # what Wikibase itself does with such an edit, on a second file
    mid2, before2 = seeded(backend, [existing])
    theirs2 = {**copy.deepcopy(before2["statements"][ids.P_CREATOR][0]), "references": [REFERENCE]}
    backend.raw.edit(mid2, {"claims": [theirs2]}, baserevid=before2["lastrevid"])
    ours2 = {**claims[0], "id": before2["statements"][ids.P_CREATOR][0]["id"]}
    raw = backend.raw.edit(mid2, {"claims": [ours2]}, baserevid=before2["lastrevid"])
    assert warning_names(raw) == ["wikibase-conflict-patched"]
    (overwritten,) = backend.raw.entity(mid2)["statements"][ids.P_CREATOR]
    assert "references" not in overwritten and "P3267" in overwritten["qualifiers"]
    # the adapter: detected, theirs restored, reported as an edit conflict
    with pytest.raises(EditConflict) as caught:
        backend.client.edit(mid, claims, baserevid=before["lastrevid"], summary="conformance")
    assert "changed by another edit" in str(caught.value)
    (now,) = backend.raw.entity(mid)["statements"][ids.P_CREATOR]
    assert len(now["references"]) == 1 and "P3267" not in now["qualifiers"]


def test_stale_extension_of_a_statement_someone_removed_is_an_edit_conflict(
    backend: Backend,
) -> None:
    existing = creator([string_snak(ids.P_AUTHOR_NAME_STRING, OWNER.realname or "")])
    mid, before = seeded(backend, [existing])
    the_plan = plan(before, wanted_statements(PHOTO), owner=OWNER)
    claims = [c for c in (the_plan.edit or {})["claims"] if c.get("id")]
    sid = before["statements"][ids.P_CREATOR][0]["id"]
    backend.raw.edit(mid, {"claims": [{"id": sid, "remove": ""}]}, baserevid=before["lastrevid"])
    with pytest.raises(EditConflict) as caught:
        backend.client.edit(mid, claims, baserevid=before["lastrevid"], summary="conformance")
    assert CONFLICT_INFO in str(caught.value) and not caught.value.maybe_ours
    assert ids.P_CREATOR not in statements(backend.raw.entity(mid))


def test_stale_base_from_before_the_file_had_structured_data(backend: Backend) -> None:
    """Read without SDC, someone adds SDC, the bot writes: Wikibase fails internally
    (BadRevisionException); the adapter calls it an edit conflict, and the re-read works."""
    mid = backend.new_file()
    state = backend.client.read_entities([mid])[mid]
    backend.raw.edit(
        mid, {"claims": [new_statement(item_snak("P180", "Q4006"))]}, baserevid=state.lastrevid
    )
    raw = backend.raw.edit(
        mid, {"claims": [string_claim_p(ids.P_BHL_PAGE_ID, "1")]}, baserevid=state.lastrevid
    )
    assert raw["error"]["code"] == "internal_api_error_Wikibase\\Lib\\Store\\BadRevisionException"
    ours = [string_claim_p(ids.P_FLICKR_PHOTO_ID, PHOTO.id)]
    with pytest.raises(EditConflict):
        backend.client.edit(mid, ours, baserevid=state.lastrevid or 0, summary="conformance")
    result = one_edit(backend, mid, ours)
    assert set(statements(backend.raw.entity(mid))) == {"P180", "P12120"}
    assert not result.patched


@pytest.mark.parametrize("with_sdc", [False, True])
def test_stale_base_after_a_wikitext_edit(backend: Backend, with_sdc: bool) -> None:
    """Only the page text changed since the read: without SDC the edit just lands, with
    SDC Wikibase still says it patched."""
    if with_sdc:
        mid, _ = seeded(backend, [string_claim_p(ids.P_BHL_PAGE_ID, "1")])
    else:
        mid = backend.new_file()
    state = backend.client.read_entities([mid])[mid]
    text_revid = backend.wikitext_edit(mid)
    assert backend.client.latest_revisions([mid])[mid] == text_revid  # lastrevid moved
    ours = [string_claim_p(ids.P_FLICKR_PHOTO_ID, PHOTO.id)]
    result = backend.client.edit(mid, ours, baserevid=state.lastrevid or 0, summary="conformance")
    assert result.patched is with_sdc and result.revid > text_revid
    assert_model_agrees(state.entity, {"claims": ours}, backend.raw.entity(mid))


def test_a_revision_the_file_never_had_is_refused(backend: Backend) -> None:
    mid, _ = seeded(backend, [string_claim_p(ids.P_BHL_PAGE_ID, "1")])
    with pytest.raises(EditRefused) as caught:
        backend.client.edit(
            mid, [string_claim_p(ids.P_FLICKR_PHOTO_ID, "1")], baserevid=99999999, summary="s"
        )
    assert caught.value.code == "nosuchrevid"


def test_last_writer_wins_on_one_statement_and_the_same_change_twice_conflicts(
    backend: Backend,
) -> None:
    mid, base = seeded(backend, [new_statement(item_snak("P180", "Q4006"))])
    (statement,) = base["statements"]["P180"]
    first = {**statement, "rank": "preferred"}
    second = {**statement, "rank": "deprecated"}
    assert backend.raw.edit(mid, {"claims": [first]}, baserevid=base["lastrevid"])["success"]
    again = backend.raw.edit(mid, {"claims": [first]}, baserevid=base["lastrevid"])
    assert (again["error"]["code"], again["error"]["info"]) == ("editconflict", CONFLICT_INFO)
    overwrite = backend.raw.edit(mid, {"claims": [second]}, baserevid=base["lastrevid"])
    assert warning_names(overwrite) == ["wikibase-conflict-patched"]
    assert backend.raw.entity(mid)["statements"]["P180"][0]["rank"] == "deprecated"
    latest = backend.raw.entity(mid)
    remove = {"claims": [{"id": statement["id"], "remove": ""}]}
    assert backend.raw.edit(mid, remove, baserevid=latest["lastrevid"])["success"]
    twice = backend.raw.edit(mid, remove, baserevid=latest["lastrevid"])
    assert twice["error"]["code"] == "modification-failed"
    assert statements(backend.raw.entity(mid)) == {}


# --------------------------------------------------------------------------- answers and flags


def test_the_same_edit_again_is_nochange(backend: Backend) -> None:
    mid, stored = seeded(backend, [string_claim_p(ids.P_BHL_PAGE_ID, "1")])
    (statement,) = stored["statements"]["P687"]
    result = one_edit(backend, mid, [statement])
    assert result.revid == stored["lastrevid"] == backend.raw.entity(mid)["lastrevid"]
    assert "nochange" in result.entity
    assert_model_agrees(stored, {"claims": [statement]}, backend.raw.entity(mid))


def test_bot_flag_tag_and_summary_are_recorded(backend: Backend) -> None:
    mid = backend.new_file()
    summary = "Conformance: add Flickr photo ID"
    result = one_edit(backend, mid, [string_claim_p(ids.P_FLICKR_PHOTO_ID, PHOTO.id)])
    del result
    state = backend.client.read_entities([mid])[mid]
    assert state.lastrevid is not None
    result = backend.client.edit(
        mid, [string_claim_p(ids.P_BHL_PAGE_ID, "7")], baserevid=state.lastrevid, summary=summary
    )
    meta = backend.revision_meta(mid, result.revid)
    assert (meta.user, meta.bot, meta.tags) == (BOT, True, (TAG,))
    assert meta.comment.endswith(summary)  # Wikibase puts an autocomment before it


def test_an_undefined_tag_is_refused(backend: Backend) -> None:
    mid = backend.new_file()
    with pytest.raises(EditRefused) as caught:
        one_edit(backend, mid, [string_claim_p(ids.P_FLICKR_PHOTO_ID, "1")], tags=["no-such-tag"])
    assert caught.value.code == "badtags"
    assert backend.raw.entity(mid) == {"id": mid, "missing": ""}


@pytest.mark.parametrize(("maxlag", "refused"), [(5, False), (0, False), (-1, False), (-2, True)])
def test_maxlag(backend: Backend, maxlag: int, refused: bool) -> None:
    """One database server: lag -1, so only maxlag below -1 trips (a way to test retries)."""
    answer = backend.raw.client.get(
        backend.api_url,
        params={"action": "query", "meta": "siteinfo", "format": "json", "maxlag": maxlag},
    )
    assert answer.status_code == 200
    if refused:
        error = answer.json()["error"]
        assert (error["code"], error["lag"]) == ("maxlag", -1)
        assert answer.headers["Retry-After"] == "5"
        assert answer.headers["MediaWiki-API-Error"] == "maxlag"
    else:
        assert "error" not in answer.json()


def test_an_entity_without_statements_shows_an_empty_list(backend: Backend) -> None:
    mid, stored = seeded(backend, [string_claim_p(ids.P_BHL_PAGE_ID, "1")])
    sid = stored["statements"]["P687"][0]["id"]
    result = one_edit(backend, mid, [{"id": sid, "remove": ""}])
    assert result.entity["statements"] == []
    entity = backend.raw.entity(mid)
    assert entity["statements"] == [] and entity["labels"] == {}
    state = backend.client.read_entities([mid])[mid]
    assert state.has_sdc and state.lastrevid == result.revid
    the_plan = plan(state.entity, wanted_statements(PHOTO), owner=OWNER)
    assert {a.action for a in the_plan.actions} == {ActionKind.ADD}
    assert_model_agrees(stored, {"claims": [{"id": sid, "remove": ""}]}, entity)


@pytest.mark.parametrize(
    ("claim", "info"),
    [
        (
            {"id": "M1$00000000-0000-0000-0000-000000000000"},
            "Statement GUID invalid for given entity",
        ),
        (
            {"id": "{mid}$00000000-0000-0000-0000-000000000001", "remove": ""},
            "Entity does not have statement with GUID",
        ),
        ({"id": "{sid}", "property": "P12120"}, "uses property P687, can't change to P12120"),
    ],
)
def test_bad_statement_ids_are_modification_failed(
    backend: Backend, claim: dict[str, Any], info: str
) -> None:
    mid, stored = seeded(backend, [string_claim_p(ids.P_BHL_PAGE_ID, "1")])
    sid = stored["statements"]["P687"][0]["id"]
    sent: dict[str, Any] = {"id": claim["id"].format(mid=mid, sid=sid)}
    if "remove" in claim:
        sent["remove"] = ""
    else:
        sent.update(string_claim_p(claim.get("property", ids.P_BHL_PAGE_ID), "2"))
    with pytest.raises(EditRefused) as caught:
        one_edit(backend, mid, [sent])
    assert caught.value.code == "modification-failed" and info in caught.value.info
    assert shape(backend.raw.entity(mid), [sid]) == shape(stored, [sid])


def test_an_unknown_id_of_this_file_adds_the_statement(backend: Backend) -> None:
    mid, stored = seeded(backend, [string_claim_p(ids.P_BHL_PAGE_ID, "1")])
    claim = {
        **string_claim_p(ids.P_FLICKR_PHOTO_ID, "9"),
        "id": f"{mid}$0000AAAA-0000-4000-8000-00000000000A",
    }
    one_edit(backend, mid, [claim])
    after = backend.raw.entity(mid)
    assert [s["id"] for s in after["statements"]["P12120"]] == [claim["id"]]
    assert_model_agrees(stored, {"claims": [claim]}, after)


def test_input_snaks_may_carry_a_datatype_which_is_not_stored(backend: Backend) -> None:
    claim = string_claim_p(ids.P_FLICKR_PHOTO_ID, "9")
    claim["mainsnak"]["datatype"] = "external-id"
    _, stored = seeded(backend, [claim])
    assert no_datatype(stored) and stored["statements"]["P12120"][0]["mainsnak"]["datavalue"] == {
        "value": "9",
        "type": "string",
    }


def test_input_under_statements_instead_of_claims_is_ignored(backend: Backend) -> None:
    mid, stored = seeded(backend, [string_claim_p(ids.P_BHL_PAGE_ID, "1")])
    answer = backend.raw.edit(
        mid,
        {"statements": [string_claim_p(ids.P_FLICKR_PHOTO_ID, "9")]},
        baserevid=stored["lastrevid"],
    )
    assert "nochange" in answer["entity"] and answer["entity"]["lastrevid"] == stored["lastrevid"]
    assert set(statements(backend.raw.entity(mid))) == {"P687"}


@pytest.mark.parametrize(
    ("text", "allowed"),
    [("run: yes", True), ("run: no", False), ("<!-- yes -->", False), (None, False)],
)
def test_the_run_page_stops_the_bot(backend: Backend, text: str | None, allowed: bool) -> None:
    page = f"User:{BOT}/Run-{uuid.uuid4().hex[:8]}"
    if text is not None:
        backend.set_page(page, text)
    client = CommonsClient(backend.site, run_page=page)
    may_run, why = client.check_may_run()
    assert may_run is allowed, why


# --------------------------------------------------------------------------- the test wiki's data


def test_the_test_wiki_has_every_property_and_item_the_bot_uses() -> None:
    """``start-wikibase.sh`` creates the entities of ``entities.json`` with their real ids;
    every id in ``bot.core.ids`` must be among them (the calendar and globe are URIs)."""
    entities_file = Path(START_SCRIPT).with_name("entities.json")
    if not entities_file.is_file():
        pytest.skip(f"{entities_file} is missing")
    data = json.loads(entities_file.read_text("utf-8"))
    have = {e["id"] for e in data["properties"]} | {e["id"] for e in data["items"]}
    used = {
        value
        for name, value in vars(ids).items()
        if name[:2] in ("P_", "Q_") and isinstance(value, str)
    }
    assert used and used <= have, sorted(used - have)
