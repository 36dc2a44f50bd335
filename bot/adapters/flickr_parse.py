"""Flickr's loosely typed JSON as the typed records of ``bot.core.flickr_photo``.

Flickr's ``format=json`` output sends the same field as ``"1"``, ``1`` or ``""`` and wraps
some values as ``{"_content": ...}``; every response is normalised here, once, so nothing
past the client sees a raw answer. Pure functions: no network, no state.
"""

from __future__ import annotations

import math
import re
import urllib.parse
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from bot.adapters.flickr_errors import FlickrResponseError
from bot.core.flickr_photo import (
    FlickrLocation,
    FlickrOwner,
    FlickrPhoto,
    FlickrPhotoGone,
    GoneReason,
)

_ALIAS_URL_RE: Final = re.compile(r"flickr\.com/(?:photos|people)/([^/?#]+)", re.IGNORECASE)

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
