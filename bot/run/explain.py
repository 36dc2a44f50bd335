"""``explain``: what a run would do to one live file, and why, with nothing written anywhere.

It goes through the run's own steps (``Job.plan_file``, ``fetch_flickr``,
``creator_lookups``, the wikitext evidence and the decided photo id of a batch) on a dry-run
job, so the answer is the run's answer, not a copy of it that can drift. What it finds is an
:class:`Explanation`: the file as read, its evidence, the Flickr photo, the plan, the edit
the plan would send and the statements it would change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from bot.core.bhl import pages_in_evidence
from bot.core.errors import NetworkUnreachable, RemoteError
from bot.core.evidence import evidence_from_entity
from bot.core.reconcile import Plan, photo_ids_on_file
from bot.core.wbeditentity import apply_edit
from bot.core.wikibase import statements_of
from bot.run.common import _use_decided_photo_id, _weak_only
from bot.run.ports import EntityStateLike, RunOptions
from bot.run.wiring import make_job
from bot.store import WorkFile

if TYPE_CHECKING:
    from bot.run.job import Job
    from bot.run.wiring import Adapters


class PropertyDiff(NamedTuple):
    """One property the edit would change: its statements now and after the edit."""

    property: str
    before: list[dict[str, Any]]
    after: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Explanation:
    """One file explained: ``plan`` is None when no Flickr photo id was found for it.

    ``photo`` is the client's answer for the one photo the file cites (``FlickrPhoto`` or
    ``FlickrPhotoGone``), None when it cites several (then the plan proposes one photo id
    each, for a person to choose); ``flickr_calls`` counts the client's calls so far.
    """

    state: EntityStateLike
    file: WorkFile
    photo: Any
    plan: Plan | None
    flickr_calls: int
    bhl_candidates: Mapping[str, list[str]] | None = None
    """For a file citing only BHL page ids: page -> the BHL photos tagged with it, as the
    store's copy of BHL's list has them (explain reads no list from Flickr)."""

    @property
    def edit(self) -> dict[str, Any] | None:
        """The ``wbeditentity`` payload a run would send (a dry run: never sent)."""
        return self.plan.edit if self.plan is not None else None

    @property
    def reasons(self) -> list[str]:
        """Why, per wanted statement: one reason code per action of the plan."""
        return [a.reason for a in self.plan.actions] if self.plan is not None else []

    @property
    def weak_evidence_only(self) -> bool:
        """Only the file name names the photo: a run asks a person and edits nothing."""
        return self.plan is not None and _weak_only(self.file, self.state)

    def diff(self) -> list[PropertyDiff]:
        """The statements the edit would change, before and after (the core's model of
        ``wbeditentity``, :func:`bot.core.wbeditentity.apply_edit`)."""
        if self.plan is None or self.plan.edit is None:
            return []
        entity = dict(self.state.entity)
        entity.setdefault("id", self.state.mid)
        before, after = statements_of(entity), statements_of(apply_edit(entity, self.plan.edit))
        return [
            PropertyDiff(p, list(before.get(p, [])), list(after.get(p, [])))
            for p in self.plan.changed_properties
        ]

    def to_json(self) -> dict[str, Any]:
        """What ``backfill explain`` prints: the plan with the title, the evidence and the
        Flickr calls, or the outcome ``no_flickr_id``."""
        if self.plan is None and self.bhl_candidates is not None:
            return {
                "mid": self.state.mid,
                "title": self.state.title,
                "outcome": "bhl_page_only",
                "bhl_candidates": dict(self.bhl_candidates),
                "note": "a run proposes the photo tagged with the page for review "
                "(bhl_page_match; several: bhl_page_several; none: bhl_no_match); "
                "candidates from the store's copy of BHL's photo list",
            }
        if self.plan is None:
            return {"mid": self.state.mid, "title": self.state.title, "outcome": "no_flickr_id"}
        out = self.plan.to_json()
        out["title"] = self.state.title
        out["evidence"] = self.file.evidence
        out["flickr_calls"] = self.flickr_calls
        return out


def explain(ad: Adapters, target: str) -> Explanation:
    """Read ``target`` (``M123`` or ``File:Title``) and plan it as a dry run would.

    Raises ``RemoteError`` when Commons has no such file, or when Flickr or Wikidata did
    not answer for it (``NetworkUnreachable`` when Wikidata could not be reached): a run
    would retry such a file later, so there is no plan to show.
    """
    job = make_job(ad, RunOptions(dry_run=True))
    state = _read(ad.commons, target.strip())
    f = _work_file(state)
    job._fill_evidence_from_wikitext([f] if not f.photo_ids else [])
    if not f.photo_ids:
        pages = pages_in_evidence(f.evidence)
        if not pages or photo_ids_on_file(state.entity):
            return Explanation(state, f, None, None, ad.flickr.calls)
        cached = ad.store.bhl_photos_for_pages(pages)
        candidates = {page: cached.get(page, []) for page in pages}
        return Explanation(state, f, None, None, ad.flickr.calls, candidates)
    _use_decided_photo_id(f, state, ad.store.decided_photo_ids([state.mid]).get(state.mid))
    photo = _photo(job, f)
    creators = _creators(job, ad, state)
    return Explanation(state, f, photo, job.plan_file(f, state, photo, creators), ad.flickr.calls)


def _read(commons: Any, target: str) -> EntityStateLike:
    if target.upper().startswith("M") and target[1:].isdigit():
        states: Mapping[str, EntityStateLike] = commons.read_entities([target.upper()])
    else:
        states = commons.read_entities_by_title([target])
    state = next(iter(states.values()), None)
    if state is None or state.gone:
        raise RemoteError(f"{target}: no such file on Commons")
    return state


def _work_file(state: EntityStateLike) -> WorkFile:
    """The worklist row a snapshot would give for the file as read now (never stored)."""
    entity = dict(state.entity)
    entity.setdefault("id", state.mid)
    found = evidence_from_entity({**entity, "title": state.title, "pageid": state.pageid})
    return WorkFile(
        id=0,
        mid=state.mid,
        title=state.title,
        pageid=state.pageid,
        photo_ids=list(found.photo_ids) if found else [],
        owner_nsid=found.owner_nsid if found else None,
        owner_alias=found.owner_alias if found else None,
        evidence=[dict(e) for e in found.evidence] if found else [],
        evidence_sources=list(found.evidence_sources) if found else [],
        has_p12120=bool(found and found.has_p12120),
        status="pending",
        attempts=0,
        origin="explain",
    )


def _photo(job: Job, f: WorkFile) -> Any:
    """The Flickr answer for a file citing one photo; None for several."""
    from bot.adapters.flickr import FetchError

    if len(f.photo_ids) != 1:
        return None
    photo = job.fetch_flickr([f]).get(f.photo_ids[0])
    if isinstance(photo, FetchError):
        raise RemoteError(
            f"Flickr did not answer for photo {photo.photo_id}: "
            f"{photo.message}; a run would retry this file later"
        )
    return photo


def _creators(job: Job, ad: Adapters, state: EntityStateLike) -> dict[str, list[str]]:
    creators = job.creator_lookups([state])
    unchecked, why = job.wikidata_unchecked
    if unchecked:
        kind = NetworkUnreachable if ad.wikidata.unreachable else RemoteError
        raise kind(
            f"Wikidata did not answer for {', '.join(sorted(unchecked))}: "
            f"{ad.wikidata.unreachable or why}; a run would retry this file later"
        )
    return creators
