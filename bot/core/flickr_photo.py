"""The typed Flickr records the rest of the bot works with.

Flickr's JSON is loosely typed (the same field arrives as a string or a number, empty
strings stand for "none"). ``bot.adapters.flickr`` normalises every response once into these
records; the pure core (``bot.core.claims``, ``bot.core.reconcile``) only ever sees them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class FlickrOwner:
    """A Flickr account. ``username``/``realname``/``path_alias`` are None when empty."""

    nsid: str
    username: str | None = None
    realname: str | None = None
    path_alias: str | None = None
    photos_count: int | None = None
    is_deleted: bool = False

    @property
    def display_name(self) -> str | None:
        """The author name Commons should show: realname, else username."""
        return self.realname or self.username

    @property
    def profile_url(self) -> str:
        """``https://www.flickr.com/people/<path alias or NSID>/``."""
        return f"https://www.flickr.com/people/{self.path_alias or self.nsid}/"


@dataclass(frozen=True, slots=True)
class FlickrLocation:
    """Public geo data of a photo; accuracy is Flickr's 1 (world) .. 16 (street)."""

    latitude: float
    longitude: float
    accuracy: int


@dataclass(frozen=True, slots=True)
class FlickrPhoto:
    """One live Flickr photo, as much as the data model needs.

    ``date_taken`` is Flickr's text (``"1943-01-01 00:00:00"``), kept verbatim with its
    granularity (0 day, 4 month, 6 year, 8 circa) and the ``takenunknown`` flag, because
    deciding what to make of them is the data model's job, not the client's.
    ``machine_tags`` are the raw tags (``"bhl:page=33665645"``), not the normalised ones,
    unless ``machine_tags_normalised`` is set: a photo read from an owner's photo list
    (``extras=machine_tags``) only comes with Flickr's normalised form (lower-cased,
    punctuation stripped from the value: ``dc:identifier=httpsbiodiversitylibraryorgpage1``);
    numeric values such as ``bhl:page=33665645`` read the same in both forms.
    """

    id: str
    owner: FlickrOwner
    date_posted: datetime  # timezone-aware, UTC
    date_taken: str | None = None
    date_taken_granularity: int = 0
    date_taken_unknown: bool = False
    license_id: str | None = None
    media: str = "photo"
    location: FlickrLocation | None = None
    machine_tags: tuple[str, ...] = field(default_factory=tuple)
    title: str | None = None
    is_public: bool = True
    machine_tags_normalised: bool = False

    @property
    def photo_page_url(self) -> str:
        """The canonical photo page, ``https://www.flickr.com/photos/<alias or NSID>/<id>/``."""
        return (
            f"https://www.flickr.com/photos/{self.owner.path_alias or self.owner.nsid}/{self.id}/"
        )


class GoneReason(StrEnum):
    """Why Flickr would not give us a photo."""

    NOT_FOUND = "not_found"  # code 1: deleted, or private (Flickr answers 1 for both now)
    PRIVATE = "private"  # code 2: older behaviour for private photos
    OWNER_DELETED = "owner_deleted"  # code 5


@dataclass(frozen=True, slots=True)
class FlickrPhotoGone:
    """A photo Flickr no longer shows; the bot still records its id (and creator if known)."""

    id: str
    reason: GoneReason
    code: int
    message: str = ""
