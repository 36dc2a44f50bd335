"""A local stand-in for Flickr's REST API, for tests and the bot's offline demo/sandbox.

It is a real HTTP server on 127.0.0.1 that speaks Flickr's wire format
(``GET /services/rest/?method=...&format=json&nojsoncallback=1&api_key=...``), so the real
``FlickrClient`` (httpx, retries, rate limit) runs against it unchanged. It implements

- ``flickr.photos.getInfo``      the seeded ``photo`` object; private photos answer code 1
                                 (code 2 with ``StandinData.private_code = 2``, Flickr's
                                 older behaviour); photos of deleted owners answer code 1;
- ``flickr.people.getInfo``      the seeded ``person`` object (``photos.count`` filled in
                                 from the public photos when absent), code 5 for deleted
                                 owners, code 1 for unknown ones;
- ``flickr.urls.lookupUser``     ``url=https://www.flickr.com/photos/<alias or NSID>/``;
- ``flickr.people.getPhotos`` and ``flickr.people.getPublicPhotos``: the owner's public
                                 photos, newest upload first, with ``per_page`` (max 500),
                                 ``page`` and ``extras`` in Flickr's field names;

with Flickr's error bodies (code 100 for a wrong key, 112 for an unknown method), a count
of every request by method, and injectable faults (HTTP 500/503/429 with ``Retry-After``,
codes 201/105, invalid JSON, slow answers) for the next N matching requests.

A control API next to it (for ``backfill sandbox --inject`` and hand-driven rehearsals):
``POST /_standin/inject`` with ``{"fault": "code_201", "count": 2, "method": ...,
"retry_after": 1, "delay": 1.0}`` (the arguments of :meth:`FlickrStandin.inject`) and
``GET /_standin/state`` (requests by method, faulted requests, pending faults).

Use ``run_flickr_standin(data)`` (a context manager giving a ``StandinHandle``: ``.url``,
``.requests``, ``.counts``, ``.inject(...)``) in code, or ``python -m bot.standins.flickr DIR
--port 8765`` to serve a data directory. The server is ``http.server``'s threading server
with HTTP/1.1 keep-alive, in a background thread. ``make_photo``/``make_person`` build
seed objects in Flickr's shape; ``save_standin_data`` writes a data directory.

Data directory layout (``load_standin_data``)::

    DIR/photos/<photo id>.json   a flickr.photos.getInfo response, {"stat": "ok",
                                 "photo": {...}} (the bare photo object works too), or a
                                 failure to pin for that id, e.g. {"stat": "fail",
                                 "code": 2, "message": "Photo is private"}
    DIR/people/<nsid>.json       a flickr.people.getInfo response, {"stat": "ok",
                                 "person": {...}}, or {"stat": "fail", "code": 5,
                                 "message": "User deleted"} for a deleted account
    DIR/aliases.json             optional {"<path alias>": "<nsid>"}; the ``path_alias``
                                 of people and photo owners is known without it

Owners without a people file are answered from the owner fields of their photos. Photo
and people objects are served as written, so a data set can use strings or numbers for
the same field, as real Flickr does.
"""

from __future__ import annotations

import argparse
import http.server
import logging
import math
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import parse_qsl, unquote, urlsplit

import orjson

log = logging.getLogger(__name__)

STANDIN_API_KEY: Final = "0123456789abcdef0123456789abcdef"  # a fake key, valid only here
REST_PATH: Final = "/services/rest/"
MAX_PER_PAGE: Final = 500
LISTING_METHODS: Final = ("flickr.people.getPhotos", "flickr.people.getPublicPhotos")

_ALIAS_URL_RE: Final = re.compile(r"flickr\.com/(?:photos|people)/([^/?#]+)", re.IGNORECASE)
_KEY_FORMAT_RE: Final = re.compile(r"^[0-9a-f]{32}$")


JSONDict = dict[str, Any]


# --------------------------------------------------------------------------- data


