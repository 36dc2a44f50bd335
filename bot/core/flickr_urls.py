"""Turn any Flickr URL found on Commons into a typed result.

Commons records where a file came from in twenty years of Flickr URL forms: modern
photo pages with ``/in/...`` suffixes, ``farmN.static.flickr.com`` image links,
``photo.gne?id=`` and ``flic.kr/p/`` short links, profile, album, group and tag pages,
plus plenty of text that only looks like a URL. :func:`parse_flickr_url` accepts any
``str`` and returns a :class:`ParsedFlickrUrl` or raises one of exactly two errors:
:class:`NotAFlickrUrl` (the host is not Flickr, or the text is not a URL at all) and
:class:`UnrecognisedFlickrUrl` (a Flickr URL this module cannot classify). Nothing
else escapes, whatever the input.

How a URL is read: as a browser reads it (the WHATWG URL standard), because a link on
Commons is worth only what a reader's browser opens. :func:`_split` is a small
implementation of the standard's rules for ``http(s)`` URLs, written for this module:
leading and trailing C0 controls and spaces are stripped, tabs and newlines removed
wherever they are, ``\\`` is a path separator like ``/``, the userinfo runs to the last
``@`` of the authority, the host is percent-decoded, mapped through IDNA (UTS #46:
full-width letters, the Kelvin sign, ideographic full stops ...), lower-cased and checked
for forbidden code points, and ``.``/``..`` path segments are resolved. So
``https://evil.org\\@flickr.com/photos/x/123`` is a page on ``evil.org`` (not Flickr),
``https://ｆｌｉｃｋｒ.com/...`` is Flickr, and a Flickr URL inside another site's query
string is that other site. Two leniencies a browser's address bar also has: text
without a scheme is read as ``http://`` + text, and ``flickr.com:443/...`` is a host
and port rather than a scheme.

Then the Flickr families, by host:

* pages on ``[www.|secure.|m.]flickr.com``: ``/photos/<user>/<id>/...`` (any suffix
  after the id), the singular ``/photo/<user>/<id>`` of early Flickr, photostreams and
  their sub-pages, ``/people/``, albums/sets, galleries (``/galleries/`` and the
  singular ``/gallery/``), groups, tags, ``.gne`` pages that name a photo
  (``photo.gne``, ``photo_zoom.gne``, ``photo_exif.gne``, ``video_download.gne`` ...:
  ``id=``, ``photo_id=`` or ``short=``), the slideshow (``set_id=``), the Flash players
  (``/apps/video/stewart.swf?...&photo_id=``), map pages with ``photo=``, the outbound
  ``/redirect?url=`` page (the target decides) and the old mobile site's fragment routes;
* image and video files on ``live|farmN|cN.staticflickr.com``, ``[farmN.]static.flickr.com``
  and ``photosN.flickr.com``;
* ``flic.kr/p/<base58>`` (photo) and ``flic.kr/s/<base58>`` (album);
* Flickr Commons (``commons.flickr.org``): ``/members/<user>/`` is that account;
* any other host of Flickr's (``*.flickr.com``, ``*.flickr.net``, ``*.flickr.org``,
  ``*.flic.kr``, ``*.staticflickr.com``) is :class:`UnrecognisedFlickrUrl`, never
  :class:`NotAFlickrUrl`.

Two paths give identical results (the tests check it on large varied inputs):

* a fast path: precompiled regexes for the forms that make up most of the snapshot
  (``[www.]flickr.com/photos/<user>/<id>...``, ``/photos/<user>/``, ``/people/<user>/``,
  ``photo.gne?id=``, ``flic.kr/p/`` and static image URLs), anchored on the host so that
  nothing before it can change which host it is, and a check that rejects ASCII text
  with no Flickr host in it without parsing;
* the general path: :func:`_split` (the browser rules above) and the classifier below,
  which reads the host, the path segments, the query and the fragment.

Decisions worth knowing:

* Only what identifies the object is kept. A photo page's context (``/in/album-...``,
  ``/sizes/o/``, ``/lightbox/``, query, fragment, and any future suffix after the
  photo id) does not change which photo it is, so all those forms give equal results.
  ``photo_id`` is set only for ``single_photo``: an album page ``.../sets/<id>/with/<photo>``
  is an album, and ``/photos/<user>/with/<photo>`` is the user's photostream.
* Ids (photo, album, gallery) are decimal strings without leading zeros, of at most 19
  digits (Flickr ids are 64-bit; today's photo ids have 11 digits). An all-zero or
  longer id is unrecognised.
* ``flic.kr/ps/<base58>`` (a photostream short link) and ``flic.kr/y/`` (a gallery) are
  unrecognised: the code does not say whose photostream or which gallery it is without
  an API call. ``flic.kr/s/<base58>`` is an ``album`` with ``user=None``.
* Users and groups are NSIDs (``12345678@N04``) or path aliases (ASCII letters, digits,
  ``_`` and ``-``); anything else in that position is unrecognised. Percent-encoded
  segments (``12345678%40N04``) are decoded first, and an NSID written in lower case
  (``12345678@n04``, which Flickr also serves) is given in its canonical upper case.
* Path keywords (``photos``, ``in``, ``albums``, ``page3`` ...) and query keys are
  matched without case (``&amp;`` from HTML-escaped links counts as ``&``); users,
  tags and base58 codes keep their case.
"""

