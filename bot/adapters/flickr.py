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

The API key never appears in a log line, exception message or repr: it is only ever put
into the query string of the request itself, and the ``httpx`` request log is redacted.
"""

from __future__ import annotations

import email.utils
import logging
import math
import os
import random
import re
import threading
import time
import urllib.parse
from collections import Counter, OrderedDict
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Final, Protocol

import httpx
import orjson
from tenacity import RetryCallState, Retrying, retry_if_exception_type
from tenacity.wait import wait_base

from bot import __version__
from bot.adapters.ratelimit import TokenBucket
from bot.core import ids
from bot.core.errors import AuthRefused, ConfigError, NetworkUnreachable, RemoteError
from bot.core.flickr_photo import (
    FlickrLocation,
    FlickrOwner,
    FlickrPhoto,
    FlickrPhotoGone,
    GoneReason,
)

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

MAX_PER_PAGE: Final = 500
LISTING_EXTRAS: Final = (
    "license,date_upload,date_taken,owner_name,geo,machine_tags,path_alias,media,realname"
)
# Below this many wanted photos of an owner whose photo count we do not know, a
# people.getInfo call to learn the count costs more on average than it can save.
DEFAULT_LOOKUP_THRESHOLD: Final = 4
# Owners whose photos the data model needs raw machine tags of (``bot.core.claims.bhl_page_id``
# reads BHL's ``bhl:page=``). A photo list only carries normalised tags, so completing a
# listing would cost its pages *plus* one getInfo per photo: getInfo alone is cheaper.
RAW_TAG_OWNERS: Final = frozenset({ids.BHL_NSID})

_TRANSIENT_CODES: Final = frozenset({105, 201})
_AUTH_CODES: Final = frozenset({100})
_NSID_RE: Final = re.compile(r"^\d+@N\d{2}$")
_ALIAS_URL_RE: Final = re.compile(r"flickr\.com/(?:photos|people)/([^/?#]+)", re.IGNORECASE)
_API_KEY_IN_TEXT_RE: Final = re.compile(r"(api_key=)[^&\s'\"]+")


# --------------------------------------------------------------------------- errors


class FlickrError(RemoteError):
    """Base class of everything the client raises."""


class FlickrFatalError(FlickrError):
    """No Flickr call can succeed in this run (bad key, Flickr unreachable): stop it."""


class FlickrAuthError(AuthRefused, FlickrFatalError):
    """Flickr rejects the API key (code 100): the whole run must stop."""


class FlickrKeyMissing(ConfigError, FlickrAuthError):
    """No API key was given (``FLICKR_API_KEY`` unset or empty): nothing was sent."""


class FlickrApiError(FlickrError):
    """Flickr answered ``stat=fail`` with a code that is not a transient one."""

    def __init__(self, method: str, code: int | None, message: str) -> None:
        self.method = method
        self.code = code
        self.flickr_message = message
        super().__init__(
            f"{method}: {message}" if code is None else f"{method}: Flickr error {code}: {message}"
        )


class FlickrUnavailableError(FlickrError):
    """Flickr kept failing transiently (5xx/429/105/201/timeouts) until retries ran out."""


class FlickrUnreachableError(NetworkUnreachable, FlickrFatalError, FlickrUnavailableError):
    """Flickr's host could not be connected to within the bounded retries: stop the run."""


class FlickrResponseError(FlickrError):
    """A well-formed answer whose content does not have the fields we rely on."""


@dataclass(frozen=True, slots=True)
class FetchError:
    """A photo we could not read this run (Flickr unavailable); retry it in a later run."""

    photo_id: str
    message: str


FetchResult = FlickrPhoto | FlickrPhotoGone | FetchError
"""What ``fetch_photos`` gives for each photo id."""


