"""The bot end to end: real pywikibot and real httpx against the stand-in Commons and
Flickr. Each test is one situation a Commons maintainer would ask about."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.run.job import iter_report
from bot.standins.flickr import make_photo
from bot.store import ConflictStatus, LockHeld, QueueFilter
from tests.support.world import OTHER_OWNER, OWNER, World, p571


def statement_props(entity: dict) -> set[str]:
    return set((entity.get("statements") or {}).keys())


def test_edits_land_with_the_right_claims_and_baserevid(world: World) -> None:
    m1 = world.add_file(101, "52810336619", geo=(52.3702, 4.8952, 16))
    m2 = world.add_file(102, "52810336620", granularity=8, taken="1943-01-01 00:00:00")
    with world.start() as running:
        before = {m: running.wiki.lastrevid(m) for m in (m1, m2)}
        summary = running.run()
        assert summary.outcomes == {"edited": 2}
        assert running.writes_by_mid() == {m1: 1, m2: 1}  # exactly one edit per file
        for write in running.wiki.writes:
            assert write["baserevid"] == before[write["mid"]]
            assert write["params"]["bot"] in ("1", "")
            assert write["params"]["maxlag"] == "5"
            assert "Flickr photo" in write["params"]["summary"]
            # the run is named, so its edits can be found together on-wiki
            assert write["params"]["summary"].endswith(f"|details]]; run {summary.run_id})")
        e1 = running.wiki.entity(m1)
        assert {"P12120", "P170", "P7482", "P571", "P1259", "P1433"} <= statement_props(e1)
        (photo_id,) = e1["statements"]["P12120"]
        assert photo_id["mainsnak"]["datavalue"]["value"] == "52810336619"
        # the existing P7482 was extended (same id, P973 kept, P137 added), not duplicated
        (source,) = e1["statements"]["P7482"]
        assert source["id"].startswith(f"{m1}$00000001")
        assert set(source["qualifiers"]) == {"P973", "P137"}
        circa = running.wiki.entity(m2)["statements"]["P571"][0]
        assert circa["mainsnak"]["datavalue"]["value"]["precision"] == 9
        assert "P1480" in circa["qualifiers"]
        with running.store() as store:
            row = store.get_file(m1)
            assert row is not None and row.status == "edited"
            assert row.edited_revid == running.wiki.lastrevid(m1)


def test_a_second_run_makes_no_edit(world: World) -> None:
    world.add_file(101, "52810336619")
    with world.start() as running:
        running.run()
        writes = len(running.wiki.writes)
        again = running.run()
        assert again.files == 0  # done files are not picked up again
        rechecked = running.run(recheck=True)
        assert rechecked.outcomes == {"unchanged": 1}
        assert len(running.wiki.writes) == writes


def test_a_concurrent_human_date_is_never_left_next_to_the_bots(world: World) -> None:
    """Wikibase merges the bot's stale edit next to a person's new date: the bot notices,
    takes its own date back out and asks a person; the rest of its edit stays."""
    mid = world.add_file(101, "52810336619", taken="2019-06-02 18:40:11")
    human_date = p571(mid, "+1999-01-01T00:00:00Z", 9)
    with world.start() as running:
        # someone adds an inception date between the bot's read and its write
        running.wiki.inject("concurrent_edit", mid=mid, claims=[human_date])
        summary = running.run()
        assert running.wiki.requests["fault:concurrent_edit"] == 1
        entity = running.wiki.entity(mid)
        dates = entity["statements"]["P571"]
        assert [d["mainsnak"]["datavalue"]["value"]["time"] for d in dates] == [
            "+1999-01-01T00:00:00Z"
        ]
        assert "P12120" in entity["statements"] and "P170" in entity["statements"]
        edit, undo = running.wiki.writes
        assert edit["patched"] == "wikibase-conflict-patched"
        assert undo["baserevid"] == edit["revid"]  # the undo is based on our own revision
        assert [set(c) for c in undo["data"]["claims"]] == [{"id", "remove"}]
        assert summary.edits == 2 and summary.edits_merged == 1 and summary.edits_undone == 1
        assert summary.edit_conflicts == 0
        assert summary.outcomes == {"edited": 1}
        assert summary.conflicts == {"concurrent_edit": 1}
        assert "P571" not in summary.statements and summary.statements["P12120"] == 1
        with running.store() as store:
            (conflict,) = store.list_conflicts(QueueFilter())
            assert (conflict["property"], conflict["reason"]) == ("P571", "concurrent_edit")
            assert [s["id"] for s in conflict["existing"]] == [human_date["id"]]
            proposed = conflict["proposed"]["mainsnak"]["datavalue"]["value"]["time"]
            assert proposed == "+2019-06-02T00:00:00Z"
            assert conflict["base_revid"] == running.wiki.lastrevid(mid) == undo["revid"]
            assert store.open_edits() == []
            row = store.get_file(mid)
            assert row is not None and row.edited_revid == undo["revid"]


def test_a_concurrent_edit_on_the_strict_stand_in_is_replanned(world: World) -> None:
    """Where Commons refuses the stale edit (``editconflict``), the bot re-reads, re-plans
    and sends the rest once more; the person's date becomes a date conflict."""
    world.commons.strict_baserevid = True
    mid = world.add_file(101, "52810336619", taken="2019-06-02 18:40:11")
    human_date = p571(mid, "+1999-01-01T00:00:00Z", 9)
    with world.start() as running:
        running.wiki.inject("concurrent_edit", mid=mid, claims=[human_date])
        summary = running.run()
        entity = running.wiki.entity(mid)
        dates = entity["statements"]["P571"]
        assert [d["mainsnak"]["datavalue"]["value"]["time"] for d in dates] == [
            "+1999-01-01T00:00:00Z"
        ]
        assert summary.edit_conflicts == 1
        assert summary.outcomes == {"edited": 1}
        assert summary.conflicts == {"date_differs": 1}
        attempts = running.wiki.write_attempts
        assert [a.get("error") for a in attempts] == ["editconflict", None]
        assert running.wiki.writes[-1]["baserevid"] == int(attempts[0]["params"]["baserevid"]) + 2
        assert "P12120" in entity["statements"]


