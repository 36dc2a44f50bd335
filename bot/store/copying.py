"""Moving a queue from one store to another (SQLite file → ToolsDB, or back), verified.

``copy_store`` copies every base table row by row through the store's own connections
(``?`` placeholders, portable SQL), so it works between any two backends ``open_store``
opens. Each table is then verified on both sides by its row count and a checksum computed
from the values (not from file bytes): a hash per row, summed, so the order the rows come
back in does not matter and the same rows give the same sum on SQLite and MariaDB.

Tables the schema derives are not copied: ``conflict_counts`` and SQLite's FTS5 title
index (``conflict_titles`` and its shadow tables) are kept by triggers on ``conflicts``,
so the target builds them as the conflicts arrive; ``conflict_counts`` is then checked
against a count of the copied conflicts. ``conflict_events`` is append-only (triggers
refuse UPDATE and DELETE): rows are only ever inserted into a fresh target.

A copy marks the target ``copy_in_progress`` (in ``meta``) before the first row and clears
it only once every table verified, so an interrupted copy is a target that says so: the
job refuses to run on it, and a new copy needs ``--force``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from bot.core.errors import BackfillError, ExitCode, StoreMissing, UsageError
from bot.store.database import Store
from bot.store.location import StoreLocation, open_store
from bot.store.schema import SCHEMA_VERSION

COPIED_TABLES: Final[tuple[tuple[str, str], ...]] = (
    # (table, its primary key: one column, or "a,b"), parents before the rows that refer
    # to them
    ("meta", "key"),
    ("files", "id"),
    ("runs", "id"),
    ("edit_journal", "id"),
    ("conflicts", "id"),
    ("conflict_events", "id"),
    ("owners", "nsid"),
    ("alias_nsid", "alias"),
    ("wikidata_flickr_ids", "qid"),
    ("flickr_photo_status", "photo_id"),
    ("locks", "name"),
    ("licence_drift", "mid"),
    ("undo_files", "id"),
    ("bulk_tasks", "id"),
    ("rules", "id"),
    ("rule_events", "id"),
    ("bhl_photos", "photo_id,page_id"),
    ("bhl_listing", "owner"),
)
"""Every base table of the schema (a test checks none is missing)."""

DERIVED_TABLES: Final[tuple[str, ...]] = ("conflict_counts",)
"""Kept by triggers on ``conflicts``: built by the target, checked, never copied."""

INDEX_TABLES: Final[tuple[str, ...]] = ("conflict_titles",)
"""SQLite's FTS5 title index (a virtual table and its ``_data``, ``_idx``, ``_docsize``
and ``_config`` shadow tables): kept by triggers, neither copied nor counted."""

MARKER: Final = "copy_in_progress"
BATCH_ROWS: Final = 1000


class TargetNotEmpty(BackfillError):
    """The target store holds rows already; replacing them needs ``--force``."""

    exit_code = ExitCode.USAGE


class CopyMismatch(BackfillError):
    """A table of the target differs from the source after the copy (left marked)."""

    exit_code = ExitCode.FAILED

    def __init__(self, message: str, report: CopyReport) -> None:
        super().__init__(message)
        self.report = report


class IncompleteCopy(StoreMissing):
    """The store is a copy that never finished: there is no usable store at the path."""


@dataclass(frozen=True, slots=True)
class TableCheck:
    """One table after the copy: rows and checksum on each side."""

    table: str
    source_rows: int
    target_rows: int
    source_checksum: str
    target_checksum: str
    derived: bool = False

    @property
    def ok(self) -> bool:
        return (self.source_rows, self.source_checksum) == (self.target_rows, self.target_checksum)


@dataclass(frozen=True, slots=True)
class CopyReport:
    """What ``copy_store`` copied and how each table verified."""

    source: str
    target: str
    schema_version: int
    replaced: bool
    """The target held rows that ``force`` dropped first."""
    tables: tuple[TableCheck, ...]

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables)

    @property
    def rows(self) -> int:
        return sum(t.target_rows for t in self.tables if not t.derived)

    def lines(self) -> list[str]:
        """The per-table report, as ``backfill store copy`` prints it."""
        out = [f"{'table':<22}{'source rows':>12}{'target rows':>12}  {'checksum':<16}  check"]
        for t in self.tables:
            name = f"{t.table} (derived)" if t.derived else t.table
            verdict = "ok" if t.ok else f"DIFFERS (source {t.source_checksum})"
            out.append(
                f"{name:<22}{t.source_rows:>12}{t.target_rows:>12}  {t.target_checksum:<16}  "
                f"{verdict}"
            )
        copied = len([t for t in self.tables if not t.derived])
        state = "verified" if self.ok else "NOT verified"
        out.append(f"{copied} tables, {self.rows} rows copied to {self.target}: {state}")
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "schema_version": self.schema_version,
            "replaced": self.replaced,
            "ok": self.ok,
            "tables": [
                {
                    "table": t.table,
                    "derived": t.derived,
                    "source_rows": t.source_rows,
                    "target_rows": t.target_rows,
                    "source_checksum": t.source_checksum,
                    "target_checksum": t.target_checksum,
                    "ok": t.ok,
                }
                for t in self.tables
            ],
        }


# --------------------------------------------------------------------------- checksums


def _canonical(value: Any) -> bytes:
    """A value as the same bytes whichever backend returned it (an INTEGER may come back
    as ``int`` or ``Decimal``, a TEXT as ``str`` or ``bytes`` by driver)."""
    if value is None:
        return b"N"
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, Decimal):
        value = int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, int):
        return b"i" + str(value).encode()
    if isinstance(value, float):
        return (
            b"i" + str(int(value)).encode() if value.is_integer() else b"f" + repr(value).encode()
        )
    if isinstance(value, bytes | bytearray | memoryview):
        value = bytes(value).decode("utf-8", "surrogateescape")
    return b"s" + str(value).encode("utf-8", "surrogateescape")


def row_hash(columns: Sequence[str], row: Sequence[Any]) -> int:
    """A row's 64-bit hash, from its values by column name (column order does not count)."""
    digest = hashlib.sha256()
    for name, value in sorted(zip(columns, row, strict=True)):
        part = _canonical(value)
        digest.update(name.encode() + b"=" + str(len(part)).encode() + b":" + part + b";")
    return int.from_bytes(digest.digest()[:8], "big")


