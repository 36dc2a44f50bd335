"""The safety rules around the walk, end to end against the stand-ins (real pywikibot,
real httpx): review decisions go through the same stop checks as edits, a decision
cannot be changed under the bot, a run that lost its lock stops, an edit whose answer
was lost is settled by the next run, conflicts people fixed get closed, weak evidence
is only queued, and a failing run still leaves its summary."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.run.job import iter_report
from bot.standins.commons import ApiError
from bot.store import ConflictStatus, QueueFilter, Store
from tests.support.world import Running, World, p571


def precision_conflict_file(world: World, pageid: int) -> str:
    """A file whose year-only P571 disagrees in precision with Flickr's May 1965."""
    mid = f"M{pageid}"
    return world.add_file(
        pageid,
        str(52810336000 + pageid),
        taken="1965-05-01 00:00:00",
        granularity=4,
        statements={"P571": [p571(mid, "+1965-00-00T00:00:00Z", 9)]},
    )


def accept_all(running: Running) -> list[int]:
    with running.store() as store:
        ids = [c["id"] for c in store.list_conflicts(QueueFilter())]
        for cid in ids:
            store.decide(cid, ConflictStatus.ACCEPT_FLICKR, actor="Maintainer")
    return ids


def status_of(running: Running, cid: int) -> str:
    with running.store() as store:
        conflict = store.get_conflict(cid)
        assert conflict is not None
        return str(conflict["status"])


def wrap_standin(running: Running, name: str, before: Any = None, after: Any = None) -> None:
    """Call ``before(n)`` / ``after(n, result)`` around the stand-in's n-th ``name`` call."""
    standin = running.wiki.standin
    original = getattr(standin, name)
    seen = {"n": 0}

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        seen["n"] += 1
        if before is not None:
            before(seen["n"])
        result = original(*args, **kwargs)
        if after is not None:
            after(seen["n"], result)
        return result

    setattr(standin, name, wrapped)


# --------------------------------------------------------------------------- decisions


def test_the_run_page_stops_decisions_too(world: World) -> None:
    precision_conflict_file(world, 101)
    with world.start() as running:
        running.run()
        (cid,) = accept_all(running)
        running.wiki.reset_counters()
        running.wiki.set_page("User:FlickrSdcBot/Run", "run: no")
        summary = running.run()
        assert "run: no" in summary.stop_reason
        assert running.wiki.writes == []
        assert summary.decisions_applied == 0
        assert status_of(running, cid) == "accept_flickr"  # still waiting, not lost


def test_new_talk_page_messages_stop_decisions(world: World) -> None:
    precision_conflict_file(world, 101)
    with world.start() as running:
        running.run()
        accept_all(running)
        running.wiki.reset_counters()
        running.wiki.set_user(hasmsg=True)
        summary = running.run()
        assert "message" in summary.stop_reason and running.wiki.writes == []


def test_limit_counts_decision_edits(world: World) -> None:
    for pageid in (101, 102, 103):
        precision_conflict_file(world, pageid)
    world.add_file(104, "52810336104")  # a pending file the walk would edit
    with world.start() as running:
        running.run(only=["M101", "M102", "M103"])
        ids = accept_all(running)
        assert len(ids) == 3
        running.wiki.reset_counters()
        summary = running.run(limit=1)
        assert len(running.wiki.writes) == 1  # one edit in all, decisions included
        assert summary.edits == 1 and summary.decisions_applied == 1
        assert summary.stop_reason == "limit" and summary.files == 0
        assert sorted(status_of(running, c) for c in ids) == [
            "accept_flickr",
            "accept_flickr",
            "applied",
        ]
        with running.store() as store:
            assert store.get_file("M104").status == "pending"  # type: ignore[union-attr]


def test_only_and_owner_narrow_the_decisions(world: World) -> None:
    precision_conflict_file(world, 101)
    precision_conflict_file(world, 102)
    with world.start() as running:
        running.run()
        first, second = accept_all(running)
        running.wiki.reset_counters()
        summary = running.run(only=["M102"])
        assert summary.decisions_applied == 1
        assert [w["mid"] for w in running.wiki.writes] == ["M102"]
        assert status_of(running, first) == "accept_flickr"
        assert status_of(running, second) == "applied"
        assert running.run(owner="someone-else").decisions_applied == 0
        assert running.run(owner="harbourlights").decisions_applied == 1


