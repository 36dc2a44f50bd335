"""Turn any Flickr URL found on Commons into a typed result.

Commons records where a file came from in twenty years of Flickr URL forms: modern
photo pages with ``/in/...`` suffixes, ``farmN.static.flickr.com`` image links,
``photo.gne?id=`` and ``flic.kr/p/`` short links, profile, album, group and tag pages,
plus plenty of text that only looks like a URL. :func:`parse_flickr_url` accepts any
``str`` and returns a :class:`ParsedFlickrUrl` or raises one of exactly two errors:
:class:`NotAFlickrUrl` (the host is not Flickr, or the text is not a URL at all) and
:class:`UnrecognisedFlickrUrl` (a Flickr URL this module cannot classify). Nothing
else escapes, whatever the input.

Two paths give identical results (the tests check it on large varied inputs):

* a fast path: two precompiled regexes for the forms that make up most of the
  snapshot (``[www.]flickr.com/photos/<user>/<id>...``, ``/photos/<user>/``,
  ``/people/<user>/`` and static image URLs), and a substring check that rejects
  text with no Flickr host in it without parsing;
* the general path: :func:`hyperlink.parse` splits the URL, and the classifier below
  reads the host, the path segments, the query (``.gne`` pages) and the fragment
  (the old mobile site's ``m.flickr.com/#/photos/...`` routes).

Decisions worth knowing:

* Only what identifies the object is kept. A photo page's context (``/in/album-...``,
  ``/sizes/o/``, ``/lightbox/``, query, fragment, and any future suffix after the
  photo id) does not change which photo it is, so all those forms give equal results.
  ``photo_id`` is set only for ``single_photo``: an album page ``.../sets/<id>/with/<photo>``
  is an album, and ``/photos/<user>/with/<photo>`` is the user's photostream.
* Ids (photo, album, gallery) are decimal strings without leading zeros, of at most 19
  digits (Flickr ids are 64-bit; today's photo ids have 11 digits). An all-zero or
  longer id is unrecognised.
* ``flic.kr/ps/<base58>`` (a photostream short link) is unrecognised: the code does not
  say whose photostream it is without an API call, and a ``user`` result without a
  user would force every consumer to handle a case that carries no information.
  ``flic.kr/s/<base58>`` is an ``album`` with ``user=None``.
* Users and groups are NSIDs (``12345678@N04``) or path aliases (ASCII letters, digits,
  ``_`` and ``-``); anything else in that position is unrecognised. Percent-encoded
  segments (``12345678%40N04``) are decoded first.
* Hosts must be ASCII: ``ｆｌｉｃｋｒ.com`` (full-width) is not Flickr. Any port and any
  userinfo are ignored (``https://flickr.com@evil.example/`` has host ``evil.example``).
* Path keywords (``photos``, ``in``, ``albums``, ``page3`` ...) are matched without case;
  users, tags and base58 codes keep their case.
"""

from __future__ import annotations

import re
from typing import Final, Literal, NamedTuple
from urllib.parse import unquote

import hyperlink

from bot.errors import InputInvalid

__all__ = [
    "FlickrUrlError",
    "NotAFlickrUrl",
    "ParsedFlickrUrl",
    "UnrecognisedFlickrUrl",
    "UrlType",
    "base58_decode",
    "base58_encode",
    "is_nsid",
    "parse_flickr_url",
    "same_flickr_photo_url",
]

UrlType = Literal["single_photo", "user", "album", "gallery", "group", "tag", "homepage"]

_MESSAGE_URL_CHARS: Final = 120


class FlickrUrlError(InputInvalid, ValueError):
    """A string that does not parse to a Flickr URL; ``url`` is the input as given."""

    def __init__(self, url: str, reason: str) -> None:
        shown = url if len(url) <= _MESSAGE_URL_CHARS else url[:_MESSAGE_URL_CHARS] + "..."
        super().__init__(f"{reason}: {shown!r}")
        self.url = url
        self.reason = reason

    def __reduce__(self) -> tuple[type[FlickrUrlError], tuple[str, str]]:
        """Rebuild from (url, reason) so the errors survive pickling (multiprocessing)."""
        return (type(self), (self.url, self.reason))


