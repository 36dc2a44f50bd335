"""Taking a run back, against the real Wikibase and against the stand-in.

The bot writes a plan (a statement added, a qualifier added to someone's statement, a
placeholder creator replaced); someone then adds a reference to the extended statement;
``plan_undo``'s edit (removals by GUID, the extended statement sent without the bot's
qualifiers, the creator as it was) must leave the file as it was plus that reference.
"""

from __future__ import annotations

from typing import Any

from bot.core import ids
from bot.core.concurrency import planned_against
from bot.core.reconcile import apply_edit
from bot.core.undo import JournaledEdit, plan_undo
from bot.core.wikibase import item_snak, new_statement, somevalue_snak, string_snak
from tests.support.commons import offline_fixture, pywikibot_dir_fixture  # noqa: F401 - fixtures
from tests.support.wikibase import (
    Backend,
    backend_fixture,  # noqa: F401 - fixture
    ids_of,
    real_backend_fixture,  # noqa: F401 - fixture
    shape,
    standin_backend_fixture,  # noqa: F401 - fixture
)

REFERENCE = {"snaks": {"P973": [string_snak("P973", "https://example.org/source")]}}


def page_revid(backend: Backend, mid: str) -> int:
    page = backend.raw.get(action="query", pageids=mid[1:], prop="info")["query"]["pages"][0]
    return int(page["lastrevid"])


def edit(backend: Backend, mid: str, claims: list[dict[str, Any]]) -> int:
    state = backend.client.read_entities([mid])[mid]
    assert state.lastrevid is not None
    return int(backend.client.edit(mid, claims, baserevid=state.lastrevid, summary="t").revid)


def test_undo_removes_by_guid_and_trims_qualifiers_keeping_the_rest(backend: Backend) -> None:
    mid = backend.new_file()
    source = new_statement(
        item_snak(ids.P_SOURCE_OF_FILE, "Q74228490"),
        [string_snak("P973", "https://www.flickr.com/photos/x/1/")],
    )
    placeholder = new_statement(
        somevalue_snak(ids.P_CREATOR), [string_snak(ids.P_AUTHOR_NAME_STRING, "null")]
    )
    placeholder["rank"] = "preferred"
    answer = backend.raw.edit(
        mid, {"claims": [source, placeholder]}, baserevid=page_revid(backend, mid)
    )
    assert answer.get("success") == 1, answer
    before = backend.raw.entity(mid)
    (was_source,) = before["statements"][ids.P_SOURCE_OF_FILE]
    (was_creator,) = before["statements"][ids.P_CREATOR]
    extended = {
        **was_source,
        "qualifiers": {**was_source["qualifiers"], "P137": [item_snak("P137", "Q103204")]},
        "qualifiers-order": [*was_source["qualifiers-order"], "P137"],
    }
    replaced = {
        **was_creator,
        "qualifiers": {"P3267": [string_snak("P3267", "1@N01")]},
        "qualifiers-order": ["P3267"],
    }
    added = new_statement(string_snak(ids.P_FLICKR_PHOTO_ID, "1"))
    run_claims = [added, extended, replaced]
    planned = planned_against(backend.client.read_entities([mid])[mid].entity, run_claims)
    edit(backend, mid, run_claims)
    # someone adds a reference to the statement the bot extended
    after_run = backend.raw.entity(mid)
    (ours,) = after_run["statements"][ids.P_SOURCE_OF_FILE]
    backend.raw.edit(
        mid, {"claims": [{**ours, "references": [REFERENCE]}]}, baserevid=after_run["lastrevid"]
    )
    now = backend.client.read_entities([mid])[mid].entity
    the_undo = plan_undo(now, [JournaledEdit(1, run_claims, planned)])
    assert sorted(t.action for t in the_undo.taken) == ["remove", "remove_qualifiers", "restore"]
    assert the_undo.left == []
    edit(backend, mid, the_undo.claims)
    stored = backend.raw.entity(mid)
    assert ids.P_FLICKR_PHOTO_ID not in (stored.get("statements") or {})
    (source_now,) = stored["statements"][ids.P_SOURCE_OF_FILE]
    assert source_now["id"] == was_source["id"]
    assert source_now["qualifiers"] == was_source["qualifiers"]  # P973 kept, P137 gone
    assert len(source_now["references"]) == 1  # the person's reference kept
    (creator_now,) = stored["statements"][ids.P_CREATOR]
    assert (creator_now["id"], creator_now["rank"]) == (was_creator["id"], "preferred")
    assert creator_now["qualifiers"] == was_creator["qualifiers"]
    # the bot's own model of the edit agrees with what the wiki stored
    expected = apply_edit(
        backend.raw.entity(mid) | {"statements": now["statements"]}, {"claims": the_undo.claims}
    )
    assert shape(expected, ids_of(before)) == shape(stored, ids_of(before))
