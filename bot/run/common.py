"""Small helpers the run's parts share: the stop signal, ids of a file's photo and owner, batching."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from bot.core import ids
from bot.core.concurrency import (
    statements_of,
)
from bot.core.flickr_photo import FlickrPhoto, FlickrPhotoGone
from bot.core.reconcile import (
    photo_ids_on_file,
)
from bot.run.ports import EntityStateLike
from bot.store import (
    ConflictRecord,
    WorkFile,
)

log = logging.getLogger(__name__)


class StopRun(Exception):
    """Raised inside the loop to end the run cleanly with a reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _photo_id(photo: Any, f: WorkFile) -> str | None:
    if isinstance(photo, FlickrPhoto | FlickrPhotoGone):
        return photo.id
    return f.photo_ids[0] if len(f.photo_ids) == 1 else None


def _owner_of(photo: Any) -> str | None:
    return photo.owner.nsid if isinstance(photo, FlickrPhoto) else None


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 300 else text[:297] + "..."


def _owner_key(f: WorkFile) -> str | None:
    """Which owner a file counts for before its path alias is resolved."""
    return f.owner_nsid or (f"alias:{f.owner_alias.lower()}" if f.owner_alias else None)


def _batches(files: list[WorkFile], size: int) -> Iterator[list[WorkFile]]:
    """Batches of ``size`` files; the list is already grouped by owner."""
    for start in range(0, len(files), size):
        yield files[start : start + size]


def _chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _is_weak(evidence: Mapping[str, Any]) -> bool:
    """Evidence from the file name only (``Title (12345678901).jpg``)."""
    if evidence.get("strength") == "filename":
        return True
    return evidence.get("source") == "wikitext" and str(evidence.get("value", "")).startswith(
        "file name:"
    )


def _waiting(conflicts: Sequence[ConflictRecord], waiting: Sequence[bool]) -> list[str]:
    """The reasons of the conflicts the store says are waiting for a person."""
    return [c.reason for c, w in zip(conflicts, waiting, strict=False) if w]


def _use_decided_photo_id(f: WorkFile, state: EntityStateLike, decided: str | None) -> None:
    """A photo id a maintainer decided is the file's from then on, while the file still
    states it (and only it): fetched and planned as a single-id file, whatever else the
    evidence cites. Only in memory; the worklist keeps the evidence as extracted."""
    if decided is None or f.photo_ids == [decided]:
        return
    if photo_ids_on_file(state.entity) == {decided}:
        log.debug("%s cites %s; the photo id decided is %s", f.mid, f.photo_ids, decided)
        f.photo_ids = [decided]


def _weak_only(f: WorkFile, state: EntityStateLike) -> bool:
    """All there is for this photo id is weak evidence, and the file does not confirm it
    (no P12120 with that id, e.g. written after a maintainer accepted it)."""
    if len(f.photo_ids) != 1 or not f.evidence or not all(_is_weak(e) for e in f.evidence):
        return False
    written = statements_of(state.entity).get(ids.P_FLICKR_PHOTO_ID, [])
    values = {((s.get("mainsnak") or {}).get("datavalue") or {}).get("value") for s in written}
    return f.photo_ids[0] not in values


def _claim_properties(payload: Any) -> list[str]:
    """The properties an edit payload (``{"claims": [...]}`` or the list) writes."""
    claims = payload.get("claims", []) if isinstance(payload, Mapping) else payload
    return sorted(
        {
            str((c.get("mainsnak") or {}).get("property"))
            for c in claims or ()
            if (c.get("mainsnak") or {}).get("property")
        }
    )