class NotAFlickrUrl(FlickrUrlError):
    """The text is not a URL on a Flickr host (including look-alike hosts)."""


class UnrecognisedFlickrUrl(FlickrUrlError):
    """A URL on a Flickr host whose path this module cannot classify."""


class ParsedFlickrUrl(NamedTuple):
    """What a Flickr URL points at; fields that do not apply are None.

    A named tuple rather than a frozen dataclass: the extractor builds one for every
    Flickr URL in the snapshot, and a tuple is built ~7× faster.
    """

    type: UrlType
    photo_id: str | None = None  # decimal, no leading zeros; set only for single_photo
    user: str | None = None  # as written (decoded): NSID "12345678@N04" or a path alias
    user_is_nsid: bool | None = None  # None exactly when user is None
    album_id: str | None = None  # decimal, like photo_id
    gallery_id: str | None = None  # decimal, like photo_id
    group: str | None = None  # NSID or path alias of the group
    tag: str | None = None  # decoded, case kept
    page: int | None = None  # N of a pageN listing (>= 1)

    def to_json(self) -> dict[str, object]:
        """All fields, None included, so every record has the same keys (CLI, store)."""
        return {
            "type": self.type,
            "photo_id": self.photo_id,
            "user": self.user,
            "user_is_nsid": self.user_is_nsid,
            "album_id": self.album_id,
            "gallery_id": self.gallery_id,
            "group": self.group,
            "tag": self.tag,
            "page": self.page,
        }


# --- identifiers -------------------------------------------------------------------

_BASE58_ALPHABET: Final = "123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
_BASE58_INDEX: Final = {c: i for i, c in enumerate(_BASE58_ALPHABET)}
_MAX_ID: Final = 10**19 - 1  # ids have at most 19 decimal digits
_MAX_BASE58_DIGITS: Final = 11  # 58**11 > 10**19 > 58**10

_NSID_RE: Final = re.compile(r"[0-9]+@N[0-9]{2}", re.ASCII)
_ALIAS_PATTERN: Final = r"[A-Za-z0-9_\-]+"
_NAME_PATTERN: Final = rf"(?:{_ALIAS_PATTERN}|[0-9]+@N[0-9]{{2}})"  # alias or NSID
_NAME_RE: Final = re.compile(_NAME_PATTERN, re.ASCII)
_ID_PATTERN: Final = r"0*([1-9][0-9]{0,18})"  # group 1: the id without leading zeros
_ID_RE: Final = re.compile(_ID_PATTERN, re.ASCII)
_PAGE_RE: Final = re.compile(r"page0*([1-9][0-9]{0,8})", re.ASCII)
_DIGITS_RE: Final = re.compile(r"[0-9]+", re.ASCII)


def is_nsid(user: str) -> bool:
    """True for a Flickr NSID such as ``12345678@N04`` (as opposed to a path alias)."""
    return _NSID_RE.fullmatch(user) is not None


def base58_decode(s: str) -> int:
    """Decode Flickr's base58 (as in ``flic.kr/p/<code>``); ValueError on bad input.

    The result is unbounded: callers that take untrusted input should cap ``len(s)``.
    """
    if not s:
        raise ValueError("empty base58 string")
    n = 0
    index = _BASE58_INDEX
    for ch in s:
        digit = index.get(ch)
        if digit is None:
            raise ValueError(f"not a Flickr base58 digit: {ch!r}")
        n = n * 58 + digit
    return n


def base58_encode(n: int) -> str:
    """Encode a non-negative integer in Flickr's base58 (0 is ``"1"``)."""
    if n < 0:
        raise ValueError("base58_encode needs a non-negative integer")
    digits: list[str] = []
    while True:
        n, rem = divmod(n, 58)
        digits.append(_BASE58_ALPHABET[rem])
        if n == 0:
            break
    return "".join(reversed(digits))


def _normalise_id(raw: str) -> str | None:
    """The decimal id without leading zeros, or None (not digits, all zeros, too long)."""
    m = _ID_RE.fullmatch(raw)
    return m[1] if m is not None else None