def test_a_merge_with_an_edit_of_another_property_is_just_an_edit(world: World) -> None:
    mid = world.add_file(101, "52810336619")
    depicts = {
        "mainsnak": {
            "snaktype": "value",
            "property": "P180",
            "datavalue": {
                "type": "wikibase-entityid",
                "value": {"entity-type": "item", "numeric-id": 16970, "id": "Q16970"},
            },
        },
        "type": "statement",
        "rank": "normal",
    }
    with world.start() as running:
        running.wiki.inject("concurrent_edit", mid=mid, claims=[depicts])
        summary = running.run()
        assert running.wiki.requests["fault:concurrent_edit"] == 1
        (write,) = running.wiki.writes
        assert write["patched"] == "wikibase-conflict-patched"
        assert summary.edits == 1 and summary.edits_merged == 1 and summary.edits_undone == 0
        assert summary.outcomes == {"edited": 1} and summary.conflicts == {}
        props = statement_props(running.wiki.entity(mid))
        assert {"P180", "P12120", "P170", "P571"} <= props
        with running.store() as store:
            row = store.get_file(mid)
            assert row is not None and row.status == "edited"
            assert row.edited_revid == write["revid"] == running.wiki.lastrevid(mid)
            assert store.open_edits() == [] and store.count_edits(mid) == 1


@pytest.mark.parametrize("fault", ["maxlag", "ratelimited", "http503"])
def test_transient_wiki_errors_are_retried(world: World, fault: str) -> None:
    mid = world.add_file(101, "52810336619")
    with world.start() as running:
        running.wiki.inject(fault, 2, action="wbeditentity")
        summary = running.run()
        assert running.wiki.requests[f"fault:{fault}"] == 2  # the faults really happened
        assert running.wiki.pending_faults() == 0
        assert summary.outcomes == {"edited": 1}
        assert running.writes_by_mid() == {mid: 1}
        # maxlag and ratelimited are waited out inside pywikibot; only a missing answer
        # (503) makes the bot re-read the file before it resends
        rereads = 2 if fault == "http503" else 0
        assert running.wiki.requests["wbgetentities"] == 1 + rereads