_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _obj(value: object) -> Mapping[str, Any]:
    """A JSON object, or an empty one (dicts first: the ABC check is slow)."""
    if type(value) is dict or isinstance(value, Mapping):
        return value
    return _EMPTY


def _content(value: object) -> object:
    if type(value) is dict or isinstance(value, Mapping):
        return value.get("_content")
    return value


def _str(value: object) -> str:
    if type(value) is str:
        return value
    value = _content(value)
    return "" if value is None else str(value)


def _is_one(value: object) -> bool:
    if type(value) is int:
        return value == 1
    return _str(value).strip() in ("1", "1.0", "True", "true")


def normalise_machine_tag(raw: str) -> str:
    """Flickr's normalised form of a machine tag: lower case, punctuation gone from the value."""
    predicate, _, value = raw.partition("=")
    value = re.sub(r"[\W_]+", "", value.strip().strip('"').lower())
    return f"{predicate.strip().lower()}={value}"


@dataclass
class StandinData:
    """What the stand-in serves: getInfo ``photo`` objects and people.getInfo ``person`` objects.

    ``listings`` may give an owner's public photo ids in list order (newest first)
    instead of having them derived from ``photos``; big synthetic data sets (benchmarks)
    use it with lazy mappings. After changing ``photos`` in place, call ``invalidate()``.
    """

    photos: MutableMapping[str, JSONDict] = field(default_factory=dict)
    owners: MutableMapping[str, JSONDict] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    photo_errors: dict[str, tuple[int, str]] = field(default_factory=dict)
    deleted_owners: set[str] = field(default_factory=set)
    listings: dict[str, Sequence[str]] = field(default_factory=dict)
    private_code: int = 1
    _index: dict[str, list[str]] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_photo(self, photo: JSONDict) -> None:
        """Add or replace one getInfo ``photo`` object."""
        self.photos[_str(photo.get("id"))] = photo
        self.invalidate()

    def add_owner(self, person: JSONDict) -> None:
        """Add or replace one people.getInfo ``person`` object."""
        nsid = _str(person.get("nsid")) or _str(person.get("id"))
        self.owners[nsid] = person

    def invalidate(self) -> None:
        """Forget the derived per-owner lists (after ``photos`` changed)."""
        with self._lock:
            self._index = None

    def is_public(self, photo: Mapping[str, Any]) -> bool:
        """Visible to an API-key-only caller."""
        visibility = photo.get("visibility")
        if isinstance(visibility, Mapping) and "ispublic" in visibility:
            return _is_one(visibility.get("ispublic"))
        return True

    def owner_of(self, photo: Mapping[str, Any]) -> str:
        owner = photo.get("owner")
        return _str(owner.get("nsid")) if isinstance(owner, Mapping) else _str(owner)

    def public_listing(self, nsid: str) -> Sequence[str]:
        """The owner's public photo ids, newest upload first (what people.getPhotos pages)."""
        if nsid in self.listings:
            return self.listings[nsid]
        with self._lock:
            if self._index is None:
                grouped: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
                for photo_id, photo in self.photos.items():
                    if not self.is_public(photo):
                        continue
                    dates = photo.get("dates")
                    posted = _str(dates.get("posted")) if isinstance(dates, Mapping) else ""
                    posted = posted or _str(photo.get("dateuploaded")) or "0"
                    key = int(photo_id) if photo_id.isdigit() else 0
                    grouped[self.owner_of(photo)].append((int(float(posted)), key, photo_id))
                self._index = {
                    owner: [pid for _, _, pid in sorted(items, reverse=True)]
                    for owner, items in grouped.items()
                }
            return self._index.get(nsid, [])

    def person(self, nsid: str) -> JSONDict | None:
        """The people.getInfo ``person`` object, derived from a photo's owner if not seeded."""
        person = self.owners.get(nsid)
        listing = None
        if person is None:
            listing = self.public_listing(nsid)
            if not listing:
                return None
            owner = self.photos[listing[0]].get("owner") or {}
            person = {
                "id": nsid,
                "nsid": nsid,
                "ispro": 0,
                "is_deleted": 0,
                "path_alias": owner.get("path_alias") or None,
                "username": {"_content": _str(owner.get("username"))},
                "realname": {"_content": _str(owner.get("realname"))},
            }
        photos = person.get("photos")
        if not (isinstance(photos, Mapping) and "count" in photos):
            if listing is None:
                listing = self.public_listing(nsid)
            person = {
                **person,
                "photos": {**(photos or {}), "count": {"_content": len(listing)}},
            }
        return person

    def resolve_alias(self, alias: str) -> str | None:
        """NSID for a path alias (case-insensitive) or an NSID itself."""
        wanted = alias.lower()
        for key, nsid in self.aliases.items():
            if key.lower() == wanted:
                return nsid
        for nsid, person in self.owners.items():
            if nsid.lower() == wanted or _str(person.get("path_alias")).lower() == wanted:
                return nsid
        if self.listings:
            for nsid in self.listings:
                if nsid.lower() == wanted:
                    return nsid
        for photo in self.photos.values():
            owner = photo.get("owner")
            if isinstance(owner, Mapping) and (
                _str(owner.get("path_alias")).lower() == wanted
                or _str(owner.get("nsid")).lower() == wanted
            ):
                return _str(owner.get("nsid"))
        return None