def _sum_hex(total: int) -> str:
    return f"{total % (1 << 64):016x}"


BACKEND_ONLY_COLUMNS: Final = frozenset({"title_no_mid"})
"""Columns one backend has and the other does not (MariaDB's generated ``files``
column for its unique index of titles without a mid): derived, neither copied nor
summed."""


def _columns(store: Store, table: str) -> list[str]:
    cur = store.conn.execute(f"SELECT * FROM {table} WHERE 1 = 0")
    return [d[0] for d in cur.description if d[0] not in BACKEND_ONLY_COLUMNS]


def _q(name: str) -> str:
    """A quoted identifier: ``key`` and ``left`` are reserved words in MariaDB; SQLite
    takes backticks too."""
    return f"`{name}`"


def _rows(
    store: Store, table: str, key: str, columns: Sequence[str], *, skip_marker: bool = True
) -> Iterator[list[Sequence[Any]]]:
    """A table's rows in batches, by primary key (keyset: no OFFSET scans)."""
    names = ", ".join(_q(c) for c in columns)
    keys = key.split(",")
    key_at = [list(columns).index(k) for k in keys]
    order = ", ".join(_q(k) for k in keys)
    # keyset after the last row: a > ? OR (a = ? AND b > ?) for a two-column key
    if len(keys) == 1:
        after = f"{_q(keys[0])} > ?"
    else:
        after = f"({_q(keys[0])} > ? OR ({_q(keys[0])} = ? AND {_q(keys[1])} > ?))"
    last: tuple[Any, ...] | None = None
    while True:
        where = "" if last is None else f"WHERE {after} "
        params: tuple[Any, ...] = ()
        if last is not None:
            params = last if len(keys) == 1 else (last[0], last[0], last[1])
        batch = store.conn.execute(
            f"SELECT {names} FROM {table} {where}ORDER BY {order} LIMIT {BATCH_ROWS}", params
        ).fetchall()
        if not batch:
            return
        last = tuple(batch[-1][i] for i in key_at)
        if skip_marker and table == "meta":
            batch = [r for r in batch if r[key_at[0]] != MARKER]
        yield batch