def test_the_run_page_stops_the_bot(world: World) -> None:
    world.add_file(101, "52810336619")
    world.commons.pages["User:FlickrSdcBot/Run"] = "run: no"
    with world.start() as running:
        summary = running.run()
        assert "run page" in summary.stop_reason.lower() or "run:" in summary.stop_reason
        assert running.wiki.writes == []
        with running.store() as store:
            assert store.count_files("pending") == 1


def test_new_talk_page_messages_stop_the_bot(world: World) -> None:
    world.add_file(101, "52810336619")
    world.commons.hasmsg = True
    with world.start() as running:
        summary = running.run()
        assert "message" in summary.stop_reason
        assert running.wiki.writes == []


def test_dry_run_writes_nothing_and_marks_nothing_done(tmp_path: Path, world: World) -> None:
    world.add_file(101, "52810336619")
    world.add_file(
        102, "52810336620", statements={"P571": [p571("M102", "+1999-00-00T00:00:00Z", 9)]}
    )
    with world.start() as running:
        summary = running.run(dry_run=True)
        assert running.wiki.write_attempts == []
        assert running.wiki.requests.get("login", 0) == 0
        assert summary.planned_edits == 2
        with running.store() as store:
            assert store.count_files("pending") == 2
            queued = store.list_conflicts(QueueFilter())
            assert [c["found_dry_run"] for c in queued] == [True]
        lines = list(iter_report(tmp_path / "reports" / "run.jsonl"))
        assert {line["mid"] for line in lines} == {"M101", "M102"}
        m101 = next(line for line in lines if line["mid"] == "M101")
        assert any(d.startswith("+ P12120") for d in m101["diff"])


def test_photo_deleted_on_flickr_gets_only_its_id(world: World) -> None:
    mid = world.add_file(101, "52810336619", photo=False)
    with world.start() as running:
        summary = running.run()
        assert summary.outcomes == {"photo_gone": 1}
        props = statement_props(running.wiki.entity(mid))
        assert "P12120" in props and "P571" not in props


@pytest.mark.parametrize(
    ("case", "account", "creator"),
    [
        ("the owner's account still exists", "live", True),
        ("the owner's account was deleted (code 5)", "deleted", False),
        ("Flickr does not know the owner (code 1)", "unknown", False),
    ],
)
def test_a_gone_photo_gets_a_creator_only_for_an_account_flickr_confirms(
    world: World, case: str, account: str, creator: bool
) -> None:
    mid = world.add_file(101, "52810336619", photo=False)
    # The file's evidence names the owner's NSID (e.g. a P170 profile URL with it).
    world.worklist[-1] = world.worklist[-1]._replace(owner_nsid=OWNER)
    if account == "deleted":
        world.flickr.deleted_owners.add(OWNER)
    elif account == "unknown":
        del world.flickr.owners[OWNER]
    with world.start() as running:
        summary = running.run()
        assert summary.outcomes == {"photo_gone": 1}
        statements = running.wiki.entity(mid)["statements"]
        assert "P12120" in statements
        assert ("P170" in statements) == creator
        if creator:
            (written,) = statements["P170"]
            quals = written["qualifiers"]
            assert quals["P3267"][0]["datavalue"]["value"] == OWNER
            assert quals["P2093"][0]["datavalue"]["value"] == "Ada Marsh"  # from people.getInfo
        assert running.flickr.counts["flickr.people.getInfo"] == 1
        with running.store() as store:
            cached = store.get_owner(OWNER)
            assert (cached is not None and not cached.is_deleted) == (account == "live")


def test_a_deleted_file_is_recorded_as_gone(world: World) -> None:
    mid = world.add_file(101, "52810336619")
    with world.start() as running:
        running.wiki.delete_file(mid)
        assert running.run().outcomes == {"file_gone": 1}