def _base58_id(code: str) -> str | None:
    """A base58 short code as a decimal id, or None when it is not a usable id."""
    significant = code.lstrip("1")  # "1" is the zero digit
    if not significant or len(significant) > _MAX_BASE58_DIGITS:
        return None
    try:
        n = base58_decode(significant)
    except ValueError:
        return None
    return str(n) if n <= _MAX_ID else None


def _decode(segment: str) -> str | None:
    """Percent-decode a path segment as UTF-8; None when the escapes are not UTF-8."""
    if "%" not in segment:
        return segment
    try:
        return unquote(segment, errors="strict")
    except UnicodeDecodeError:
        return None


def _name(segment: str) -> str | None:
    """A user or group from a path segment: NSID or path alias, else None."""
    name = _decode(segment)
    if name is None or _NAME_RE.fullmatch(name) is None:
        return None
    return name


def _tag(segment: str) -> str | None:
    """A tag from a path segment, as written; None if empty or unprintable."""
    tag = _decode(segment)
    if not tag or not tag.isprintable() or not tag.strip():
        return None
    return tag


def _page(segment: str) -> int | None:
    """N for a ``pageN`` segment (N >= 1), else None."""
    m = _PAGE_RE.fullmatch(segment.lower())
    return int(m[1]) if m is not None else None


def _tail_page(tail: list[str]) -> int | None:
    """The page of a listing from what follows its object (``page2``, ``pool/page2``)."""
    if 1 <= len(tail) <= 2:
        return _page(tail[-1])
    return None


# --- hosts ---------------------------------------------------------------------------

_PAGE_HOSTS: Final = frozenset(
    {"flickr.com", "www.flickr.com", "secure.flickr.com", "m.flickr.com"}
)
_SHORT_HOSTS: Final = frozenset({"flic.kr", "www.flic.kr"})
_PHOTOS_N_HOST_RE: Final = re.compile(r"photos[0-9]+\.flickr\.com", re.ASCII)


def _is_static_host(host: str) -> bool:
    """Image hosts: static.flickr.com, farmN.static.flickr.com, *.staticflickr.com, photosN."""
    return (
        host.endswith(".staticflickr.com")
        or host == "staticflickr.com"
        or host.endswith(".static.flickr.com")
        or host == "static.flickr.com"
        or _PHOTOS_N_HOST_RE.fullmatch(host) is not None
    )


def _is_other_flickr_host(host: str) -> bool:
    """Any other host Flickr owns (help.flickr.com, blog.flickr.net, ...)."""
    return host.endswith((".flickr.com", ".flickr.net", ".flic.kr")) or host == "flickr.net"


# --- the general path (hyperlink) ------------------------------------------------

_SCHEME_RE: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):", re.ASCII)
_GNE_PAGES: Final = frozenset({"photo.gne", "photo_edit.gne", "photo_zoom.gne"})
_USER_SUBPAGES: Final = frozenset(
    {
        "favorites",
        "archives",
        "map",
        "collections",
        "groups",
        "contacts",
        "popular",
        "popular-interesting",
        "popular-views",
        "popular-faves",
        "popular-comments",
        "show",
        "with",
    }
)
_STATIC_FILE_PATTERN: Final = (
    _ID_PATTERN + r"_[A-Za-z0-9]+(?:_[A-Za-z0-9]+){0,2}\.(?i:jpe?g|png|gif|webp|mp4|mov)"
)
_STATIC_FILE_RE: Final = re.compile(_STATIC_FILE_PATTERN, re.ASCII)
_HOMEPAGE: Final = ParsedFlickrUrl("homepage")


def _with_scheme(s: str) -> str | None:
    """``s`` with an explicit http(s) scheme, or None for other schemes (mailto:, ftp:)."""
    m = _SCHEME_RE.match(s)
    if m is not None:
        scheme = m[1].lower()
        if scheme in ("http", "https"):
            # "http:/www.flickr.com" and "https:///..." are common typos of "//".
            return scheme + "://" + s[m.end() :].lstrip("/")
        if "." not in scheme:
            return None
        # "flickr.com:443/..." is a host and port, not a scheme.
    if s.startswith("//"):
        return "https:" + s
    return "https://" + s