def table_checksum(store: Store, table: str, key: str) -> tuple[int, str]:
    """(rows, checksum) of a copied table, read from its values."""
    columns = _columns(store, table)
    n = total = 0
    for batch in _rows(store, table, key, columns):
        n += len(batch)
        total += sum(row_hash(columns, r) for r in batch)
    return n, _sum_hex(total)


def _counts_checksum(rows: Sequence[Sequence[Any]]) -> tuple[int, str]:
    columns = ("status", "reason", "property", "n")
    kept = [r for r in rows if int(r[3]) != 0]  # a row counted down to 0 is no count
    return len(kept), _sum_hex(sum(row_hash(columns, r) for r in kept))


def _derived_check(target: Store) -> TableCheck:
    """``conflict_counts`` as the target's triggers built it, against a recount of the
    conflicts copied ("source" here is the recount: what the counts must say)."""
    recount = target.conn.execute(
        "SELECT status, reason, property, count(*) FROM conflicts GROUP BY status, reason, property"
    ).fetchall()
    kept = target.conn.execute("SELECT status, reason, property, n FROM conflict_counts").fetchall()
    (want_n, want), (have_n, have) = _counts_checksum(recount), _counts_checksum(kept)
    return TableCheck("conflict_counts", want_n, have_n, want, have, derived=True)


# --------------------------------------------------------------------------- the copy


def _is_empty(store: Store) -> tuple[bool, list[str]]:
    """No rows but a fresh store's schema version; else the tables that hold rows."""
    held = []
    for table, _ in COPIED_TABLES:
        where = " WHERE `key` <> 'schema_version'" if table == "meta" else ""
        n = int(store.conn.execute(f"SELECT count(*) FROM {table}{where}").fetchone()[0])
        if n:
            held.append(f"{n} in {table}")
    return not held, held


def incomplete_copy(store: Store) -> str | None:
    """What the marker of a copy that never finished says (None: a complete store)."""
    row = store.conn.execute("SELECT value FROM meta WHERE `key` = ?", (MARKER,)).fetchone()
    return None if row is None else str(row[0])


def refuse_incomplete_copy(store: Store, where: str) -> None:
    """Raise ``IncompleteCopy`` for a store a copy never finished."""
    marker = incomplete_copy(store)
    if marker is not None:
        raise IncompleteCopy(
            f"{where} is an unfinished copy ({marker}): run `backfill store copy` again "
            "with --force, or use the source"
        )


def _drop_everything(store: Store) -> None:
    """Empty the target for a fresh migration. Tables are dropped rather than emptied:
    ``conflict_events`` refuses DELETE (append-only), and a dropped table takes its
    triggers with it; children before the parents they refer to."""
    tables = [t for t, _ in reversed(COPIED_TABLES)] + [*DERIVED_TABLES, *INDEX_TABLES]
    with store.transaction() as conn:
        for table in tables:
            conn.execute(f"DROP TABLE IF EXISTS {table}")
    store.migrate()