def make_person(
    nsid: str,
    username: str,
    *,
    realname: str = "",
    path_alias: str | None = None,
    photos_count: int | str | None = None,
) -> JSONDict:
    """A people.getInfo ``person`` object in Flickr's JSON shape."""
    person: JSONDict = {
        "id": nsid,
        "nsid": nsid,
        "ispro": 0,
        "is_deleted": 0,
        "iconserver": "65535",
        "iconfarm": 66,
        "path_alias": path_alias,
        "username": {"_content": username},
        "realname": {"_content": realname},
        "photosurl": {"_content": f"https://www.flickr.com/photos/{path_alias or nsid}/"},
        "profileurl": {"_content": f"https://www.flickr.com/people/{path_alias or nsid}/"},
    }
    if photos_count is not None:
        person["photos"] = {"count": {"_content": photos_count}}
    return person


def make_photo(
    photo_id: str,
    owner_nsid: str,
    *,
    username: str = "",
    realname: str = "",
    path_alias: str = "",
    posted: int = 1_500_000_000,
    taken: str = "2017-07-14 12:00:00",
    granularity: int = 0,
    taken_unknown: bool = False,
    license: str = "4",
    media: str = "photo",
    title: str = "",
    public: bool = True,
    geo: tuple[float, float, int] | None = None,
    geo_public: bool = True,
    tags: Iterable[str] = (),
    machine_tags: Iterable[str] = (),
) -> JSONDict:
    """A flickr.photos.getInfo ``photo`` object, typed the way Flickr's JSON often is
    (ids and times as strings, flags as numbers)."""
    tag_list = [
        {
            "id": f"{owner_nsid}-{photo_id}-{i}",
            "author": owner_nsid,
            "authorname": username,
            "raw": raw,
            "_content": re.sub(r"\W+", "", raw.lower()),
            "machine_tag": 0,
        }
        for i, raw in enumerate(tags)
    ]
    tag_list += [
        {
            "id": f"{owner_nsid}-{photo_id}-m{i}",
            "author": owner_nsid,
            "authorname": username,
            "raw": raw,
            "_content": normalise_machine_tag(raw),
            "machine_tag": 1,
        }
        for i, raw in enumerate(machine_tags)
    ]
    photo: JSONDict = {
        "id": photo_id,
        "secret": f"{int(photo_id) % 0xFFFFFFFF:08x}" if photo_id.isdigit() else "abcdef01",
        "server": "65535",
        "farm": 66,
        "dateuploaded": str(posted),
        "isfavorite": 0,
        "license": license,
        "safety_level": "0",
        "rotation": 0,
        "views": "0",
        "media": media,
        "owner": {
            "nsid": owner_nsid,
            "username": username,
            "realname": realname,
            "location": "",
            "iconserver": "65535",
            "iconfarm": 66,
            "path_alias": path_alias,
        },
        "title": {"_content": title},
        "description": {"_content": ""},
        "visibility": {"ispublic": int(public), "isfriend": 0, "isfamily": 0},
        "dates": {
            "posted": str(posted),
            "taken": taken,
            "takengranularity": granularity,
            "takenunknown": str(int(taken_unknown)),
            "lastupdate": str(posted + 60),
        },
        "tags": {"tag": tag_list},
        "urls": {
            "url": [
                {
                    "type": "photopage",
                    "_content": f"https://www.flickr.com/photos/{path_alias or owner_nsid}/{photo_id}/",
                }
            ]
        },
    }
    if geo is not None:
        lat, lon, accuracy = geo
        photo["location"] = {
            "latitude": f"{lat:.6f}",
            "longitude": f"{lon:.6f}",
            "accuracy": str(accuracy),
            "context": "0",
        }
        photo["geoperms"] = {
            "ispublic": int(geo_public),
            "iscontact": 0,
            "isfriend": 0,
            "isfamily": 0,
        }
    return photo


