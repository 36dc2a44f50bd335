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
``flickr_listing`` (owner lists and the cost decision) and ``flickr_retry`` (retry policy).

The API key never appears in a log line, exception message or repr: it is only ever put
into the query string of the request itself, and the ``httpx`` request log is redacted.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import timedelta
from typing import Any, Final

import httpx
import orjson
from tenacity import RetryCallState, Retrying, retry_if_exception_type

from bot import __version__
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
    RAW_TAG_OWNERS,
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
    _connect_reason,
    _connect_timeout,
    _Transient,
    _WaitRetryAfterOrBackoff,
    parse_retry_after,
    unreachable_bound,
)
from bot.adapters.ratelimit import TokenBucket
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
    "RAW_TAG_OWNERS",
    "FetchError",
    "FetchResult",
    "FlickrApiError",
    "FlickrAuthError",
    "FlickrClient",
    "FlickrError",
    "FlickrFatalError",
    "FlickrKeyMissing",
    "FlickrResponseError",
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

DEFAULT_ENDPOINT: Final = "https://api.flickr.com/services/rest/"
DEFAULT_USER_AGENT: Final = (
    f"flickr-sdc-backfill/{__version__} "
    "(https://commons.wikimedia.org/wiki/Commons:Flickr_SDC_backfill_bot; "
    f"python-httpx/{httpx.__version__})"
)
API_KEY_ENV: Final = "FLICKR_API_KEY"

METHOD_GET_INFO: Final = "flickr.photos.getInfo"
METHOD_PEOPLE_GET_INFO: Final = "flickr.people.getInfo"
METHOD_LOOKUP_USER: Final = "flickr.urls.lookupUser"
METHOD_PEOPLE_GET_PHOTOS: Final = "flickr.people.getPhotos"

_TRANSIENT_CODES: Final = frozenset({105, 201})
_AUTH_CODES: Final = frozenset({100})
_NSID_RE: Final = re.compile(r"^\d+@N\d{2}$")
_API_KEY_IN_TEXT_RE: Final = re.compile(r"(api_key=)[^&\s'\"]+")


def api_key_from_env(environ: Mapping[str, str] | None = None) -> str:
    """``FLICKR_API_KEY``, checked before anything is sent or anyone logged in."""
    key = (os.environ if environ is None else environ).get(API_KEY_ENV, "").strip()
    if not key:
        raise FlickrKeyMissing(
            f"{API_KEY_ENV} is not set: a Flickr API key is needed to read photos "
            "(`backfill demo` runs offline without one)"
        )
    return key


class _RedactApiKey(logging.Filter):
    """Blanks ``api_key=...`` in records of loggers that print request URLs (httpx)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "api_key=" in message:
            record.msg = _API_KEY_IN_TEXT_RE.sub(r"\1***", message)
            record.args = None
        return True


_REDACT_FILTER = _RedactApiKey()


def _install_log_redaction() -> None:
    """httpx logs every request URL at INFO; make sure the key is never in it."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if _REDACT_FILTER not in logger.filters:
            logger.addFilter(_REDACT_FILTER)


# --------------------------------------------------------------------------- the client


