"""``backfill undo --run N`` end to end: real pywikibot against the stand-in Commons.

Run 1 edits files (added statements, a qualifier added to someone's P7482, a replaced
placeholder creator); the undo must take back exactly that, leave what a person changed
since and list it, write nothing when dry, never edit a file twice (a second undo, a
``kill -9`` mid-undo).
"""

from __future__ import annotations

import copy
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bot.cli.undo import commons_client
from bot.core.concurrency import content_key, statements_of
from bot.run.undo import UndoJob, UndoOptions, UndoSummary
from tests.run.test_job_crash import backfill_command, hold_edit_number
from tests.support.world import BOT, Running, World, p571

ROOT = Path(__file__).resolve().parents[2]


def contents(entity: dict[str, Any] | None) -> dict[str, list[bytes]]:
    """What each property says, ids and hashes left out, in order."""
    return {
        p: [content_key(s) for s in group] for p, group in statements_of(entity).items() if group
    }


def undo(running: Running, run: int, **options: Any) -> UndoSummary:
    dry = bool(options.get("dry_run"))
    with (
        commons_client(running.settings, None if dry else BOT) as commons,
        running.store() as store,
    ):
        return UndoJob(store, commons, UndoOptions(run=run, **options)).run()


def placeholder_creator(mid: str) -> dict[str, Any]:
    return {
        "mainsnak": {"snaktype": "somevalue", "property": "P170"},
        "type": "statement",
        "id": f"{mid}$170A0000-AAAA-4AAA-8AAA-000000000170",
        "rank": "normal",
        "qualifiers": {
            "P2093": [
                {
                    "snaktype": "value",
                    "property": "P2093",
                    "datavalue": {"type": "string", "value": "null"},
                }
            ]
        },
        "qualifiers-order": ["P2093"],
    }


def three_files(world: World) -> tuple[str, str, str]:
    plain = world.add_file(101, "52810336619", geo=(52.3702, 4.8952, 16))
    dated = world.add_file(102, "52810336620", granularity=8, taken="1943-01-01 00:00:00")
    replaced = world.add_file(103, "52810336621")
    entity = world.commons.entities[replaced]
    entity["statements"]["P170"] = [placeholder_creator(replaced)]
    return plain, dated, replaced


def test_undo_takes_back_exactly_what_the_run_wrote(tmp_path: Path) -> None:
    world = World(tmp_path)
    mids = three_files(world)
    with world.start() as running:
        before = {m: contents(running.wiki.entity(m)) for m in mids}
        first = running.run()
        assert first.outcomes == {"edited": 3}
        assert all(contents(running.wiki.entity(m)) != before[m] for m in mids)
        edits_of_run = len(running.wiki.writes)
        revs = {m: running.wiki.lastrevid(m) for m in mids}
        result = undo(running, first.run_id)
        assert result.counts() == {"undone": 3} and result.stop_reason == "done"
        undo_writes = running.wiki.writes[edits_of_run:]
        assert sorted(w["mid"] for w in undo_writes) == sorted(mids)  # one edit per file
        for w in undo_writes:
            assert w["baserevid"] == revs[w["mid"]]
            assert w["params"]["summary"].startswith(f"Undo run {first.run_id}: take back ")
            assert w["params"]["summary"].endswith(f"; run {result.undo_run_id})")
        for m in mids:  # every file says again what it said before the run
            assert contents(running.wiki.entity(m)) == before[m], m
        # the extended P7482 kept its id (only the bot's P137 went); the creator is back
        source = running.wiki.entity(mids[0])["statements"]["P7482"][0]
        assert source["id"].startswith(f"{mids[0]}$00000001") and set(source["qualifiers"]) == {
            "P973"
        }
        with running.store() as store:
            rows = store.undo_files(first.run_id)
            assert [(r.mid, r.outcome, r.left) for r in rows] == [(m, "undone", []) for m in mids]
            assert all(r.new_revid == running.wiki.lastrevid(r.mid) for r in rows)
            (listed, *_) = store.list_runs()
            assert listed.id == result.undo_run_id and listed.undo_of == first.run_id
            run1 = next(r for r in store.list_runs() if r.id == first.run_id)
            assert (run1.edits, run1.files_undone, run1.files_left) == (3, 3, 0)
        # a second undo finds every file done and edits nothing
        again = undo(running, first.run_id)
        assert again.files == [] and again.already_undone == 3
        assert len(running.wiki.writes) == edits_of_run + 3
        # nor does a normal run put it all back by itself: the files are done
        assert running.run().files == 0
        # not even a recheck of every file: an undone file is left alone ...
        assert running.run(recheck=True).files == 0
        assert len(running.wiki.writes) == edits_of_run + 3
        # ... until a maintainer names it
        named = running.run(recheck=True, only=[mids[0]])
        assert named.files == 1 and named.outcomes == {"edited": 1}


