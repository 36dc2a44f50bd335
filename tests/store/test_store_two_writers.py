"""Two writers on two connections at the same moment (the job and the webservice, or two
runs on two hosts): what the database itself guarantees, without a file lock.

Each case starts both writers on a barrier, many rounds, and checks the invariant rather
than an order: exactly one run holds the lock, a claimed decision is never also changed by
a maintainer, a conflict is decided once, a bulk task has one worker. The cases run on
SQLite (``BEGIN IMMEDIATE`` serialises them) and on MariaDB (row locks, unique keys,
compare-and-set)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.store import InvalidTransition, LockHeld, QueueFilter, Store, TaskState
from bot.store.location import StoreLocation
from tests.support.conflicts import ConflictBuilder

ROUNDS = 12


@pytest.fixture
def second(store: Store, store_location: StoreLocation) -> Iterator[Store]:
    """Another connection to the same store: the other host."""
    with Store(store_location, migrate=False) as other:
        yield other


def race(*steps: Callable[[], Any]) -> list[Any]:
    """Run the steps in threads released together; each one's result or exception."""
    barrier = threading.Barrier(len(steps))
    results: list[Any] = [None] * len(steps)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = steps[i]()
        except Exception as exc:  # the loser's error is part of the result
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(steps))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def queue(store: Store, conflict: ConflictBuilder, n: int) -> list[int]:
    ids: list[int] = []
    for i in range(n):
        ids += store.record_conflicts(
            mid=f"M{i + 1}",
            title=f"File:F{i + 1}.jpg",
            flickr_photo_id=str(i + 1),
            owner_nsid="a@N01",
            base_revid=10,
            conflicts=[conflict()],
            run_id=1,
            dry_run=False,
        ).ids
    return ids


def test_two_runs_starting_together_one_gets_the_lock(store: Store, second: Store) -> None:
    for _ in range(ROUNDS):
        a, b = race(store.acquire_lock, second.acquire_lock)
        won = [r for r in (a, b) if isinstance(r, str)]
        assert len(won) == 1, (a, b)
        assert isinstance(b if won[0] is a else a, LockHeld)
        store.release_lock(won[0])


def test_a_stale_lease_is_taken_over_by_one_of_two_runs(store: Store, second: Store) -> None:
    from datetime import timedelta

    stale = timedelta(minutes=5)
    for i in range(ROUNDS):
        # a run on another host stopped heartbeating (killed) an hour ago
        store.conn.execute(
            "INSERT INTO locks(name, holder, acquired_at, heartbeat_at) VALUES "
            "('run', ?, '2020-01-01T00:00:00.000000Z', '2020-01-01T00:00:00.000000Z')",
            (f"elsewhere:{i}:gone",),
        )
        a, b = race(
            lambda: store.acquire_lock(stale_after=stale),
            lambda: second.acquire_lock(stale_after=stale),
        )
        won = [r for r in (a, b) if isinstance(r, str)]
        assert len(won) == 1, (a, b)
        assert isinstance(b if won[0] is a else a, LockHeld)
        holder = store.conn.execute("SELECT holder FROM locks WHERE name = 'run'").fetchone()[0]
        assert holder == won[0]
        store.release_lock(won[0])


def test_a_claimed_decision_is_not_changed_meanwhile(
    store: Store, second: Store, conflict: ConflictBuilder
) -> None:
    ids = queue(store, conflict, ROUNDS)
    for cid in ids:
        store.decide(cid, "accept_flickr", actor="Alice")
    outcomes = []
    for cid in ids:
        # the job claims it for its edit while a maintainer changes her mind
        claimed, changed = race(
            lambda cid=cid: store.claim_decisions([cid]),
            lambda cid=cid: second.decide(
                cid, "keep_commons", actor="Bob", expected_status="accept_flickr"
            ),
        )
        status = store.get_conflict(cid)["status"]  # type: ignore[index]
        if claimed == [cid]:
            assert isinstance(changed, InvalidTransition) and status == "applying"
            outcomes.append("job")
        else:
            assert claimed == [] and changed is None and status == "keep_commons"
            outcomes.append("maintainer")
        history = [h["to_status"] for h in store.conflict_history(cid)]
        assert history == ["open", "accept_flickr", status]  # one winner, logged once
    assert len(outcomes) == ROUNDS


def test_two_maintainers_deciding_one_conflict_one_wins(
    store: Store, second: Store, conflict: ConflictBuilder
) -> None:
    for cid in queue(store, conflict, ROUNDS):
        a, b = race(
            lambda cid=cid: store.decide(cid, "skip", actor="Alice", expected_status="open"),
            lambda cid=cid: second.decide(
                cid, "accept_flickr", actor="Bob", expected_status="open"
            ),
        )
        assert sorted(type(r).__name__ for r in (a, b)) == ["InvalidTransition", "NoneType"]
        actors = [h["actor"] for h in store.conflict_history(cid)]
        assert len(actors) == 2 and actors[1] in ("Alice", "Bob")


def test_two_workers_claiming_bulk_tasks_one_runs_at_a_time(
    store: Store, second: Store, conflict: ConflictBuilder
) -> None:
    queue(store, conflict, 3)
    for _ in range(ROUNDS):
        store.create_bulk_task(QueueFilter(), "skip", actor="Alice", max_id=3, expected=3)
        store.create_bulk_task(QueueFilter(), "skip", actor="Bob", max_id=3, expected=3)
        a, b = race(lambda: store.claim_bulk_task("w1"), lambda: second.claim_bulk_task("w2"))
        claimed = [t for t in (a, b) if t is not None]
        assert len(claimed) == 1, (a, b)
        running = [t for t in store.active_bulk_tasks() if t.state == TaskState.RUNNING]
        assert [t.id for t in running] == [claimed[0].id]
        for task in store.active_bulk_tasks():  # clear the round
            worker = task.worker or "w1"
            if task.state == TaskState.QUEUED:
                store.claim_bulk_task(worker, stale_seconds=0)
            store.fail_bulk_task(task.id, task.worker or worker, "round over")
        assert store.active_bulk_tasks() == []


def test_a_decision_written_while_a_bulk_decision_runs_is_kept(
    store: Store, second: Store, conflict: ConflictBuilder
) -> None:
    ids = queue(store, conflict, 40)
    flt = QueueFilter(owner="a@N01")
    scope = store.bulk_scope(flt, "skip")
    singles = ids[::5]
    result, decided = race(
        lambda: store.bulk_decide(
            flt, "skip", actor="Bob", max_id=scope.max_id, expected=scope.count, chunk_size=3
        ),
        lambda: [second.decide(c, "keep_commons", actor="Carol") for c in singles],
    )
    assert not isinstance(result, Exception) and not isinstance(decided, Exception)
    statuses = {c: store.get_conflict(c)["status"] for c in ids}  # type: ignore[index]
    # whichever came last stands, and each was logged from the status it really replaced
    assert all(statuses[c] in ("keep_commons", "skip") for c in singles)
    assert all(statuses[c] == "skip" for c in ids if c not in singles)
    assert result.decided + result.changed_meanwhile == scope.count
    for c in ids:  # every change logged exactly once, from the status it really had
        history = store.conflict_history(c)
        assert [h["to_status"] for h in history][-1] == statuses[c]
        for before, after in itertools.pairwise(history):
            assert after["from_status"] == before["to_status"]
