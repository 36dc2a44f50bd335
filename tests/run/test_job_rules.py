"""A decision rule and the job, end to end (real pywikibot against the stand-ins): a rule
saved after one run decides the matching conflict a later run finds, the next run writes
it, and the history says which rule decided it."""

from __future__ import annotations

from bot.core.rules import parse_rule
from bot.store import QueueFilter
from tests.support.world import World, p571


def test_a_rule_decides_a_conflict_found_in_a_later_run(world: World) -> None:
    # two files whose inception says 1965 where Flickr says May 1965
    for pageid in (101, 102):
        world.add_file(
            pageid,
            f"5281033661{pageid % 10}",
            taken="1965-05-01 00:00:00",
            granularity=4,
            statements={"P571": [p571(f"M{pageid}", "+1965-00-00T00:00:00Z", 9)]},
        )
    with world.start() as running:
        first = running.run(only=["M101"])
        assert first.conflicts == {"date_precision_differs": 1}
        with running.store() as store:
            (earlier,) = store.list_conflicts(QueueFilter())
            rule = store.create_rule(
                *parse_rule(
                    {
                        "reason": "date_precision_differs",
                        "property": "P571",
                        "commons_precision": "9",
                        "flickr_precision": "10",
                        "same_year": "yes",
                        "decision": "accept_flickr",
                    }
                ),
                actor="Alice",
            ).rule
            store.rule_decide(rule.id, max_id=earlier["id"], pause=0)  # the first pass

        second = running.run()  # writes M101's decision; finds M102's conflict
        assert second.decisions_applied == 1
        assert second.conflicts == {}  # none waiting for a person: the rule decided it
        assert second.rule_decisions == 1
        with running.store() as store:
            (later,) = [
                c for c in store.list_conflicts(QueueFilter(status=None)) if c["mid"] == "M102"
            ]
            assert later["status"] == "accept_flickr" and later["decided_rule"] == rule.id
            event = store.conflict_history(later["id"])[-1]
            assert (event["actor"], event["to_status"], event["rule_id"]) == (
                f"rule #{rule.id}",
                "accept_flickr",
                rule.id,
            )
            assert "written by Alice" in event["note"]
            assert store.get_rule(rule.id).decided == 2
        assert (
            running.wiki.entity("M102")["statements"]["P571"][0]["mainsnak"]["datavalue"]["value"][
                "precision"
            ]
            == 9
        )  # not written yet: decided, then written by the next run

        third = running.run()
        assert third.decisions_applied == 1
        for mid in ("M101", "M102"):
            (date,) = running.wiki.entity(mid)["statements"]["P571"]
            assert date["mainsnak"]["datavalue"]["value"]["precision"] == 10
        with running.store() as store:
            applied = store.get_conflict(later["id"])
            assert applied is not None and applied["status"] == "applied"


def test_a_paused_rule_leaves_a_later_conflict_for_a_person(world: World) -> None:
    world.add_file(
        101,
        "52810336611",
        taken="1965-05-01 00:00:00",
        granularity=4,
        statements={"P571": [p571("M101", "+1965-00-00T00:00:00Z", 9)]},
    )
    with world.start() as running:
        with running.store() as store:
            rule = store.create_rule(
                *parse_rule({"reason": "date_precision_differs", "decision": "keep_commons"}),
                actor="Alice",
            ).rule
            store.pause_rule(rule.id, actor="Alice")
        running.run()
        with running.store() as store:
            (found,) = store.list_conflicts(QueueFilter())
            assert found["status"] == "open" and store.get_rule(rule.id).decided == 0
