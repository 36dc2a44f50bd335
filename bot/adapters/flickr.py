"""Flickr REST client: typed records out of loosely typed JSON, within the API budget.

Everything the bot learns from Flickr comes through ``FlickrClient``. It

- normalises every response once into the records of ``bot.core.flickr_photo`` (Flickr's
  ``format=json`` output sends the same field as ``"1"``, ``1`` or ``""``);
- turns Flickr's error codes into answers (``FlickrPhotoGone``) where they are answers,
  retries the transient ones (HTTP 429/5xx, codes 105/201, timeouts, broken JSON) with
  exponential backoff and jitter, honouring ``Retry-After``, and stops the run on an
  invalid API key (``FlickrAuthError``);
- spends calls carefully: all requests take a token from one shared ``TokenBucket`` and are
  counted per method, and ``fetch_photos`` reads a group of photos of one owner either one
  ``getInfo`` per photo or by paging through the owner's photo list with extras, whichever
  needs fewer calls (``choose_strategy``);
- keeps the owner-list pages it fetched for the rest of the run (``ListingCache``), so the
  job's 50-file batches of one owner page its list once, not once per batch;
- remembers owners and path aliases across runs through an ``OwnerCache``, trusting an
  owner for ``owner_max_age`` (30 days by default) before asking people.getInfo again.

Owner lists are read with ``flickr.people.getPhotos`` only. ``flickr.photos.search`` with
``user_id`` would list the same photos, but Flickr returns at most the first 4,000
results of a search, which would silently cut every big owner's list short.

The client is this module; the parts it is made of have modules of their own, and every
public name of theirs is importable from here too: ``flickr_errors`` (the exceptions),
``flickr_parse`` (responses as records), ``flickr_owners`` (the owner cache),
``flickr_listing`` (owner lists and the cost decision), ``flickr_retry`` (retry policy) and
``flickr_transport`` (one request: rate limit, counting, retries, errors, the key kept secret).

The API key never appears in a log line, exception message or repr: it is only ever put
into the query string of the request itself, and the ``httpx`` request log is redacted.
"""

from __future__ import annotations

import logging
import re
import time
import urllib.parse
from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import timedelta
from typing import Final

import httpx

from bot.adapters.flickr_errors import (
    FetchError,
    FetchResult,
    FlickrApiError,
    FlickrAuthError,
    FlickrError,
    FlickrFatalError,
    FlickrKeyMissing,
    FlickrResponseError,
    FlickrUnavailableError,
    FlickrUnreachableError,
)
from bot.adapters.flickr_listing import (
    DEFAULT_LISTING_CACHE_PHOTOS,
    DEFAULT_LOOKUP_THRESHOLD,
    LISTING_EXTRAS,
    MAX_PER_PAGE,
    ListingCache,
    Strategy,
    choose_strategy,
    listing_pages,
)
from bot.adapters.flickr_owners import DEFAULT_OWNER_MAX_AGE, MemoryOwnerCache, OwnerCache
from bot.adapters.flickr_parse import (
    _as_list,
    _flag,
    _int,
    _text,
    alias_from,
    gone_from_error,
    parse_listing_photo,
    parse_owner,
    parse_photo_info,
)
from bot.adapters.flickr_retry import (
    DEFAULT_TIMEOUT,
    RetryPolicy,
    parse_retry_after,
    unreachable_bound,
)
from bot.adapters.flickr_transport import (
    API_KEY_ENV,
    DEFAULT_ENDPOINT,
    DEFAULT_USER_AGENT,
    FlickrTransport,
    api_key_from_env,
    resolve_api_key,
)
from bot.adapters.ratelimit import TokenBucket
from bot.core.claims import needs_raw_machine_tags
from bot.core.flickr_photo import FlickrOwner, FlickrPhoto, FlickrPhotoGone, GoneReason

__all__ = [
    "API_KEY_ENV",
    "DEFAULT_ENDPOINT",
    "DEFAULT_LISTING_CACHE_PHOTOS",
    "DEFAULT_LOOKUP_THRESHOLD",
    "DEFAULT_OWNER_MAX_AGE",
    "DEFAULT_TIMEOUT",
    "DEFAULT_USER_AGENT",
    "LISTING_EXTRAS",
    "MAX_PER_PAGE",
    "METHOD_GET_INFO",
    "METHOD_LOOKUP_USER",
    "METHOD_PEOPLE_GET_INFO",
    "METHOD_PEOPLE_GET_PHOTOS",
    "FetchError",
    "FetchResult",
    "FlickrApiError",
    "FlickrAuthError",
    "FlickrClient",
    "FlickrError",
    "FlickrFatalError",
    "FlickrKeyMissing",
    "FlickrResponseError",
    "FlickrTransport",
    "FlickrUnavailableError",
    "FlickrUnreachableError",
    "ListingCache",
    "MemoryOwnerCache",
    "OwnerCache",
    "RetryPolicy",
    "Strategy",
    "alias_from",
    "api_key_from_env",
    "choose_strategy",
    "gone_from_error",
    "listing_pages",
    "parse_listing_photo",
    "parse_owner",
    "parse_photo_info",
    "parse_retry_after",
    "unreachable_bound",
]