def test_a_maintainers_decision_is_applied_against_the_same_revision(world: World) -> None:
    mid = world.add_file(
        101,
        "52810336619",
        taken="1965-05-01 00:00:00",
        granularity=4,
        statements={"P571": [p571("M101", "+1965-00-00T00:00:00Z", 9)]},
    )
    with world.start() as running:
        first = running.run()
        assert first.conflicts == {"date_precision_differs": 1}
        with running.store() as store:
            (conflict,) = store.list_conflicts(QueueFilter())
            store.decide(conflict["id"], ConflictStatus.ACCEPT_FLICKR, actor="Maintainer")
        second = running.run()
        assert second.decisions_applied == 1
        dates = running.wiki.entity(mid)["statements"]["P571"]
        assert len(dates) == 1
        assert dates[0]["mainsnak"]["datavalue"]["value"]["precision"] == 10  # May 1965
        assert dates[0]["id"] == "M101$571A0000-AAAA-4AAA-8AAA-000000000571"
        with running.store() as store:
            applied = store.get_conflict(conflict["id"])
            assert applied is not None and applied["status"] == "applied"
            assert applied["applied_revid"] == running.wiki.lastrevid(mid)


def test_a_decision_on_a_file_that_changed_meanwhile_is_not_written(world: World) -> None:
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
        # someone else changes the date by hand before the next run (to April, not May)
        running.wiki.human_edit(mid, claims=[{**p571(mid, "+1965-04-00T00:00:00Z", 10)}])
        writes = len(running.wiki.writes)
        summary = running.run()
        assert summary.decisions_applied == 0 and summary.decisions_superseded == 1
        assert len(running.wiki.writes) == writes
        # the file went back to pending and the walk of the same run planned it again
        assert summary.files == 1 and summary.conflicts == {"date_differs": 1}
        with running.store() as store:
            c = store.get_conflict(conflict["id"])
            assert c is not None and c["status"] == "superseded"
            (fresh,) = store.list_conflicts(QueueFilter())
            assert fresh["reason"] == "date_differs" and fresh["id"] != conflict["id"]
            assert fresh["base_revid"] == running.wiki.lastrevid(mid)


def test_two_runs_cannot_overlap(world: World) -> None:
    world.add_file(101, "52810336619")
    with world.start() as running:
        with running.store() as store:
            holder = store.acquire_lock("run")
            with pytest.raises(LockHeld):
                running.run()
            store.release_lock(holder, "run")
        assert running.run().outcomes == {"edited": 1}


def test_owner_batches_and_read_batches_keep_calls_per_file_low(world: World) -> None:
    for i in range(120):
        world.add_file(1000 + i, str(52810336000 + i))
    with world.start() as running:
        summary = running.run()
        assert summary.outcomes == {"edited": 120}
        assert running.wiki.requests["wbgetentities"] == 3  # 50 + 50 + 20
        assert summary.commons_read_calls / summary.files <= 0.03
        assert summary.flickr_calls < 10  # people.getInfo + one page of 40, not 120 getInfo
        assert len(running.wiki.writes) == 120


def test_only_and_owner_and_limit_select_files(world: World) -> None:
    world.add_file(101, "52810336619")
    world.add_file(102, "52810336620")
    world.add_file(103, "52810336621", owner="35591378@N03", alias="otherperson")
    with world.start() as running:
        assert running.run(only=["M102"]).files == 1
        assert running.run(owner="otherperson").files == 1
        assert running.run(limit=5).files == 1
        assert set(running.writes_by_mid()) == {"M101", "M102", "M103"}


def test_files_are_processed_grouped_by_owner(world: World) -> None:
    """Worklist order interleaves two owners; the run takes each owner's files together,
    so Flickr is asked once per owner and batch, not once per file."""
    for i in range(6):
        owner, alias = (OWNER, "harbourlights") if i % 2 == 0 else (OTHER_OWNER, "otherperson")
        world.add_file(101 + i, str(52810336619 + i), owner=owner, alias=alias)
    with world.start() as running:
        summary = running.run(batch_size=3)
        assert summary.outcomes == {"edited": 6}
        order = [w["mid"] for w in running.wiki.writes]
        assert order == ["M101", "M103", "M105", "M102", "M104", "M106"]  # by owner, then id
        # each read batch holds one owner's files, and Flickr is asked owner by owner
        batches = [
            e["params"]["ids"].split("|")
            for e in running.wiki.log
            if e["params"].get("action") == "wbgetentities"
        ]
        assert batches == [["M101", "M103", "M105"], ["M102", "M104", "M106"]]
        photo_ids = [
            r.params["photo_id"] for r in running.flickr.requests if "photo_id" in r.params
        ]
        owner_a = ["52810336619", "52810336621", "52810336623"]
        owner_b = ["52810336620", "52810336622", "52810336624"]
        assert photo_ids == owner_a + owner_b


