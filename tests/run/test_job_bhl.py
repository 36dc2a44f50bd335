"""BHL reverse matching, end to end: real pywikibot and httpx against the stand-ins.

BHL's photos are seeded the way BHL tags them on Flickr (``bhl:page=<id>`` beside a
``dc:identifier`` page URL, as in ``flickr.photos.getInfo-51281775881``), and the
stand-in lists them as people.getPhotos does with ``extras=machine_tags`` (the
normalised tags, space-separated). The files cite only a BHL page: P687 in their
structured data (put in the worklist by the extractor's own ``evidence_from_entity``), or
a ``{{BHL}}`` template in their wikitext (a ``--titles`` file).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.core import ids
from bot.core.evidence import evidence_from_entity
from bot.standins.flickr import make_person, make_photo
from bot.store import BulkRefused, ConflictStatus, QueueFilter
from tests.support.world import World

BHL = ids.BHL_NSID
POSTED = 1_620_000_000


def p687(mid: str, page: str) -> dict[str, Any]:
    return {
        "mainsnak": {
            "snaktype": "value",
            "property": "P687",
            "datavalue": {"type": "string", "value": page},
        },
        "type": "statement",
        "id": f"{mid}$687A0000-AAAA-4AAA-8AAA-000000000687",
        "rank": "normal",
    }


def add_bhl_photo(world: World, photo_id: str, *pages: str, posted: int = POSTED) -> None:
    tags = []
    for page in pages:
        tags += [f"bhl:page={page}", f"dc:identifier=https://biodiversitylibrary.org/page/{page}"]
    world.flickr.add_photo(
        make_photo(
            photo_id,
            BHL,
            username="BioDivLibrary",
            realname="Biodiversity Heritage Library",
            path_alias="biodivlibrary",
            posted=posted,
            taken="1899-01-01 00:00:00",
            granularity=6,
            license="9",
            tags=["Natural history", "Periodicals"],
            machine_tags=[*tags, "taxonomy:binomial=Elephas indicus"],
        )
    )
    if BHL not in world.flickr.owners:
        world.flickr.add_owner(
            make_person(
                BHL, "BioDivLibrary", realname="Biodiversity Heritage Library", photos_count=4
            )
        )


def add_bhl_file(world: World, pageid: int, page: str | None, *, wikitext: str = "") -> str:
    """A file of BHL's that cites no Flickr photo; with ``page``, P687 in its SDC and a
    worklist row from the extractor's evidence."""
    mid = f"M{pageid}"
    statements = {"P687": [p687(mid, page)]} if page else {}
    entity = {
        "title": f"File:Illustrations of Indian zoology (page {pageid}).jpg",
        "pageid": pageid,
        "lastrevid": 900_000 + pageid,
        "statements": statements,
        "labels": {},
    }
    if wikitext:
        entity["wikitext"] = wikitext
    world.commons.entities[mid] = entity
    if page:
        found = evidence_from_entity({"id": mid, **entity})
        assert found is not None and found.photo_ids == ()
        world.worklist.append(found)
    return mid


def _listing_requests(running: Any) -> list[dict[str, str]]:
    return [
        dict(r.params) for r in running.flickr.requests if r.method == "flickr.people.getPhotos"
    ]


