"""``explain``: one live file planned by the run's own steps, as a dry run would, nothing written."""

from __future__ import annotations

import pytest

from bot.core.errors import RemoteError
from bot.run.explain import explain
from tests.support.world import World

PHOTO = "52810336619"
WIKITEXT_SOURCE = (
    "=={{int:filedesc}}==\n{{Information\n|description=Harbour\n"
    f"|source=https://www.flickr.com/photos/harbourlights/{PHOTO}/\n"
    "|author=[https://www.flickr.com/people/harbourlights/ Ada Marsh]\n}}\n"
)


def test_a_file_with_its_source_in_sdc_gets_the_plan_and_the_diff(world: World) -> None:
    mid = world.add_file(101, PHOTO)
    with world.start() as running, running.adapters(dry_run=True) as ad:
        found = explain(ad, mid)
        assert running.wiki.write_attempts == []
    assert found.plan is not None and found.plan.mid == mid
    assert found.file.photo_ids == [PHOTO]
    assert getattr(found.photo, "id", None) == PHOTO
    assert found.edit is not None
    diff = {d.property: d for d in found.diff()}
    assert diff["P12120"].before == []
    assert [s["mainsnak"]["datavalue"]["value"] for s in diff["P12120"].after] == [PHOTO]
    (source_before,), (source_after,) = diff["P7482"].before, diff["P7482"].after
    assert source_after["id"] == source_before["id"]  # extended in place, not a second one
    assert set(source_after["qualifiers"]) == set(source_before["qualifiers"]) | {"P137"}
    assert "missing_qualifiers" in found.reasons and "absent" in found.reasons
    assert not found.weak_evidence_only
    assert found.to_json()["evidence"] == found.file.evidence


def test_a_file_by_title_with_its_source_only_in_wikitext(world: World) -> None:
    mid = world.add_file(301, PHOTO, statements={}, in_worklist=False)
    world.commons.entities[mid]["wikitext"] = WIKITEXT_SOURCE
    title = world.commons.entities[mid]["title"]
    with world.start() as running, running.adapters(dry_run=True) as ad:
        found = explain(ad, title)
        with running.store() as store:
            assert store.get_file(mid) is None  # nothing written to the worklist either
    assert found.file.photo_ids == [PHOTO]
    assert "wikitext" in found.file.evidence_sources
    assert found.plan is not None and found.edit is not None


def test_a_file_named_after_a_photo_and_nothing_else_is_weak_evidence(world: World) -> None:
    mid = world.add_file(301, PHOTO, statements={}, in_worklist=False)
    world.commons.entities[mid]["wikitext"] = "Harbour, from Flickr\n|source=own work\n"
    with world.start() as running, running.adapters(dry_run=True) as ad:
        found = explain(ad, mid)
    assert found.file.photo_ids == [PHOTO]
    assert found.plan is not None  # explained all the same: what the plan would be
    assert found.weak_evidence_only


def test_a_file_without_any_flickr_id(world: World) -> None:
    mid = world.add_file(301, PHOTO, statements={}, in_worklist=False, photo=False)
    world.commons.entities[mid]["title"] = "File:Harbour at dusk.jpg"
    world.commons.entities[mid]["wikitext"] = "A harbour at dusk.\n"
    with world.start() as running, running.adapters(dry_run=True) as ad:
        found = explain(ad, mid)
        assert running.flickr.requests == []
    assert found.plan is None and found.edit is None and found.diff() == []
    assert found.to_json() == {
        "mid": mid,
        "title": "File:Harbour at dusk.jpg",
        "outcome": "no_flickr_id",
    }


def test_a_file_commons_does_not_have(world: World) -> None:
    world.add_file(101, PHOTO)
    with (
        world.start() as running,
        running.adapters(dry_run=True) as ad,
        pytest.raises(RemoteError, match="M999: no such file on Commons"),
    ):
        explain(ad, "M999")
