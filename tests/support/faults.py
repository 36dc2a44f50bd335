"""Store faults for the tests, raised by the database itself (the tests run as root, so
``chmod`` cannot make a file read-only): a connection switched to read-only, a file that
may not grow, a journal that cannot be created, a lock held by another connection."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.store import Store


def is_sqlite(store: Store) -> bool:
    """The store runs on SQLite (the MariaDB backend's connection is another type)."""
    conn = getattr(store.conn, "raw", store.conn)  # the backend wrapper, if any
    return isinstance(conn, sqlite3.Connection)


def make_read_only(store: Store, on: bool = True) -> None:
    """This store's connection refuses every write from now on, as a database in a
    read-only maintenance window does. SQLite: ``PRAGMA query_only`` (SQLITE_READONLY);
    MariaDB: a READ ONLY session (error 1792)."""
    if is_sqlite(store):
        store.conn.execute(f"PRAGMA query_only = {'ON' if on else 'OFF'}")
    else:  # MariaDB / MySQL
        mode = "READ ONLY" if on else "READ WRITE"
        store.conn.execute(f"SET SESSION TRANSACTION {mode}")


def fill_disk(store: Store) -> None:
    """SQLite: the file may not grow by one page more (SQLITE_FULL, "disk is full")."""
    pages = int(store.conn.execute("PRAGMA page_count").fetchone()[0])
    store.conn.execute(f"PRAGMA max_page_count = {pages}")


def block_journal(db_path: str | Path) -> Path:
    """SQLite in rollback-journal mode: a directory where the journal must go. Every
    connection to the file then fails to read or write ("disk I/O error") until
    :func:`unblock_journal`; works on a file another process has open."""
    journal = Path(f"{db_path}-journal")
    journal.mkdir()
    return journal


def unblock_journal(db_path: str | Path) -> None:
    Path(f"{db_path}-journal").rmdir()


def hold_exclusive_lock(db_path: str | Path) -> sqlite3.Connection:
    """Another connection holding the write lock (a writer stuck in a long transaction):
    others get "database is locked" once their busy timeout runs out."""
    conn = sqlite3.connect(str(db_path), isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    return conn
