"""kill -9 at the worst moments, then run again: no outcome lost, no file edited twice.

The bot runs as a real ``backfill run`` subprocess against the stand-ins served by the
test process. The stand-in holds the answer to one ``wbeditentity`` while the test kills
the bot, so the kill lands exactly where it hurts: after the edit was sent (and, in the
first case, applied) and before the bot could record it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from bot.store import ConflictStatus, QueueFilter
from tests.support.world import BOT, Running, World, p571

ROOT = Path(__file__).resolve().parents[2]


def backfill_command() -> list[str]:
    """The ``backfill`` console script of the virtualenv the tests run in."""
    script = Path(sys.executable).parent / "backfill"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


def bot_process(running: Running, *extra: str) -> subprocess.Popen[bytes]:
    s = running.settings
    cmd = [
        *backfill_command(),
        "run",
        "--db",
        s.db_path,
        "--commons-api",
        s.commons_api_url,
        "--flickr-api",
        s.flickr_api_url,
        "--wikidata-api",
        s.wikidata_api_url,
        "--username",
        BOT,
        "--pywikibot-dir",
        str(Path(s.pywikibot_dir).parent / "pywikibot-sub"),
        "--put-throttle",
        "0.05",
        "--no-progress",
        *extra,
    ]
    env = {
        **os.environ,
        **running.env,
        "PYTHONPATH": str(ROOT),
        "BACKFILL_FLICKR_CALLS_PER_HOUR": "10000000",
    }
    env.pop("PYWIKIBOT_DIR", None)
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def hold_edit_number(running: Running, n: int, *, apply: bool) -> threading.Event:
    """The n-th wbeditentity is applied (or not) and its answer withheld until released."""
    standin = running.wiki.standin
    original = standin._apply_wbeditentity
    reached = threading.Event()
    release = threading.Event()
    seen = {"n": 0}

    def held(*args: Any, **kwargs: Any) -> Any:
        seen["n"] += 1
        if seen["n"] != n:
            return original(*args, **kwargs)
        result = original(*args, **kwargs) if apply else None
        reached.set()
        release.wait(30)
        if result is None:
            from bot.standins.commons import ApiError

            raise ApiError("internal_api_error_DBQueryError", "the database went away")
        return result

    standin._apply_wbeditentity = held
    running.release = release  # type: ignore[attr-defined]
    return reached


@pytest.mark.slow
@pytest.mark.parametrize("landed", [True, False], ids=["edit-landed", "edit-not-landed"])
def test_kill_9_mid_edit_then_resume(world: World, landed: bool) -> None:
    mids = [world.add_file(200 + i, str(52810336700 + i)) for i in range(6)]
    with world.start() as running:
        reached = hold_edit_number(running, 3, apply=landed)
        proc = bot_process(running)
        try:
            assert reached.wait(120), "the bot never reached its third edit"
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
        finally:
            running.release.set()  # type: ignore[attr-defined]
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == -signal.SIGKILL
        with running.store() as store:
            open_intents = store.open_edits()
            assert len(open_intents) == 1  # the edit in flight when the bot died
            in_flight = open_intents[0]["mid"]
            assert store.get_file(in_flight).status == "pending"  # type: ignore[union-attr]
        landed_before = running.writes_by_mid()
        assert (in_flight in landed_before) is landed
        # the next run picks up where the first stopped
        resumed = bot_process(running, "--json")
        out, err = resumed.communicate(timeout=300)
        assert resumed.returncode == 0, err.decode()[-2000:]
        # every file edited exactly once, whatever the timing of the kill
        assert running.writes_by_mid() == {m: 1 for m in mids}
        with running.store() as store:
            assert store.open_edits() == []
            assert store.status_counts() == {"edited": 6}
            row = store.get_file(in_flight)
            assert row is not None and row.edited_revid == running.wiki.lastrevid(in_flight)
        assert b'"resumed_intents": 1' in out


@pytest.mark.slow
def test_kill_9_after_a_decision_edit_landed_then_resume(world: World) -> None:
    """The decision's edit is on Commons, the bot died before recording it: the next run
    must mark the decision applied, not supersede it because "the file changed"."""
    mid = world.add_file(
        101,
        "52810336619",
        taken="1965-05-01 00:00:00",
        granularity=4,
        statements={"P571": [p571("M101", "+1965-00-00T00:00:00Z", 9)]},
    )
    with world.start() as running:
        running.run()  # queues the precision conflict (and writes the rest)
        with running.store() as store:
            (conflict,) = store.list_conflicts(QueueFilter())
            store.decide(conflict["id"], ConflictStatus.ACCEPT_FLICKR, actor="Maintainer")
        writes_before = len(running.wiki.writes)
        reached = hold_edit_number(running, 1, apply=True)
        proc = bot_process(running)
        try:
            assert reached.wait(120), "the bot never sent the decision's edit"
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
        finally:
            running.release.set()  # type: ignore[attr-defined]
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == -signal.SIGKILL
        with running.store() as store:
            (intent,) = store.open_edits()
            assert intent["conflict_ids"] == [conflict["id"]]
            assert store.get_conflict(conflict["id"])["status"] == "applying"  # type: ignore[index]
        resumed = bot_process(running, "--json")
        out, err = resumed.communicate(timeout=300)
        assert resumed.returncode == 0, err.decode()[-2000:]
        assert len(running.wiki.writes) == writes_before + 1  # the decision, written once
        with running.store() as store:
            assert store.open_edits() == []
            applied = store.get_conflict(conflict["id"])
            assert applied is not None and applied["status"] == "applied"
            # found later, the edit's own revision is not known (the latest may be
            # someone else's): none is claimed, the history says what is known
            assert applied["applied_revid"] is None
            note = store.conflict_history(conflict["id"])[-1]["note"]
            assert f"revision {running.wiki.lastrevid(mid)} when checked" in note
        assert b'"decisions_applied": 1' in out and b'"decisions_superseded": 0' in out


def test_a_failing_run_prints_its_summary_and_exits_non_zero(world: World) -> None:
    world.add_file(101, "52810336619")
    with world.start() as running:
        standin = running.wiki.standin
        original = standin._wbgetentities

        def garbage(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            for entity in result["entities"].values():
                entity["lastrevid"] = "not a number"  # Commons answering nonsense
            return result

        standin._wbgetentities = garbage  # type: ignore[method-assign]
        proc = bot_process(running)
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 1, err.decode()[-2000:]
        text = out.decode()
        assert "stopped: error: ValueError" in text and "files processed" in text
        assert "backfill run: failed: ValueError" in err.decode()
        with running.store() as store:
            run = store.get_run(1)
            assert run is not None and run["stop_reason"].startswith("error: ValueError")
            assert run["ended_at"] is not None
            assert store.status_counts() == {"pending": 1}