class _Transient(Exception):
    """Internal: one attempt failed in a way worth retrying; ``unreachable``: no connection."""

    def __init__(
        self, reason: str, retry_after: float | None = None, *, unreachable: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.unreachable = unreachable


def api_key_from_env(environ: Mapping[str, str] | None = None) -> str:
    """``FLICKR_API_KEY``, checked before anything is sent or anyone logged in."""
    key = (os.environ if environ is None else environ).get(API_KEY_ENV, "").strip()
    if not key:
        raise FlickrKeyMissing(
            f"{API_KEY_ENV} is not set: a Flickr API key is needed to read photos "
            "(`backfill demo` runs offline without one)"
        )
    return key


# --------------------------------------------------------------------------- owner cache


DEFAULT_OWNER_MAX_AGE: Final = timedelta(days=30)
"""How long a people.getInfo answer is trusted (names, photo count, deleted or not)."""


class OwnerCache(Protocol):
    """Owners and path aliases remembered across runs (``bot.store.Store`` implements it).

    ``get_owner`` answers None for an owner fetched longer than ``max_age`` ago, so the
    client asks people.getInfo again: names change, accounts get deleted.
    """

    def get_owner(self, nsid: str, max_age: timedelta | None = None) -> FlickrOwner | None: ...

    def put_owner(self, owner: FlickrOwner) -> None: ...

    def get_alias(self, alias: str) -> tuple[bool, str | None]: ...

    def put_alias(self, alias: str, nsid: str | None) -> None: ...


class MemoryOwnerCache:
    """In-process ``OwnerCache`` (the default, and for tests); aliases are case-insensitive."""

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self.owners: dict[str, FlickrOwner] = {}
        self.fetched_at: dict[str, datetime] = {}
        self.aliases: dict[str, str | None] = {}

    def get_owner(self, nsid: str, max_age: timedelta | None = None) -> FlickrOwner | None:
        with self._lock:
            owner = self.owners.get(nsid)
            if (
                owner is not None
                and max_age is not None
                and self._clock() - self.fetched_at[nsid] > max_age
            ):
                return None
            return owner

    def put_owner(self, owner: FlickrOwner) -> None:
        with self._lock:
            self.owners[owner.nsid] = owner
            self.fetched_at[owner.nsid] = self._clock()

    def get_alias(self, alias: str) -> tuple[bool, str | None]:
        with self._lock:
            key = alias.lower()
            return (key in self.aliases, self.aliases.get(key))

    def put_alias(self, alias: str, nsid: str | None) -> None:
        with self._lock:
            self.aliases[alias.lower()] = nsid


# --------------------------------------------------------------------------- listing cache


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


# --------------------------------------------------------------------------- normalising


# Flickr wraps some values as {"_content": ...}; the helpers unwrap them. Scalars are
# checked before the (slow, ABC) Mapping check: photo lists arrive 500 entries a call and
# each entry goes through these helpers a dozen times.


def _text(value: object) -> str | None:
    """A string field, whatever its JSON type; empty means absent."""
    if isinstance(value, str):
        return value if value.strip() else None
    if value is None or isinstance(value, list):
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict | Mapping):
        return _text(value.get("_content"))
    return None


