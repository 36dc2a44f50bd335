"""The Flickr stand-in's application: routing, the key check, the four methods, faults and
the request log, with no HTTP in here (:mod:`bot.standins.flickr.server` serves it)."""

from __future__ import annotations

import math
import re
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import unquote

import orjson

from bot.standins.faults import FaultQueue, FaultRule, FlickrFault
from bot.standins.flickr.data import (
    LISTING_METHODS,
    MAX_PER_PAGE,
    REST_PATH,
    STANDIN_API_KEY,
    JSONDict,
    StandinData,
    is_one,
    listing_entry,
    posted_of,
    text_of,
)
from bot.standins.serving import CONTROL_PREFIX

_ALIAS_URL_RE: Final = re.compile(r"flickr\.com/(?:photos|people)/([^/?#]+)", re.IGNORECASE)
_KEY_FORMAT_RE: Final = re.compile(r"^[0-9a-f]{32}$")


Fault = FlickrFault  # the kinds, as ``--inject flickr:KIND`` names them


@dataclass
class _FaultRule(FaultRule):
    """A Flickr fault: narrowed to a method (``target``) and to parameter values (``match``)."""

    match: Mapping[str, str] = field(default_factory=dict)
    retry_after: str | None = None
    delay: float = 1.0

    def applies(self, method: str, params: Mapping[str, str]) -> bool:
        if self.target is not None and self.target != method:
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
        self._faults: FaultQueue[_FaultRule] = FaultQueue()
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
            target=method,
            match=dict(match or {}),
            retry_after=_header_value(retry_after),
            delay=delay,
        )
        self._faults.add(rule)

    def clear_faults(self) -> None:
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
                        "method": rule.target,
                        "match": dict(rule.match),
                    }
                    for rule in self._faults.pending()
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
        return self._faults.take(lambda rule: rule.applies(method, params))

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
                StandinRequest(method, params, str(fault.kind) if fault else None, user_agent)
            )
        if fault is not None:
            if fault.kind == Fault.SLOW:
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
        if fault.kind == Fault.HTTP_500:
            return StandinResponse(500, b"<error>BOOM!</error>", "text/html")
        if fault.kind == Fault.HTTP_503:
            return StandinResponse(503, b"Service Unavailable", "text/html", retry_after)
        if fault.kind == Fault.HTTP_429:
            return StandinResponse(429, b"Too Many Requests", "text/plain", retry_after)
        if fault.kind == Fault.CODE_201:
            message = "Sorry, the Flickr API service is not currently available."
            return StandinResponse(200, orjson.dumps(_fail(201, message)))
        if fault.kind == Fault.CODE_105:
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
            and not is_one(geoperms.get("ispublic"))
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
            "user": {"id": nsid, "username": {"_content": text_of(person.get("username"))}},
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
        since = params.get("min_upload_date", "").strip()
        if since.isdigit():  # Flickr: uploaded at or after this unix time
            listing = [pid for pid in listing if posted_of(self.data.photos[pid]) >= int(since)]
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