class FlickrClient:
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
        key = api_key if api_key is not None else os.environ.get(API_KEY_ENV, "")
        if not key.strip():
            raise FlickrKeyMissing(f"no Flickr API key: set {API_KEY_ENV}")
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be 1..{MAX_PER_PAGE}")
        self.__api_key = key.strip()
        self.base_url = base_url
        self.user_agent = user_agent
        self.owner_cache: OwnerCache = (
            owner_cache if owner_cache is not None else MemoryOwnerCache()
        )
        self.rate_limiter = rate_limiter if rate_limiter is not None else TokenBucket()
        self.retry = retry if retry is not None else RetryPolicy()
        self.per_page = per_page
        self.lookup_threshold = lookup_threshold
        self.owner_max_age = owner_max_age
        self.listings = listing_cache if listing_cache is not None else ListingCache()
        self._sleep = sleep
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(
            transport=transport, timeout=timeout, headers={"User-Agent": user_agent}
        )
        self._timeout = timeout
        self._lock = threading.Lock()
        self._calls = 0
        self._calls_by_method: Counter[str] = Counter()
        self._retries = 0
        _install_log_redaction()

    def __repr__(self) -> str:
        return f"FlickrClient(base_url={self.base_url!r}, calls={self.calls})"

    def __enter__(self) -> FlickrClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connection pool if we opened it."""
        if self._owns_http:
            self._http.close()

    # ----------------------------------------------------------------- counters

    @property
    def calls(self) -> int:
        """Requests sent so far (every attempt, retries included)."""
        with self._lock:
            return self._calls

    @property
    def calls_by_method(self) -> Counter[str]:
        """Requests sent so far per Flickr method (a copy)."""
        with self._lock:
            return Counter(self._calls_by_method)

    @property
    def retries(self) -> int:
        """Attempts that failed transiently and were retried."""
        with self._lock:
            return self._retries

    # ----------------------------------------------------------------- transport

    def _redact(self, text: str) -> str:
        """Belt and braces: no text we log or raise may carry the key."""
        return _API_KEY_IN_TEXT_RE.sub(r"\1***", text).replace(self.__api_key, "***")

    def _attempt(self, method: str, params: Mapping[str, str]) -> dict[str, Any]:
        """One request: rate-limited, counted, classified."""
        self.rate_limiter.acquire()
        with self._lock:
            self._calls += 1
            self._calls_by_method[method] += 1
        query = {
            "method": method,
            **params,
            "format": "json",
            "nojsoncallback": "1",
            "api_key": self.__api_key,
        }
        try:
            response = self._http.get(
                self.base_url,
                params=query,
                headers={"User-Agent": self.user_agent},
                timeout=self._timeout,
            )
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise _Transient(_connect_reason(exc), unreachable=True) from None
        except httpx.TimeoutException as exc:
            raise _Transient(f"timeout ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise _Transient(
                f"connection error ({type(exc).__name__}: {self._redact(str(exc))})"
            ) from None
        status = response.status_code
        if status == 429 or status >= 500:
            raise _Transient(
                f"HTTP {status}", parse_retry_after(response.headers.get("Retry-After"))
            )
        if status != 200:
            raise FlickrApiError(method, None, f"HTTP {status}")
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise _Transient("invalid JSON body") from None
        if not isinstance(body, dict) or body.get("stat") not in ("ok", "fail"):
            raise _Transient("response without stat")
        if body["stat"] == "fail":
            code = _int(body.get("code"))
            message = self._redact(_text(body.get("message")) or "")
            if code in _AUTH_CODES:
                raise FlickrAuthError(
                    f"Flickr refused the API key ({message}); check {API_KEY_ENV}"
                )
            if code in _TRANSIENT_CODES:
                raise _Transient(f"Flickr error {code}: {message}")
            raise FlickrApiError(method, code, message)
        return body

    def _log_retry(self, state: RetryCallState) -> None:
        with self._lock:
            self._retries += 1
        outcome = state.outcome
        exc = outcome.exception() if outcome is not None else None
        wait = state.next_action.sleep if state.next_action else 0.0
        # No connection at all ends in one FlickrUnreachableError line: its tries are INFO.
        unreachable = isinstance(exc, _Transient) and exc.unreachable
        log.log(
            logging.INFO if unreachable else logging.WARNING,
            "Flickr %s attempt %d failed (%s); retrying in %.1fs",
            state.args[0] if state.args else "?",
            state.attempt_number,
            exc,
            wait,
        )

    def call(self, method: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Call a Flickr method; retries transient failures, returns the ``stat=ok`` body.

        Raises ``FlickrApiError`` (a non-transient ``stat=fail``), ``FlickrAuthError``
        (bad key), ``FlickrUnavailableError`` (retries exhausted).
        """
        retrying = Retrying(
            stop=self._stop,
            wait=_WaitRetryAfterOrBackoff(self.retry),
            retry=retry_if_exception_type(_Transient),
            sleep=self._sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        try:
            return retrying(self._attempt, method, dict(params or {}))
        except _Transient as exc:
            if exc.unreachable:
                host = urllib.parse.urlsplit(self.base_url).netloc
                tries = min(self.retry.attempts, self.retry.connect_attempts)
                raise FlickrUnreachableError(
                    f"cannot reach Flickr at {host}: {exc.reason} "
                    f"({tries} {'try' if tries == 1 else 'tries'})"
                ) from None
            raise FlickrUnavailableError(
                f"{method}: gave up after {self.retry.attempts} attempts ({exc.reason})"
            ) from None

    def _stop(self, state: RetryCallState) -> bool:
        """Stop after ``attempts``, or after ``connect_attempts`` when no connection is made."""
        if state.attempt_number >= max(1, self.retry.attempts):
            return True
        outcome = state.outcome
        exc = outcome.exception() if outcome is not None else None
        unreachable = isinstance(exc, _Transient) and exc.unreachable
        return unreachable and state.attempt_number >= max(1, self.retry.connect_attempts)

    @property
    def unreachable_after(self) -> float:
        """Seconds within which an unreachable Flickr is reported (see ``unreachable_bound``)."""
        return unreachable_bound(self.retry, _connect_timeout(self._timeout))

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

    def iter_owner_photos(self, nsid: str, per_page: int | None = None) -> Iterator[FlickrPhoto]:
        """The owner's public photos, newest first, one page (one call) at a time.

        Lazy: stop iterating and no further pages are fetched. Entries that cannot be
        parsed are skipped with a warning (``fetch_photos`` then asks getInfo about them).
        Always asks Flickr (the run's ``ListingCache`` is ``fetch_photos``' business).
        """
        size = per_page or self.per_page
        page = 1
        while True:
            _pages, photos, more = self._listing_page(nsid, page, size)
            yield from photos
            if not more:
                return
            page += 1

    def _listing_page(
        self, nsid: str, page: int, per_page: int
    ) -> tuple[int | None, list[FlickrPhoto], bool]:
        """One page of people.getPhotos: (pages if Flickr says, photos, whether more follow)."""
        body = self.call(
            METHOD_PEOPLE_GET_PHOTOS,
            {
                "user_id": nsid,
                "extras": LISTING_EXTRAS,
                "per_page": str(per_page),
                "page": str(page),
            },
        )
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
        one batch alone would not pay for it. Photos of ``RAW_TAG_OWNERS`` (BHL) are
        always read with getInfo, for their raw machine tags.

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
        if nsid and nsid not in RAW_TAG_OWNERS:
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
        return {photo_id: results[photo_id] for photo_id in wanted}

    # ----------------------------------------------------------------- helpers

    def _cached_owner(self, nsid: str) -> FlickrOwner | None:
        """The owner cache's answer, if younger than ``owner_max_age``."""
        return self.owner_cache.get_owner(nsid, max_age=self.owner_max_age)

    def _strategy_for(
        self, nsid: str, owner: FlickrOwner | None, n_wanted: int, *, looked_up: bool = False
    ) -> Strategy:
        """``choose_strategy`` for what we know about the owner and its list now."""
        if nsid in RAW_TAG_OWNERS or (owner is not None and owner.is_deleted):
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