def test_a_bhl_file_with_only_a_page_id_is_proposed_accepted_and_then_completed(
    tmp_path: Path,
) -> None:
    world = World(tmp_path)
    add_bhl_photo(world, "51281775881", "33665645")
    add_bhl_photo(world, "7982377911", "4321212", posted=POSTED - 10)
    add_bhl_photo(world, "7982377912", "4321212", posted=POSTED - 20)  # the same page again
    add_bhl_photo(world, "7982377913", "5550001", posted=POSTED - 30)  # no file cites it
    one = add_bhl_file(world, 201, "33665645")
    several = add_bhl_file(world, 202, "4321212")
    none = add_bhl_file(world, 203, "999999")
    with world.start() as running:
        first = running.run()
        assert first.outcomes == {"conflict": 2, "bhl_no_match": 1}
        assert first.conflicts == {"bhl_page_match": 1, "bhl_page_several": 2}
        assert running.wiki.writes == []  # never written without a person or a rule
        # BHL's list read once, with its machine tags; no call per file
        assert [r.method for r in running.flickr.requests] == ["flickr.people.getPhotos"]
        (listing,) = _listing_requests(running)
        assert listing["user_id"] == BHL and "machine_tags" in listing["extras"].split(",")
        assert "min_upload_date" not in listing  # the first read is the whole list
        assert first.bhl_photos_listed == 4 and first.bhl_list_calls == 1
        with running.store() as store:
            queue = store.list_conflicts(QueueFilter())
            assert store.get_file(none).status == "bhl_no_match"  # type: ignore[union-attr]
            with pytest.raises(BulkRefused):  # several candidates: one by one only
                store.bulk_decide(
                    QueueFilter(reason="bhl_page_several"),
                    ConflictStatus.ACCEPT_FLICKR,
                    actor="Maintainer",
                )
            # the maintainers' rule: accept every single BHL match in bulk
            done = store.bulk_decide(
                QueueFilter(reason="bhl_page_match"), ConflictStatus.ACCEPT_FLICKR, actor="Rule"
            )
        by_mid: dict[str, list[dict[str, Any]]] = {}
        for c in queue:
            by_mid.setdefault(c["mid"], []).append(c)
        (match,) = by_mid[one]
        assert match["property"] == "P12120" and match["owner_nsid"] == BHL
        assert match["flickr_photo_id"] == "51281775881"
        assert match["proposed"]["mainsnak"]["datavalue"]["value"] == "51281775881"
        proposed = sorted(c["proposed"]["mainsnak"]["datavalue"]["value"] for c in by_mid[several])
        assert proposed == ["7982377911", "7982377912"]
        assert done.decided == 1 and done.left_out == 0

        second = running.run()
        assert second.decisions_applied == 1
        written = running.wiki.entity(one)["statements"]
        assert [s["mainsnak"]["datavalue"]["value"] for s in written["P12120"]] == ["51281775881"]
        assert {"P170", "P7482", "P571"} <= set(written)  # the rest of the claims
        assert [s["mainsnak"]["datavalue"]["value"] for s in written["P687"]] == ["33665645"]
        assert running.writes_by_mid() == {one: 2}  # the decision, then the ordinary edit
        with running.store() as store:
            assert store.get_file(one).status == "edited"  # type: ignore[union-attr]


def test_one_of_several_candidates_accepted_closes_the_others(tmp_path: Path) -> None:
    world = World(tmp_path)
    add_bhl_photo(world, "7982377911", "4321212")
    add_bhl_photo(world, "7982377912", "4321212", posted=POSTED - 20)
    several = add_bhl_file(world, 202, "4321212")
    with world.start() as running:
        running.run()
        with running.store() as store:
            chosen = next(
                c
                for c in store.list_conflicts(QueueFilter())
                if c["proposed"]["mainsnak"]["datavalue"]["value"] == "7982377912"
            )
            store.decide(chosen["id"], ConflictStatus.ACCEPT_FLICKR, actor="Maintainer")
        running.run()
        written = running.wiki.entity(several)["statements"]
        assert [s["mainsnak"]["datavalue"]["value"] for s in written["P12120"]] == ["7982377912"]
        with running.store() as store:
            assert store.list_conflicts(QueueFilter()) == []  # the other candidate closed


def test_the_photo_list_is_refreshed_by_upload_date_and_finds_a_new_upload(
    tmp_path: Path,
) -> None:
    world = World(tmp_path)
    add_bhl_photo(world, "51281775881", "33665645")
    late = add_bhl_file(world, 203, "999999")
    with world.start() as running:
        first = running.run()
        assert first.outcomes == {"bhl_no_match": 1}
        # BHL uploads the page later
        world.flickr.add_photo(
            make_photo(
                "53000000001",
                BHL,
                username="BioDivLibrary",
                posted=POSTED + 500,
                machine_tags=[
                    "bhl:page=999999",
                    "dc:identifier=https://www.biodiversitylibrary.org/page/999999",
                ],
            )
        )
        world.flickr.invalidate()
        running.flickr.reset()
        again = running.run(recheck=True)
        (listing,) = _listing_requests(running)
        assert listing["min_upload_date"] == str(POSTED)  # only photos since the newest kept
        assert again.bhl_photos_listed == 2  # the newest kept (inclusive) and the new one
        assert again.conflicts == {"bhl_page_match": 1}
        with running.store() as store:
            (conflict,) = store.list_conflicts(QueueFilter())
            assert conflict["mid"] == late and conflict["flickr_photo_id"] == "53000000001"
            assert store.count_bhl_photos() == 2


