"""Caches that survive runs: Flickr owners, aliases, Wikidata ids, gone photos."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.core.flickr_photo import FlickrOwner

if TYPE_CHECKING:
    pass

from bot.store.base import StoreBase
from bot.store.records import dumps, loads, utcnow


class CacheStore(StoreBase):
    """Caches that survive runs: Flickr owners, aliases, Wikidata ids, gone photos."""

    def get_owners(self, nsids: Iterable[str]) -> dict[str, FlickrOwner]:
        """The cached owners among ``nsids``, in one query per 500 (a queue page names up
        to 50 owners: one round trip, not 50, on a database server)."""
        wanted = sorted(set(nsids))
        found: dict[str, FlickrOwner] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            for row in self.conn.execute(
                "SELECT nsid, username, realname, path_alias, photos_count, is_deleted FROM "
                f"owners WHERE nsid IN ({', '.join('?' * len(chunk))})",
                chunk,
            ):
                found[row[0]] = _owner(row)
        return found

    def get_owner(self, nsid: str, max_age: timedelta | None = None) -> FlickrOwner | None:
        """A cached people.getInfo answer; None if unknown or fetched over ``max_age`` ago."""
        cutoff = (
            (datetime.now(UTC) - max_age).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            if max_age is not None
            else ""
        )
        row = self.conn.execute(
            "SELECT nsid, username, realname, path_alias, photos_count, is_deleted FROM owners "
            "WHERE nsid = ? AND fetched_at >= ?",
            (nsid, cutoff),
        ).fetchone()
        return _owner(row) if row else None

    def put_owner(self, owner: FlickrOwner) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO owners(nsid, username, realname, path_alias, photos_count, "
                "is_deleted, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                + self.dialect.upsert(
                    "nsid",
                    "username=excluded.username, realname=excluded.realname, "
                    "path_alias=excluded.path_alias, photos_count=excluded.photos_count, "
                    "is_deleted=excluded.is_deleted, fetched_at=excluded.fetched_at",
                ),
                (
                    owner.nsid,
                    owner.username,
                    owner.realname,
                    owner.path_alias,
                    owner.photos_count,
                    int(owner.is_deleted),
                    utcnow(),
                ),
            )

    def get_alias(self, alias: str) -> tuple[bool, str | None]:
        row = self.conn.execute(
            "SELECT nsid FROM alias_nsid WHERE alias = ?", (alias.lower(),)
        ).fetchone()
        return (True, row[0]) if row else (False, None)

    def put_alias(self, alias: str, nsid: str | None) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO alias_nsid(alias, nsid, fetched_at) VALUES (?, ?, ?) "
                ""
                + self.dialect.upsert(
                    "alias", "nsid=excluded.nsid, fetched_at=excluded.fetched_at"
                ),
                (alias.lower(), nsid, utcnow()),
            )

    def get_wikidata_flickr_ids(
        self, qids: Iterable[str], max_age: timedelta | None = None
    ) -> dict[str, list[str]]:
        """Cached P3267 values of Wikidata items (fresh enough ones only)."""
        qids = list(qids)
        if not qids:
            return {}
        marks = ",".join("?" * len(qids))
        cutoff = (datetime.now(UTC) - max_age).strftime("%Y-%m-%dT%H:%M:%S") if max_age else ""
        return {
            qid: loads(ids)
            for qid, ids in self.conn.execute(
                f"SELECT qid, flickr_user_ids FROM wikidata_flickr_ids WHERE qid IN ({marks}) "
                "AND fetched_at >= ?",
                (*qids, cutoff),
            )
        }

    def put_wikidata_flickr_ids(self, mapping: Mapping[str, Sequence[str]]) -> None:
        now = utcnow()
        with self.transaction() as conn:
            conn.executemany(
                "INSERT INTO wikidata_flickr_ids(qid, flickr_user_ids, fetched_at) VALUES (?,?,?) "
                ""
                + self.dialect.upsert(
                    "qid",
                    "flickr_user_ids=excluded.flickr_user_ids, fetched_at=excluded.fetched_at",
                ),
                [(q, dumps(list(v)), now) for q, v in mapping.items()],
            )

    def put_photo_gone(self, photo_id: str, reason: str, code: int) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO flickr_photo_status(photo_id, status, reason, code, checked_at) "
                "VALUES (?, 'gone', ?, ?, ?) "
                + self.dialect.upsert(
                    "photo_id",
                    "reason=excluded.reason, code=excluded.code, checked_at=excluded.checked_at",
                ),
                (photo_id, reason, code, utcnow()),
            )

    def get_photo_gone(self, photo_id: str) -> tuple[str, int] | None:
        row = self.conn.execute(
            "SELECT reason, code FROM flickr_photo_status WHERE photo_id = ? AND status = 'gone'",
            (photo_id,),
        ).fetchone()
        return (row[0], int(row[1])) if row else None


def _owner(row: Sequence[Any]) -> FlickrOwner:
    return FlickrOwner(
        nsid=row[0],
        username=row[1],
        realname=row[2],
        path_alias=row[3],
        photos_count=row[4],
        is_deleted=bool(row[5]),
    )