def test_a_statement_a_person_changed_since_is_left_and_listed(tmp_path: Path) -> None:
    world = World(tmp_path)
    mid = world.add_file(101, "52810336619", taken="2019-06-02 18:40:11")
    with world.start() as running:
        first = running.run()
        (date,) = running.wiki.entity(mid)["statements"]["P571"]
        fixed = copy.deepcopy(date)
        fixed["mainsnak"]["datavalue"]["value"]["time"] = "+2019-06-03T00:00:00Z"
        running.wiki.human_edit(mid, claims=[fixed])  # a person corrects the bot's date
        result = undo(running, first.run_id)
        assert result.counts() == {"undone": 1}
        entity = running.wiki.entity(mid)
        assert [s["id"] for s in entity["statements"]["P571"]] == [date["id"]]
        assert contents({"statements": {"P571": entity["statements"]["P571"]}}) == contents(
            {"statements": {"P571": [fixed]}}
        )
        assert "P12120" not in entity["statements"]  # the rest of the run went
        (done,) = result.files
        assert [(x.property, x.action) for x in done.left] == [("P571", "changed")]
        assert "left for a person: P571" in result.render()
        with running.store() as store:
            (row,) = store.undo_files(first.run_id)
            assert [x["property"] for x in row.left] == ["P571"]
            assert {t["property"] for t in row.taken} >= {"P12120", "P170"}


def test_a_dry_undo_writes_nothing(tmp_path: Path) -> None:
    world = World(tmp_path)
    mids = three_files(world)
    with world.start() as running:
        first = running.run()
        writes = len(running.wiki.writes)
        after_run = {m: running.wiki.entity(m) for m in mids}
        with running.store() as store:
            runs_before = store.list_runs()
        result = undo(running, first.run_id, dry_run=True)
        assert result.counts() == {"would_undo": 3} and result.edits == 3
        assert all(f.taken for f in result.files)
        assert len(running.wiki.writes) == writes
        assert {m: running.wiki.entity(m) for m in mids} == after_run
        with running.store() as store:
            assert store.undo_files(first.run_id) == []
            assert store.list_runs() == runs_before  # no run row either