from __future__ import annotations

import re
from typing import Final, Literal, NamedTuple
from urllib.parse import unquote, unquote_to_bytes

from bot.core.errors import InputInvalid

__all__ = [
    "FlickrUrlError",
    "NotAFlickrUrl",
    "ParsedFlickrUrl",
    "UnrecognisedFlickrUrl",
    "UrlType",
    "base58_decode",
    "base58_encode",
    "is_nsid",
    "may_be_flickr",
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
# Alias or NSID; Flickr serves an NSID written with "@n" too, so both cases are read.
_NAME_PATTERN: Final = rf"(?:{_ALIAS_PATTERN}|[0-9]+@[Nn][0-9]{{2}})"
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
    """A user or group from a path segment: NSID (canonical case) or path alias, else None."""
    name = _decode(segment)
    if name is None or _NAME_RE.fullmatch(name) is None:
        return None
    return name.replace("@n", "@N") if "@n" in name else name


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
_COMMONS_HOST: Final = "commons.flickr.org"
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
    """Any other host Flickr owns (help.flickr.com, blog.flickr.net, www.flickr.org, ...)."""
    return host.endswith(
        (".flickr.com", ".staticflickr.com", ".flickr.net", ".flickr.org", ".flic.kr")
    ) or host in ("staticflickr.com", "flickr.net", "flickr.org")


# --- browser rules: the WHATWG URL standard, for http(s) ---------------------------

# Stripped from both ends: C0 controls and space (WHATWG), and the Unicode spaces that
# text copied from a page carries around a link (an address bar trims those too).
_TRIM: Final = "".join(map(chr, range(0x21))) + (
    "\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
_TAB_NEWLINE: Final = str.maketrans("", "", "\t\n\r")
_TAB_NEWLINE_RE: Final = re.compile(r"[\t\n\r]")
_SCHEME_RE: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):", re.ASCII)
_AUTHORITY_END_RE: Final = re.compile(r"[/\\?#]")
# Forbidden domain code points: C0 controls, space, DEL and "#%/:<>?@[\]^|".
_FORBIDDEN_HOST_RE: Final = re.compile(r"[\x00-\x20\x7f#%/:<>?@\[\\\]^|]", re.ASCII)
_PORT_RE: Final = re.compile(r"0*([0-9]{0,5})", re.ASCII)
_MAX_PORT: Final = 65535
_SINGLE_DOT: Final = frozenset({".", "%2e"})
_DOUBLE_DOT: Final = frozenset({"..", ".%2e", "%2e.", "%2e%2e"})


class _Url(NamedTuple):
    """The parts of a URL the classifier reads; path segments keep their %-escapes."""

    host: str  # ASCII, lower case, no trailing dot
    segments: list[str]  # dot segments resolved, empty segments dropped
    query: str
    fragment: str


def _split(text: str) -> _Url:
    """Split ``text`` as a browser would; NotAFlickrUrl when it has no usable host."""
    s = text.strip(_TRIM)
    if not s:
        raise NotAFlickrUrl(text, "empty input")
    if "\t" in s or "\n" in s or "\r" in s:
        s = s.translate(_TAB_NEWLINE)
    rest = _after_scheme(text, s)
    end = _AUTHORITY_END_RE.search(rest)
    authority, after = (rest, "") if end is None else (rest[: end.start()], rest[end.start() :])
    host = _host(text, authority)
    fragment = ""
    hash_at = after.find("#")
    if hash_at >= 0:
        after, fragment = after[:hash_at], after[hash_at + 1 :]
    query = ""
    mark = after.find("?")
    if mark >= 0:
        after, query = after[:mark], after[mark + 1 :]
    return _Url(host, _path_segments(after), query, fragment)


def _after_scheme(text: str, s: str) -> str:
    """What follows ``http(s):`` and the slashes of an absolute URL (``\\`` counts as ``/``)."""
    m = _SCHEME_RE.match(s)
    if m is not None:
        scheme = m[1].lower()
        if scheme in ("http", "https"):
            # Special schemes ignore any run of slashes and backslashes, even none.
            return s[m.end() :].lstrip("/\\")
        if "." not in scheme:
            raise NotAFlickrUrl(text, "not an http(s) URL")
        # "flickr.com:443/..." is a host and port, not a scheme.
    if s[0] in "/\\":
        # "//host/..." (scheme-relative, as on Commons' https pages) has a host; "/x" does not.
        if len(s) < 2 or s[1] not in "/\\":
            raise NotAFlickrUrl(text, "a relative URL has no host")
        return s.lstrip("/\\")
    return s  # no scheme: read as http:// + text, as an address bar does


def _host(text: str, authority: str) -> str:
    """The host of an authority: after the last ``@``, before the port, decoded, ASCII."""
    at = authority.rfind("@")
    hostport = authority[at + 1 :] if at >= 0 else authority
    if hostport.startswith("["):
        raise NotAFlickrUrl(text, "host is an IP address, not Flickr")
    colon = hostport.find(":")
    if colon >= 0:
        port = _PORT_RE.fullmatch(hostport, colon + 1)
        if port is None or (port[1] and int(port[1]) > _MAX_PORT):
            raise NotAFlickrUrl(text, "not a well-formed URL (bad port)")
        hostport = hostport[:colon]
    host = hostport
    if "%" in host:
        # A lone surrogate (never in a browser's string) decodes to U+FFFD like bad UTF-8.
        raw = unquote_to_bytes(host.encode("utf-8", "surrogatepass"))
        host = raw.decode("utf-8", errors="replace")
    if not host.isascii():
        host = _idna_map(text, host)
    host = host.lower()
    if not host or _FORBIDDEN_HOST_RE.search(host) is not None:
        raise NotAFlickrUrl(text, "not a well-formed URL (no host or a bad one)")
    return host[:-1] if host.endswith(".") else host


def _idna_map(text: str, host: str) -> str:
    """UTS #46 mapping of a non-ASCII host (what browsers do before DNS)."""
    import idna  # only for non-ASCII hosts: its tables take a while to load

    try:
        mapped = idna.uts46_remap(host, std3_rules=False, transitional=False)
    except (idna.IDNAError, ValueError):
        raise NotAFlickrUrl(text, "host is not a valid domain name") from None
    if mapped.isascii():
        return mapped
    # A label that stays non-ASCII goes to DNS as "xn--" + punycode: it can be a
    # subdomain of Flickr's (unrecognised then), never one of the hosts classified here.
    try:
        return ".".join(
            label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
            for label in mapped.split(".")
        )
    except UnicodeError:
        raise NotAFlickrUrl(text, "host is not a valid domain name") from None


def _path_segments(path: str) -> list[str]:
    """Segments of a path (``/`` or ``\\`` separated), ``.``/``..`` resolved, empties dropped."""
    if not path:
        return []
    parts = path.replace("\\", "/").split("/")[1:]
    if "." in path or "%" in path:
        resolved: list[str] = []
        for part in parts:
            low = part.lower() if "%" in part else part
            if low in _DOUBLE_DOT:
                if resolved:
                    resolved.pop()
            elif low not in _SINGLE_DOT:
                resolved.append(part)
        parts = resolved
    return [part for part in parts if part]


def _query_pairs(query: str) -> list[tuple[str, str]]:
    """(key lower-cased, value as written) pairs; ``&amp;`` (HTML-escaped) counts as ``&``."""
    pairs = []
    for item in query.split("&"):
        key, _, value = item.partition("=")
        key = key.lower()
        while key.startswith("amp;"):
            key = key[4:]
        pairs.append((key, value))
    return pairs


def _query_id(query: str, keys: tuple[str, ...]) -> str | None:
    """The decimal id of the first of ``keys`` in the query; None if absent or not an id."""
    for key, value in _query_pairs(query):
        if key in keys:
            decoded = _decode(value)
            return _normalise_id(decoded) if decoded else None
    return None


def _query_name(query: str, key: str) -> str | None:
    """The user or group (NSID or alias) that ``key`` names in the query, if valid."""
    for k, value in _query_pairs(query):
        if k == key:
            return _name(value) if value else None
    return None


# --- the general path ----------------------------------------------------------------

_GNE_PHOTO_RE: Final = re.compile(r"(?:photo|video)(?:_[a-z]+)*\.gne", re.ASCII)
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
        "stats",
    }
)
_STATIC_FILE_PATTERN: Final = (
    _ID_PATTERN + r"_[A-Za-z0-9]+(?:_[A-Za-z0-9]+){0,2}\.(?i:jpe?g|png|gif|webp|mp4|mov)"
)
_STATIC_FILE_RE: Final = re.compile(_STATIC_FILE_PATTERN, re.ASCII)
_HOMEPAGE: Final = ParsedFlickrUrl("homepage")


