"""The licence drift report: files whose Flickr licence now differs from Commons' record.

One row per file, kept by the job: written when a run sees a drift (first and last seen
kept), updated on later runs, deleted when the two agree again; a run that cannot read
one side (an unknown licence) leaves the row as it was. Read-only for the review page.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, fields

from bot.core.licences import LicenceCheck, LicenceStatus
from bot.store.base import StoreBase, retry_deadlocks
from bot.store.records import utcnow


@dataclass(frozen=True, slots=True)
class LicenceDrift:
    """One file of the report."""

    mid: str
    title: str | None
    flickr_photo_id: str
    commons_licence: str
    commons_source: str
    flickr_licence: str
    flickr_license_id: str
    first_seen_at: str
    last_seen_at: str
    last_seen_run_id: int | None


_COLUMNS = ", ".join(f.name for f in fields(LicenceDrift))
CSV_COLUMNS = [f.name for f in fields(LicenceDrift)]


class LicenceStore(StoreBase):
    """The licence drift report (table ``licence_drift``)."""

    @retry_deadlocks
    def record_licence(
        self,
        mid: str,
        title: str | None,
        photo_id: str,
        check: LicenceCheck,
        run_id: int | None,
    ) -> None:
        """Keep the file's row in step with what this run saw (see the module docstring)."""
        if check.status is LicenceStatus.UNKNOWN:
            return
        with self.transaction() as conn:
            if check.status is LicenceStatus.SAME:
                conn.execute("DELETE FROM licence_drift WHERE mid = ?", (mid,))
                return
            now = utcnow()
            conn.execute(
                f"INSERT INTO licence_drift({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                ""
                + self.dialect.upsert(
                    "mid",
                    "title=coalesce(excluded.title, title), "
                    "flickr_photo_id=excluded.flickr_photo_id, "
                    "commons_licence=excluded.commons_licence, "
                    "commons_source=excluded.commons_source, flickr_licence=excluded.flickr_licence, "
                    "flickr_license_id=excluded.flickr_license_id, "
                    "last_seen_at=excluded.last_seen_at, last_seen_run_id=excluded.last_seen_run_id",
                ),
                (
                    mid,
                    title,
                    photo_id,
                    check.commons_licence or "",
                    check.commons_source or "",
                    check.flickr_licence or "",
                    check.flickr_license_id or "",
                    now,
                    now,
                    run_id,
                ),
            )

    def licence_drifts(
        self,
        *,
        commons: str | None = None,
        flickr: str | None = None,
        after_mid: str | None = None,
        limit: int | None = 100,
    ) -> list[LicenceDrift]:
        """The report, by M-id, filtered by licence pair; paged by ``after_mid``."""
        where, params = self._drift_where(commons, flickr)
        if after_mid is not None:
            where += " AND mid > ?"
            params.append(after_mid)
        sql = f"SELECT {_COLUMNS} FROM licence_drift WHERE {where} ORDER BY mid"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [LicenceDrift(*row) for row in self.conn.execute(sql, params)]

    def licence_drift_count(self, *, commons: str | None = None, flickr: str | None = None) -> int:
        where, params = self._drift_where(commons, flickr)
        return int(
            self.conn.execute(
                f"SELECT count(*) FROM licence_drift WHERE {where}", params
            ).fetchone()[0]
        )

    def licence_drift_pairs(self) -> list[tuple[str, str, int]]:
        """(Commons' licence, Flickr's licence, files) for the page's filter, most first."""
        return [
            (str(a), str(b), int(n))
            for a, b, n in self.conn.execute(
                "SELECT commons_licence, flickr_licence, count(*) FROM licence_drift "
                "GROUP BY commons_licence, flickr_licence ORDER BY count(*) DESC, 1, 2"
            )
        ]

    def iter_licence_drift_csv(
        self, *, commons: str | None = None, flickr: str | None = None, page: int = 1000
    ) -> Iterator[str]:
        """The report as CSV text, a header then rows, read a page at a time."""
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(CSV_COLUMNS)
        after: str | None = None
        while True:
            rows = self.licence_drifts(commons=commons, flickr=flickr, after_mid=after, limit=page)
            for row in rows:
                writer.writerow(
                    ["" if v is None else v for v in (getattr(row, c) for c in CSV_COLUMNS)]
                )
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
            if len(rows) < page:
                return
            after = rows[-1].mid

    @staticmethod
    def _drift_where(commons: str | None, flickr: str | None) -> tuple[str, list[object]]:
        clauses: list[str] = ["1=1"]
        params: list[object] = []
        for column, value in (("commons_licence", commons), ("flickr_licence", flickr)):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        return " AND ".join(clauses), params
