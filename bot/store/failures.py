"""Store failures that mean "not now", told apart from bugs, in one place.

A maintenance window (ToolsDB or NFS read-only for hours), a server that is down or a
full disk are not bugs: the job stops at its next safe point and exits with
``ExitCode.STORE_UNAVAILABLE``, the review page answers 503 "try later". Every caller that
must tell them apart (the job, the command line, the review page, the store copy) asks
:func:`store_unavailable`, so the list of such errors is kept here and nowhere else.

Nothing is half-written when one of these is raised: every write is one transaction,
and an edit is sent only after its journal intent was committed.
"""

from __future__ import annotations

import sqlite3
from typing import Final

import pymysql

from bot.core.errors import StoreUnavailable, short

# SQLite primary result codes (``sqlite3.Error.sqlite_errorcode & 0xFF``) that mean the
# store cannot be used now, with the words the one line says.
_SQLITE_CODES: Final[dict[int, str]] = {
    5: "the store is locked by another process beyond the busy timeout",  # SQLITE_BUSY
    8: "the store is read-only (a maintenance window?)",  # SQLITE_READONLY
    10: "the store's disk failed to read or write",  # SQLITE_IOERR
    13: "the store's disk is full",  # SQLITE_FULL
    14: "the store cannot be opened",  # SQLITE_CANTOPEN
    23: "the store may not be written",  # SQLITE_AUTH (query_only, an authoriser)
}

# The same by message, for errors raised without a code (sqlite3 before 3.11, wrappers).
_SQLITE_MESSAGES: Final[dict[str, int]] = {
    "database is locked": 5,
    "attempt to write a readonly database": 8,
    "disk i/o error": 10,
    "database or disk is full": 13,
    "unable to open database file": 14,
}

# --- MariaDB / MySQL (PyMySQL) ----------------------------------------------------------
# The driver's error classes are in STORE_ERRORS; its codes are sorted here
# (``exc.args[0]`` of ``pymysql.err.OperationalError`` / ``InternalError``):
#   2002, 2003 cannot connect (socket / TCP), 2006 server has gone away, 2013 lost
#   connection during query: unreachable;
#   1290 --read-only / super-read-only, 1836 read-only mode, 1792 a READ ONLY transaction:
#   read-only (maintenance).
MYSQL_CODES: Final[dict[int, str]] = {
    2002: "cannot connect to the store's server",
    2003: "cannot connect to the store's server",
    2006: "the store's server has gone away",
    2013: "lost the connection to the store's server",
    1290: "the store's server is read-only (a maintenance window?)",
    1836: "the store's server is read-only (a maintenance window?)",
    1792: "the store's server is read-only (a maintenance window?)",
}

STORE_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, pymysql.err.Error, StoreUnavailable)
"""The exception classes a store call may raise that :func:`store_unavailable` sorts;
the review page answers those it recognises with 503 (``review_ui.app``)."""


def _sqlite_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF
    text = str(exc).lower()
    return next((c for needle, c in _SQLITE_MESSAGES.items() if needle in text), None)


def _mysql_code(exc: BaseException) -> int | None:
    """The error number of a PyMySQL operational or internal error."""
    if not isinstance(exc, pymysql.err.OperationalError | pymysql.err.InternalError):
        return None
    if not exc.args:
        return None
    first = exc.args[0]
    return first if isinstance(first, int) else None


def store_unavailable(exc: BaseException) -> StoreUnavailable | None:
    """The ``StoreUnavailable`` that ``exc`` means, with one clear line; None when ``exc``
    is some other error (a bug, a constraint, a bad query), which must not be retried."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        # "cannot rollback - no transaction is active" hides the disk error under it: the
        # database rolled the transaction back itself, and the ROLLBACK found none
        seen.add(id(cause))
        if (failure := _classify(cause)) is not None:
            return failure
        cause = cause.__cause__ or (None if cause.__suppress_context__ else cause.__context__)
    return None


def _classify(exc: BaseException) -> StoreUnavailable | None:
    if isinstance(exc, StoreUnavailable):
        return exc
    if isinstance(exc, sqlite3.Error):
        code = _sqlite_code(exc)
        words = _SQLITE_CODES.get(code) if code is not None else None
    else:
        mysql = _mysql_code(exc)
        words = MYSQL_CODES.get(mysql) if mysql is not None else None
    if words is None:
        return None
    return StoreUnavailable(short(f"{words}: {exc}; nothing was half-written, try again later"))


def raise_if_unavailable(exc: BaseException) -> None:
    """Raise the ``StoreUnavailable`` that ``exc`` means (chained), if it means one."""
    failure = store_unavailable(exc)
    if failure is not None and failure is not exc:
        raise failure from exc


__all__ = ["MYSQL_CODES", "STORE_ERRORS", "raise_if_unavailable", "store_unavailable"]