def _parse_slow(text: str) -> ParsedFlickrUrl:
    """Parse with hyperlink only, no shortcuts: the reference the fast path must match."""
    s = text.strip()
    if not s:
        raise NotAFlickrUrl(text, "empty input")
    full = _with_scheme(s)
    if full is None:
        raise NotAFlickrUrl(text, "not an http(s) URL")
    try:
        url = hyperlink.parse(full, decoded=False)
    except ValueError:  # URLParseError (bad port, bad IPv6) and NUL bytes in the host
        raise NotAFlickrUrl(text, "not a well-formed URL") from None
    host = url.host
    if not host.isascii():
        raise NotAFlickrUrl(text, "host is not Flickr")
    host = host.lower()
    if host.endswith("."):
        host = host[:-1]
    segments = [seg for seg in url.path if seg]
    if host in _PAGE_HOSTS:
        return _classify_page(text, segments, url.query, url.fragment)
    if _is_static_host(host):
        return _classify_static(text, segments)
    if host in _SHORT_HOSTS:
        return _classify_short(text, segments)
    if _is_other_flickr_host(host):
        raise UnrecognisedFlickrUrl(text, f"no photo, user or group on Flickr host {host}")
    raise NotAFlickrUrl(text, "host is not Flickr")


def _classify_page(
    text: str,
    segments: list[str],
    query: tuple[tuple[str, str | None], ...],
    fragment: str,
) -> ParsedFlickrUrl:
    """Pages on www.flickr.com and its aliases."""
    if not segments:
        if not fragment.startswith("/"):
            return _HOMEPAGE
        # The old mobile site routed in the fragment: m.flickr.com/#/photos/<user>/<id>/.
        route = fragment.split("?", 1)[0].split("#", 1)[0]
        segments = [seg for seg in route.split("/") if seg]
        if not segments:
            return _HOMEPAGE
        query = ()  # a .gne page needs its own query, which a route does not have
    head = segments[0].lower()
    if head == "photos":
        return _classify_photos(text, segments)
    if head == "people":
        user = _name(segments[1]) if len(segments) >= 2 else None
        if user is None:
            raise UnrecognisedFlickrUrl(text, "/people/ without a valid user")
        return ParsedFlickrUrl(
            "user", user=user, user_is_nsid=is_nsid(user), page=_tail_page(segments[2:])
        )
    if head == "groups":
        group = _name(segments[1]) if len(segments) >= 2 else None
        if group is None:
            raise UnrecognisedFlickrUrl(text, "/groups/ without a valid group")
        return ParsedFlickrUrl("group", group=group, page=_tail_page(segments[2:]))
    if head in _GNE_PAGES and len(segments) == 1:
        return _classify_gne(text, query)
    raise UnrecognisedFlickrUrl(text, "not a photo, user, album, gallery, group or tag page")