log = logging.getLogger(__name__)

METHOD_GET_INFO: Final = "flickr.photos.getInfo"
METHOD_PEOPLE_GET_INFO: Final = "flickr.people.getInfo"
METHOD_LOOKUP_USER: Final = "flickr.urls.lookupUser"
METHOD_PEOPLE_GET_PHOTOS: Final = "flickr.people.getPhotos"

_NSID_RE: Final = re.compile(r"^\d+@N\d{2}$")


# --------------------------------------------------------------------------- the client


class FlickrClient(FlickrTransport):
    """Synchronous Flickr REST client; thread-safe (httpx.Client, locked counters)."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str = DEFAULT_ENDPOINT,
        user_agent: str = DEFAULT_USER_AGENT,
        owner_cache: OwnerCache | None = None,
        rate_limiter: TokenBucket | None = None,
        retry: RetryPolicy | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        per_page: int = MAX_PER_PAGE,
        lookup_threshold: int = DEFAULT_LOOKUP_THRESHOLD,
        owner_max_age: timedelta | None = DEFAULT_OWNER_MAX_AGE,
        listing_cache: ListingCache | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """``owner_max_age``: a cached owner older than this is looked up again (None:
        never). ``listing_cache``: owner list pages kept for this client's lifetime (one
        run); a fresh one by default."""
        key = resolve_api_key(api_key)
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be 1..{MAX_PER_PAGE}")
        super().__init__(
            key,
            base_url=base_url,
            user_agent=user_agent,
            rate_limiter=rate_limiter,
            retry=retry,
            timeout=timeout,
            http_client=http_client,
            transport=transport,
            sleep=sleep,
        )
        self.owner_cache: OwnerCache = (
            owner_cache if owner_cache is not None else MemoryOwnerCache()
        )
        self.per_page = per_page
        self.lookup_threshold = lookup_threshold
        self.owner_max_age = owner_max_age
        self.listings = listing_cache if listing_cache is not None else ListingCache()

    # ----------------------------------------------------------------- methods

    def get_photo(self, photo_id: str) -> FlickrPhoto | FlickrPhotoGone:
        """flickr.photos.getInfo; codes 1/2/5 come back as ``FlickrPhotoGone``."""
        photo_id = str(photo_id).strip()
        try:
            body = self.call(METHOD_GET_INFO, {"photo_id": photo_id})
        except FlickrApiError as exc:
            gone = gone_from_error(photo_id, exc.code, exc.flickr_message)
            if gone is None:
                raise
            return gone
        photo = body.get("photo")
        if not isinstance(photo, Mapping):
            raise FlickrResponseError(f"photos.getInfo {photo_id}: no photo in the answer")
        return parse_photo_info(photo)

    def get_owner(self, nsid: str, *, refresh: bool = False) -> FlickrOwner | None:
        """flickr.people.getInfo through the owner cache.

        Returns None for an unknown NSID (code 1) and a ``FlickrOwner`` with
        ``is_deleted=True`` for a deleted account (code 5); both the live and the deleted
        owner are cached, for ``owner_max_age``.
        """
        if not refresh:
            cached = self._cached_owner(nsid)
            if cached is not None:
                return cached
        try:
            body = self.call(METHOD_PEOPLE_GET_INFO, {"user_id": nsid})
        except FlickrApiError as exc:
            if exc.code == 5:
                owner = FlickrOwner(nsid=nsid, is_deleted=True)
                self.owner_cache.put_owner(owner)
                return owner
            if exc.code == 1:
                return None
            raise
        person = body.get("person")
        if not isinstance(person, Mapping):
            raise FlickrResponseError(f"people.getInfo {nsid}: no person in the answer")
        owner = parse_owner(person, nsid)
        self.owner_cache.put_owner(owner)
        return owner

    def lookup_user(self, alias_or_url: str) -> str | None:
        """NSID of a path alias (or a flickr.com/photos/<alias>/ URL) via flickr.urls.lookupUser.

        An NSID is returned as is. Unknown aliases (code 1) give None; both answers are cached.
        """
        alias = alias_from(alias_or_url)
        if not alias:
            return None
        if _NSID_RE.match(alias):
            return alias
        known, cached = self.owner_cache.get_alias(alias)
        if known:
            return cached
        url = f"https://www.flickr.com/photos/{urllib.parse.quote(alias, safe='')}/"
        try:
            body = self.call(METHOD_LOOKUP_USER, {"url": url})
        except FlickrApiError as exc:
            if exc.code == 1:
                self.owner_cache.put_alias(alias, None)
                return None
            raise
        user = body.get("user")
        nsid = (
            (_text(user.get("id")) or _text(user.get("nsid")))
            if isinstance(user, Mapping)
            else None
        )
        if not nsid:
            raise FlickrResponseError(f"urls.lookupUser {alias}: no user id in the answer")
        self.owner_cache.put_alias(alias, nsid)
        return nsid

    def iter_owner_photos(
        self, nsid: str, per_page: int | None = None, *, min_upload_date: int | None = None
    ) -> Iterator[FlickrPhoto]:
        """The owner's public photos, newest first, one page (one call) at a time; with
        ``min_upload_date`` (unix seconds, inclusive) only those uploaded since.

        Lazy: stop iterating and no further pages are fetched. Entries that cannot be
        parsed are skipped with a warning (``fetch_photos`` then asks getInfo about them).
        Always asks Flickr (the run's ``ListingCache`` is ``fetch_photos``' business).
        """
        size = per_page or self.per_page
        page = 1
        while True:
            _pages, photos, more = self._listing_page(nsid, page, size, min_upload_date)
            yield from photos
            if not more:
                return
            page += 1

    def _listing_page(
        self, nsid: str, page: int, per_page: int, min_upload_date: int | None = None
    ) -> tuple[int | None, list[FlickrPhoto], bool]:
        """One page of people.getPhotos: (pages if Flickr says, photos, whether more follow)."""
        params = {
            "user_id": nsid,
            "extras": LISTING_EXTRAS,
            "per_page": str(per_page),
            "page": str(page),
        }
        if min_upload_date is not None:
            params["min_upload_date"] = str(min_upload_date)
        body = self.call(METHOD_PEOPLE_GET_PHOTOS, params)
        photos = body.get("photos")
        if not isinstance(photos, Mapping):
            raise FlickrResponseError(f"{METHOD_PEOPLE_GET_PHOTOS} {nsid}: no photos in the answer")
        entries = _as_list(photos.get("photo"))
        records = []
        for entry in entries:
            if not isinstance(entry, Mapping):
                continue
            try:
                records.append(parse_listing_photo(entry, nsid))
            except FlickrResponseError as exc:
                log.warning("skipping a photo of %s's list: %s", nsid, exc)
        pages = _int(photos.get("pages"))
        if not entries:
            more = False
        elif pages is not None:
            more = page < pages
        else:
            more = len(entries) >= per_page or _flag(photos.get("has_next_page"))
        return pages, records, more

    def fetch_photos(
        self, nsid: str | None, photo_ids: Collection[str], *, expected_later: int = 0
    ) -> dict[str, FetchResult]:
        """Read a group of photos believed to belong to ``nsid`` in as few calls as possible.

        Photos already seen in the owner's list this run come from the ``ListingCache``
        at no cost. For the rest, see ``choose_strategy``: getInfo per photo, or the pages
        of the owner's list not fetched yet. ``expected_later`` (optional) is how many more
        photos of this owner the caller will ask about later in the run (the rest of its
        worklist): pages fetched now serve them too, so a big owner is listed even when
        one batch alone would not pay for it. A listed BHL photo whose normalised
        ``bhl:page=`` tag cannot stand for its raw one (``needs_raw_machine_tags``) is
        read again with getInfo; if that fails, the listed record is kept (no P687).

        Photos not met in the owner's public list (deleted, private, hidden by safe
        search, or not the owner's at all) are asked about one by one with getInfo,
        which says which. A photo Flickr keeps failing on becomes a ``FetchError``; the
        others are still returned. ``FlickrAuthError`` propagates.
        """
        wanted = list(dict.fromkeys(str(p).strip() for p in photo_ids))
        results: dict[str, FetchResult] = {}
        if not wanted:
            return results
        owner = self._cached_owner(nsid) if nsid else None
        if nsid:
            for photo_id in wanted:
                seen = self.listings.photo(nsid, photo_id)
                if seen is not None:
                    results[photo_id] = seen
            missing = [p for p in wanted if p not in results]
            if missing and not self.listings.complete(nsid):
                later = max(0, expected_later)
                strategy = self._strategy_for(nsid, owner, len(missing) + later)
                if strategy is Strategy.LOOKUP_OWNER:
                    try:
                        owner = self.get_owner(nsid, refresh=True)
                    except FlickrFatalError:
                        raise
                    except FlickrError as exc:
                        log.warning(
                            "owner %s: people.getInfo failed (%s); using getInfo", nsid, exc
                        )
                        owner = None
                    strategy = self._strategy_for(nsid, owner, len(missing) + later, looked_up=True)
                log.debug(
                    "owner %s: %d photos wanted (%d later), strategy %s",
                    nsid,
                    len(missing),
                    later,
                    strategy,
                )
                if strategy is Strategy.OWNER_PAGES:
                    self._fill_from_listing(nsid, missing, results, later)
        owner_deleted = owner is not None and owner.is_deleted
        for photo_id in wanted:
            if photo_id not in results:
                results[photo_id] = self._get_photo_or_error(photo_id, owner_deleted)
            else:
                results[photo_id] = self._with_raw_tags_if_needed(results[photo_id])
        return {photo_id: results[photo_id] for photo_id in wanted}

    # ----------------------------------------------------------------- helpers

    def _cached_owner(self, nsid: str) -> FlickrOwner | None:
        """The owner cache's answer, if younger than ``owner_max_age``."""
        return self.owner_cache.get_owner(nsid, max_age=self.owner_max_age)

    def _strategy_for(
        self, nsid: str, owner: FlickrOwner | None, n_wanted: int, *, looked_up: bool = False
    ) -> Strategy:
        """``choose_strategy`` for what we know about the owner and its list now."""
        if owner is not None and owner.is_deleted:
            return Strategy.GET_INFO
        count = owner.photos_count if owner is not None else None
        pages = self.listings.pages(nsid)
        if count is None and pages is None and looked_up:
            return Strategy.GET_INFO
        return choose_strategy(
            n_wanted,
            count,
            per_page=self.per_page,
            lookup_threshold=self.lookup_threshold,
            pages=pages,
            pages_fetched=self.listings.pages_fetched(nsid),
        )

    def _fill_from_listing(
        self,
        nsid: str,
        wanted: list[str],
        results: dict[str, FetchResult],
        expected_later: int = 0,
    ) -> None:
        """Fetch the owner's pages not held yet, in order, until every wanted photo has
        been seen, or until the pages left cost at least as much as getInfo for the photos
        still missing plus those expected later (a stale cached count, or wanted photos
        that are gone and will never show up). Every page fetched is kept for the run."""
        remaining = set(wanted)
        pages = self.listings.pages(nsid)
        page = 0
        try:
            while remaining:
                page += 1
                if pages is not None and page > pages:
                    break
                if self.listings.has_page(nsid, page):
                    continue
                if pages is not None:
                    left = sum(
                        1 for p in range(page, pages + 1) if not self.listings.has_page(nsid, p)
                    )
                    if left >= len(remaining) + expected_later:
                        log.debug(
                            "owner %s: %d pages left for %d photos; getInfo is cheaper now",
                            nsid,
                            left,
                            len(remaining),
                        )
                        break
                said, photos, more = self._listing_page(nsid, page, self.per_page)
                self.listings.put_page(nsid, page, said, photos)
                for photo in photos:
                    if photo.id in remaining:
                        results[photo.id] = photo
                        remaining.discard(photo.id)
                if not more:
                    break
                pages = said if said is not None else pages
        except FlickrFatalError:
            raise
        except FlickrError as exc:
            log.warning(
                "owner %s: listing stopped (%s); %d photos left for getInfo",
                nsid,
                exc,
                len(remaining),
            )

    def _with_raw_tags_if_needed(self, listed: FetchResult) -> FetchResult:
        """The listed photo, or getInfo's answer when its tags must be read raw.

        Any getInfo failure (an error, or the photo gone since it was listed) keeps the
        listed record, whose doubtful page then simply gives no P687.
        """
        if not isinstance(listed, FlickrPhoto) or not needs_raw_machine_tags(listed):
            return listed
        try:
            fresh = self.get_photo(listed.id)
        except FlickrFatalError:
            raise
        except FlickrError as exc:
            log.warning("photo %s: getInfo for raw machine tags failed (%s)", listed.id, exc)
            return listed
        return fresh if isinstance(fresh, FlickrPhoto) else listed

    def _get_photo_or_error(self, photo_id: str, owner_deleted: bool) -> FetchResult:
        """getInfo for one photo, every failure but a bad key turned into a ``FetchError``."""
        try:
            result = self.get_photo(photo_id)
        except FlickrFatalError:
            raise
        except FlickrError as exc:
            log.warning("photo %s: %s", photo_id, exc)
            return FetchError(photo_id=photo_id, message=str(exc))
        if (
            owner_deleted
            and isinstance(result, FlickrPhotoGone)
            and result.reason is GoneReason.NOT_FOUND
        ):
            return FlickrPhotoGone(
                id=photo_id,
                reason=GoneReason.OWNER_DELETED,
                code=result.code,
                message=f"{result.message} (owner account deleted)".strip(),
            )
        return result