def _str_to_int(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            return None
        return int(number) if math.isfinite(number) else None


def _int(value: object) -> int | None:
    """An integer field sent as int, float or string; None when empty or not a number."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return _str_to_int(value)
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else None
    if isinstance(value, dict | Mapping):
        return _int(value.get("_content"))
    return None


def _float(value: object) -> float | None:
    """A float field sent as number or string."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
    elif isinstance(value, dict | Mapping):
        return _float(value.get("_content"))
    else:
        return None
    return number if math.isfinite(number) else None


def _flag(value: object) -> bool:
    """Flickr's booleans: ``1``/``"1"``/``true``."""
    return _int(value) == 1


def _posted(value: object, what: str) -> datetime:
    """A unix time stamp as an aware UTC datetime; it is the one field we cannot do without."""
    stamp = _int(value)
    if stamp is None:
        raise FlickrResponseError(f"{what}: no upload date")
    return datetime.fromtimestamp(stamp, tz=UTC)


def _location(lat: object, lon: object, accuracy: object, public: object) -> FlickrLocation | None:
    """Geo data only when it is real (not 0,0 / accuracy 0) and public."""
    latitude, longitude, acc = _float(lat), _float(lon), _int(accuracy)
    if latitude is None or longitude is None or acc is None or acc <= 0:
        return None
    if latitude == 0 and longitude == 0:
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    if public is not None and not _flag(public):
        return None
    return FlickrLocation(latitude=latitude, longitude=longitude, accuracy=acc)


def _as_list(value: object) -> list[Any]:
    """A JSON list that may arrive as a single object or be missing."""
    if isinstance(value, list):
        return value
    if isinstance(value, Mapping):
        return [value]
    return []


def parse_owner(person: Mapping[str, Any], nsid: str | None = None) -> FlickrOwner:
    """A ``flickr.people.getInfo`` ``person`` object as a ``FlickrOwner``."""
    owner_nsid = _text(person.get("nsid")) or _text(person.get("id")) or nsid
    if not owner_nsid:
        raise FlickrResponseError("people.getInfo: person without nsid")
    photos = person.get("photos")
    count = _int(photos.get("count")) if isinstance(photos, Mapping) else None
    return FlickrOwner(
        nsid=owner_nsid,
        username=_text(person.get("username")),
        realname=_text(person.get("realname")),
        path_alias=_text(person.get("path_alias")),
        photos_count=count,
        is_deleted=_flag(person.get("is_deleted")),
    )


def parse_photo_info(photo: Mapping[str, Any]) -> FlickrPhoto:
    """A ``flickr.photos.getInfo`` ``photo`` object as a ``FlickrPhoto``."""
    photo_id = _text(photo.get("id"))
    if not photo_id:
        raise FlickrResponseError("photos.getInfo: photo without id")
    owner_obj = photo.get("owner")
    owner_nsid = _text(owner_obj.get("nsid")) if isinstance(owner_obj, Mapping) else None
    if not isinstance(owner_obj, Mapping) or not owner_nsid:
        raise FlickrResponseError(f"photos.getInfo {photo_id}: no owner")
    owner = FlickrOwner(
        nsid=owner_nsid,
        username=_text(owner_obj.get("username")),
        realname=_text(owner_obj.get("realname")),
        path_alias=_text(owner_obj.get("path_alias")),
    )
    dates = photo.get("dates")
    dates = dates if isinstance(dates, Mapping) else {}
    posted = dates.get("posted", photo.get("dateuploaded"))
    location = photo.get("location")
    geoperms = photo.get("geoperms")
    geo = None
    if isinstance(location, Mapping):
        geo_public = geoperms.get("ispublic") if isinstance(geoperms, Mapping) else None
        geo = _location(
            location.get("latitude"),
            location.get("longitude"),
            location.get("accuracy"),
            geo_public,
        )
    tags = photo.get("tags")
    machine_tags = tuple(
        raw
        for tag in _as_list(tags.get("tag") if isinstance(tags, Mapping) else None)
        if isinstance(tag, Mapping) and _flag(tag.get("machine_tag"))
        for raw in [_text(tag.get("raw")) or _text(tag.get("_content"))]
        if raw
    )
    visibility = photo.get("visibility")
    is_public = (
        _flag(visibility.get("ispublic"))
        if isinstance(visibility, Mapping) and "ispublic" in visibility
        else True
    )
    return FlickrPhoto(
        id=photo_id,
        owner=owner,
        date_posted=_posted(posted, f"photos.getInfo {photo_id}"),
        date_taken=_text(dates.get("taken")),
        date_taken_granularity=_int(dates.get("takengranularity")) or 0,
        date_taken_unknown=_flag(dates.get("takenunknown")),
        license_id=_text(photo.get("license")),
        media=_text(photo.get("media")) or "photo",
        location=geo,
        machine_tags=machine_tags,
        title=_text(photo.get("title")),
        is_public=is_public,
    )


def parse_listing_photo(entry: Mapping[str, Any], nsid: str | None = None) -> FlickrPhoto:
    """One photo of a photo list (people.getPhotos) requested with ``LISTING_EXTRAS``;
    ``machine_tags`` are then Flickr's normalised ones."""
    photo_id = _text(entry.get("id"))
    owner_nsid = _text(entry.get("owner")) or nsid
    if not photo_id or not owner_nsid:
        raise FlickrResponseError("photo list entry without id or owner")
    owner = FlickrOwner(
        nsid=owner_nsid,
        username=_text(entry.get("ownername")),
        realname=_text(entry.get("realname")),
        path_alias=_text(entry.get("pathalias")),
    )
    machine_tags = _text(entry.get("machine_tags"))
    return FlickrPhoto(
        id=photo_id,
        owner=owner,
        date_posted=_posted(entry.get("dateupload"), f"photo list entry {photo_id}"),
        date_taken=_text(entry.get("datetaken")),
        date_taken_granularity=_int(entry.get("datetakengranularity")) or 0,
        date_taken_unknown=_flag(entry.get("datetakenunknown")),
        license_id=_text(entry.get("license")),
        media=_text(entry.get("media")) or "photo",
        location=_location(
            entry.get("latitude"),
            entry.get("longitude"),
            entry.get("accuracy"),
            entry.get("geo_is_public"),
        ),
        machine_tags=tuple(machine_tags.split()) if machine_tags else (),
        title=_text(entry.get("title")),
        is_public=_flag(entry.get("ispublic")) if "ispublic" in entry else True,
        machine_tags_normalised=True,
    )


def gone_from_error(photo_id: str, code: int | None, message: str) -> FlickrPhotoGone | None:
    """The ``FlickrPhotoGone`` a getInfo error code stands for, or None if it is no answer."""
    reason = {1: GoneReason.NOT_FOUND, 2: GoneReason.PRIVATE, 5: GoneReason.OWNER_DELETED}.get(
        code if code is not None else -1
    )
    if reason is None or code is None:
        return None
    return FlickrPhotoGone(id=photo_id, reason=reason, code=code, message=message)


def alias_from(alias_or_url: str) -> str:
    """``britishlibrary`` from ``https://www.flickr.com/photos/britishlibrary/123/`` or itself."""
    text = alias_or_url.strip()
    match = _ALIAS_URL_RE.search(text)
    if match:
        return urllib.parse.unquote(match.group(1))
    return text.strip("/")


# --------------------------------------------------------------------------- retries


DEFAULT_TIMEOUT: Final = httpx.Timeout(30.0, connect=5.0)
"""Seconds per request; a host that takes 5 s to accept a connection is not there."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to insist on transient failures; tests use zero waits.

    A host that refuses or never accepts the connection gets ``connect_attempts`` tries
    only: Flickr answering 5xx is worth minutes of patience, an unreachable Flickr (no
    network, a wrong ``--flickr-api``) is not, and it stops the run within
    :func:`unreachable_bound` seconds.
    """

    attempts: int = 5
    initial_wait: float = 2.0
    max_wait: float = 120.0
    jitter: float = 2.0
    max_retry_after: float = 600.0  # never sleep longer than this on a Retry-After
    connect_attempts: int = 3


def unreachable_bound(policy: RetryPolicy, connect_timeout: float) -> float:
    """The longest one call can take before it reports Flickr unreachable (seconds)."""
    tries = max(1, min(policy.attempts, policy.connect_attempts))
    waits = sum(
        min(policy.max_wait, policy.initial_wait * 2.0**n + policy.jitter) for n in range(tries - 1)
    )
    return tries * connect_timeout + waits


def _connect_timeout(timeout: float | httpx.Timeout) -> float:
    if isinstance(timeout, httpx.Timeout):
        return timeout.connect if timeout.connect is not None else math.inf
    return float(timeout)


class _WaitRetryAfterOrBackoff(wait_base):
    """Sleep what ``Retry-After`` asks for, else exponential backoff with full jitter added."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        policy = self._policy
        if isinstance(exc, _Transient) and exc.retry_after is not None:
            return max(0.0, min(exc.retry_after, policy.max_retry_after))
        exponent = min(retry_state.attempt_number - 1, 62)
        backoff = policy.initial_wait * 2.0**exponent
        return max(0.0, min(policy.max_wait, backoff + random.uniform(0, policy.jitter)))


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _connect_reason(exc: httpx.TransportError) -> str:
    """A few words for a failed connection (httpx's text can name a whole errno chain)."""
    if isinstance(exc, httpx.ConnectTimeout):
        return "connection timed out"
    text = str(exc)
    if "Connection refused" in text:
        return "connection refused"
    if "Name or service not known" in text or "name resolution" in text.lower():
        return "the host name does not resolve"
    return f"no connection ({type(exc).__name__})"


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
