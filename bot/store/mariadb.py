"""The MariaDB/MySQL connection: PyMySQL behind the few ``sqlite3.Connection`` methods the
store uses, so every statement is written once, with ``?`` placeholders, for both backends.

``connect`` sets the session up the way the store relies on:

- ``autocommit`` on, like SQLite's ``isolation_level=None``: a write outside
  ``Store.transaction()`` commits on its own; a transaction is ``START TRANSACTION`` ...
  ``COMMIT``.
- ``READ COMMITTED``: every statement sees what other transactions have committed, as on
  SQLite, where a writer always sees the latest file. The store's read-then-write steps
  lock the rows they read (``SELECT ... FOR UPDATE``) or update compare-and-set and check
  the row count; none relies on a snapshot. It also takes no gap locks, so the job and
  the webservice inserting into the same tables do not deadlock on index gaps.
- ``FOUND_ROWS``: an UPDATE's row count is the rows it matched, as on SQLite (MySQL
  otherwise counts only the rows whose values changed), so compare-and-set checks hold.
- ``NO_BACKSLASH_ESCAPES`` (PyMySQL then escapes by doubling quotes) so a literal
  ``'\\'`` means what it means on SQLite; ``STRICT_ALL_TABLES`` so an overlong value is
  an error, not silently cut; ``PIPES_AS_CONCAT`` so ``||`` concatenates.
- ``utf8mb4`` end to end; the tables say their collations (``schema_mariadb.py``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Final

import pymysql
from pymysql.constants import CLIENT

from bot.store.location import StoreLocation

LOCK_WAIT_SECONDS = 30
"""How long a statement waits for a row lock (InnoDB's ``innodb_lock_wait_timeout``), the
same bound as SQLite's busy timeout."""

SQL_MODE = "STRICT_ALL_TABLES,NO_BACKSLASH_ESCAPES,PIPES_AS_CONCAT,NO_ENGINE_SUBSTITUTION"

Error = pymysql.MySQLError
IntegrityError = pymysql.err.IntegrityError
OperationalError = pymysql.err.OperationalError
InterfaceError = pymysql.err.InterfaceError


class _PyMySQLConnection(pymysql.connections.Connection):
    """PyMySQL's connection with its TLS context built once per process, not per
    connection: PyMySQL prefers TLS when it is not told otherwise, and loading the
    system's CA store for each connection took 68 ms (the review page opens one per
    request). Same context as PyMySQL's own default (TLS if the server offers it)."""

    _shared_ctx: Any = None

    def _create_ssl_ctx(self, sslp: Any) -> Any:
        if sslp:
            return super()._create_ssl_ctx(sslp)
        if _PyMySQLConnection._shared_ctx is None:
            _PyMySQLConnection._shared_ctx = super()._create_ssl_ctx({})
        return _PyMySQLConnection._shared_ctx


@functools.lru_cache(maxsize=2048)
def translate(sql: str) -> str:
    """``?`` placeholders to PyMySQL's ``%s`` and a literal ``%`` to ``%%``, leaving quoted
    strings and identifiers alone (a ``?`` inside ``'...'`` is text)."""
    out: list[str] = []
    quote: str | None = None
    for ch in sql:
        if quote is not None:
            if ch == quote:
                quote = None
            out.append("%%" if ch == "%" else ch)
            continue
        if ch in "'\"`":
            quote = ch
            out.append(ch)
        elif ch == "?":
            out.append("%s")
        elif ch == "%":
            out.append("%%")
        else:
            out.append(ch)
    return "".join(out)


class Cursor:
    """A finished statement: its rows (all fetched already), row count and insert id."""

    __slots__ = ("_cur",)

    def __init__(self, cur: pymysql.cursors.Cursor) -> None:
        self._cur = cur

    @property
    def rowcount(self) -> int:
        return int(self._cur.rowcount)

    @property
    def lastrowid(self) -> int | None:
        return self._cur.lastrowid

    @property
    def description(self) -> Any:
        return self._cur.description

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._cur.fetchone()

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self._cur.fetchall())

    def fetchmany(self, size: int = 1) -> list[tuple[Any, ...]]:
        return list(self._cur.fetchmany(size))

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self._cur)

    def close(self) -> None:
        self._cur.close()


