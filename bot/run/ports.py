"""What the run needs from Commons, Flickr and Wikidata (the adapters satisfy these), and what it was asked to do."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from bot.core.flickr_photo import FlickrOwner, FlickrPhoto

log = logging.getLogger(__name__)


class EntityStateLike(Protocol):
    mid: str
    title: str | None
    pageid: int | None
    lastrevid: int | None
    entity: dict[str, Any]
    has_sdc: bool
    gone: bool


class EditResultLike(Protocol):
    @property
    def revid(self) -> int: ...

    @property
    def entity(self) -> dict[str, Any]: ...

    @property
    def patched(self) -> bool: ...


class CommonsPort(Protocol):
    """What the job needs from Commons (``bot.adapters.commons.CommonsClient``)."""

    read_calls: int
    control_calls: int

    def read_entities(self, mids: Sequence[str]) -> Mapping[str, EntityStateLike]: ...

    def read_entities_by_title(self, titles: Sequence[str]) -> Mapping[str, EntityStateLike]: ...

    def latest_revisions(self, mids: Sequence[str]) -> Mapping[str, int | None]: ...

    def edit(
        self, mid: str, claims: list[dict[str, Any]], *, baserevid: int, summary: str
    ) -> EditResultLike: ...

    def check_may_run(self) -> tuple[bool, str]: ...

    def get_wikitext(self, titles: Sequence[str]) -> Mapping[str, str | None]: ...

    def get_exif_dates(self, titles: Sequence[str]) -> Mapping[str, Mapping[str, str]]: ...


class FlickrPort(Protocol):
    """What the job needs from Flickr (``bot.adapters.flickr.FlickrClient``)."""

    @property
    def calls(self) -> int: ...

    def fetch_photos(
        self, nsid: str | None, photo_ids: Sequence[str], *, expected_later: int = 0
    ) -> Mapping[str, Any]: ...

    def lookup_user(self, alias: str) -> str | None: ...

    def get_owner(self, nsid: str) -> FlickrOwner | None: ...

    def iter_owner_photos(
        self, nsid: str, per_page: int | None = None, *, min_upload_date: int | None = None
    ) -> Iterator[FlickrPhoto]: ...


WikidataLookup = Callable[[Sequence[str]], Mapping[str, Sequence[str]]]


WikitextFinder = Callable[[str, str], Any]  # (title, wikitext) -> WikitextEvidence


@dataclass(slots=True)
class RunOptions:
    """What ``backfill run`` was asked to do."""

    dry_run: bool = False
    limit: int | None = None
    max_minutes: float | None = None
    only: list[str] | None = None
    owner: str | None = None
    recheck: bool = False
    batch_size: int = 50
    max_attempts: int = 3
    report_path: Path | None = None
    documentation_page: str = "Commons:Flickr SDC backfill bot"
    progress: bool | None = None  # None: a bar on a TTY, log lines otherwise
    apply_decisions: bool = True
    recheck_conflicts_days: float | None = 7.0
    """Files with undecided conflicts not looked at for this long get a revision check
    (None: never); the ones that changed on Commons are re-planned."""
    heartbeat_s: float = 30.0
    """Renew the run's lock at least this often (and with every edit)."""
