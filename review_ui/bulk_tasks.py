"""The review page's background worker for bulk decisions.

A decision rule's first pass and the withdrawal of a retired rule's decisions are tasks
too (``rule_id`` set), run the same way by ``Store.rule_decide`` and
``Store.withdraw_rule_decisions``.

The bulk POST only records a task (``Store.create_bulk_task``) and answers; this worker,
a daemon thread of the web process, claims tasks one at a time and runs
``Store.bulk_decide`` on its own connection, writing the counts and a heartbeat after
every chunk so the progress page can show them. The thread starts with the first
request of each process (a pre-forking server forks before that), so a task left
``running`` by a process that died is taken up again once its heartbeat is stale.

Configuration (``TOOL_*``, see ``app.py``): ``BULK_WORKER`` (1: run the thread; 0: tasks
wait for ``run_pending``, as the tests call it), ``BULK_POLL_SECONDS`` (how often an idle
worker looks for tasks another process recorded), ``BULK_STALE_SECONDS``.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Final

from flask import Flask, current_app

from bot.store import (
    BULK_CHUNK_ROWS,
    BULK_STALE_SECONDS,
    SCHEMA_VERSION,
    BulkRefused,
    BulkResult,
    BulkTask,
    Store,
    TaskLost,
)
from bot.store.location import store_location
from bot.store.rules import WITHDRAW

log = logging.getLogger(__name__)

EXTENSION: Final = "bulk_worker"
BACKGROUND_CHUNK_ROWS: Final = 500
"""Rows per transaction of a background bulk decision (``TOOL_BULK_CHUNK_ROWS``): half the
store's default. Nobody waits for the end any more, and the job's writes wait for at
most one chunk: at 1,000 rows they waited up to 333 ms, at 500 up to 232 ms (1M
conflicts, ``benchmarks/bench_review.py``), for 62 s to the end instead of 43 s."""


def worker_name() -> str:
    """Who holds a task: host, process and thread (a task names the worker running it)."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def run_task(
    store: Store, task: BulkTask, worker: str, *, chunk_size: int = BULK_CHUNK_ROWS
) -> None:
    """Run one claimed task to its end, recording progress after every chunk. A task
    taken up again continues from the counts it had: the rows it decided before no
    longer match, so ``bulk_decide`` goes on with the rest."""
    base_decided, base_chunks = task.decided, task.chunks

    def progress(result: BulkResult) -> None:
        store.bulk_task_progress(
            task.id, worker, base_decided + result.decided, base_chunks + result.chunks
        )

    try:
        if task.rule_id is not None and task.decision == WITHDRAW:
            result = store.withdraw_rule_decisions(
                task.rule_id, chunk_size=chunk_size, between_chunks=progress
            )
        elif task.rule_id is not None:
            result = store.rule_decide(
                task.rule_id, max_id=task.max_id, chunk_size=chunk_size, between_chunks=progress
            )
        else:
            result = store.bulk_decide(
                task.filter,
                task.decision,
                actor=task.actor,
                note=task.note,
                max_id=task.max_id,
                chunk_size=chunk_size,
                between_chunks=progress,
            )
    except TaskLost:
        log.warning("bulk task %d was taken over by another worker", task.id)
        return
    except BulkRefused as exc:
        store.fail_bulk_task(task.id, worker, str(exc))
        return
    except Exception as exc:  # kept on the task, shown on its page; the rows decided stay
        log.exception("bulk task %d failed", task.id)
        store.fail_bulk_task(task.id, worker, f"{type(exc).__name__}: {exc}")
        return
    decided = base_decided + result.decided
    store.finish_bulk_task(
        task.id,
        worker,
        decided=decided,
        chunks=base_chunks + result.chunks,
        left_out=result.left_out,
        longest_transaction_ms=result.longest_transaction_s * 1000,
    )
    log.info(
        "bulk task %d (%s by %s): %d decided, %d chunks, longest transaction %.1f ms, %.1f s",
        task.id,
        task.decision,
        task.actor,
        decided,
        base_chunks + result.chunks,
        result.longest_transaction_s * 1000,
        result.seconds,
    )


def run_pending(
    db_path: str,
    *,
    stale_seconds: float = BULK_STALE_SECONDS,
    chunk_size: int = BULK_CHUNK_ROWS,
) -> list[int]:
    """Claim and run tasks until none is left to this worker; the ids it ran, in order.
    The thread's loop, and the tests' synchronous hook."""
    worker = worker_name()
    ran: list[int] = []
    if not store_location(db_path).exists():
        return ran
    with Store(db_path, migrate=False) as store:
        if store.schema_version() != SCHEMA_VERSION:
            return ran
        while (task := store.claim_bulk_task(worker, stale_seconds=stale_seconds)) is not None:
            run_task(store, task, worker, chunk_size=chunk_size)
            ran.append(task.id)
    return ran


class BulkWorker:
    """The daemon thread of one process: runs pending tasks, then sleeps until woken
    (a task was recorded here) or ``poll`` seconds pass (one recorded elsewhere, or one
    whose worker died)."""

    def __init__(
        self, db_path: str, *, poll: float, stale_seconds: float, chunk_size: int = BULK_CHUNK_ROWS
    ) -> None:
        self.db_path = db_path
        self.chunk_size = chunk_size
        self.poll = poll
        self.stale_seconds = stale_seconds
        self._wake = threading.Event()
        self._done = threading.Condition()
        self._finished: set[int] = set()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()
        self._stopping = False

    def ensure_started(self) -> None:
        """Start the thread in this process if it is not running (cheap when it is)."""
        if self._pid == os.getpid() and self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._pid == os.getpid() and self._thread is not None and self._thread.is_alive():
                return
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._loop, name="bulk-worker", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 30) -> None:
        """End the thread after the task it is running, if any (tests; a clean shutdown)."""
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wait_for(self, task_id: int, timeout: float) -> bool:
        """Block until this worker has run ``task_id`` (tests); False on timeout."""
        with self._done:
            return self._done.wait_for(lambda: task_id in self._finished, timeout)

    def _loop(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                ran = run_pending(
                    self.db_path, stale_seconds=self.stale_seconds, chunk_size=self.chunk_size
                )
            except Exception:  # the store was unreachable: try again at the next poll
                log.exception("bulk worker pass failed")
                ran = []
            if ran:
                with self._done:
                    self._finished.update(ran)
                    self._done.notify_all()
            self._wake.wait(self.poll)


def init_app(app: Flask) -> None:
    """Give the app its worker, started by the first request of each process."""
    from review_ui.app import flag

    if not flag(app.config["BULK_WORKER"]):
        return
    worker = BulkWorker(
        str(app.config["DB_PATH"]),
        poll=float(app.config["BULK_POLL_SECONDS"]),
        stale_seconds=float(app.config["BULK_STALE_SECONDS"]),
        chunk_size=int(app.config["BULK_CHUNK_ROWS"]),
    )
    app.extensions[EXTENSION] = worker
    app.before_request(worker.ensure_started)


def wake_worker() -> None:
    """A task was recorded: let this process's worker look now rather than at its poll."""
    worker: BulkWorker | None = current_app.extensions.get(EXTENSION)
    if worker is not None:
        worker.ensure_started()
        worker.wake()