def test_what_cannot_be_undone_is_refused_in_one_line(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.add_file(101, "52810336619")
    with world.start() as running:
        running.run(dry_run=True)
        real = running.run()
        undo(running, real.run_id)
        for run, words in [(1, "was a dry run"), (3, "is itself an undo"), (99, "no run 99")]:
            proc = undo_process(running, "--run", str(run))
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 2 and out == b"", err
            assert err.decode().startswith("backfill undo: ") and words in err.decode()
            assert err.decode().count("\n") == 1  # one line


def undo_process(running: Running, *extra: str) -> subprocess.Popen[bytes]:
    """A real ``backfill undo`` subprocess against the stand-in (as the crash tests run)."""
    s = running.settings
    cmd = [
        *backfill_command(),
        "undo",
        "--db",
        s.db_path,
        "--commons-api",
        s.commons_api_url,
        "--username",
        BOT,
        "--pywikibot-dir",
        str(Path(s.pywikibot_dir).parent / "pywikibot-sub"),
        "--put-throttle",
        "0.05",
        *extra,
    ]
    env = {**os.environ, **running.env, "PYTHONPATH": str(ROOT)}
    env.pop("PYWIKIBOT_DIR", None)
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.slow
@pytest.mark.parametrize("landed", [True, False], ids=["undo-landed", "undo-not-landed"])
def test_kill_9_mid_undo_then_resume(tmp_path: Path, landed: bool) -> None:
    world = World(tmp_path)
    mids = [world.add_file(200 + i, str(52810336700 + i)) for i in range(4)]
    with world.start() as running:
        first = running.run()
        before = len(running.wiki.writes)
        reached = hold_edit_number(running, 2, apply=landed)
        proc = undo_process(running, "--run", str(first.run_id))
        try:
            assert reached.wait(120), "the undo never reached its second edit"
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
        finally:
            running.release.set()  # type: ignore[attr-defined]
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == -signal.SIGKILL
        with running.store() as store:
            (intent,) = store.open_undo_edits(first.run_id)
            assert store.open_edits() == []  # not a run's intent: no run settles it
            assert len(store.undo_files(first.run_id)) == 1
        in_flight = intent.mid
        undo_writes = [w["mid"] for w in running.wiki.writes[before:]]
        assert (in_flight in undo_writes) is landed
        resumed = undo_process(running, "--run", str(first.run_id), "--json")
        out, err = resumed.communicate(timeout=300)
        assert resumed.returncode == 0, err.decode()[-2000:]
        assert b'"resumed_intents": 1' in out
        # every file undone by exactly one edit, whatever the timing of the kill
        undo_writes = [w["mid"] for w in running.wiki.writes[before:]]
        assert sorted(undo_writes) == sorted(mids)
        with running.store() as store:
            assert store.open_undo_edits(first.run_id) == []
            rows = store.undo_files(first.run_id)
            assert sorted(r.mid for r in rows) == sorted(mids)
            assert {r.outcome for r in rows} == {"undone"}
        for m in mids:
            assert set(statements_of(running.wiki.entity(m))) == {"P7482"}


def test_undo_and_a_person_date_added_during_the_run(tmp_path: Path) -> None:
    """A date someone added next to the bot's is theirs: the undo never takes it."""
    world = World(tmp_path)
    mid = world.add_file(101, "52810336619")
    with world.start() as running:
        first = running.run()
        running.wiki.human_edit(mid, claims=[p571(mid, "+1999-01-01T00:00:00Z", 9)])
        undo(running, first.run_id)
        dates = running.wiki.entity(mid)["statements"]["P571"]
        assert [d["mainsnak"]["datavalue"]["value"]["time"] for d in dates] == [
            "+1999-01-01T00:00:00Z"
        ]


def test_a_person_editing_while_the_undo_is_sent_keeps_their_change(tmp_path: Path) -> None:
    """Someone corrects the bot's date just before the undo's edit arrives: Commons refuses
    the stale removal (editconflict); the undo re-reads, re-plans and leaves the date."""
    world = World(tmp_path)
    mid = world.add_file(101, "52810336619", taken="2019-06-02 18:40:11")
    with world.start() as running:
        first = running.run()
        (date,) = running.wiki.entity(mid)["statements"]["P571"]
        fixed = copy.deepcopy(date)
        fixed["mainsnak"]["datavalue"]["value"]["time"] = "+2019-06-03T00:00:00Z"
        running.wiki.inject("concurrent_edit", mid=mid, claims=[fixed])
        result = undo(running, first.run_id)
        assert running.wiki.requests["fault:concurrent_edit"] == 1
        (done,) = result.files
        assert done.outcome == "undone" and [x.property for x in done.left] == ["P571"]
        assert {t.property for t in done.taken} >= {"P12120", "P170"}  # by the first try
        assert len(running.wiki.writes) == 3  # the run, the undo, the adapter's put-back
        entity = running.wiki.entity(mid)
        assert contents({"statements": {"P571": entity["statements"]["P571"]}}) == contents(
            {"statements": {"P571": [fixed]}}
        )
        assert "P12120" not in entity["statements"]
        with running.store() as store:
            assert store.open_undo_edits(first.run_id) == []


def test_a_lost_answer_is_settled_from_the_file_without_a_second_edit(tmp_path: Path) -> None:
    world = World(tmp_path)
    mid = world.add_file(101, "52810336619")
    with world.start() as running:
        first = running.run()
        before = len(running.wiki.writes)
        running.wiki.inject("lost_response", 1, action="wbeditentity")
        result = undo(running, first.run_id)
        assert len(running.wiki.writes) == before + 1  # landed once, never resent
        with running.store() as store:
            settled = store.open_undo_edits(first.run_id) == [] and store.undo_files(first.run_id)
            if not settled:  # no answer at all: the next undo finds out from the file
                assert [f.outcome for f in result.files] == ["error"]
                undo(running, first.run_id)
            (row,) = store.undo_files(first.run_id)
            assert row.outcome == "undone" and store.open_undo_edits(first.run_id) == []
        assert set(statements_of(running.wiki.entity(mid))) == {"P7482"}
        assert len(running.wiki.writes) == before + 1


def test_the_run_page_stops_an_undo_before_it_writes(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.add_file(101, "52810336619")
    with world.start() as running:
        first = running.run()
        before = len(running.wiki.writes)
        running.wiki.set_page(f"User:{BOT}/Run", "run: no")
        result = undo(running, first.run_id)
        assert result.files == [] and result.stop_reason != "done"
        assert len(running.wiki.writes) == before
        with running.store() as store:
            undo_run = store.get_run(result.undo_run_id)
            assert undo_run is not None and undo_run["stop_reason"] == result.stop_reason


def test_only_and_limit_narrow_the_undo(tmp_path: Path) -> None:
    world = World(tmp_path)
    mids = three_files(world)
    with world.start() as running:
        first = running.run()
        only = undo(running, first.run_id, only=[mids[1].lower()])
        assert [f.mid for f in only.files] == [mids[1]]
        limited = undo(running, first.run_id, limit=1)
        assert len(limited.files) == 1 and limited.stop_reason == "limit"
        assert limited.already_undone == 1
        rest = undo(running, first.run_id)
        assert len(rest.files) == 1 and rest.already_undone == 2
        bad = undo_process(running, "--run", str(first.run_id), "--only", "File:x.jpg")
        _out, err = bad.communicate(timeout=120)
        assert bad.returncode == 2 and b"--only takes M-ids" in err