def copy_store(
    source: str,
    target: str,
    *,
    force: bool = False,
    on_batch: Callable[[str, int], None] | None = None,
) -> CopyReport:
    """Copy every table of the store at ``source`` into the store at ``target``.

    The target is migrated fresh to this bot's schema (the source must be at the same
    version); a target holding any rows is refused unless ``force``, which drops them
    first. ``on_batch(table, rows_so_far)`` is called after each committed batch.
    Raises ``CopyMismatch`` when a table does not verify (the target stays marked
    unfinished).
    """
    if not (source_location := StoreLocation.parse(source)).exists():
        # opening would create an empty SQLite file (a server database is checked on open)
        raise StoreMissing(f"no store at {source_location} to copy from")
    if source == target:
        raise UsageError("the source and the target are the same store")
    with open_store(source) as src, open_store(target) as dst:
        version = src.schema_version()
        if version != SCHEMA_VERSION or dst.schema_version() != SCHEMA_VERSION:
            raise UsageError(
                f"schema versions differ: {source} has {version}, {target} "
                f"{dst.schema_version()}, this bot {SCHEMA_VERSION}"
            )
        if (marker := incomplete_copy(src)) is not None:
            raise UsageError(f"{source} is itself an unfinished copy ({marker})")
        empty, held = _is_empty(dst)
        if not empty and not force:
            unfinished = incomplete_copy(dst)
            what = f"an unfinished copy ({unfinished})" if unfinished else "not empty"
            raise TargetNotEmpty(
                f"{target} is {what}: {', '.join(held[:4])}"
                f"{' ...' if len(held) > 4 else ''}; pass --force to replace it"
            )
        if not empty:
            _drop_everything(dst)
        _copy_tables(src, dst, source, on_batch)
        checks = _verify(src, dst)
        report = CopyReport(source, target, version, not empty, checks)
        if not report.ok:
            bad = ", ".join(t.table for t in checks if not t.ok)
            raise CopyMismatch(f"the copy in {target} differs from {source} in: {bad}", report)
        with dst.transaction() as conn:
            conn.execute("DELETE FROM meta WHERE `key` = ?", (MARKER,))
        return report


def _copy_tables(
    src: Store, dst: Store, source: str, on_batch: Callable[[str, int], None] | None
) -> None:
    from bot.store.records import utcnow

    with dst.transaction() as conn:  # the schema version stays: an interrupted copy reopens
        conn.execute("DELETE FROM meta WHERE `key` <> 'schema_version'")
        conn.execute(
            "INSERT INTO meta(`key`, value) VALUES (?, ?)", (MARKER, f"from {source}, {utcnow()}")
        )
    # one read transaction on the source: a consistent snapshot of every table
    src.conn.execute("BEGIN")
    try:
        for table, key in COPIED_TABLES:
            columns = _columns(src, table)
            if set(columns) != set(_columns(dst, table)):
                raise UsageError(f"table {table} has other columns in the target")
            insert = (
                f"INSERT INTO {table}({', '.join(_q(c) for c in columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})"
            )
            done = 0
            for batch in _rows(src, table, key, columns):
                if table == "meta":  # the same version: the target's row is kept
                    batch = [r for r in batch if r[columns.index("key")] != "schema_version"]
                with dst.transaction() as conn:
                    conn.executemany(insert, [tuple(r) for r in batch])
                done += len(batch)
                if on_batch is not None:
                    on_batch(table, done)
    finally:
        src.conn.execute("COMMIT")


def _verify(src: Store, dst: Store) -> tuple[TableCheck, ...]:
    checks = []
    for table, key in COPIED_TABLES:
        (sn, sc), (tn, tc) = table_checksum(src, table, key), table_checksum(dst, table, key)
        checks.append(TableCheck(table, sn, tn, sc, tc))
    checks.append(_derived_check(dst))
    return tuple(checks)


__all__ = [
    "COPIED_TABLES",
    "DERIVED_TABLES",
    "INDEX_TABLES",
    "CopyMismatch",
    "CopyReport",
    "IncompleteCopy",
    "TableCheck",
    "TargetNotEmpty",
    "copy_store",
    "incomplete_copy",
    "refuse_incomplete_copy",
    "row_hash",
    "table_checksum",
]