def test_a_file_added_by_title_gets_its_photo_from_the_wikitext(world: World) -> None:
    mid = world.add_file(301, "52810336690", statements={}, in_worklist=False)
    title = world.commons.entities[mid]["title"]
    world.commons.entities[mid]["wikitext"] = (
        "=={{int:filedesc}}==\n{{Information\n|description=Harbour\n"
        "|source=https://www.flickr.com/photos/harbourlights/52810336690/\n"
        "|author=[https://www.flickr.com/people/harbourlights/ Ada Marsh]\n}}\n"
    )
    with world.start() as running:
        with running.store() as store:
            assert store.add_titles([title]) == 1
        summary = running.run()
        assert summary.outcomes == {"edited": 1}
        assert "P12120" in running.wiki.entity(mid)["statements"]
        with running.store() as store:
            row = store.get_file(mid)
            assert row is not None and row.photo_ids == ["52810336690"]
            assert "wikitext" in row.evidence_sources
            sources = [e["value"] for e in row.evidence if e["source"] == "wikitext"]
            assert sources and len(sources) == len(set(sources))  # each recorded once


def test_max_minutes_stops_the_run_cleanly(world: World) -> None:
    world.add_file(101, "52810336619")
    with world.start() as running:
        summary = running.run(max_minutes=0)
        assert summary.stop_reason == "max_minutes"
        assert running.wiki.writes == []
        with running.store() as store:
            assert store.count_files("pending") == 1


def test_an_owner_spread_over_batches_is_read_from_its_photo_list(world: World) -> None:
    """30 files of an owner with 7,500 photos, 10 per batch: one batch alone would not
    repay 15 list pages, the run as a whole does (the job tells the client how many of
    the owner's files are still to come)."""
    for i in range(30):
        world.add_file(5000 + i, str(52810336000 + i * 7))
    for n in range(7500):  # the rest of the account's public photos, all newer
        world.flickr.add_photo(make_photo(str(53000000000 + n), OWNER, posted=1_600_000_000 + n))
    world.flickr.owners[OWNER]["photos"]["count"] = {"_content": 7530}
    with world.start() as running:
        summary = running.run(batch_size=10)
        assert summary.outcomes == {"edited": 30}
        counts = running.flickr.counts
        assert counts["flickr.photos.getInfo"] == 0
        assert counts["flickr.people.getPhotos"] <= 16  # the list once, not 30 getInfo
        assert summary.flickr_calls < 30


def test_a_failed_wikidata_lookup_leaves_the_file_for_a_later_run(world: World) -> None:
    """A creator that is a Wikidata item cannot be checked while Wikidata is down: the
    file is an error to retry, not a "could not be checked" conflict."""
    creator_item = {
        "mainsnak": {
            "snaktype": "value",
            "property": "P170",
            "datavalue": {
                "type": "wikibase-entityid",
                "value": {"entity-type": "item", "numeric-id": 4115189, "id": "Q4115189"},
            },
        },
        "type": "statement",
        "id": "M101$170A0000-AAAA-4AAA-8AAA-000000000170",
        "rank": "normal",
    }
    mid = world.add_file(101, "52810336619")
    world.commons.entities[mid]["statements"]["P170"] = [creator_item]
    world.commons.wikidata["Q4115189"] = {
        "claims": {
            "P3267": [
                {
                    "mainsnak": {
                        "snaktype": "value",
                        "property": "P3267",
                        "datavalue": {"type": "string", "value": OWNER},
                    },
                    "rank": "normal",
                }
            ]
        }
    }
    with world.start() as running:
        running.wiki.inject("http503", 5, endpoint="wikidata")  # every attempt of one lookup
        first = running.run()
        assert first.outcomes == {"error": 1} and not running.wiki.writes
        with running.store() as store:
            assert store.list_conflicts(QueueFilter(status=None)) == []
            (error,) = store.conn.execute(
                "SELECT last_error FROM files WHERE mid = ?", (mid,)
            ).fetchone()
            assert "wikidata" in error
        second = running.run()  # Wikidata is back
        assert second.outcomes == {"edited": 1}