def _classify_photos(text: str, segments: list[str]) -> ParsedFlickrUrl:
    """Everything under /photos/: photo pages, photostreams, albums, galleries, tags."""
    n = len(segments)
    if n < 2:
        raise UnrecognisedFlickrUrl(text, "/photos/ without a user")
    if segments[1].lower() == "tags":
        tag = _tag(segments[2]) if n >= 3 else None
        if tag is None:
            raise UnrecognisedFlickrUrl(text, "/photos/tags/ without a tag")
        return ParsedFlickrUrl("tag", tag=tag, page=_tail_page(segments[3:]))
    user = _name(segments[1])
    if user is None:
        raise UnrecognisedFlickrUrl(text, "not a valid Flickr user")
    nsid = is_nsid(user)
    if n == 2:
        return ParsedFlickrUrl("user", user=user, user_is_nsid=nsid)
    third = segments[2]
    photo_id = _normalise_id(third)
    if photo_id is not None:
        return ParsedFlickrUrl("single_photo", photo_id=photo_id, user=user, user_is_nsid=nsid)
    if _DIGITS_RE.fullmatch(third):
        raise UnrecognisedFlickrUrl(text, "photo id is zero or longer than 19 digits")
    word = third.lower()
    page = _page(word)
    if page is not None and n == 3:
        return ParsedFlickrUrl("user", user=user, user_is_nsid=nsid, page=page)
    if word in ("albums", "sets", "galleries"):
        if n == 3:
            return ParsedFlickrUrl("user", user=user, user_is_nsid=nsid)
        fourth = segments[3]
        object_id = _normalise_id(fourth)
        if object_id is not None:
            page = _tail_page(segments[4:])
            if word == "galleries":
                return ParsedFlickrUrl(
                    "gallery", user=user, user_is_nsid=nsid, gallery_id=object_id, page=page
                )
            return ParsedFlickrUrl(
                "album", user=user, user_is_nsid=nsid, album_id=object_id, page=page
            )
        page = _page(fourth)
        if page is not None and n == 4:
            return ParsedFlickrUrl("user", user=user, user_is_nsid=nsid, page=page)
        if fourth.lower() == "with":  # /albums/with/<photo id>: the album list
            return ParsedFlickrUrl("user", user=user, user_is_nsid=nsid)
        raise UnrecognisedFlickrUrl(text, f"no valid id after /{word}/")
    if word == "tags":
        if n == 3:
            return ParsedFlickrUrl("user", user=user, user_is_nsid=nsid)
        tag = _tag(segments[3])
        if tag is None:
            raise UnrecognisedFlickrUrl(text, "not a valid tag")
        return ParsedFlickrUrl(
            "tag", user=user, user_is_nsid=nsid, tag=tag, page=_tail_page(segments[4:])
        )
    if word in _USER_SUBPAGES:
        return ParsedFlickrUrl("user", user=user, user_is_nsid=nsid, page=_tail_page(segments[3:]))
    raise UnrecognisedFlickrUrl(text, "neither a photo id nor a known page after the user")


def _classify_gne(text: str, query: tuple[tuple[str, str | None], ...]) -> ParsedFlickrUrl:
    """photo.gne?id=<id>, photo.gne?short=<base58> and their edit/zoom siblings."""
    for key, value in query:
        k = key.lower()
        if k == "id":
            photo_id = _normalise_id(value) if value else None
        elif k == "short":
            photo_id = _base58_id(value) if value else None
        else:
            continue
        if photo_id is None:
            break
        return ParsedFlickrUrl("single_photo", photo_id=photo_id)
    raise UnrecognisedFlickrUrl(text, ".gne page without a valid id= or short=")


def _classify_static(text: str, segments: list[str]) -> ParsedFlickrUrl:
    """Image and video files: [farm/][server/]<id>_<secret>[_size].jpg, /video/<id>/..."""
    n = len(segments)
    if n >= 2 and segments[0].lower() == "video":
        photo_id = _normalise_id(segments[1])
        if photo_id is not None:
            return ParsedFlickrUrl("single_photo", photo_id=photo_id)
    elif 1 <= n <= 3 and all(_DIGITS_RE.fullmatch(seg) for seg in segments[:-1]):
        m = _STATIC_FILE_RE.fullmatch(segments[-1])
        if m is not None:
            return ParsedFlickrUrl("single_photo", photo_id=m[1])
    raise UnrecognisedFlickrUrl(text, "static Flickr URL without a photo file name")


def _classify_short(text: str, segments: list[str]) -> ParsedFlickrUrl:
    """flic.kr/p/<base58> (photo) and flic.kr/s/<base58> (album)."""
    if len(segments) == 2:
        kind = segments[0].lower()
        object_id = _base58_id(segments[1])
        if object_id is not None:
            if kind == "p":
                return ParsedFlickrUrl("single_photo", photo_id=object_id)
            if kind == "s":
                return ParsedFlickrUrl("album", album_id=object_id)
        if kind == "ps":
            raise UnrecognisedFlickrUrl(text, "flic.kr/ps/ does not say whose photostream it is")
    raise UnrecognisedFlickrUrl(text, "not a flic.kr/p/ or flic.kr/s/ short link")


