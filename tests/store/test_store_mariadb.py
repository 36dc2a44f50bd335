"""What only the MariaDB backend has: a server that drops idle connections, and a
session set up the way the store relies on (``bot/store/mariadb.py``)."""

from __future__ import annotations

import pytest

from bot.store import Store
from bot.store.location import StoreLocation
from bot.store.mariadb import translate

ON_MARIADB = pytest.mark.parametrize("store_backend", ["mariadb"])


def drop_connection(store: Store, store_location: StoreLocation) -> None:
    """The server ends the store's session, as ``wait_timeout`` does to an idle one."""
    (own,) = store.conn.execute("SELECT connection_id()").fetchone()
    with Store(store_location, migrate=False) as admin:
        admin.conn.execute(f"KILL {int(own)}")


@ON_MARIADB
def test_a_dropped_idle_connection_is_opened_again(
    store: Store, store_location: StoreLocation
) -> None:
    store.add_titles(["File:A.jpg"])
    drop_connection(store, store_location)
    assert store.count_files() == 1  # reconnected, with the same session settings
    level = store.conn.execute("SELECT @@tx_isolation").fetchone()[0]
    assert level == "READ-COMMITTED"
    with store.transaction() as conn:  # a transaction after a drop starts afresh
        conn.execute("INSERT INTO meta(`key`, value) VALUES ('after', 'drop')")
    assert store.count_files() == 1


@ON_MARIADB
def test_a_connection_dropped_inside_a_transaction_is_an_error_not_a_replay(
    store: Store, store_location: StoreLocation
) -> None:
    with pytest.raises(store.errors), store.transaction() as conn:
        conn.execute("INSERT INTO meta(`key`, value) VALUES ('half', 'done')")
        drop_connection(store, store_location)
        conn.execute("INSERT INTO meta(`key`, value) VALUES ('other', 'half')")
    rows = store.conn.execute("SELECT `key` FROM meta WHERE `key` IN ('half', 'other')")
    assert rows.fetchall() == []  # the server rolled the whole transaction back


@ON_MARIADB
def test_the_session_is_strict_binary_and_read_committed(store: Store) -> None:
    mode, collation = store.conn.execute("SELECT @@sql_mode, @@collation_connection").fetchone()
    assert {"STRICT_ALL_TABLES", "NO_BACKSLASH_ESCAPES"} <= set(mode.split(","))
    assert collation == "utf8mb4_bin"
    with pytest.raises(store.errors, match="too long"):
        store.conn.execute(
            "INSERT INTO locks(name, holder, acquired_at, heartbeat_at) VALUES (?, 'h', 'a', 'b')",
            ("x" * 65,),
        )


def test_placeholders_are_rewritten_outside_quotes_only() -> None:
    assert translate("SELECT ? WHERE a LIKE '%?%' AND b = ?") == (
        "SELECT %s WHERE a LIKE '%%?%%' AND b = %s"
    )
    assert translate('SELECT `?`, "?" FROM t WHERE c % 2 = ?') == (
        'SELECT `?`, "?" FROM t WHERE c %% 2 = %s'
    )


@ON_MARIADB
def test_a_deadlock_victim_is_run_again_whole(store: Store, store_location: StoreLocation) -> None:
    """Two transactions lock two rows in opposite orders: InnoDB rolls one back, and the
    store method that was that transaction runs again (``retry_deadlocks``)."""
    import threading

    from bot.store.base import retry_deadlocks

    store.conn.execute("INSERT INTO meta(`key`, value) VALUES ('a', '0'), ('b', '0')")
    other = Store(store_location, migrate=False)
    barrier = threading.Barrier(2)
    runs: list[str] = []

    def lock_both(s: Store, first: str, second: str) -> None:
        runs.append(first)
        with s.transaction() as conn:
            conn.execute("UPDATE meta SET value = value + 1 WHERE `key` = ?", (first,))
            if len(runs) <= 2:
                barrier.wait(timeout=10)  # both hold their first row now
            conn.execute("UPDATE meta SET value = value + 1 WHERE `key` = ?", (second,))

    retried = retry_deadlocks(lock_both)
    errors: list[BaseException] = []

    def run(s: Store, first: str, second: str) -> None:
        try:
            retried(s, first, second)
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=(store, "a", "b")),
        threading.Thread(target=run, args=(other, "b", "a")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    other.close()
    assert errors == []
    assert len(runs) == 3  # one of the two ran again
    values = dict(store.conn.execute("SELECT `key`, value FROM meta WHERE `key` IN ('a', 'b')"))
    assert values == {"a": "2", "b": "2"}  # both transactions counted once each