def listing_entry(photo: Mapping[str, Any], extras: Iterable[str]) -> JSONDict:
    """A getInfo ``photo`` as it appears in a photo list with ``extras`` (Flickr's names)."""
    wanted = extras if isinstance(extras, set | frozenset) else set(extras)
    owner = _obj(photo.get("owner"))
    dates = _obj(photo.get("dates"))
    visibility = _obj(photo.get("visibility"))
    entry: JSONDict = {
        "id": _str(photo.get("id")),
        "owner": _str(owner.get("nsid")),
        "secret": photo.get("secret", ""),
        "server": photo.get("server", ""),
        "farm": photo.get("farm", 0),
        "title": _str(photo.get("title")),
        "ispublic": visibility.get("ispublic", 1),
        "isfriend": visibility.get("isfriend", 0),
        "isfamily": visibility.get("isfamily", 0),
    }
    if "license" in wanted:
        entry["license"] = photo.get("license", "0")
    if "date_upload" in wanted:
        entry["dateupload"] = dates.get("posted", photo.get("dateuploaded"))
    if "date_taken" in wanted:
        entry["datetaken"] = dates.get("taken", "")
        entry["datetakengranularity"] = dates.get("takengranularity", 0)
        entry["datetakenunknown"] = dates.get("takenunknown", "0")
    if "owner_name" in wanted:
        entry["ownername"] = owner.get("username", "")
    if "realname" in wanted:
        entry["realname"] = owner.get("realname", "")
    if "geo" in wanted:
        location = _obj(photo.get("location"))
        geoperms = photo.get("geoperms")
        geo_public = geoperms is None or _is_one(_obj(geoperms).get("ispublic"))
        if location and geo_public:
            entry.update(
                latitude=location.get("latitude", 0),
                longitude=location.get("longitude", 0),
                accuracy=location.get("accuracy", 0),
                context=location.get("context", 0),
                place_id="",
                woeid="",
                geo_is_public=1,
                geo_is_contact=0,
                geo_is_friend=0,
                geo_is_family=0,
            )
        else:
            entry.update(latitude=0, longitude=0, accuracy=0, context=0)
    tag_list = [_obj(t) for t in _obj(photo.get("tags")).get("tag") or ()]
    if "machine_tags" in wanted:
        entry["machine_tags"] = " ".join(
            _str(t.get("_content")) or normalise_machine_tag(_str(t.get("raw")))
            for t in tag_list
            if _is_one(t.get("machine_tag"))
        )
    if "tags" in wanted:
        entry["tags"] = " ".join(_str(t.get("_content")) for t in tag_list if t)
    if "path_alias" in wanted:
        entry["pathalias"] = owner.get("path_alias") or ""
    if "media" in wanted:
        entry["media"] = photo.get("media", "photo")
        entry["media_status"] = "ready"
    return entry


# --------------------------------------------------------------------------- loading