def _parse_slow(text: str, follow_redirect: bool = True) -> ParsedFlickrUrl:
    """Parse by the browser rules, no shortcuts: the reference the fast path must match."""
    url = _split(text)
    host = url.host
    if host in _PAGE_HOSTS:
        return _classify_page(text, url, follow_redirect)
    if _is_static_host(host) and "xn--" not in host:  # Flickr's image hosts are ASCII
        return _classify_static(text, url.segments)
    if host in _SHORT_HOSTS:
        return _classify_short(text, url.segments)
    if host == _COMMONS_HOST:
        return _classify_commons(text, url.segments)
    if _is_other_flickr_host(host):
        raise UnrecognisedFlickrUrl(text, f"no photo, user or group on Flickr host {host}")
    raise NotAFlickrUrl(text, "host is not Flickr")


def _classify_page(text: str, url: _Url, follow_redirect: bool) -> ParsedFlickrUrl:
    """Pages on www.flickr.com and its aliases."""
    segments, query = url.segments, url.query
    if not segments:
        fragment = url.fragment
        if not fragment.startswith("/"):
            return _HOMEPAGE
        # The old mobile site routed in the fragment: m.flickr.com/#/photos/<user>/<id>/.
        route = fragment.split("?", 1)[0].split("#", 1)[0]
        segments = [seg for seg in route.split("/") if seg]
        if not segments:
            return _HOMEPAGE
        query = ""  # a .gne page needs its own query, which a route does not have
    head = segments[0].lower()
    if head in ("photos", "photo"):  # "/photo/<user>/<id>": early Flickr's singular form
        return _classify_photos(text, segments, query)
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
    if len(segments) == 1 and _GNE_PHOTO_RE.fullmatch(head):
        return _classify_gne(text, query)
    last = segments[-1].lower()
    if last.endswith(".swf") or (head == "slideshow" and last == "index.gne"):
        return _classify_player(text, query)
    if head == "map" and len(segments) == 1:
        photo_id = _query_id(query, ("photo",))
        if photo_id is not None:
            return ParsedFlickrUrl("single_photo", photo_id=photo_id)
    if head == "redirect" and len(segments) == 1:
        return _classify_redirect(text, query, follow_redirect)
    raise UnrecognisedFlickrUrl(text, "not a photo, user, album, gallery, group or tag page")