def test_max_minutes_stops_decisions(world: World) -> None:
    precision_conflict_file(world, 101)
    with world.start() as running:
        running.run()
        (cid,) = accept_all(running)
        running.wiki.reset_counters()
        summary = running.run(max_minutes=0)
        assert summary.stop_reason == "max_minutes" and running.wiki.writes == []
        assert status_of(running, cid) == "accept_flickr"


def test_a_decision_changed_to_keep_commons_before_the_edit_is_not_written(
    world: World,
) -> None:
    mid = precision_conflict_file(world, 101)
    with world.start() as running:
        running.run()
        (cid,) = accept_all(running)
        running.wiki.reset_counters()

        def maintainer_changes_their_mind(n: int) -> None:
            if n == 1:  # the bot has read the accepted decisions and now reads the file
                with running.store() as store:
                    store.decide(cid, ConflictStatus.KEEP_COMMONS, actor="Maintainer")

        wrap_standin(running, "_wbgetentities", before=maintainer_changes_their_mind)
        summary = running.run()
        assert running.wiki.writes == []
        assert summary.decisions_withdrawn == 1 and summary.decisions_applied == 0
        assert status_of(running, cid) == "keep_commons"
        dates = running.wiki.entity(mid)["statements"]["P571"]
        assert dates[0]["mainsnak"]["datavalue"]["value"]["precision"] == 9


def test_a_decision_being_written_cannot_be_changed_on_the_page(world: World) -> None:
    precision_conflict_file(world, 101)
    with world.start() as running:
        running.run()
        (cid,) = accept_all(running)
        seen: dict[str, Any] = {}

        def maintainer_clicks_during_the_edit(n: int) -> None:
            with running.store() as store:
                seen["status"] = store.get_conflict(cid)["status"]  # type: ignore[index]
                try:
                    store.decide(cid, ConflictStatus.KEEP_COMMONS, actor="Maintainer")
                except Exception as exc:  # what the page shows the maintainer
                    seen["refused"] = type(exc).__name__

        wrap_standin(running, "_apply_wbeditentity", before=maintainer_clicks_during_the_edit)
        summary = running.run()
        assert seen == {"status": "applying", "refused": "InvalidTransition"}
        assert summary.decisions_applied == 1 and status_of(running, cid) == "applied"
        with running.store() as store:
            history = store.conflict_history(cid)
            assert [h["to_status"] for h in history][-2:] == ["applying", "applied"]
            assert history[-1]["revid"] == running.wiki.writes[-1]["revid"]


def test_a_decision_edit_whose_answer_was_lost_is_applied_not_superseded(
    world: World,
) -> None:
    precision_conflict_file(world, 101)
    with world.start() as running:
        running.run()
        (cid,) = accept_all(running)
        running.wiki.reset_counters()
        running.wiki.inject("lost_response", 1, action="wbeditentity")
        summary = running.run()
        assert running.wiki.requests["fault:lost_response"] == 1
        assert len(running.wiki.writes) == 1  # landed once, never resent
        assert summary.decisions_applied == 1
        assert status_of(running, cid) == "applied"
        with running.store() as store:
            assert store.open_edits() == []


def test_a_decision_merged_next_to_a_concurrent_edit_is_taken_back(world: World) -> None:
    mid = world.add_file(
        101,
        "52810336619",
        taken="1965-05-01 00:00:00",
        granularity=4,
        statements={
            "P571": [
                p571("M101", "+1965-00-00T00:00:00Z", 9),
                {
                    **p571("M101", "+1964-00-00T00:00:00Z", 9),
                    "id": "M101$571B0000-AAAA-4AAA-8AAA-000000000571",
                },
            ]
        },
    )
    with world.start() as running:
        running.run()
        ids = accept_all(running)
        assert ids  # a decision that adds Flickr's date next to the two
        someone = {k: v for k, v in p571(mid, "+1966-00-00T00:00:00Z", 9).items() if k != "id"}
        running.wiki.inject("concurrent_edit", mid=mid, claims=[someone])
        summary = running.run()
        assert running.wiki.requests["fault:concurrent_edit"] == 1
        assert summary.edits_undone == 1 and summary.decisions_applied == 0
        times = sorted(
            s["mainsnak"]["datavalue"]["value"]["time"]
            for s in running.wiki.entity(mid)["statements"]["P571"]
        )
        assert times == [
            "+1964-00-00T00:00:00Z",
            "+1965-00-00T00:00:00Z",
            "+1966-00-00T00:00:00Z",
        ]
        assert all(status_of(running, c) == "superseded" for c in ids)