def test_the_whole_list_is_read_again_after_a_month_and_a_gone_photo_is_dropped(
    tmp_path: Path,
) -> None:
    world = World(tmp_path)
    add_bhl_photo(world, "51281775881", "33665645")
    add_bhl_photo(world, "7982377911", "4321212", posted=POSTED - 10)
    gone = add_bhl_file(world, 202, "4321212")
    with world.start() as running:
        running.run()
        with running.store() as store:
            (conflict,) = store.list_conflicts(QueueFilter())
            assert conflict["mid"] == gone
        del world.flickr.photos["7982377911"]  # deleted on Flickr
        world.flickr.invalidate()
        with running.store() as store:  # the last whole read was 31 days ago
            old = (datetime.now(UTC) - timedelta(days=31)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            store.conn.execute("UPDATE bhl_listing SET full_read_at = ?", (old,))
        running.flickr.reset()
        again = running.run(recheck=True)
        (listing,) = _listing_requests(running)
        assert "min_upload_date" not in listing  # the whole list again
        assert again.outcomes == {"bhl_no_match": 1} and again.conflicts_closed == 1
        with running.store() as store:
            assert store.bhl_photos_for_pages(["4321212"]) == {}
            assert store.list_conflicts(QueueFilter()) == []


def test_a_titles_file_citing_a_bhl_page_in_its_wikitext_is_matched(tmp_path: Path) -> None:
    world = World(tmp_path)
    add_bhl_photo(world, "51281775881", "33665645")
    mid = add_bhl_file(
        world,
        204,
        None,
        wikitext="=={{int:filedesc}}==\n{{Information\n|description=Elephants\n"
        "|source={{BHL|page=33665645}}\n}}\n",
    )
    title = world.commons.entities[mid]["title"]
    with world.start() as running:
        with running.store() as store:
            store.add_titles([title])
        summary = running.run()
        assert summary.conflicts == {"bhl_page_match": 1}
        with running.store() as store:
            row = store.get_file(mid)
            assert row is not None and row.photo_ids == []
            assert {"source": "wikitext.bhl", "value": "33665645", "bhl_page": "33665645"} in (
                row.evidence
            )
            (conflict,) = store.list_conflicts(QueueFilter())
            store.decide(conflict["id"], ConflictStatus.ACCEPT_FLICKR, actor="Maintainer")
        running.run()
        written = running.wiki.entity(mid)["statements"]
        # the rest of the claims, P687 from the photo's tag among them
        assert {"P12120", "P170", "P687"} <= set(written)


def test_a_dry_run_proposes_nothing_in_the_worklist_and_writes_nothing(tmp_path: Path) -> None:
    world = World(tmp_path)
    add_bhl_photo(world, "51281775881", "33665645")
    mid = add_bhl_file(world, 201, "33665645")
    with world.start() as running:
        summary = running.run(dry_run=True)
        assert summary.conflicts == {"bhl_page_match": 1}
        assert running.wiki.writes == []
        with running.store() as store:
            assert store.get_file(mid).status == "pending"  # type: ignore[union-attr]


def test_without_bhls_photo_list_the_files_wait_for_a_later_run(tmp_path: Path) -> None:
    world = World(tmp_path)
    add_bhl_photo(world, "51281775881", "33665645")
    mid = add_bhl_file(world, 201, "33665645")
    with world.start() as running:
        running.flickr.inject("http_500", None, method="flickr.people.getPhotos")
        failed = running.run(max_attempts=5)
        assert failed.outcomes == {"error": 1} and failed.conflicts == {}
        running.flickr.clear_faults()
        retried = running.run(max_attempts=5)
        assert retried.conflicts == {"bhl_page_match": 1}
        with running.store() as store:
            assert store.get_file(mid).status == "conflict"  # type: ignore[union-attr]


def test_explain_shows_the_candidates_from_the_stored_list_without_calling_flickr(
    tmp_path: Path,
) -> None:
    from bot.run.explain import explain

    world = World(tmp_path)
    add_bhl_photo(world, "51281775881", "33665645")
    mid = add_bhl_file(world, 201, "33665645")
    with world.start() as running:
        running.run()  # the list is now in the store
        running.flickr.reset()
        with running.adapters(dry_run=True) as ad:
            found = explain(ad, mid)
        assert running.flickr.requests == []
    assert found.plan is None
    out = found.to_json()
    assert out["outcome"] == "bhl_page_only"
    assert out["bhl_candidates"] == {"33665645": ["51281775881"]}