def _classify_photos(text: str, segments: list[str], query: str) -> ParsedFlickrUrl:
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
    if word in ("albums", "sets", "galleries", "gallery"):
        if n == 3:
            return ParsedFlickrUrl("user", user=user, user_is_nsid=nsid)
        fourth = segments[3]
        object_id = _normalise_id(fourth)
        if object_id is not None:
            page = _tail_page(segments[4:])
            if word.startswith("galler"):
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
    if word == "map" and n == 3:  # the user's map, centred on one photo
        photo_id = _query_id(query, ("photo",))
        if photo_id is not None:
            return ParsedFlickrUrl("single_photo", photo_id=photo_id, user=user, user_is_nsid=nsid)
    if word in _USER_SUBPAGES:
        return ParsedFlickrUrl("user", user=user, user_is_nsid=nsid, page=_tail_page(segments[3:]))
    raise UnrecognisedFlickrUrl(text, "neither a photo id nor a known page after the user")


def _classify_gne(text: str, query: str) -> ParsedFlickrUrl:
    """photo.gne?id=<id>, photo.gne?short=<base58> and the photo_*/video_* siblings."""
    for key, value in _query_pairs(query):
        if key in ("id", "photo_id"):
            decoded = _decode(value)
            photo_id = _normalise_id(decoded) if decoded else None
        elif key == "short":
            photo_id = _base58_id(value) if value else None
        else:
            continue
        if photo_id is None:
            break
        return ParsedFlickrUrl("single_photo", photo_id=photo_id)
    raise UnrecognisedFlickrUrl(text, ".gne page without a valid id= or short=")


def _classify_player(text: str, query: str) -> ParsedFlickrUrl:
    """The Flash players and slideshow: their query names the photo or the album."""
    photo_id = _query_id(query, ("photo_id",))
    if photo_id is not None:
        return ParsedFlickrUrl("single_photo", photo_id=photo_id)
    album_id = _query_id(query, ("set_id",))
    if album_id is not None:
        owner = _query_name(query, "user_id")
        if owner is not None:
            return ParsedFlickrUrl(
                "album", album_id=album_id, user=owner, user_is_nsid=is_nsid(owner)
            )
        return ParsedFlickrUrl("album", album_id=album_id)
    raise UnrecognisedFlickrUrl(text, "player or slideshow without a photo_id= or set_id=")