# --------------------------------------------------------------------------- the lock


def test_a_stolen_lock_stops_the_run_before_the_next_edit(world: World) -> None:
    world.add_file(101, "52810336619")
    world.add_file(102, "52810336620")
    with world.start() as running:
        thief: dict[str, str] = {}

        def steal_after_the_first_edit(n: int, result: Any) -> None:
            if n == 1:
                with Store(running.settings.db_path) as other:
                    thief["holder"] = other.acquire_lock("run", stale_after=timedelta(0))

        wrap_standin(running, "_apply_wbeditentity", after=steal_after_the_first_edit)
        summary = running.run()
        assert summary.stop_reason == "lock_lost"
        assert len(running.wiki.writes) == 1
        with running.store() as store:
            assert store.status_counts() == {"edited": 1, "pending": 1}
            assert store.open_edits() == []
            # the stopped run did not remove the lock the other run holds now
            assert not store.heartbeat("nobody", "run")
            assert store.heartbeat(thief["holder"], "run")


def test_a_dry_run_keeps_its_lock_alive_and_notices_when_it_is_taken(world: World) -> None:
    world.add_file(101, "52810336619")
    world.add_file(102, "52810336620", owner="35591378@N03", alias="otherperson")

    with world.start() as running:

        def steal(n: int) -> None:
            if n == 1:
                with Store(running.settings.db_path) as other:
                    other.acquire_lock("dry-run", stale_after=timedelta(0))

        wrap_standin(running, "_wbgetentities", before=steal)
        summary = running.run(dry_run=True, batch_size=1)
        assert summary.stop_reason == "lock_lost"
        assert summary.files == 1  # the first batch; the second was not started
        assert running.wiki.write_attempts == []


# --------------------------------------------------------------------------- lost answers


@pytest.mark.parametrize("landed", [True, False], ids=["last-try-landed", "never-landed"])
def test_an_edit_without_any_answer_is_settled_by_the_next_run(world: World, landed: bool) -> None:
    mid = world.add_file(101, "52810336619")
    with world.start() as running:
        # three attempts, no answer to any; in one case the last one did land
        running.wiki.inject("http503", 2, action="wbeditentity")
        running.wiki.inject("lost_response" if landed else "http503", 1, action="wbeditentity")
        first = running.run()
        assert running.wiki.pending_faults() == 0
        assert first.outcomes_unknown == 1 and first.outcomes == {"error": 1}
        assert len(running.wiki.writes) == (1 if landed else 0)
        with running.store() as store:
            (intent,) = store.open_edits()  # kept open: the outcome is unknown
            assert intent["mid"] == mid
        second = running.run()
        assert second.resumed_intents == 1
        assert running.writes_by_mid() == {mid: 1}  # exactly one edit either way
        assert second.edits == (0 if landed else 1)
        with running.store() as store:
            assert store.open_edits() == []
            row = store.get_file(mid)
            assert row is not None and row.status == "edited"
            assert row.edited_revid == running.wiki.lastrevid(mid)


def test_a_merged_edit_whose_undo_failed_is_undone_by_the_next_run(world: World) -> None:
    mid = world.add_file(101, "52810336619", taken="2019-06-02 18:40:11")
    human_date = p571(mid, "+1999-01-01T00:00:00Z", 9)
    with world.start() as running:
        running.wiki.inject("concurrent_edit", mid=mid, claims=[human_date])

        def refuse_the_undo(n: int) -> None:
            if n == 2:
                raise ApiError("permissiondenied", "You do not have the right to do that.")

        wrap_standin(running, "_apply_wbeditentity", before=refuse_the_undo)
        first = running.run()
        assert first.outcomes == {"error": 1} and len(running.wiki.writes) == 1
        assert len(running.wiki.entity(mid)["statements"]["P571"]) == 2  # for now
        with running.store() as store:
            assert len(store.open_edits()) == 1
        second = running.run()
        assert second.edits_undone == 1 and second.conflicts == {"concurrent_edit": 1}
        dates = running.wiki.entity(mid)["statements"]["P571"]
        assert [d["id"] for d in dates] == [human_date["id"]]
        assert "P12120" in running.wiki.entity(mid)["statements"]
        with running.store() as store:
            assert store.open_edits() == []


