"""Store failures that mean "not now" (read-only, full, locked, unreadable) are told
apart from bugs; each is raised by SQLite itself, and a failed write leaves nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.core.errors import ExitCode, StoreUnavailable
from bot.store import ConflictStatus, QueueFilter, Store
from bot.store.failures import store_unavailable
from tests.support.conflicts import ConflictBuilder
from tests.support.faults import block_journal, fill_disk, hold_exclusive_lock, make_read_only


def failure_of(call: object) -> BaseException:
    with pytest.raises(Exception) as caught:
        call()  # type: ignore[operator]
    return caught.value


def test_a_read_only_store_refuses_a_decision_and_says_so(
    store: Store, conflict: ConflictBuilder
) -> None:
    conflict.record(store)
    (row,) = store.list_conflicts(QueueFilter())
    make_read_only(store)
    exc = failure_of(lambda: store.decide(row["id"], ConflictStatus.SKIP, actor="Alice"))
    failure = store_unavailable(exc)
    assert isinstance(failure, StoreUnavailable)
    assert failure.exit_code is ExitCode.STORE_UNAVAILABLE == 10
    assert "read-only" in str(failure) and "\n" not in str(failure)
    make_read_only(store, on=False)
    assert store.get_conflict(row["id"])["status"] == "open"  # type: ignore[index]
    assert store.conflict_history(row["id"])[-1]["to_status"] == "open"


def test_a_store_opened_read_only_refuses_the_journal(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    Store(path).close()
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    exc = failure_of(
        lambda: conn.execute(
            "INSERT INTO edit_journal(run_id, mid, payload, created_at) VALUES (1, 'M1', '{}', 'x')"
        )
    )
    assert "read-only" in str(store_unavailable(exc))


@pytest.mark.sqlite_only  # a full disk is faked with SQLite's max_page_count
def test_a_full_disk_leaves_no_part_of_the_write(store: Store, conflict: ConflictBuilder) -> None:
    conflict.record(store, mid="M1")
    fill_disk(store)
    many = [conflict(f"Name {i} " + "x" * 400) for i in range(200)]
    exc = failure_of(lambda: conflict.record(store, *many, mid="M2"))
    failure = store_unavailable(exc)
    assert failure is not None and "disk is full" in str(failure)
    assert store.status_totals().get("open") == 1  # all of M2's rows, or none


def test_a_lock_held_past_the_busy_timeout(tmp_path: Path, conflict: ConflictBuilder) -> None:
    path = tmp_path / "bot.db"
    with Store(path) as store:
        conflict.record(store)
        store.conn.execute("PRAGMA busy_timeout = 50")
        holder = hold_exclusive_lock(path)
        try:
            exc = failure_of(lambda: store.list_conflicts(QueueFilter()))
        finally:
            holder.close()
        assert "locked by another process" in str(store_unavailable(exc))


def test_a_journal_that_cannot_be_created_fails_reads_and_writes(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    with Store(path) as store:
        block_journal(path)
        exc = failure_of(lambda: store.start_run(dry_run=False))
        assert "failed to read or write" in str(store_unavailable(exc))


def test_a_store_that_cannot_be_opened(tmp_path: Path) -> None:
    exc = failure_of(lambda: sqlite3.connect(str(tmp_path)).execute("SELECT 1"))
    assert "cannot be opened" in str(store_unavailable(exc))


def test_a_rollback_that_found_no_transaction_does_not_hide_the_cause() -> None:
    full = sqlite3.OperationalError("database or disk is full")
    try:
        try:
            raise full
        except sqlite3.OperationalError:
            raise sqlite3.OperationalError("cannot rollback - no transaction is active")  # noqa: B904
    except sqlite3.OperationalError as exc:
        assert "disk is full" in str(store_unavailable(exc))


@pytest.mark.parametrize(
    "exc",
    [
        sqlite3.IntegrityError("UNIQUE constraint failed: conflicts.fingerprint"),
        sqlite3.OperationalError("no such table: conflictz"),
        sqlite3.OperationalError("conflict_events is append-only"),
        KeyError(7),
        ValueError("database is locked"),  # not a database error, whatever it says
    ],
    ids=["constraint", "bad-query", "trigger", "key-error", "not-sqlite"],
)
def test_bugs_and_refusals_are_not_unavailability(exc: BaseException) -> None:
    assert store_unavailable(exc) is None


def test_an_append_only_refusal_is_a_bug_not_maintenance(
    store: Store, conflict: ConflictBuilder
) -> None:
    conflict.record(store)
    exc = failure_of(lambda: store.conn.execute("DELETE FROM conflict_events"))
    assert store_unavailable(exc) is None


def test_mysql_codes_by_the_drivers_error_number() -> None:
    from pymysql.err import OperationalError

    gone = store_unavailable(OperationalError(2006, "MySQL server has gone away"))
    read_only = store_unavailable(
        OperationalError(1290, "The MariaDB server is running with the --read-only option")
    )
    assert gone is not None and "gone away" in str(gone)
    assert read_only is not None and "read-only" in str(read_only)
    assert store_unavailable(OperationalError(1062, "Duplicate entry")) is None
