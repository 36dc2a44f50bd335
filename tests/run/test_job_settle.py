"""Decisions settle for good, end to end against the stand-ins (real pywikibot, real
httpx): what a maintainer decided is written once and never asked again while the facts
stay the same, a file never gets the same statement twice, and never two photo ids."""

from __future__ import annotations

from collections import Counter
from typing import Any

from bot.core.reconcile import statement_identity
from bot.store import ConflictStatus, QueueFilter
from tests.support.world import Running, World, p571

A, B = "53377120054", "53377120188"  # the two photos a stitched panorama cites
WAITING = ("open", "skip", "accept_flickr", "applying")


def photo_ids_on(running: Running, mid: str) -> list[str]:
    entity = running.wiki.entity(mid) or {}
    statements = (entity.get("statements") or {}).get("P12120", [])
    return [s["mainsnak"]["datavalue"]["value"] for s in statements]


def duplicates(running: Running, mid: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """Statements of the file that are there more than once (same property, value and
    qualifiers)."""
    entity = running.wiki.entity(mid) or {}
    seen = Counter(
        statement_identity(s) for group in (entity.get("statements") or {}).values() for s in group
    )
    return [identity for identity, n in seen.items() if n > 1]


def conflicts_of(running: Running, mid: str) -> list[dict[str, Any]]:
    with running.store() as store:
        return [c for c in store.list_conflicts(QueueFilter(status=None)) if c["mid"] == mid]


def candidate(running: Running, mid: str, photo_id: str) -> int:
    """The id of the ``multiple_photo_ids`` conflict proposing this photo."""
    (cid,) = [
        c["id"]
        for c in conflicts_of(running, mid)
        if c["reason"] == "multiple_photo_ids"
        and c["proposed"]["mainsnak"]["datavalue"]["value"] == photo_id
    ]
    return int(cid)


def decide(running: Running, decisions: dict[int, str]) -> None:
    with running.store() as store:
        for cid, decision in decisions.items():
            store.decide(cid, decision, actor="Maintainer")


def test_accept_one_photo_skip_the_other_settles_in_one_run(world: World) -> None:
    """The sandbox story: accept one id, skip the other, run three times."""
    mid = world.add_file_citing(110, A, B)
    with world.start() as running:
        first = running.run()
        assert first.conflicts == {"multiple_photo_ids": 2} and photo_ids_on(running, mid) == []
        accepted, skipped = candidate(running, mid, A), candidate(running, mid, B)
        decide(running, {accepted: "accept_flickr", skipped: "skip"})
        second, third, fourth = running.run(), running.run(), running.run()
        assert second.decisions_applied == 1
        # the decided id is the file's photo from then on: fetched and planned as one
        assert second.outcomes == {"edited": 1} and second.flickr_calls >= 1
        assert {"P170", "P571", "P1433"} <= set(running.wiki.entity(mid)["statements"])
        assert third.files == fourth.files == 0 and third.conflicts == fourth.conflicts == {}
        writes = len(running.wiki.writes)
        # a fixed point: planned again from scratch, the file needs nothing and asks nothing
        replanned = running.run(recheck=True)
        assert replanned.outcomes == {"unchanged": 1} and replanned.conflicts == {}
        assert len(running.wiki.writes) == writes
        assert photo_ids_on(running, mid) == [A]
        assert duplicates(running, mid) == []
        statuses = {c["id"]: c["status"] for c in conflicts_of(running, mid)}
        assert statuses == {accepted: "applied", skipped: "superseded"}
        with running.store() as store:
            applied = store.get_conflict(accepted)
            assert applied is not None and applied["applied_revid"] == writes_revid(running, 0)


def writes_revid(running: Running, index: int) -> int:
    """The revision the bot's ``index``-th edit of this test run made."""
    return int(running.wiki.writes[index]["revid"])


def test_two_candidates_accepted_are_not_written_and_go_back_to_the_queue(
    world: World,
) -> None:
    mid = world.add_file_citing(110, A, B)
    with world.start() as running:
        running.run()
        a, b = candidate(running, mid, A), candidate(running, mid, B)
        decide(running, {a: "accept_flickr", b: "accept_flickr"})
        summary = running.run()
        assert summary.decisions_refused == 2 and summary.decisions_applied == 0
        assert running.wiki.writes == [] and photo_ids_on(running, mid) == []
        assert {c["status"] for c in conflicts_of(running, mid)} == {"open"}
        with running.store() as store:
            note = store.conflict_history(a)[-1]["note"]
        assert f"2 Flickr photo ids ({A}, {B})" in note
        # a maintainer then picks the one: it settles like any single decision
        decide(running, {a: "accept_flickr"})
        running.run()
        assert running.run(recheck=True).outcomes == {"unchanged": 1}
        assert photo_ids_on(running, mid) == [A]


def test_a_candidate_is_not_added_next_to_another_id_on_the_file(world: World) -> None:
    """The file already names a third photo in P12120 (a person wrote it): accepting one
    of the cited photos would leave two ids, so it is not written."""
    mid = world.add_file_citing(110, A, B)
    world.commons.entities[mid]["statements"]["P12120"] = [
        {
            "mainsnak": {
                "snaktype": "value",
                "property": "P12120",
                "datavalue": {"type": "string", "value": "99"},
            },
            "type": "statement",
            "id": f"{mid}$12120000-AAAA-4AAA-8AAA-000000012120",
            "rank": "normal",
        }
    ]
    with world.start() as running:
        assert running.run().conflicts == {"multiple_photo_ids": 2}
        a = candidate(running, mid, A)
        decide(running, {a: "accept_flickr"})
        summary = running.run()
        assert summary.decisions_refused == 1 and running.wiki.writes == []
        assert photo_ids_on(running, mid) == ["99"]
        with running.store() as store:
            assert store.get_conflict(a)["status"] == "open"  # type: ignore[index]
            assert f"({A}, 99)" in store.conflict_history(a)[-1]["note"]


def test_bulk_accept_of_the_queue_writes_one_id_at_most(world: World) -> None:
    mid = world.add_file_citing(110, A, B)
    date_file = world.add_file(
        111,
        "52810336619",
        taken="1965-05-01 00:00:00",
        granularity=4,
        statements={"P571": [p571("M111", "+1965-00-00T00:00:00Z", 9)]},
    )
    with world.start() as running:
        running.run()
        with running.store() as store:
            scope = store.bulk_scope(QueueFilter(), ConflictStatus.ACCEPT_FLICKR)
            assert (scope.count, scope.left_out) == (1, 2)
            store.bulk_decide(
                QueueFilter(), ConflictStatus.ACCEPT_FLICKR, actor="Maintainer", pause=0
            )
        summary = running.run()
        assert summary.decisions_applied == 1  # the date; the photo ids wait for a person
        assert photo_ids_on(running, mid) == []
        (date,) = running.wiki.entity(date_file)["statements"]["P571"]
        assert date["mainsnak"]["datavalue"]["value"]["precision"] == 10  # May 1965
        assert {c["status"] for c in conflicts_of(running, mid)} == {"open"}


def test_answered_conflicts_are_not_counted_as_queued(world: World) -> None:
    world.add_file(
        101,
        "52810336619",
        taken="2019-06-02 18:40:11",
        statements={"P571": [p571("M101", "+1999-01-01T00:00:00Z", 9)]},
    )
    with world.start() as running:
        assert running.run().conflicts == {"date_differs": 1}
        with running.store() as store:
            (conflict,) = store.list_conflicts(QueueFilter())
            store.decide(conflict["id"], ConflictStatus.KEEP_COMMONS, actor="Maintainer")
        again = running.run(recheck=True)
        assert again.outcomes == {"conflict": 1} and again.conflicts == {}
        with running.store() as store:
            assert store.get_conflict(conflict["id"])["status"] == "keep_commons"  # type: ignore[index]


def test_a_decision_confirmed_later_does_not_claim_someone_elses_revision(
    world: World,
) -> None:
    """The answer to the decision's edit is lost and a person edits the file right
    after: the decision is applied, but the person's revision is not recorded as the
    bot's."""
    mid = world.add_file(
        101,
        "52810336619",
        taken="1965-05-01 00:00:00",
        granularity=4,
        statements={"P571": [p571("M101", "+1965-00-00T00:00:00Z", 9)]},
    )
    with world.start() as running:
        running.run()
        with running.store() as store:
            (conflict,) = store.list_conflicts(QueueFilter())
            store.decide(conflict["id"], ConflictStatus.ACCEPT_FLICKR, actor="Maintainer")
        standin = running.wiki.standin
        apply_edit = standin._apply_wbeditentity

        def then_a_person_edits(*args: Any, **kwargs: Any) -> Any:
            result = apply_edit(*args, **kwargs)
            running.wiki.human_edit(mid, wikitext="{{Information|description=tidied}}")
            return result

        standin._apply_wbeditentity = then_a_person_edits
        running.wiki.reset_counters()
        running.wiki.inject("lost_response", 1, action="wbeditentity")
        summary = running.run()
        assert summary.decisions_applied == 1 and len(running.wiki.writes) == 1
        bots, persons = running.wiki.writes[0]["revid"], running.wiki.lastrevid(mid)
        assert persons != bots
        with running.store() as store:
            applied = store.get_conflict(conflict["id"])
            assert applied is not None and applied["status"] == "applied"
            assert applied["applied_revid"] is None
            note = store.conflict_history(conflict["id"])[-1]["note"]
            assert f"revision {persons} when checked" in note


def test_a_photo_id_a_person_wrote_settles_once_a_maintainer_confirms_it(
    world: World,
) -> None:
    """Someone writes P12120 = A on Commons while both candidates wait: the bot still
    asks (the file cites two photos), and when a maintainer accepts A there is nothing
    to write; from then on the file is A's."""
    mid = world.add_file_citing(110, A, B)
    with world.start() as running:
        running.run()
        running.wiki.human_edit(mid, claims=[photo_id_claim(A)])
        asked = running.run(recheck=True)
        assert asked.conflicts == {"multiple_photo_ids": 2} and running.wiki.writes == []
        decide(running, {candidate(running, mid, A): "accept_flickr"})
        summary = running.run()
        assert summary.decisions_applied == 1 and summary.outcomes == {"edited": 1}
        assert photo_ids_on(running, mid) == [A] and duplicates(running, mid) == []
        assert [w["params"]["summary"].startswith("Per review") for w in running.wiki.writes] == [
            False
        ]  # one edit: the rest of the file, planned as photo A; no decision edit
        assert {c["status"] for c in conflicts_of(running, mid)} <= {"applied", "superseded"}
        assert running.run(recheck=True).outcomes == {"unchanged": 1}


def photo_id_claim(value: str) -> dict[str, Any]:
    return {
        "mainsnak": {
            "snaktype": "value",
            "property": "P12120",
            "datavalue": {"type": "string", "value": value},
        },
        "type": "statement",
        "rank": "normal",
    }