def test_an_undo_that_meets_another_edit_is_not_resent_but_settled_by_the_next_run(
    tmp_path: Path,
) -> None:
    """Resending the undo's claims against the newer revision could overwrite what the
    other editor just wrote (Wikibase patches by statement): the bot leaves the intent
    open and the next run settles the file from a fresh read."""
    world = World(tmp_path)
    mid = world.add_file(101, "52810336619", taken="2019-06-02 18:40:11")
    human_date = p571(mid, "+1999-01-01T00:00:00Z", 9)
    with world.start() as running:
        running.wiki.inject("concurrent_edit", mid=mid, claims=[human_date])

        def conflict_on_the_undo(n: int) -> None:
            if n == 2:
                raise ApiError(
                    "editconflict", "Edit conflict. Could not patch the current revision."
                )

        wrap_standin(running, "_apply_wbeditentity", before=conflict_on_the_undo)
        first = running.run()
        assert first.outcomes == {"error": 1} and first.edits_undone == 0
        assert len(running.wiki.writes) == 1  # the undo was tried once, not resent
        with running.store() as store:
            assert len(store.open_edits()) == 1
        second = running.run()
        assert second.edits_undone == 1 and second.conflicts == {"concurrent_edit": 1}
        dates = running.wiki.entity(mid)["statements"]["P571"]
        assert [d["id"] for d in dates] == [human_date["id"]]
        with running.store() as store:
            assert store.open_edits() == []


# --------------------------------------------------------------------------- conflict recheck


def test_a_conflict_a_person_fixed_on_commons_is_closed_by_the_next_plain_run(
    world: World,
) -> None:
    mid = world.add_file(
        101,
        "52810336619",
        taken="2019-06-02 18:40:11",
        statements={"P571": [p571("M101", "+1999-01-01T00:00:00Z", 11)]},
    )
    with world.start() as running:
        first = running.run()
        assert first.conflicts == {"date_differs": 1}
        with running.store() as store:
            (conflict,) = store.list_conflicts(QueueFilter())
        # not changed yet: a revision check, and nothing else
        running.wiki.reset_counters()
        flickr_before = len(running.flickr.requests)
        quiet = running.run(recheck_conflicts_days=0)
        assert quiet.files_rechecked == 1 and quiet.rechecked_changed == 0 and quiet.files == 0
        assert running.wiki.requests["wbgetentities"] == 0
        assert running.wiki.requests["query+info"] == 1
        assert len(running.flickr.requests) == flickr_before
        # a person corrects the date on Commons
        fixed = {**p571(mid, "+2019-06-02T00:00:00Z", 11)}
        running.wiki.human_edit(mid, claims=[fixed])
        summary = running.run(recheck_conflicts_days=0)
        assert summary.rechecked_changed == 1 and summary.files == 1
        assert status_of(running, conflict["id"]) == "superseded"
        with running.store() as store:
            assert store.get_conflict(conflict["id"])["closed_reason"] == "resolved"  # type: ignore[index]
            assert store.list_conflicts(QueueFilter()) == []


def test_the_conflicts_of_a_deleted_file_are_closed(world: World) -> None:
    mid = world.add_file(
        101,
        "52810336619",
        statements={"P571": [p571("M101", "+1999-01-01T00:00:00Z", 11)]},
    )
    with world.start() as running:
        running.run()
        running.wiki.delete_file(mid)
        summary = running.run(recheck_conflicts_days=0)
        assert summary.outcomes == {"file_gone": 1} and summary.conflicts_closed == 1
        with running.store() as store:
            assert store.list_conflicts(QueueFilter()) == []


def test_a_dry_run_sees_a_fixed_conflict_but_closes_nothing(world: World) -> None:
    mid = world.add_file(
        101,
        "52810336619",
        statements={"P571": [p571("M101", "+1999-01-01T00:00:00Z", 11)]},
    )
    with world.start() as running:
        running.run()
        running.wiki.reset_counters()
        running.wiki.human_edit(mid, claims=[p571(mid, "+2019-06-02T00:00:00Z", 11)])
        summary = running.run(dry_run=True, recheck_conflicts_days=0)
        assert summary.rechecked_changed == 1 and summary.files == 1  # planned again
        assert summary.conflicts == {} and running.wiki.write_attempts == []
        with running.store() as store:
            (conflict,) = store.list_conflicts(QueueFilter())
            assert conflict["status"] == "open"  # the dry run saw it go, and closed nothing
            assert store.get_file(mid).status == "edited"  # type: ignore[union-attr]
        real = running.run(recheck_conflicts_days=0)
        assert real.rechecked_changed == 1
        with running.store() as store:
            assert store.list_conflicts(QueueFilter()) == []