def load_standin_data(directory: str | Path) -> StandinData:
    """Seed a ``StandinData`` from a directory laid out as in the module docstring."""
    root = Path(directory)
    data = StandinData()
    for path in sorted((root / "photos").glob("*.json")):
        body = orjson.loads(path.read_bytes())
        if body.get("stat") == "fail":
            data.photo_errors[path.stem] = (int(body.get("code", 1)), _str(body.get("message")))
            continue
        photo = body.get("photo", body)
        photo.setdefault("id", path.stem)
        data.add_photo(photo)
    for path in sorted((root / "people").glob("*.json")):
        body = orjson.loads(path.read_bytes())
        if body.get("stat") == "fail":
            if int(body.get("code", 0)) == 5:
                data.deleted_owners.add(path.stem)
            continue
        person = body.get("person", body)
        person.setdefault("nsid", path.stem)
        data.add_owner(person)
    aliases = root / "aliases.json"
    if aliases.exists():
        data.aliases.update(orjson.loads(aliases.read_bytes()))
    return data


def save_standin_data(data: StandinData, directory: str | Path) -> None:
    """Write ``data`` as a data directory (the inverse of ``load_standin_data``)."""
    root = Path(directory)
    (root / "photos").mkdir(parents=True, exist_ok=True)
    (root / "people").mkdir(parents=True, exist_ok=True)
    opts = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
    for photo_id, photo in data.photos.items():
        (root / "photos" / f"{photo_id}.json").write_bytes(
            orjson.dumps({"stat": "ok", "photo": photo}, option=opts)
        )
    for photo_id, (code, message) in data.photo_errors.items():
        (root / "photos" / f"{photo_id}.json").write_bytes(
            orjson.dumps({"stat": "fail", "code": code, "message": message}, option=opts)
        )
    for nsid, person in data.owners.items():
        (root / "people" / f"{nsid}.json").write_bytes(
            orjson.dumps({"stat": "ok", "person": person}, option=opts)
        )
    for nsid in data.deleted_owners:
        (root / "people" / f"{nsid}.json").write_bytes(
            orjson.dumps({"stat": "fail", "code": 5, "message": "User deleted"}, option=opts)
        )
    if data.aliases:
        (root / "aliases.json").write_bytes(orjson.dumps(data.aliases, option=opts))


# --------------------------------------------------------------------------- faults

CONTROL_PREFIX = "/_standin/"


class Fault(StrEnum):
    """Failures the stand-in can be told to produce."""

    HTTP_500 = "http_500"
    HTTP_503 = "http_503"
    HTTP_429 = "http_429"  # with Retry-After
    CODE_201 = "code_201"  # "Sorry, the Flickr API service is not currently available."
    CODE_105 = "code_105"  # "Service currently unavailable"
    INVALID_JSON = "invalid_json"
    SLOW = "slow"  # answer normally after ``delay`` seconds


@dataclass
class _FaultRule:
    kind: Fault
    remaining: int | None  # None: forever
    method: str | None
    match: Mapping[str, str]
    retry_after: str | None
    delay: float

    def applies(self, method: str, params: Mapping[str, str]) -> bool:
        if self.remaining == 0:
            return False
        if self.method is not None and self.method != method:
            return False
        return all(params.get(k) == v for k, v in self.match.items())


@dataclass(frozen=True, slots=True)
class StandinResponse:
    """What the server sends back: status, extra headers, body."""

    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StandinRequest:
    """One request the stand-in received (``params`` without the api_key)."""

    method: str
    params: Mapping[str, str]
    fault: str | None = None
    user_agent: str = ""


# --------------------------------------------------------------------------- server


