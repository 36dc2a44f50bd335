"""BHL reverse matching: files that cite only a BHL page id get the BHL Flickr photo tagged with that page proposed, never written without a person or a rule.

BHL's photo list (``extras=machine_tags``, 500 photos a call) is read into the store at
most once per run, the first time a batch has such a file: whole the first time (and
every ``WHOLE_READ_EVERY``), otherwise only the photos uploaded since the newest one kept
(``min_upload_date``). Paging cursors
would not do for the refresh: the list is newest first, so every upload shifts every
page; an upload date is a fixed point of the list. Every file is then matched from the
store without a Flickr call of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.core import ids
from bot.core.bhl import (
    MATCH_REASON,
    SEVERAL_REASON,
    MatchKind,
    listed_pages,
    match_kind,
    pages_in_evidence,
)
from bot.core.claims import photo_id_statement
from bot.core.concurrency import statements_of
from bot.core.reconcile import photo_ids_on_file
from bot.run.base import RunBase
from bot.run.common import _waiting
from bot.run.ports import EntityStateLike, FlickrPort
from bot.run.summary import FileResult
from bot.store import ConflictRecord, FileStatus, ListedBhlPhoto, Store, WorkFile, utcnow

log = logging.getLogger(__name__)

PUT_CHUNK = 5000  # listed photos per store transaction while the list is read
# The refresh by upload date cannot see an old photo deleted or re-tagged: the whole list
# is read again this often (N/500 calls for N photos, shared by every BHL file).
WHOLE_READ_EVERY = timedelta(days=30)
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # bot.store.utcnow()


class BhlSteps(RunBase):
    """BHL-only files: the photo list read into the store once per run, each file matched by page."""

    _bhl_list_ready: bool | None = None  # None: not read yet this run

    def _bhl_only(
        self, live: Sequence[tuple[WorkFile, EntityStateLike]]
    ) -> list[tuple[WorkFile, EntityStateLike]]:
        """The files whose only evidence is a BHL page id: no Flickr photo in the worklist
        nor on the file."""
        return [
            (f, state)
            for f, state in live
            if not f.photo_ids
            and pages_in_evidence(f.evidence)
            and not photo_ids_on_file(state.entity)
        ]

    def _match_bhl_pages(
        self, run_id: int, files: Sequence[tuple[WorkFile, EntityStateLike]]
    ) -> Iterator[FileResult]:
        """One outcome per file: a proposal (one photo), candidates (several) or none."""
        if not files:
            return
        if not self._read_bhl_list():
            for f, _state in files:
                yield FileResult(f, FileStatus.ERROR, error="flickr: BHL's photo list not read")
            return
        pages = sorted({p for f, _ in files for p in pages_in_evidence(f.evidence)})
        tagged = self.store.bhl_photos_for_pages(pages)
        for f, state in files:
            self._check_stop()
            photo_ids = sorted(
                {pid for page in pages_in_evidence(f.evidence) for pid in tagged.get(page, ())}
            )
            kind = match_kind(photo_ids)
            if kind is MatchKind.NONE:
                yield FileResult(f, FileStatus.BHL_NO_MATCH, checked_revid=state.lastrevid)
            else:
                yield self._queue_bhl_match(run_id, f, state, photo_ids, kind)

    def _queue_bhl_match(
        self,
        run_id: int,
        f: WorkFile,
        state: EntityStateLike,
        photo_ids: Sequence[str],
        kind: MatchKind,
    ) -> FileResult:
        """A proposed P12120 per candidate photo, for a person (or a bulk rule) to accept."""
        assert f.mid is not None
        reason = MATCH_REASON if kind is MatchKind.ONE else SEVERAL_REASON
        existing = list(statements_of(state.entity).get(ids.P_FLICKR_PHOTO_ID, []))
        records = [
            ConflictRecord(
                property=ids.P_FLICKR_PHOTO_ID,
                reason=reason,
                existing=existing,
                proposed=photo_id_statement(pid),
            )
            for pid in photo_ids
        ]
        recorded = self.store.record_conflicts(
            mid=f.mid,
            title=state.title or f.title,
            flickr_photo_id=photo_ids[0] if kind is MatchKind.ONE else None,
            owner_nsid=ids.BHL_NSID,
            base_revid=state.lastrevid,
            conflicts=records,
            run_id=run_id,
            dry_run=self.options.dry_run,
        )
        return FileResult(
            f,
            FileStatus.CONFLICT,
            conflicts=records,
            checked_revid=state.lastrevid,
            queued=_waiting(records, recorded.waiting()),
        )

    def _read_bhl_list(self) -> bool:
        """Bring the store's copy of BHL's photo list up to date (once per run); False when
        there is no complete copy to match against."""
        if self._bhl_list_ready is None:
            read = refresh_bhl_list(self.store, self.flickr)
            self.summary.bhl_photos_listed += read.listed
            self.summary.bhl_list_calls += read.calls
            self._bhl_list_ready = read.ready
        return self._bhl_list_ready


@dataclass(frozen=True, slots=True)
class BhlListRead:
    """What one refresh of the store's copy of BHL's photo list did."""

    listed: int  # photos read
    calls: int  # Flickr calls it took
    since: int | None  # the min_upload_date asked (None: the whole list)
    ready: bool  # a complete copy is there to match against


def refresh_bhl_list(
    store: Store,
    flickr: FlickrPort,
    owner: str = ids.BHL_NSID,
    *,
    whole_every: timedelta = WHOLE_READ_EVERY,
    now: datetime | None = None,
) -> BhlListRead:
    """Read BHL's photo list into the store: whole until one read has finished, then only
    the photos uploaded since the newest one kept, and whole again once the last whole
    read is ``whole_every`` old (what the refresh by date cannot see: old photos deleted
    or re-tagged). A failed read keeps what it got; the older complete copy, if any,
    still answers."""
    from bot.adapters.flickr import FlickrError, FlickrFatalError

    before = store.bhl_listing(owner)
    since = None
    if before is not None and before.complete and before.full_read_at:
        last_whole = datetime.strptime(before.full_read_at, TIME_FORMAT).replace(tzinfo=UTC)
        if (now or datetime.now(UTC)) - last_whole < whole_every:
            since = before.newest_upload
    started = utcnow()
    calls = flickr.calls
    chunk: list[ListedBhlPhoto] = []
    listed = 0
    try:
        for photo in flickr.iter_owner_photos(owner, min_upload_date=since):
            listed += 1
            pages = listed_pages(photo.machine_tags)
            chunk.append(ListedBhlPhoto(photo.id, pages, int(photo.date_posted.timestamp())))
            if len(chunk) >= PUT_CHUNK:
                store.put_bhl_photos(owner, chunk)
                chunk = []
        store.put_bhl_photos(owner, chunk)
        store.finish_bhl_listing(owner, listed, whole_read_from=None if since else started)
        ready = True
    except FlickrFatalError:
        raise
    except FlickrError as exc:
        store.put_bhl_photos(owner, chunk)  # kept; the next full read replaces them
        ready = before is not None and before.complete
        log.warning("BHL's photo list (%d photos read): %s", listed, exc)
    read = BhlListRead(listed, flickr.calls - calls, since, ready)
    log.info(
        "BHL's photo list: %d photos read%s in %d calls",
        read.listed,
        "" if since is None else f" (uploaded since {since})",
        read.calls,
    )
    return read
