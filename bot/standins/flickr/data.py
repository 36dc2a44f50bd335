"""The Flickr stand-in's data: photos, people and aliases in Flickr's shapes, the seed
builders (``make_photo``, ``make_person``), listings, and the data directory's layout."""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import orjson

STANDIN_API_KEY: Final = "0123456789abcdef0123456789abcdef"  # a fake key, valid only here
REST_PATH: Final = "/services/rest/"
MAX_PER_PAGE: Final = 500
LISTING_METHODS: Final = ("flickr.people.getPhotos", "flickr.people.getPublicPhotos")


JSONDict = dict[str, Any]


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


def text_of(value: object) -> str:
    if type(value) is str:
        return value
    value = _content(value)
    return "" if value is None else str(value)


def is_one(value: object) -> bool:
    if type(value) is int:
        return value == 1
    return text_of(value).strip() in ("1", "1.0", "True", "true")


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
        self.photos[text_of(photo.get("id"))] = photo
        self.invalidate()

    def add_owner(self, person: JSONDict) -> None:
        """Add or replace one people.getInfo ``person`` object."""
        nsid = text_of(person.get("nsid")) or text_of(person.get("id"))
        self.owners[nsid] = person

    def invalidate(self) -> None:
        """Forget the derived per-owner lists (after ``photos`` changed)."""
        with self._lock:
            self._index = None

    def is_public(self, photo: Mapping[str, Any]) -> bool:
        """Visible to an API-key-only caller."""
        visibility = photo.get("visibility")
        if isinstance(visibility, Mapping) and "ispublic" in visibility:
            return is_one(visibility.get("ispublic"))
        return True

    def owner_of(self, photo: Mapping[str, Any]) -> str:
        owner = photo.get("owner")
        return text_of(owner.get("nsid")) if isinstance(owner, Mapping) else text_of(owner)

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
                    posted = text_of(dates.get("posted")) if isinstance(dates, Mapping) else ""
                    posted = posted or text_of(photo.get("dateuploaded")) or "0"
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
                "username": {"_content": text_of(owner.get("username"))},
                "realname": {"_content": text_of(owner.get("realname"))},
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
            if nsid.lower() == wanted or text_of(person.get("path_alias")).lower() == wanted:
                return nsid
        if self.listings:
            for nsid in self.listings:
                if nsid.lower() == wanted:
                    return nsid
        for photo in self.photos.values():
            owner = photo.get("owner")
            if isinstance(owner, Mapping) and (
                text_of(owner.get("path_alias")).lower() == wanted
                or text_of(owner.get("nsid")).lower() == wanted
            ):
                return text_of(owner.get("nsid"))
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


def posted_of(photo: Mapping[str, Any]) -> int:
    """A getInfo ``photo``'s upload time (unix seconds; 0 when it has none)."""
    dates = photo.get("dates")
    posted = text_of(dates.get("posted")) if isinstance(dates, Mapping) else ""
    posted = posted or text_of(photo.get("dateuploaded")) or "0"
    try:
        return int(float(posted))
    except ValueError:
        return 0


def listing_entry(photo: Mapping[str, Any], extras: Iterable[str]) -> JSONDict:
    """A getInfo ``photo`` as it appears in a photo list with ``extras`` (Flickr's names)."""
    wanted = extras if isinstance(extras, set | frozenset) else set(extras)
    owner = _obj(photo.get("owner"))
    dates = _obj(photo.get("dates"))
    visibility = _obj(photo.get("visibility"))
    entry: JSONDict = {
        "id": text_of(photo.get("id")),
        "owner": text_of(owner.get("nsid")),
        "secret": photo.get("secret", ""),
        "server": photo.get("server", ""),
        "farm": photo.get("farm", 0),
        "title": text_of(photo.get("title")),
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
        geo_public = geoperms is None or is_one(_obj(geoperms).get("ispublic"))
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
            text_of(t.get("_content")) or normalise_machine_tag(text_of(t.get("raw")))
            for t in tag_list
            if is_one(t.get("machine_tag"))
        )
    if "tags" in wanted:
        entry["tags"] = " ".join(text_of(t.get("_content")) for t in tag_list if t)
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
            data.photo_errors[path.stem] = (int(body.get("code", 1)), text_of(body.get("message")))
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