class FlickrStandin:
    """The application: routing, key check, faults, request log (no HTTP in here)."""

    def __init__(self, data: StandinData, api_key: str = STANDIN_API_KEY) -> None:
        self.data = data
        self.api_key = api_key
        self.requests: list[StandinRequest] = []
        self._faults: list[_FaultRule] = []
        self._lock = threading.Lock()

    # -- control

    def inject(
        self,
        kind: Fault | str,
        times: int | None = 1,
        *,
        method: str | None = None,
        match: Mapping[str, str] | None = None,
        retry_after: float | str | None = 1,
        delay: float = 1.0,
    ) -> None:
        """Make the next ``times`` matching requests fail with ``kind`` (None: all of them)."""
        rule = _FaultRule(
            kind=Fault(kind),
            remaining=times,
            method=method,
            match=dict(match or {}),
            retry_after=_header_value(retry_after),
            delay=delay,
        )
        with self._lock:
            self._faults.append(rule)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def reset_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def counts(self) -> Counter[str]:
        with self._lock:
            return Counter(r.method for r in self.requests)

    def state(self) -> dict[str, Any]:
        """Requests by method, faults served by kind, and the faults still to come."""
        with self._lock:
            return {
                "requests": dict(sorted(Counter(r.method for r in self.requests).items())),
                "faults": dict(sorted(Counter(r.fault for r in self.requests if r.fault).items())),
                "pending_faults": [
                    {
                        "fault": str(rule.kind),
                        "remaining": rule.remaining,
                        "method": rule.method,
                        "match": dict(rule.match),
                    }
                    for rule in self._faults
                    if rule.remaining is None or rule.remaining > 0
                ],
            }

    def control(self, path: str, method: str, body: bytes) -> StandinResponse:
        """``POST /_standin/inject`` (JSON body) and ``GET /_standin/state``."""
        name = path[len(CONTROL_PREFIX) :]
        if name == "state" and method == "GET":
            return StandinResponse(200, orjson.dumps(self.state()))
        if name != "inject" or method != "POST":
            return StandinResponse(404, b"Not Found", "text/plain")
        try:
            spec = orjson.loads(body or b"{}")
            if not isinstance(spec, dict):
                raise ValueError("the body must be a JSON object")
            unknown = set(spec) - {"fault", "count", "method", "match", "retry_after", "delay"}
            if unknown:
                raise ValueError(f"unknown keys {sorted(unknown)}")
            self.inject(
                str(spec.get("fault", "")),
                spec.get("count", 1),
                method=spec.get("method"),
                match=spec.get("match"),
                retry_after=spec.get("retry_after", 1),
                delay=float(spec.get("delay", 1.0)),
            )
        except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
            return StandinResponse(400, orjson.dumps({"error": str(exc)}))
        return StandinResponse(200, orjson.dumps({"ok": True, **self.state()}))

    def _take_fault(self, method: str, params: Mapping[str, str]) -> _FaultRule | None:
        with self._lock:
            for rule in self._faults:
                if rule.applies(method, params):
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    return rule
        return None

    # -- requests

    def handle(self, path: str, params: Mapping[str, str], user_agent: str = "") -> StandinResponse:
        """Answer one REST request (``params``: the query and form fields)."""
        if path.rstrip("/") != REST_PATH.rstrip("/"):
            return StandinResponse(404, b"Not Found", "text/html")
        params = dict(params)
        api_key = params.pop("api_key", None)
        method = params.get("method", "")
        fault = self._take_fault(method, params)
        with self._lock:
            self.requests.append(
                StandinRequest(method, params, fault.kind.value if fault else None, user_agent)
            )
        if fault is not None:
            if fault.kind is Fault.SLOW:
                time.sleep(fault.delay)
            else:
                return self._fault_response(fault)
        payload = orjson.dumps(self._dispatch(method, params, api_key))
        if params.get("nojsoncallback") != "1":
            payload = b"jsonFlickrApi(" + payload + b")"
        return StandinResponse(200, payload)

    @staticmethod
    def _fault_response(fault: _FaultRule) -> StandinResponse:
        retry_after = {"Retry-After": fault.retry_after} if fault.retry_after else {}
        if fault.kind is Fault.HTTP_500:
            return StandinResponse(500, b"<error>BOOM!</error>", "text/html")
        if fault.kind is Fault.HTTP_503:
            return StandinResponse(503, b"Service Unavailable", "text/html", retry_after)
        if fault.kind is Fault.HTTP_429:
            return StandinResponse(429, b"Too Many Requests", "text/plain", retry_after)
        if fault.kind is Fault.CODE_201:
            message = "Sorry, the Flickr API service is not currently available."
            return StandinResponse(200, orjson.dumps(_fail(201, message)))
        if fault.kind is Fault.CODE_105:
            return StandinResponse(200, orjson.dumps(_fail(105, "Service currently unavailable")))
        # INVALID_JSON: what Flickr was seen to send once (note the trailing comma).
        return StandinResponse(
            200,
            b'{"stat":"fail","message":"Sorry, the Flickr API service is not currently '
            b'available.","code":201},',
        )

    def _dispatch(self, method: str, params: Mapping[str, str], api_key: str | None) -> JSONDict:
        if not api_key or api_key != self.api_key:
            detail = (
                "Key not found"
                if api_key and _KEY_FORMAT_RE.match(api_key)
                else "Key has invalid format"
            )
            return _fail(100, f"Invalid API Key ({detail})")
        if params.get("format", "json") != "json":
            return _fail(111, f'Format "{params.get("format")}" not found')
        if method == "flickr.photos.getInfo":
            return self._get_info(params.get("photo_id", ""))
        if method == "flickr.people.getInfo":
            return self._people_get_info(params.get("user_id", ""))
        if method == "flickr.urls.lookupUser":
            return self._lookup_user(params.get("url", ""))
        if method in LISTING_METHODS:
            return self._get_photos(method, params)
        return _fail(112, f'Method "{method}" not found')

    def _get_info(self, photo_id: str) -> JSONDict:
        data = self.data
        if photo_id in data.photo_errors:
            code, message = data.photo_errors[photo_id]
            return _fail(code, message)
        photo = data.photos.get(photo_id)
        not_found = _fail(1, f'Photo "{photo_id}" not found (invalid ID)')
        if photo is None or data.owner_of(photo) in data.deleted_owners:
            return not_found
        if not data.is_public(photo):
            return not_found if data.private_code == 1 else _fail(2, "Photo is private")
        geoperms = photo.get("geoperms")
        if (
            "location" in photo
            and isinstance(geoperms, Mapping)
            and not _is_one(geoperms.get("ispublic"))
        ):
            photo = {k: v for k, v in photo.items() if k not in ("location", "geoperms")}
        return {"photo": photo, "stat": "ok"}

    def _people_get_info(self, nsid: str) -> JSONDict:
        if nsid in self.data.deleted_owners:
            return _fail(5, "User deleted")
        person = self.data.person(nsid)
        if person is None:
            return _fail(1, "User not found")
        return {"person": person, "stat": "ok"}

    def _lookup_user(self, url: str) -> JSONDict:
        match = _ALIAS_URL_RE.search(url)
        nsid = self.data.resolve_alias(unquote(match.group(1))) if match else None
        if nsid is None or nsid in self.data.deleted_owners:
            return _fail(1, "User not found")
        person = self.data.person(nsid) or {}
        return {
            "user": {"id": nsid, "username": {"_content": _str(person.get("username"))}},
            "stat": "ok",
        }

    def _get_photos(self, method: str, params: Mapping[str, str]) -> JSONDict:
        nsid = params.get("user_id", "")
        if nsid in self.data.deleted_owners or (
            nsid not in self.data.owners and not self.data.public_listing(nsid)
        ):
            return (
                _fail(2, "Unknown user")
                if method == "flickr.people.getPhotos"
                else _fail(1, "User not found")
            )
        try:
            per_page = min(MAX_PER_PAGE, max(1, int(params.get("per_page") or 100)))
            page = max(1, int(params.get("page") or 1))
        except ValueError:
            per_page, page = 100, 1
        extras = {e.strip() for e in params.get("extras", "").split(",") if e.strip()}
        listing = self.data.public_listing(nsid)
        total = len(listing)
        start = (page - 1) * per_page
        photos = [
            listing_entry(self.data.photos[pid], extras)
            for pid in listing[start : start + per_page]
        ]
        return {
            "photos": {
                "page": page,
                "pages": math.ceil(total / per_page),
                "perpage": per_page,
                "total": total,
                "photo": photos,
            },
            "stat": "ok",
        }


