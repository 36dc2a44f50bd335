"""The connection, transactions and migrations every part of the store shares."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    import sqlite_utils

from bot.store.schema import _FILES_INDEXES, BUSY_TIMEOUT_MS, MIGRATIONS, SCHEMA_VERSION, _split_sql


class StoreBase:
    """The connection, transactions and migrations every part of the store shares."""

    def __init__(self, path: str | os.PathLike[str], *, migrate: bool = True) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if self.path != ":memory:":
            conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        self.conn = conn
        if migrate:
            self.migrate()
            self._ensure_files_indexes()

    @cached_property
    def db(self) -> sqlite_utils.Database:
        """The same connection as a sqlite-utils ``Database``, for inspecting the store by
        hand (``store.db["files"].count``); the bot itself goes through the methods here.
        Imported on first use: the extractor and the web page start faster without it."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A short write transaction. ``BEGIN IMMEDIATE`` takes the write lock up front so
        two processes never deadlock upgrading read locks."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    def schema_version(self) -> int:
        try:
            row = self.conn.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchone()
        except sqlite3.OperationalError:
            return 0
        return int(row[0]) if row else 0

    def migrate(self) -> int:
        """Apply every migration above the file's version; returns the new version."""
        current = self.schema_version()
        if current > SCHEMA_VERSION:
            raise RuntimeError(
                f"{self.path} has schema version {current}, newer than this bot "
                f"({SCHEMA_VERSION}); upgrade the bot"
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            with self.transaction() as conn:
                for statement in _split_sql(MIGRATIONS[version]):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO meta(key, value) VALUES ('schema_version', ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (str(version),),
                )
        return SCHEMA_VERSION

    def _ensure_files_indexes(self) -> None:
        """Create the worklist's secondary indexes that are missing."""
        present = {
            row[0]
            for row in self.conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'files'"
            )
        }
        missing = [sql for name, sql in _FILES_INDEXES.items() if name not in present]
        if missing:
            with self.transaction() as conn:
                for sql in missing:
                    conn.execute(sql)
