"""Evidence a batch gathers beside the plan: EXIF dates for date conflicts, and the licence drift report.

The EXIF dates cost one Commons read per batch that has a P571 date conflict
(``prop=imageinfo`` metadata of those files only); the licence check reads nothing (P275,
or the wikitext the batch read already). Neither writes to Commons.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from bot.core import ids
from bot.core.exif import DATE_CONFLICT_REASONS, EXIF_REASON, conflict_exif_evidence
from bot.core.flickr_photo import FlickrPhoto
from bot.core.licences import LicenceStatus, licence_check
from bot.core.reconcile import Plan
from bot.core.wikibase import statements_for
from bot.run.files import FileSteps
from bot.run.ports import EntityStateLike
from bot.store import ConflictRecord, WorkFile

log = logging.getLogger(__name__)

Live = Sequence[tuple[WorkFile, EntityStateLike]]


class EvidenceSteps(FileSteps):
    """EXIF dates for date conflicts, and the licence drift report, one batch at a time."""

    _exif_dates: dict[str, Mapping[str, str]]
    _wikitexts: dict[str, str | None]

    def _photo_of(self, f: WorkFile, photos: Mapping[str, Any]) -> FlickrPhoto | None:
        photo = photos.get(f.photo_ids[0]) if len(f.photo_ids) == 1 else None
        return photo if isinstance(photo, FlickrPhoto) else None

    def _gather_evidence(
        self,
        run_id: int,
        live: Live,
        photos: Mapping[str, Any],
        creators: Mapping[str, Sequence[str]],
    ) -> None:
        """Read the batch's EXIF dates (where a plan has a date conflict) and record its
        licence drift."""
        self._exif_dates = {}
        self._batch_plans = {}
        self._read_exif_dates(live, photos, creators)
        self._record_licences(run_id, live, photos)
        self._wikitexts = {}

    def _read_exif_dates(
        self, live: Live, photos: Mapping[str, Any], creators: Mapping[str, Sequence[str]]
    ) -> None:
        titles: dict[str, str] = {}
        for f, state in live:
            photo = self._photo_of(f, photos)
            if photo is None or not f.mid or not statements_for(state.entity, ids.P_INCEPTION):
                continue
            the_plan = self.plan_file(f, state, photo, creators)
            self._batch_plans[f.mid] = (state, photo, the_plan)  # the file step reuses it
            if _has_date_conflict(the_plan):
                titles[state.title or f.title or ""] = f.mid
        titles.pop("", None)
        if not titles:
            return
        from bot.adapters.commons import CommonsError

        try:
            dates = self.commons.get_exif_dates(list(titles))
        except CommonsError as exc:
            # Without the metadata the conflicts are queued as ordinary date conflicts.
            log.warning("imageinfo metadata of %d files: %s", len(titles), exc)
            return
        self._exif_dates = {mid: dates.get(title) or {} for title, mid in titles.items()}

    def _with_evidence(self, mid: str, conflicts: list[ConflictRecord]) -> list[ConflictRecord]:
        """A date conflict that Commons' EXIF explains gets ``commons_date_from_exif`` —
        unless a maintainer already answered it under its first reason: the facts on both
        sides are the same, so the answer stands and nothing is asked again."""
        dates = getattr(self, "_exif_dates", {}).get(mid)
        if not dates:
            return conflicts
        out = []
        for c in conflicts:
            match = conflict_exif_evidence(c.reason, c.existing, c.statement_id, c.proposed, dates)
            if match and not self.store.is_answered(mid, c):
                c = dataclasses.replace(c, reason=EXIF_REASON, evidence=match)
            out.append(c)
        return out

    def _record_licences(self, run_id: int, live: Live, photos: Mapping[str, Any]) -> None:
        """Flickr's licence against the file's P275, or the template in wikitext the batch
        read already (files whose SDC names no photo): no extra request, so a file with
        neither is ``unknown`` and its row, if any, stays as it was."""
        texts = getattr(self, "_wikitexts", {})
        for f, state in live:
            photo = self._photo_of(f, photos)
            if photo is None:
                continue
            title = state.title or f.title or ""
            check = licence_check(photo, state.entity, texts.get(title))
            if check.status is LicenceStatus.CHANGED:
                self.summary.licence_drift += 1
            if not self.options.dry_run and f.mid:
                self.store.record_licence(f.mid, state.title or f.title, photo.id, check, run_id)


def _has_date_conflict(the_plan: Plan) -> bool:
    return any(c.reason in DATE_CONFLICT_REASONS for c in the_plan.conflicts)