def _header_value(value: float | str | None) -> str | None:
    """A ``Retry-After`` value as sent: seconds (``2``, ``0.5``) or an HTTP date."""
    if value is None:
        return None
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def _fail(code: int, message: str) -> JSONDict:
    return {"stat": "fail", "code": code, "message": message}


class _Handler(http.server.BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive (httpx reuses connections, as it would with Flickr)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms stalls
    server: _Server

    def do_GET(self) -> None:
        if urlsplit(self.path).path.startswith(CONTROL_PREFIX):
            self._send(self.server.app.control(urlsplit(self.path).path, "GET", b""))
            return
        self._answer(urlsplit(self.path).query)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if urlsplit(self.path).path.startswith(CONTROL_PREFIX):
            self._send(self.server.app.control(urlsplit(self.path).path, "POST", raw))
            return
        form = raw.decode("utf-8", "replace")
        query = urlsplit(self.path).query
        self._answer(f"{query}&{form}" if query else form)

    def _answer(self, query: str) -> None:
        params = dict(parse_qsl(query, keep_blank_values=True))
        path = urlsplit(self.path).path
        self._send(self.server.app.handle(path, params, self.headers.get("User-Agent", "")))

    def _send(self, response: StandinResponse) -> None:
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """No access log: request lines carry the api_key, and tests look at the logs."""


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: FlickrStandin) -> None:
        self.app = app
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("stand-in: error while serving %s", client_address, exc_info=True)


