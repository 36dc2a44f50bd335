"""The connection, transactions and migrations every part of the store shares.

The store is one class over either backend (``location.py``): SQLite through ``sqlite3``,
MariaDB through ``mariadb.py``'s wrapper of PyMySQL. Both answer ``conn.execute(sql,
params)`` with ``?`` placeholders; the fragments that differ come from ``self.dialect``.
"""

from __future__ import annotations

import functools
import os
import random
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, Protocol, Self, TypeVar

if TYPE_CHECKING:
    import sqlite_utils

from bot.store.dialect import MARIADB, SQLITE, Dialect
from bot.store.location import StoreLocation, store_location
from bot.store.schema import _FILES_INDEXES, BUSY_TIMEOUT_MS, MIGRATIONS, SCHEMA_VERSION, _split_sql
from bot.store.schema_mariadb import MARIADB_BASE_VERSION, MARIADB_MIGRATIONS, MARIADB_SCHEMA


class Cursor(Protocol):
    """What a statement returns on either backend."""

    @property
    def rowcount(self) -> int: ...
    @property
    def lastrowid(self) -> int | None: ...
    @property
    def description(self) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """``sqlite3.Connection`` or ``mariadb.MariaConnection``: ``?`` placeholders on both."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Cursor: ...
    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Cursor: ...
    def close(self) -> None: ...


DEADLOCK_RETRIES = 5
_RETRYABLE = (1213, 1205)  # ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT

_P = ParamSpec("_P")
_R = TypeVar("_R")
_S = TypeVar("_S", bound="StoreBase")


def retry_deadlocks(
    method: Callable[Concatenate[_S, _P], _R],
) -> Callable[Concatenate[_S, _P], _R]:
    """Run a store method that is one transaction again when MariaDB chose it as a
    deadlock's victim (InnoDB rolls the whole transaction back and says to retry; the
    job and the webservice lock the same rows, and the counts kept by triggers, in no
    fixed order). Not inside a caller's transaction, which is the caller's to retry;
    never on SQLite, whose ``BEGIN IMMEDIATE`` writers cannot deadlock."""

    @functools.wraps(method)
    def run(self: _S, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        attempt = 0
        while True:
            try:
                return method(self, *args, **kwargs)
            except Exception as exc:
                if attempt >= DEADLOCK_RETRIES or not self._may_retry(exc):
                    raise
                attempt += 1
                time.sleep(random.uniform(0.005, 0.02 * attempt))

    return run


class SchemaTooNew(RuntimeError):
    """The store was written by a newer bot: this one must not touch it."""


class StoreBase:
    """The connection, transactions and migrations every part of the store shares."""

    def __init__(
        self, location: str | os.PathLike[str] | StoreLocation, *, migrate: bool = True
    ) -> None:
        self.location = store_location(location)
        self.dialect: Dialect = SQLITE if self.location.is_sqlite else MARIADB
        self.conn: Connection
        if self.location.is_sqlite:
            self.path = self.location.path
            self.conn = _sqlite_connect(self.path)
        else:
            from bot.store import mariadb

            self.path = str(self.location)  # never the password
            self.conn = mariadb.connect(self.location)
        if migrate:
            self.migrate()
            self._ensure_files_indexes()

    @property
    def errors(self) -> tuple[type[Exception], ...]:
        """The backend's database errors (DB-API ``Error``), for callers that catch them."""
        if self.location.is_sqlite:
            return (sqlite3.Error,)
        import pymysql

        return (pymysql.MySQLError,)

    @cached_property
    def db(self) -> sqlite_utils.Database:
        """The same connection as a sqlite-utils ``Database``, for inspecting a SQLite
        store by hand (``store.db["files"].count``); the bot itself goes through the
        methods here. Imported on first use: the extractor and the web page start faster
        without it."""
        if not isinstance(self.conn, sqlite3.Connection):
            raise TypeError(f"{self.path} is a MariaDB store: sqlite-utils reads SQLite only")
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A short write transaction. SQLite: ``BEGIN IMMEDIATE`` takes the write lock up
        front so two processes never deadlock upgrading read locks. MariaDB: InnoDB locks
        the rows written, and the reads that decide a write lock theirs
        (``dialect.for_update``)."""
        self.conn.execute(self.dialect.begin)
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
                "SELECT value FROM meta WHERE `key` = 'schema_version'"
            ).fetchone()
        except self.errors as exc:
            if self._is_missing_table(exc):
                return 0
            raise
        return int(row[0]) if row else 0

    def _may_retry(self, exc: Exception) -> bool:
        if self.location.is_sqlite or getattr(self.conn, "in_transaction", True):
            return False
        import pymysql

        return isinstance(exc, pymysql.MySQLError) and bool(exc.args) and exc.args[0] in _RETRYABLE

    def _is_missing_table(self, exc: Exception) -> bool:
        if isinstance(exc, sqlite3.OperationalError):
            return "no such table" in str(exc)
        return bool(exc.args) and exc.args[0] == 1146  # ER_NO_SUCH_TABLE

    def migrate(self) -> int:
        """Apply every migration above the store's version; returns the new version."""
        current = self.schema_version()
        if current > SCHEMA_VERSION:
            raise SchemaTooNew(
                f"{self.path} has schema version {current}, newer than this bot "
                f"({SCHEMA_VERSION}); upgrade the bot"
            )
        steps: dict[int, Sequence[str]]
        if self.location.is_sqlite:
            steps = {v: _split_sql(MIGRATIONS[v]) for v in range(current + 1, SCHEMA_VERSION + 1)}
        else:
            steps = self._mariadb_steps(current)
        for version, statements in steps.items():
            with self.transaction() as conn:
                for statement in statements:
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO meta(`key`, value) VALUES ('schema_version', ?)"
                    + self.dialect.upsert("`key`", "value = excluded.value"),
                    (str(version),),
                )
        return SCHEMA_VERSION

    def _mariadb_steps(self, current: int) -> dict[int, Sequence[str]]:
        """A new MariaDB database is created at ``MARIADB_BASE_VERSION`` in one step (DDL
        commits by itself there; every statement is idempotent, so a second process
        creating it at the same moment is harmless); later versions one by one."""
        if 0 < current < MARIADB_BASE_VERSION:
            raise RuntimeError(
                f"{self.path} has schema version {current}: MariaDB stores start at "
                f"{MARIADB_BASE_VERSION}; copy an older SQLite store after migrating it"
            )
        steps: dict[int, Sequence[str]] = {}
        if current == 0:
            steps[MARIADB_BASE_VERSION] = MARIADB_SCHEMA
        for version in range(max(current, MARIADB_BASE_VERSION) + 1, SCHEMA_VERSION + 1):
            steps[version] = MARIADB_MIGRATIONS[version]
        return steps

    def _ensure_files_indexes(self) -> None:
        """Create the worklist's secondary indexes that are missing."""
        present = {row[0] for row in self.conn.execute(self.dialect.index_names("files"))}
        missing = [sql for name, sql in _FILES_INDEXES.items() if name not in present]
        if missing:
            with self.transaction() as conn:
                for sql in missing:
                    conn.execute(sql)


def _sqlite_connect(path: str) -> sqlite3.Connection:
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if path != ":memory:":
        conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn
