"""The few SQL fragments that differ between SQLite and MariaDB, in one place.

Everything else the store writes is portable SQL with ``?`` placeholders (the MariaDB
connection rewrites them, ``mariadb.py``). A method here returns the fragment for the
backend; the two dialects are the module's ``SQLITE`` and ``MARIADB``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

_EXCLUDED = re.compile(r"\bexcluded\.(\w+)")


@dataclass(frozen=True, slots=True)
class Dialect:
    name: str
    begin: str
    """How a write transaction starts. SQLite: ``BEGIN IMMEDIATE`` takes the file's write
    lock at once. MariaDB: a plain transaction; its writes lock rows (InnoDB), and a read
    that decides a write says so with ``for_update``."""
    for_update: str
    """Appended to a SELECT whose answer decides a write in the same transaction: a row
    lock on MariaDB; nothing on SQLite, whose write lock the transaction already holds."""
    temp: str
    """The prefix of a temporary table's name (``temp.`` on SQLite)."""
    title_index: bool
    """Title search has the trigram index (SQLite's FTS5). MariaDB's FULLTEXT finds words,
    not substrings, so a title search there is a ``LIKE`` over the title index."""
    greatest: str
    """The two-argument maximum: ``max(a, b)`` on SQLite, ``greatest(a, b)`` on MariaDB."""

    def upsert(self, key: str, sets: str) -> str:
        """``ON CONFLICT(key) DO UPDATE SET sets``; ``sets`` names the new row's values
        ``excluded.col`` (SQLite's spelling, rewritten to ``VALUES(col)`` for MariaDB)."""
        if self.name == "sqlite":
            return f" ON CONFLICT({key}) DO UPDATE SET {sets}"
        return " ON DUPLICATE KEY UPDATE " + _EXCLUDED.sub(r"VALUES(\1)", sets)

    def insert_ignore(self) -> str:
        """``INSERT`` that skips a row whose unique key is taken."""
        return "INSERT OR IGNORE" if self.name == "sqlite" else "INSERT IGNORE"

    def distinct_from(self, column: str) -> str:
        """``column`` differs from the parameter, NULL counting as a value."""
        return f"{column} IS NOT ?" if self.name == "sqlite" else f"NOT ({column} <=> ?)"

    def same_as(self, column: str) -> str:
        """``column`` equals the parameter, NULL counting as a value."""
        return f"{column} IS ?" if self.name == "sqlite" else f"{column} <=> ?"

    def title_like(self, column: str) -> str:
        """A case-insensitive ``LIKE ?`` with ``\\`` as its escape: SQLite's LIKE is
        case-insensitive already; MariaDB's title columns compare as binary (titles are
        case-sensitive), so the search says its collation."""
        if self.name == "sqlite":
            return f"{column} LIKE ? ESCAPE '\\'"
        return f"{column} COLLATE utf8mb4_unicode_ci LIKE ? ESCAPE '\\'"

    def index_names(self, table: str) -> str:
        """A query for the names of ``table``'s indexes (one column)."""
        if self.name == "sqlite":
            return f"SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '{table}'"
        return (
            "SELECT DISTINCT index_name FROM information_schema.statistics "
            f"WHERE table_schema = DATABASE() AND table_name = '{table}'"
        )

    def drop_index(self, name: str, table: str) -> str:
        if self.name == "sqlite":
            return f"DROP INDEX IF EXISTS {name}"
        return f"DROP INDEX IF EXISTS {name} ON {table}"

    def force_index(self, name: str) -> str:
        """An index hint after a table name: MariaDB 10.x plans ``status = ? AND id > ?
        ORDER BY id`` as a scan of every row of that status from the first (``ref``) rather
        than a range from ``id`` (84 ms instead of 1 ms at 100,000 rows); SQLite needs none."""
        return "" if self.name == "sqlite" else f" FORCE INDEX ({name})"

    def temp_ids_table(self, name: str) -> str:
        """Create (if missing) a connection-private table of ids."""
        if self.name == "sqlite":
            return f"CREATE TEMP TABLE IF NOT EXISTS {name}(id INTEGER PRIMARY KEY)"
        return f"CREATE TEMPORARY TABLE IF NOT EXISTS {name}(id BIGINT PRIMARY KEY) ENGINE=InnoDB"


SQLITE: Final = Dialect(
    name="sqlite",
    begin="BEGIN IMMEDIATE",
    for_update="",
    temp="temp.",
    title_index=True,
    greatest="max",
)

MARIADB: Final = Dialect(
    name="mariadb",
    begin="START TRANSACTION",
    for_update=" FOR UPDATE",
    temp="",
    title_index=False,
    greatest="greatest",
)