# --- the fast path ----------------------------------------------------------------
#
# Each regex accepts a subset of what the general path accepts and captures the same
# values, so a match can be answered directly. They only take raw segments without "%",
# so the general path's decoding is the identity on them. Anything after the photo id
# (or query/fragment after a profile) is ignored by the general path too, so ``.*``.

_FAST_SCHEME: Final = r"(?:https?://|//)?"
_FAST_PAGE_RE: Final = re.compile(
    _FAST_SCHEME + r"(?:(?:www|secure|m)\.)?flickr\.com/"
    r"(?:photos/(" + _NAME_PATTERN + r")(?:/+" + _ID_PATTERN + r"(?:[/?#].*)?|/?(?:[?#].*)?)"
    r"|people/(" + _NAME_PATTERN + r")/?(?:[?#].*)?)",
    re.ASCII | re.DOTALL,
)
_FAST_GNE_RE: Final = re.compile(
    _FAST_SCHEME
    + r"(?:(?:www|secure|m)\.)?flickr\.com/photo(?:_edit|_zoom)?\.gne\?id="
    + _ID_PATTERN
    + r"(?:[&#].*)?",
    re.ASCII | re.DOTALL,
)
_FAST_SHORT_RE: Final = re.compile(
    _FAST_SCHEME + r"flic\.kr/p/([1-9a-km-zA-HJ-NP-Z]+)/?(?:[?#].*)?",
    re.ASCII | re.DOTALL,
)
_FAST_STATIC_RE: Final = re.compile(
    _FAST_SCHEME + r"(?:(?:live|farm[0-9]{1,3}|c[0-9]{1,3})\.staticflickr\.com"
    r"|(?:farm[0-9]{1,3}\.)?static\.flickr\.com)/(?:[0-9]+/){1,2}"
    + _STATIC_FILE_PATTERN
    + r"(?:[?#].*)?",
    re.ASCII | re.DOTALL,
)


def _parse_fast(s: str) -> ParsedFlickrUrl | None:
    """The common forms of stripped input ``s`` by regex alone; None when unsure."""
    m = _FAST_PAGE_RE.fullmatch(s)
    if m is not None:
        user, photo_id, person = m.groups()
        if user is not None:
            if len(user) == 4 and user.lower() == "tags":  # /photos/tags/<tag>
                return None
            if photo_id is not None:
                return ParsedFlickrUrl(
                    "single_photo", photo_id=photo_id, user=user, user_is_nsid="@" in user
                )
            return ParsedFlickrUrl("user", user=user, user_is_nsid="@" in user)
        return ParsedFlickrUrl("user", user=person, user_is_nsid="@" in person)
    m = _FAST_STATIC_RE.fullmatch(s) or _FAST_GNE_RE.fullmatch(s)
    if m is not None:
        return ParsedFlickrUrl("single_photo", photo_id=m[1])
    m = _FAST_SHORT_RE.fullmatch(s)
    if m is not None:
        photo_id = _base58_id(m[1])
        return ParsedFlickrUrl("single_photo", photo_id=photo_id) if photo_id else None
    return None


def parse_flickr_url(text: str) -> ParsedFlickrUrl:
    """Classify ``text`` as a Flickr URL; raises only NotAFlickrUrl / UnrecognisedFlickrUrl."""
    s = text.strip()
    result = _parse_fast(s)
    if result is not None:
        return result
    # Every Flickr host contains "flic" (flickr.com, staticflickr.com, flic.kr), and a
    # host has to be ASCII to count, so text without it can skip URL parsing.
    if "flic" not in s.lower():
        raise NotAFlickrUrl(text, "empty input" if not s else "host is not Flickr")
    return _parse_slow(text)


def same_flickr_photo_url(a: str, b: str) -> bool:
    """True if both are URLs of the same Flickr photo, however each is written."""
    try:
        pa = parse_flickr_url(a)
        pb = parse_flickr_url(b)
    except FlickrUrlError:
        return False
    return pa.type == "single_photo" and pb.type == "single_photo" and pa.photo_id == pb.photo_id
