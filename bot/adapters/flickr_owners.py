"""Who owns what on Flickr, remembered across runs: the owner cache the client asks first.

An owner (names, photo count, deleted or not) and a path alias cost one call each to learn;
the ``OwnerCache`` protocol lets the store keep them between runs, and ``MemoryOwnerCache``
is the in-process default.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Final, Protocol

from bot.core.flickr_photo import FlickrOwner

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
