"""One batch of worklist files: titles resolved, Commons read, evidence from wikitext, Flickr fetched per owner, creators looked up."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from bot.core import bhl
from bot.core.reconcile import (
    creator_items_to_look_up,
)
from bot.run.bhl import BhlSteps
from bot.run.common import _owner_key, _short, _use_decided_photo_id, _weak_only
from bot.run.evidence import EvidenceSteps
from bot.run.ports import EntityStateLike
from bot.run.summary import FileResult
from bot.store import (
    FileStatus,
    WorkFile,
)

log = logging.getLogger(__name__)


class BatchSteps(EvidenceSteps, BhlSteps):
    """One batch of worklist files: titles resolved, Commons read, evidence from wikitext, Flickr fetched per owner, creators looked up."""

    def _process_batch(self, run_id: int, batch: list[WorkFile]) -> Iterator[FileResult]:
        """Read Commons for the batch, fetch Flickr per owner, plan and act per file."""
        self._resolve_titles(batch)
        known = [f for f in batch if f.mid]
        states = self.commons.read_entities([f.mid for f in known if f.mid])
        for f in batch:
            if not f.mid:
                yield self._finish(
                    run_id, FileResult(f, FileStatus.FILE_GONE, error="no such file on Commons")
                )
        live = []
        for f in known:
            state = states.get(f.mid or "")
            if state is None or state.gone:
                yield self._finish(run_id, FileResult(f, FileStatus.FILE_GONE))
            else:
                live.append((f, state))
        self._fill_evidence_from_wikitext([f for f, _ in live if not f.photo_ids])
        decided = self.store.decided_photo_ids([f.mid for f, _ in live if f.mid])
        for f, state in live:
            _use_decided_photo_id(f, state, decided.get(f.mid or ""))
        bhl_only = self._bhl_only(live)
        if bhl_only:  # matched by BHL page id, proposed for review; nothing else to plan
            for result in self._match_bhl_pages(run_id, bhl_only):
                yield self._finish(run_id, result)
            matched = {id(f) for f, _ in bhl_only}
            live = [(f, s) for f, s in live if id(f) not in matched]
        photos = self.fetch_flickr(
            [f for f, s in live if len(f.photo_ids) == 1 and not _weak_only(f, s)]
        )
        self.wikidata_unchecked = (set(), "")
        creators = self.creator_lookups([s for _, s in live])
        unchecked, why = self.wikidata_unchecked
        self._gather_evidence(run_id, live, photos, creators)
        for f, state in live:
            self._check_stop()
            self._keep_lock()
            if unchecked and creator_items_to_look_up(state.entity) & unchecked:
                result = FileResult(f, FileStatus.ERROR, error=f"wikidata: {why}")
            else:
                result = self._process_file(run_id, f, state, photos, creators)
            yield self._finish(run_id, result)

    def _resolve_titles(self, batch: list[WorkFile]) -> None:
        """``--titles`` rows learn their M-id (one read by titles for the batch).

        A dry run only learns it in memory: merging the row into the snapshot's row of
        the same file deletes a worklist row, which is a write.
        """
        pending = [f for f in batch if not f.mid and f.title]
        if not pending:
            return
        states = self.commons.read_entities_by_title([f.title for f in pending if f.title])
        for f in pending:
            state = states.get(f.title or "")
            if state is None or state.gone or not state.mid:
                continue
            if not self.options.dry_run:
                f.id = self.store.set_file_identity(
                    f.id, state.mid, state.pageid, state.title or f.title or ""
                )
            f.mid = state.mid

    def _fill_evidence_from_wikitext(self, files: list[WorkFile]) -> None:
        """Files whose SDC holds no photo id: look for the Flickr source in wikitext.

        Each piece of evidence keeps its strength: a photo id found only in the file
        name is weak, and weak evidence alone never leads to an edit (see ``_weak_only``).
        """
        if not files or self.find_in_wikitext is None:
            return
        texts = self.commons.get_wikitext([f.title for f in files if f.title])
        self._wikitexts = dict(texts)  # the licence report reads them too
        for f in files:
            text = texts.get(f.title or "")
            if not text or not f.title:
                continue
            found = self.find_in_wikitext(f.title, text)
            photo_ids = list(getattr(found, "photo_ids", ()) or ())
            if not photo_ids:
                self._note_bhl_pages(f, text)
                continue
            owner = getattr(found, "owner", None)
            nsid = owner if owner and "@N" in owner else None
            alias = owner if owner and not nsid else None
            strength = str(getattr(found, "strength", "") or "")
            evidence = [
                {"source": "wikitext", "value": s, "strength": strength}
                for s in getattr(found, "sources", ())
            ]
            f.photo_ids = photo_ids
            f.owner_nsid = f.owner_nsid or nsid
            f.owner_alias = f.owner_alias or alias
            f.evidence = f.evidence + evidence
            f.evidence_sources = sorted(set(f.evidence_sources) | {"wikitext"})
            if not self.options.dry_run:
                self.store.set_file_evidence(
                    f.id, photo_ids, nsid, alias, f.evidence, f.evidence_sources
                )

    def _note_bhl_pages(self, f: WorkFile, text: str) -> None:
        """BHL page ids the wikitext cites, kept as the evidence of a file that names no
        Flickr photo (BHL reverse matching uses them)."""
        known = set(bhl.pages_in_evidence(f.evidence))
        pages = [p for p in bhl.pages_in_wikitext(text) if p not in known]
        if not pages:
            return
        f.evidence = f.evidence + bhl.evidence_items(bhl.SRC_WIKITEXT, pages)
        f.evidence_sources = sorted(set(f.evidence_sources) | {bhl.SRC_WIKITEXT})
        if not self.options.dry_run:
            self.store.set_file_evidence(f.id, [], None, None, f.evidence, f.evidence_sources)

    def fetch_flickr(self, files: list[WorkFile]) -> dict[str, Any]:
        """One ``fetch_photos`` per owner: the client picks per-photo or paged calls,
        told how many of the owner's files later batches of this run will ask for."""
        by_owner: dict[str | None, list[str]] = defaultdict(list)
        keys: dict[str | None, set[str | None]] = defaultdict(set)
        for f in files:
            nsid = self._owner_nsid(f)
            by_owner[nsid].append(f.photo_ids[0])
            key = _owner_key(f)
            keys[nsid].add(key)
            self._owner_left[key] = max(0, self._owner_left[key] - 1)
        later = {nsid: sum(self._owner_left[k] for k in ks) for nsid, ks in keys.items()}
        results: dict[str, Any] = {}
        for nsid, photo_ids in by_owner.items():
            results.update(
                self.flickr.fetch_photos(
                    nsid, sorted(set(photo_ids)), expected_later=later.get(nsid, 0)
                )
            )
        return results

    def _owner_nsid(self, f: WorkFile) -> str | None:
        """The owner's NSID; None when unknown, or when Flickr cannot tell us now (the
        photos are then read one by one, which needs no owner)."""
        if f.owner_nsid:
            return f.owner_nsid
        if f.owner_alias:
            from bot.adapters.flickr import FlickrError, FlickrFatalError

            try:
                return self.flickr.lookup_user(f.owner_alias)
            except FlickrFatalError:
                raise
            except FlickrError as exc:
                log.warning("path alias %s: %s; reading its photos one by one", f.owner_alias, exc)
        return None

    def creator_lookups(self, states: list[EntityStateLike]) -> dict[str, list[str]]:
        """P3267 of creator items (Wikidata), cached in the store, fetched in one batch."""
        qids: set[str] = set()
        for state in states:
            qids |= set(creator_items_to_look_up(state.entity))
        if not qids:
            return {}
        cached = self.store.get_wikidata_flickr_ids(sorted(qids))
        missing = sorted(qids - set(cached))
        if missing and self.wikidata is not None:
            from bot.adapters.wikidata import WikidataError

            try:
                fetched = {q: list(v) for q, v in self.wikidata(missing).items()}
            except WikidataError as exc:
                # The files that need these items wait for a later run: planning them
                # now would queue "could not be checked" conflicts for nothing.
                log.warning("Wikidata creator lookup failed: %s", exc)
                self.wikidata_unchecked = (set(missing), _short(exc))
                return cached
            self.store.put_wikidata_flickr_ids(fetched)
            cached.update(fetched)
        return cached
