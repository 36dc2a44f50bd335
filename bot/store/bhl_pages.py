"""BHL's Flickr photos by the page they are tagged with (tables ``bhl_photos``, ``bhl_listing``).

The job reads BHL's photo list (people.getPhotos with ``extras=machine_tags``, 500 photos
a call) instead of searching Flickr once per file. The first read pages through the whole
list; after it finished once, each run reads only photos uploaded since the newest one
kept (``min_upload_date``, inclusive, so the newest is read again and nothing at that
second is missed). A photo read again replaces its rows, so a changed tag is taken. The
refresh by upload date cannot see an old photo deleted or re-tagged, so the job reads the
whole list again now and then; a whole read that finishes drops every row it did not
read again (``listed_at`` before the read began).
Portable SQL only (``?`` placeholders, no upsert clauses): the store may move to MariaDB.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from bot.store.base import StoreBase
from bot.store.records import utcnow

_CHUNK = 500  # ids per IN (...) list


@dataclass(frozen=True, slots=True)
class BhlListing:
    """How far the store's copy of an owner's photo list goes."""

    owner: str
    complete: bool  # a full read finished once: refresh by min_upload_date from now on
    newest_upload: int | None  # unix seconds of the newest photo kept
    photos_listed: int  # photos read by the last refresh
    refreshed_at: str | None
    full_read_at: str | None  # when the last whole read that finished began


@dataclass(frozen=True, slots=True)
class ListedBhlPhoto:
    """One photo of the list: its id, the pages it is tagged with, when it was uploaded."""

    photo_id: str
    pages: tuple[str, ...]
    upload_date: int


class BhlPageStore(StoreBase):
    """BHL's photos by page, and how far their list has been read."""

    def bhl_listing(self, owner: str) -> BhlListing | None:
        row = self.conn.execute(
            "SELECT owner, complete, newest_upload, photos_listed, refreshed_at, full_read_at "
            "FROM bhl_listing WHERE owner = ?",
            (owner,),
        ).fetchone()
        if row is None:
            return None
        return BhlListing(row[0], bool(row[1]), row[2], row[3], row[4], row[5])

    def put_bhl_photos(self, owner: str, photos: Sequence[ListedBhlPhoto]) -> None:
        """Keep one chunk of listed photos (their old rows replaced), in one transaction;
        the listing's newest upload moves forward with it."""
        if not photos:
            return
        now = utcnow()
        newest = max(p.upload_date for p in photos)
        with self.transaction() as conn:
            ids = sorted({p.photo_id for p in photos})
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                conn.execute(f"DELETE FROM bhl_photos WHERE photo_id IN ({marks})", chunk)
            seen: set[tuple[str, str]] = set()
            rows = []
            for p in photos:
                for page in p.pages:
                    if (p.photo_id, page) not in seen:
                        seen.add((p.photo_id, page))
                        rows.append((p.photo_id, page, p.upload_date, now))
            conn.executemany(
                "INSERT INTO bhl_photos(photo_id, page_id, upload_date, listed_at) "
                "VALUES (?, ?, ?, ?)",
                rows,
            )
            row = conn.execute(
                "SELECT newest_upload FROM bhl_listing WHERE owner = ?", (owner,)
            ).fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO bhl_listing(owner, complete, newest_upload, photos_listed, "
                    "refreshed_at) VALUES (?, 0, ?, 0, ?)",
                    (owner, newest, now),
                )
            elif row[0] is None or row[0] < newest:
                conn.execute(
                    "UPDATE bhl_listing SET newest_upload = ? WHERE owner = ?", (newest, owner)
                )

    def finish_bhl_listing(
        self, owner: str, photos_listed: int, *, whole_read_from: str | None = None
    ) -> None:
        """A read of the list went to its end: from now on it is refreshed incrementally.
        For a whole read (``whole_read_from``: the ``utcnow()`` it began at) the rows it did
        not read again are gone from Flickr's list (deleted, private, untagged): dropped.
        (One owner is listed, BHL's: the rows carry no owner.)"""
        now = utcnow()
        with self.transaction() as conn:
            if whole_read_from is not None:
                conn.execute("DELETE FROM bhl_photos WHERE listed_at < ?", (whole_read_from,))
            done = conn.execute(
                "UPDATE bhl_listing SET complete = 1, photos_listed = ?, refreshed_at = ?, "
                "full_read_at = coalesce(?, full_read_at) WHERE owner = ?",
                (photos_listed, now, whole_read_from, owner),
            )
            if done.rowcount == 0:  # an empty list: nothing was put
                conn.execute(
                    "INSERT INTO bhl_listing(owner, complete, newest_upload, photos_listed, "
                    "refreshed_at, full_read_at) VALUES (?, 1, NULL, ?, ?, ?)",
                    (owner, photos_listed, now, whole_read_from),
                )

    def bhl_photos_for_pages(self, pages: Sequence[str]) -> dict[str, list[str]]:
        """Page id -> the photo ids tagged with it (sorted), for the pages that have any."""
        found: dict[str, list[str]] = defaultdict(list)
        wanted = sorted(set(pages))
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for page, photo_id in self.conn.execute(
                f"SELECT page_id, photo_id FROM bhl_photos WHERE page_id IN ({marks}) "
                "ORDER BY page_id, photo_id",
                chunk,
            ):
                found[page].append(photo_id)
        return dict(found)

    def count_bhl_photos(self) -> int:
        """Distinct photos kept with at least one page."""
        row = self.conn.execute("SELECT count(DISTINCT photo_id) FROM bhl_photos").fetchone()
        return int(row[0])