@dataclass
class StandinHandle:
    """A running stand-in: its endpoint URL, its data, what it received, fault control."""

    url: str
    api_key: str
    app: FlickrStandin

    @property
    def data(self) -> StandinData:
        return self.app.data

    @property
    def requests(self) -> list[StandinRequest]:
        """Every request received so far, in order (a copy)."""
        with self.app._lock:
            return list(self.app.requests)

    @property
    def counts(self) -> Counter[str]:
        """Requests received so far, by Flickr method."""
        return self.app.counts()

    def inject(
        self,
        kind: Fault | str,
        times: int | None = 1,
        *,
        method: str | None = None,
        match: Mapping[str, str] | None = None,
        retry_after: float | str | None = 1,
        delay: float = 1.0,
    ) -> None:
        """See ``FlickrStandin.inject``."""
        self.app.inject(
            kind, times, method=method, match=match, retry_after=retry_after, delay=delay
        )

    def clear_faults(self) -> None:
        self.app.clear_faults()

    def reset(self) -> None:
        """Forget the requests received so far (faults stay)."""
        self.app.reset_requests()


@contextmanager
def run_flickr_standin(
    data: StandinData | None = None,
    *,
    api_key: str = STANDIN_API_KEY,
    host: str = "127.0.0.1",
    port: int = 0,
) -> Iterator[StandinHandle]:
    """Serve ``data`` on ``host:port`` (0: a free port) in a background thread."""
    app = FlickrStandin(data if data is not None else StandinData(), api_key)
    server = _Server((host, port), app)
    bound_port = server.server_address[1]
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="flickr-standin",
        daemon=True,
    )
    thread.start()
    try:
        yield StandinHandle(url=f"http://{host}:{bound_port}{REST_PATH}", api_key=api_key, app=app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bot.standins.flickr DIR``: serve a data directory until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("directory", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--api-key", default=STANDIN_API_KEY)
    args = parser.parse_args(argv)
    data = load_standin_data(args.directory)
    with run_flickr_standin(data, api_key=args.api_key, host=args.host, port=args.port) as handle:
        print(
            f"Flickr stand-in serving {len(data.photos)} photos, {len(data.owners)} people "
            f"at {handle.url} (FLICKR_API_KEY={handle.api_key})",
            flush=True,
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