def test_a_dry_run_does_not_merge_a_titles_row_into_the_snapshot_row(world: World) -> None:
    mid = world.add_file(101, "52810336619")
    title = world.commons.entities[mid]["title"]
    with world.start() as running:
        with running.store() as store:
            # the same file listed by title too (as --titles adds files)
            store.conn.execute(
                "INSERT INTO files(title, origin, added_at, evidence_updated_at) "
                "VALUES (?, 'titles', 'x', 'x')",
                (title + " ",),
            )
            store.conn.execute("UPDATE files SET title=? WHERE origin='titles'", (title,))
            before = store.count_files()
        assert before == 2
        running.run(dry_run=True)
        with running.store() as store:
            assert store.count_files() == 2  # nothing deleted by a dry run
        running.run()
        with running.store() as store:
            assert store.count_files() == 1  # a real run merges the two rows


# --------------------------------------------------------------------------- weak evidence


def test_a_photo_id_only_in_the_file_name_is_queued_not_written(world: World) -> None:
    mid = world.add_file(301, "52810336690", statements={}, in_worklist=False)
    title = world.commons.entities[mid]["title"]  # "File:Harbour at dusk (52810336690).jpg"
    world.commons.entities[mid]["wikitext"] = (
        "=={{int:filedesc}}==\n{{Information\n|description=Harbour, from Flickr\n"
        "|source=own work\n}}\n"
    )
    with world.start() as running:
        with running.store() as store:
            store.add_titles([title])
        flickr_before = len(running.flickr.requests)
        summary = running.run()
        assert summary.outcomes == {"conflict": 1}
        assert summary.conflicts == {"weak_flickr_evidence": 1}
        assert running.wiki.writes == []
        assert len(running.flickr.requests) == flickr_before  # nothing asked of Flickr
        again = running.run(recheck=True)  # the stored weak evidence is still weak
        assert again.conflicts == {"weak_flickr_evidence": 1} and running.wiki.writes == []
        with running.store() as store:
            (conflict,) = store.list_conflicts(QueueFilter())
            assert conflict["property"] == "P12120"
            assert conflict["proposed"]["mainsnak"]["datavalue"]["value"] == "52810336690"
            # a maintainer confirms it: the id is written, then the rest is planned
            store.decide(conflict["id"], ConflictStatus.ACCEPT_FLICKR, actor="Maintainer")
        confirmed = running.run()
        assert confirmed.decisions_applied == 1
        props = set(running.wiki.entity(mid)["statements"])
        assert {"P12120", "P170", "P571"} <= props
        assert len(running.wiki.writes) == 2


# --------------------------------------------------------------------------- the summary


def test_a_dry_run_writes_its_summary_next_to_the_report(tmp_path: Path, world: World) -> None:
    world.add_file(101, "52810336619")
    with world.start() as running:
        report = tmp_path / "reports" / "dry-run-x.jsonl"
        running.run(dry_run=True, limit=5, report_path=report)
        assert len(list(iter_report(report))) == 1
        summary = json.loads((tmp_path / "reports" / "dry-run-x.summary.json").read_text())
        assert summary["dry_run"] is True and summary["planned_edits"] == 1
        assert summary["options"]["limit"] == 5 and summary["stop_reason"] == "done"


def test_a_run_that_fails_records_the_error_and_its_summary(world: World) -> None:
    world.add_file(101, "52810336619")
    world.add_file(102, "52810336620", owner="35591378@N03", alias="otherperson")
    with world.start() as running:

        def commons_answers_garbage(n: int, result: Any) -> None:
            if n == 2:
                for entity in result["entities"].values():
                    entity["lastrevid"] = "not a number"

        wrap_standin(running, "_wbgetentities", after=commons_answers_garbage)
        with running.adapters() as ad:
            from bot.run.job import RunOptions
            from bot.run.wiring import make_job

            job = make_job(ad, RunOptions(batch_size=1, progress=False, limit=9))
            with pytest.raises(ValueError):
                job.run()
            summary = job.summary
            run = ad.store.get_run(summary.run_id)
        assert summary.stop_reason.startswith("error: ValueError")
        assert summary.outcomes == {"edited": 1}  # the first batch, before the failure
        assert run is not None and run["stop_reason"] == summary.stop_reason
        assert run["summary"]["edits"] == 1 and run["summary"]["options"]["limit"] == 9
        assert "stopped: error: ValueError" in summary.render()
