"""Owner photo lists: the pages a run has fetched, and whether listing beats getInfo.

``fetch_photos`` reads a group of photos of one owner either one ``getInfo`` per photo or
by paging through the owner's list (people.getPhotos with extras). This module holds what
that decision needs and nothing that sends a request: the cost model (``choose_strategy``)
and the run's ``ListingCache`` of pages already paid for.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from enum import StrEnum
from typing import Final

from bot.core.flickr_photo import FlickrPhoto

MAX_PER_PAGE: Final = 500
LISTING_EXTRAS: Final = (
    "license,date_upload,date_taken,owner_name,geo,machine_tags,path_alias,media,realname"
)
# Below this many wanted photos of an owner whose photo count we do not know, a
# people.getInfo call to learn the count costs more on average than it can save.
DEFAULT_LOOKUP_THRESHOLD: Final = 4


DEFAULT_LISTING_CACHE_PHOTOS: Final = 100_000
"""Photos of owner lists kept for the run: ~300 bytes each, so ~30 MB at most."""


class ListingCache:
    """The owner photo-list pages this run has already fetched, by owner and page.

    The job asks ``fetch_photos`` about 50 files at a time, and one owner's files can
    span many batches; without this every batch would page the owner's list from page 1
    again. Pages are kept whole (a page is what a call costs), least recently used pages
    are dropped first once more than ``max_photos`` photos are held, and a dropped page
    simply counts as not fetched. Nothing here is persisted: lists change between runs.
    Thread-safe.
    """

    def __init__(self, max_photos: int = DEFAULT_LISTING_CACHE_PHOTOS) -> None:
        self.max_photos = max(0, max_photos)
        self._lock = threading.Lock()
        self._pages: OrderedDict[tuple[str, int], list[FlickrPhoto]] = OrderedDict()
        self._where: dict[str, dict[str, int]] = {}  # owner -> photo id -> page holding it
        self._page_count: dict[str, int | None] = {}  # owner -> pages, as Flickr last said
        self._size = 0

    def __len__(self) -> int:
        """Photos held."""
        with self._lock:
            return self._size

    def photo(self, nsid: str, photo_id: str) -> FlickrPhoto | None:
        """The photo as the owner's list showed it this run, if a page held it."""
        with self._lock:
            page = self._where.get(nsid, {}).get(photo_id)
            if page is None:
                return None
            key = (nsid, page)
            self._pages.move_to_end(key)
            return next(p for p in self._pages[key] if p.id == photo_id)

    def has_page(self, nsid: str, page: int) -> bool:
        with self._lock:
            return (nsid, page) in self._pages

    def pages(self, nsid: str) -> int | None:
        """How many pages the owner's list has, as Flickr said last (None: not asked yet)."""
        with self._lock:
            return self._page_count.get(nsid)

    def pages_fetched(self, nsid: str) -> int:
        with self._lock:
            return sum(1 for owner, _page in self._pages if owner == nsid)

    def complete(self, nsid: str) -> bool:
        """Every page of the owner's list is held: a photo not in it is not listed."""
        with self._lock:
            count = self._page_count.get(nsid)
            return count is not None and all((nsid, p) in self._pages for p in range(1, count + 1))

    def put_page(self, nsid: str, page: int, pages: int | None, photos: list[FlickrPhoto]) -> None:
        """Keep one fetched page (and Flickr's page count), dropping old pages if full."""
        with self._lock:
            if pages is not None or nsid not in self._page_count:
                self._page_count[nsid] = pages
            key = (nsid, page)
            if key in self._pages:
                self._drop(key)
            if len(photos) > self.max_photos:
                return
            self._pages[key] = photos
            where = self._where.setdefault(nsid, {})
            for photo in photos:
                where[photo.id] = page
            self._size += len(photos)
            while self._size > self.max_photos:
                self._drop(next(iter(self._pages)))

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self._where.clear()
            self._page_count.clear()
            self._size = 0

    def _drop(self, key: tuple[str, int]) -> None:
        nsid, page = key
        photos = self._pages.pop(key)
        self._size -= len(photos)
        where = self._where.get(nsid, {})
        for photo in photos:
            if where.get(photo.id) == page:
                del where[photo.id]


# --------------------------------------------------------------------------- cost decision


class Strategy(StrEnum):
    """How ``fetch_photos`` reads a group of photos of one owner."""

    GET_INFO = "get_info"  # one flickr.photos.getInfo per photo
    LOOKUP_OWNER = "lookup_owner"  # learn the owner's photo count first (people.getInfo)
    OWNER_PAGES = "owner_pages"  # page through the owner's photos with extras


def listing_pages(photos_count: int, per_page: int = MAX_PER_PAGE) -> int:
    """Pages needed to list ``photos_count`` photos (at least one call even for none)."""
    return max(1, math.ceil(max(0, photos_count) / per_page))


def choose_strategy(
    n_wanted: int,
    photos_count: int | None,
    *,
    per_page: int = MAX_PER_PAGE,
    lookup_threshold: int = DEFAULT_LOOKUP_THRESHOLD,
    pages: int | None = None,
    pages_fetched: int = 0,
) -> Strategy:
    """Pick the cheaper way to read ``n_wanted`` photos of one owner.

    With the size of the owner's list known (``pages`` as Flickr said this run, else
    from the photo count of the owner cache or of a people.getInfo already paid for) the
    choice is the pages not yet fetched this run (``pages_fetched``) against one getInfo
    per photo; ties go to getInfo, whose answer is richer (raw machine tags). Without
    it, listing costs at least one people.getInfo plus one page, so the count is only
    worth asking for when the group is big enough (``lookup_threshold``, never below 3).
    ``n_wanted`` may include photos the caller will ask for later in the run: pages
    fetched now are kept for them (``ListingCache``).
    """
    if n_wanted <= 0:
        return Strategy.GET_INFO
    if pages is None and photos_count is None:
        return Strategy.LOOKUP_OWNER if n_wanted >= max(3, lookup_threshold) else Strategy.GET_INFO
    total = pages if pages is not None else listing_pages(photos_count or 0, per_page)
    if max(0, total - pages_fetched) < n_wanted:
        return Strategy.OWNER_PAGES
    return Strategy.GET_INFO
