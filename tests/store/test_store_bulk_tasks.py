"""Bulk decision tasks in the store: recorded, claimed one at a time in order, progress
with a heartbeat, finished, and taken up again when their worker died."""

from __future__ import annotations

import pytest

from bot.store import (
    BulkRefused,
    ConflictStatus,
    InvalidTransition,
    QueueFilter,
    Store,
    TaskLost,
    TaskState,
)
from bot.store.location import StoreLocation

SKIP = ConflictStatus.SKIP


def new_task(store: Store, *, max_id: int = 10, expected: int = 10) -> int:
    return store.create_bulk_task(
        QueueFilter(property="P170"), SKIP, actor="Alice", max_id=max_id, expected=expected
    )


def age_heartbeat(store: Store, task_id: int, at: str = "2000-01-01T00:00:00.000000Z") -> None:
    store.conn.execute("UPDATE bulk_tasks SET heartbeat_at = ? WHERE id = ?", (at, task_id))


def test_a_task_is_recorded_queued_with_what_was_confirmed(store: Store) -> None:
    flt = QueueFilter(reason="creator_differs", owner="a@N01", title="Bridge")
    task_id = store.create_bulk_task(flt, SKIP, actor="Alice", max_id=42, expected=7, note="later")
    task = store.get_bulk_task(task_id)
    assert task is not None
    assert (task.filter, task.decision, task.actor, task.note) == (flt, SKIP, "Alice", "later")
    assert (task.max_id, task.expected, task.state, task.decided) == (42, 7, TaskState.QUEUED, 0)
    assert task.active and task.started_at is None and task.worker is None
    assert store.active_bulk_tasks() == [task]
    assert store.get_bulk_task(task_id + 1) is None


@pytest.mark.parametrize(
    ("flt", "decision", "error"),
    [
        (QueueFilter(), "open", InvalidTransition),
        (QueueFilter(), "applied", InvalidTransition),
        (QueueFilter(reason="multiple_photo_ids"), ConflictStatus.ACCEPT_FLICKR, BulkRefused),
    ],
)
def test_what_bulk_decide_refuses_is_never_queued(
    store: Store, flt: QueueFilter, decision: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        store.create_bulk_task(flt, decision, actor="Alice", max_id=1, expected=1)
    assert store.active_bulk_tasks() == []


def test_tasks_run_one_at_a_time_in_order(store: Store) -> None:
    first, second = new_task(store), new_task(store)
    claimed = store.claim_bulk_task("w1")
    assert claimed is not None and claimed.id == first and claimed.state == TaskState.RUNNING
    assert claimed.worker == "w1" and claimed.started_at is not None
    assert store.claim_bulk_task("w2") is None  # the first runs, with a fresh heartbeat
    store.finish_bulk_task(first, "w1", decided=10, chunks=1, left_out=0)
    nxt = store.claim_bulk_task("w2")
    assert nxt is not None and nxt.id == second
    assert store.claim_bulk_task("w1") is None


def test_progress_and_the_end_are_recorded(store: Store) -> None:
    task_id = new_task(store, expected=10)
    store.claim_bulk_task("w1")
    store.bulk_task_progress(task_id, "w1", decided=4, chunks=2)
    running = store.get_bulk_task(task_id)
    assert running is not None and (running.decided, running.chunks) == (4, 2)
    store.finish_bulk_task(task_id, "w1", decided=8, chunks=4, left_out=3)
    done = store.get_bulk_task(task_id)
    assert done is not None and done.state == TaskState.DONE and not done.active
    assert (done.decided, done.changed_meanwhile, done.left_out) == (8, 2, 3)
    assert done.finished_at is not None and store.active_bulk_tasks() == []


def test_a_failed_task_keeps_its_error(store: Store) -> None:
    task_id = new_task(store)
    store.claim_bulk_task("w1")
    store.fail_bulk_task(task_id, "w1", "OperationalError: database is locked")
    task = store.get_bulk_task(task_id)
    assert task is not None and task.state == TaskState.FAILED
    assert task.error == "OperationalError: database is locked"
    assert store.claim_bulk_task("w1") is None  # a failed task is not run again


def test_a_task_whose_worker_died_is_taken_over(store: Store) -> None:
    task_id = new_task(store)
    store.claim_bulk_task("dead")
    store.bulk_task_progress(task_id, "dead", decided=3, chunks=1)
    assert store.claim_bulk_task("new") is None  # its heartbeat is fresh: still running
    age_heartbeat(store, task_id)
    taken = store.claim_bulk_task("new")
    assert taken is not None and (taken.id, taken.worker, taken.decided) == (task_id, "new", 3)
    with pytest.raises(TaskLost):  # the old worker, if it was only slow, stops
        store.bulk_task_progress(task_id, "dead", decided=4, chunks=2)
    with pytest.raises(TaskLost):
        store.finish_bulk_task(task_id, "dead", decided=4, chunks=2, left_out=0)
    store.finish_bulk_task(task_id, "new", decided=10, chunks=3, left_out=0)
    assert store.get_bulk_task(task_id).state == TaskState.DONE  # type: ignore[union-attr]


def test_a_stale_task_goes_before_newer_queued_ones(store: Store) -> None:
    stale, queued = new_task(store), new_task(store)
    store.claim_bulk_task("dead")
    age_heartbeat(store, stale)
    claimed = store.claim_bulk_task("new")
    assert claimed is not None and claimed.id == stale
    assert store.get_bulk_task(queued).state == TaskState.QUEUED  # type: ignore[union-attr]


def test_another_process_sees_the_task(store: Store, store_location: StoreLocation) -> None:
    task_id = new_task(store)
    with Store(store_location, migrate=False) as other:
        task = other.get_bulk_task(task_id)
        assert task is not None and task.state == TaskState.QUEUED