_GONE: Final = (2006, 2013)  # CR_SERVER_GONE_ERROR, CR_SERVER_LOST


class MariaConnection:
    """``execute``/``executemany`` with ``?`` placeholders over one PyMySQL connection.

    A connection the server dropped while idle (``wait_timeout``: the job waits on
    Flickr and Commons between its short transactions, for minutes when rate-limited)
    is opened again once, but only for a statement outside a transaction or the
    ``START TRANSACTION`` that begins one: nothing half-done is ever replayed."""

    def __init__(self, raw: pymysql.connections.Connection[Any]) -> None:
        self.raw = raw
        self.in_transaction = False

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Cursor:
        args = tuple(params) if params is not None else ()
        begins = sql == "START TRANSACTION"
        if not self.raw.open:
            if sql == "ROLLBACK":  # the server ended the session: nothing left to undo
                self.in_transaction = False
                return Cursor(self.raw.cursor())
            if self.in_transaction and not begins:
                raise InterfaceError(0, "the connection was lost inside a transaction")
            self._reopen()
        try:
            cur = self._run(sql, args)
        except (OperationalError, InterfaceError) as exc:
            if self.raw.open and not (exc.args and exc.args[0] in _GONE):
                raise
            if sql == "ROLLBACK":
                self.in_transaction = False
                return Cursor(self.raw.cursor())
            if self.in_transaction and not begins:
                self.in_transaction = False  # the server rolled it back
                raise
            self._reopen()
            cur = self._run(sql, args)
        if begins:
            self.in_transaction = True
        elif sql in ("COMMIT", "ROLLBACK"):
            self.in_transaction = False
        return Cursor(cur)

    def _reopen(self) -> None:
        self.raw.connect()
        _session(self.raw)
        self.in_transaction = False

    def _run(self, sql: str, args: tuple[Any, ...]) -> pymysql.cursors.Cursor:
        cur = self.raw.cursor()
        cur.execute(translate(sql), args)
        return cur

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> Cursor:
        cur = self.raw.cursor()
        rows = [tuple(p) for p in seq]
        if rows:
            cur.executemany(translate(sql), rows)
        return Cursor(cur)

    def commit(self) -> None:
        self.raw.commit()

    def rollback(self) -> None:
        self.raw.rollback()

    def close(self) -> None:
        if self.raw.open:
            self.raw.close()


def connect(location: StoreLocation, *, database: bool = True) -> MariaConnection:
    """A session set up as the module docstring says; ``database=False`` connects to the
    server only (creating or dropping a database)."""
    kwargs: dict[str, Any] = {
        "user": location.user,
        "password": location.password,
        "charset": "utf8mb4",
        "autocommit": True,
        "client_flag": CLIENT.FOUND_ROWS,
        "connect_timeout": 10,
        "init_command": (
            f"SET SESSION sql_mode = '{SQL_MODE}', "
            f"innodb_lock_wait_timeout = {LOCK_WAIT_SECONDS}, "
            "collation_connection = 'utf8mb4_bin'"
        ),
    }
    if location.unix_socket:
        kwargs["unix_socket"] = location.unix_socket
    else:
        kwargs["host"] = location.host
        kwargs["port"] = location.port
    if database:
        kwargs["database"] = location.database
    raw = _PyMySQLConnection(**kwargs)
    _session(raw)
    return MariaConnection(raw)


def _session(raw: pymysql.connections.Connection[Any]) -> None:
    """What every (re)opened session sets beyond ``init_command``."""
    raw.cursor().execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