def _classify_redirect(text: str, query: str, follow: bool) -> ParsedFlickrUrl:
    """flickr.com/redirect?url=<target>: Flickr's exit page; where it leads decides."""
    for key, value in _query_pairs(query):
        if key == "url":
            target = _decode(value)
            if follow and target:
                try:
                    return _parse_slow(target, follow_redirect=False)
                except FlickrUrlError:
                    pass
            break
    raise UnrecognisedFlickrUrl(text, "Flickr's redirect page, to no Flickr photo or account")


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
        if kind in ("ps", "y"):
            raise UnrecognisedFlickrUrl(text, f"flic.kr/{kind}/ needs Flickr to say what it is")
    raise UnrecognisedFlickrUrl(text, "not a flic.kr/p/ or flic.kr/s/ short link")


def _classify_commons(text: str, segments: list[str]) -> ParsedFlickrUrl:
    """Flickr Commons (commons.flickr.org): /members/<user>/ is that Flickr account."""
    if len(segments) >= 2 and segments[0].lower() == "members":
        user = _name(segments[1])
        if user is not None:
            return ParsedFlickrUrl(
                "user", user=user, user_is_nsid=is_nsid(user), page=_tail_page(segments[2:])
            )
    raise UnrecognisedFlickrUrl(text, "a Flickr Commons page that names no member")


# --- the fast path ----------------------------------------------------------------
#
# Each regex accepts a subset of what the general path accepts and captures the same
# values, so a match can be answered directly. They only take raw segments without "%",
# so the general path's decoding is the identity on them. Anything after the photo id
# (or query/fragment after a profile) is ignored by the general path too, so ``.*``.

_FAST_SCHEME: Final = r"(?:https?://|//)?"
# After the photo id: path segments without "." or "%" (no dot segment to resolve, no
# backslash), then anything in the query or fragment, which a photo page ignores.
_FAST_TAIL: Final = r"(?:/[A-Za-z0-9_@\-/]*)?(?:[?#].*)?"
_FAST_PAGE_RE: Final = re.compile(
    _FAST_SCHEME + r"(?:(?:www|secure|m)\.)?flickr\.com/"
    r"(?:photos/(" + _NAME_PATTERN + r")(?:/+" + _ID_PATTERN + _FAST_TAIL + r"|/?(?:[?#].*)?)"
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
            nsid = "@" in user  # an alias has no "@"
            if nsid and "@n" in user:
                user = user.replace("@n", "@N")
            if photo_id is not None:
                return ParsedFlickrUrl(
                    "single_photo", photo_id=photo_id, user=user, user_is_nsid=nsid
                )
            return ParsedFlickrUrl("user", user=user, user_is_nsid=nsid)
        if "@n" in person:
            person = person.replace("@n", "@N")
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
    s = text.strip(_TRIM)
    result = _parse_fast(s)
    if result is not None:
        return result
    if not _may_be_flickr(s):
        raise NotAFlickrUrl(text, "empty input" if not s else "host is not Flickr")
    return _parse_slow(text)


def may_be_flickr(text: str) -> bool:
    """False only for text that :func:`parse_flickr_url` rejects as not Flickr without
    parsing it: a cheap prefilter that agrees with the parser on every host it accepts
    (any case, %-escaped, full-width, with tabs or newlines a browser drops)."""
    return "flic" in text or _may_be_flickr(text.strip(_TRIM))


def _may_be_flickr(s: str) -> bool:
    """:func:`may_be_flickr` of stripped text."""
    # Every Flickr host contains "flic" (flickr.com, staticflickr.com, flic.kr, ...), so
    # ASCII text without it can skip URL parsing, unless a browser would still read
    # "flic" in the host: from %-escapes, or with tabs and newlines taken out (non-ASCII
    # text goes the long way too: IDNA maps full-width letters to ASCII).
    return (
        "flic" in s.lower() or not s.isascii() or "%" in s or _TAB_NEWLINE_RE.search(s) is not None
    )


def same_flickr_photo_url(a: str, b: str) -> bool:
    """True if both are URLs of the same Flickr photo, however each is written."""
    try:
        pa = parse_flickr_url(a)
        pb = parse_flickr_url(b)
    except FlickrUrlError:
        return False
    return pa.type == "single_photo" and pb.type == "single_photo" and pa.photo_id == pb.photo_id
