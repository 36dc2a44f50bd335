"""The store becomes unavailable during a run (read-only maintenance, a disk that fails):
the run stops at once with exit code 10 and one line, nothing half-written. An intent that
cannot be journaled is never sent; an edit that landed but could not be recorded is
settled by the next run from its open intent, without a second edit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.core.errors import StoreUnavailable
from bot.run.job import RunOptions
from bot.run.wiring import make_job
from bot.store import Store
from tests.run.test_job_crash import bot_process
from tests.support.faults import block_journal, make_read_only, unblock_journal
from tests.support.world import Running, World


def after_each_edit(running: Running, then: Callable[[], None]) -> None:
    """The stand-in applies the first wbeditentity, then ``then()`` runs before it answers."""
    standin = running.wiki.standin
    original = standin._apply_wbeditentity
    done = {"n": 0}

    def applied(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        done["n"] += 1
        if done["n"] == 1:
            then()
        return result

    standin._apply_wbeditentity = applied


def seed(world: World, n: int = 3) -> list[str]:
    return [world.add_file(300 + i, str(52810337700 + i)) for i in range(n)]


def give_back_lease(store: Store) -> None:
    """The failed run is this test process, still alive: its lease is given back by hand
    (a real run exits with code 10, and the next run takes over a dead holder's lease)."""
    store.conn.execute("DELETE FROM locks")


def test_an_intent_that_cannot_be_journaled_is_never_sent(world: World) -> None:
    mids = seed(world)
    with world.start() as running, running.adapters() as ad:
        job = make_job(ad, RunOptions(progress=False))
        journal = job.edits.open_edit
        tried: list[str] = []

        def maintenance_starts(**intent: Any) -> int:
            tried.append(intent["mid"])
            make_read_only(ad.store)  # the window opens just before the first intent
            return journal(**intent)

        job.edits.open_edit = maintenance_starts
        with pytest.raises(StoreUnavailable, match="read-only") as caught:
            job.run()
        assert "\n" not in str(caught.value)
        assert len(tried) == 1  # the first intent was refused, and the run stopped there
        assert running.wiki.writes == []  # nothing sent without its intent
        assert job.summary.stop_reason.startswith("error: the store is read-only")
        make_read_only(ad.store, on=False)
        assert ad.store.count_edits(state="open") == ad.store.count_edits(state="done") == 0
        assert ad.store.status_counts() == {"pending": 3}
        give_back_lease(ad.store)
        again = make_job(ad, RunOptions(progress=False)).run()
    assert again.edits == 3
    assert running.writes_by_mid() == {m: 1 for m in mids}


def test_a_landed_edit_that_cannot_be_recorded_is_settled_by_the_next_run(world: World) -> None:
    mids = seed(world)
    with world.start() as running, running.adapters() as ad:
        after_each_edit(running, lambda: make_read_only(ad.store))
        job = make_job(ad, RunOptions(progress=False))
        with pytest.raises(StoreUnavailable, match="read-only"):
            job.run()
        (landed,) = running.writes_by_mid()
        assert running.writes_by_mid() == {landed: 1}
        make_read_only(ad.store, on=False)
        (intent,) = ad.store.open_edits()  # the intent stays open: nothing closed by half
        assert intent["mid"] == landed
        assert ad.store.get_file(landed).status == "pending"  # type: ignore[union-attr]
        give_back_lease(ad.store)
        again = make_job(ad, RunOptions(progress=False)).run()
        assert again.resumed_intents == 1
        assert ad.store.open_edits() == []
        assert ad.store.status_counts() == {"edited": 3}
    assert running.writes_by_mid() == {m: 1 for m in mids}  # no second edit of `landed`


@pytest.mark.slow
def test_backfill_run_exits_10_with_one_line_and_the_next_run_resumes(world: World) -> None:
    """A real ``backfill run``: the store's journal cannot be created once the first edit
    landed (every read and write fails, "disk I/O error"), then it can again."""
    mids = seed(world, 4)
    with world.start() as running:
        db = running.settings.db_path
        after_each_edit(running, lambda: block_journal(db))
        proc = bot_process(running)
        out, err = proc.communicate(timeout=300)
        unblock_journal(db)
        lines = [line for line in err.decode().splitlines() if line.startswith("backfill run:")]
        assert proc.returncode == 10, err.decode()[-2000:]
        assert lines == [lines[0]] and "disk failed to read or write" in lines[0]
        assert "Traceback" not in err.decode()
        assert "stopped: error: the store's disk failed" in out.decode()
        assert sum(running.writes_by_mid().values()) == 1
        resumed = bot_process(running, "--json")
        out, err = resumed.communicate(timeout=300)
        assert resumed.returncode == 0, err.decode()[-2000:]
        assert b'"resumed_intents": 1' in out
    assert running.writes_by_mid() == {m: 1 for m in mids}
