"""``backfill run``: the one place that orchestrates I/O.

Per batch of worklist files (grouped by Flickr owner so the Flickr client can batch):
read Commons, fetch Flickr, plan, then edit or queue, and record one outcome per file.

Safety rests on three things:

- **The edit journal.** An intent (payload and ``baserevid``) is committed before
  ``wbeditentity`` is sent and closed, together with the file's outcome, in one
  transaction after. A run killed in between leaves an open intent; the next run
  re-reads that file and plans again. Planning is idempotent, so if the edit landed the
  new plan is empty and nothing is sent twice; if it did not, the plan is sent again.
- **``baserevid``.** Every edit names the revision its plan was made against; if someone
  edited since, Commons refuses, and the bot re-reads, re-plans and tries once more.
- **Dry runs** never log in, never write to Commons and never mark a file done.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any, Protocol

import orjson

from bot import ids
from bot.claims import licence_info, photo_id_statement, wanted_statements
from bot.commons import EditConflict
from bot.decisions import apply_decision
from bot.flickr_photo import FlickrOwner, FlickrPhoto, FlickrPhotoGone
from bot.reconcile import Plan, creator_items_to_look_up, plan
from bot.store import ConflictRecord, FileStatus, LockHeld, Store, WorkFile, dumps, utcnow

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- ports


class EntityStateLike(Protocol):
    mid: str
    title: str | None
    pageid: int | None
    lastrevid: int | None
    entity: dict[str, Any]
    has_sdc: bool
    gone: bool


class CommonsPort(Protocol):
    """What the job needs from Commons (``bot.commons.CommonsClient``)."""

    read_calls: int

    def read_entities(self, mids: Sequence[str]) -> Mapping[str, EntityStateLike]: ...

    def read_entities_by_title(self, titles: Sequence[str]) -> Mapping[str, EntityStateLike]: ...

    def edit(
        self, mid: str, claims: list[dict[str, Any]], *, baserevid: int | None, summary: str
    ) -> int: ...

    def check_may_run(self) -> tuple[bool, str]: ...

    def get_wikitext(self, titles: Sequence[str]) -> Mapping[str, str | None]: ...


class FlickrPort(Protocol):
    """What the job needs from Flickr (``bot.flickr.FlickrClient``)."""

    @property
    def calls(self) -> int: ...

    def fetch_photos(self, nsid: str | None, photo_ids: Sequence[str]) -> Mapping[str, Any]: ...

    def lookup_user(self, alias: str) -> str | None: ...

    def get_owner(self, nsid: str) -> FlickrOwner | None: ...


WikidataLookup = Callable[[Sequence[str]], Mapping[str, Sequence[str]]]
WikitextFinder = Callable[[str, str], Any]  # (title, wikitext) -> WikitextEvidence


# --------------------------------------------------------------------------- options & summary


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


@dataclass(slots=True)
class RunSummary:
    """End-of-run figures (log block and ``--json``)."""

    run_id: int = 0
    dry_run: bool = False
    files: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    statements: Counter[str] = field(default_factory=Counter)  # added/extended, by property
    conflicts: Counter[str] = field(default_factory=Counter)  # by reason
    edits: int = 0
    planned_edits: int = 0
    edit_conflicts: int = 0
    resumed_intents: int = 0
    decisions_applied: int = 0
    decisions_superseded: int = 0
    flickr_calls: int = 0
    commons_read_calls: int = 0
    elapsed_s: float = 0.0
    stop_reason: str = "done"

    def to_json(self) -> dict[str, Any]:
        per_file = max(self.files, 1)
        return {
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "files": self.files,
            "outcomes": dict(sorted(self.outcomes.items())),
            "statements_by_property": dict(sorted(self.statements.items())),
            "conflicts_by_reason": dict(sorted(self.conflicts.items())),
            "edits": self.edits,
            "planned_edits": self.planned_edits,
            "edit_conflicts": self.edit_conflicts,
            "resumed_intents": self.resumed_intents,
            "decisions_applied": self.decisions_applied,
            "decisions_superseded": self.decisions_superseded,
            "flickr_calls": self.flickr_calls,
            "flickr_calls_per_file": round(self.flickr_calls / per_file, 4),
            "commons_read_calls": self.commons_read_calls,
            "commons_read_calls_per_file": round(self.commons_read_calls / per_file, 4),
            "elapsed_s": round(self.elapsed_s, 2),
            "stop_reason": self.stop_reason,
        }

    def render(self) -> str:
        """The readable block printed at the end of a run."""
        data = self.to_json()
        mode = "dry run (nothing written to Commons)" if self.dry_run else "real run"
        lines = [
            f"Run {self.run_id}: {mode}; stopped: {self.stop_reason}",
            f"  files processed      {self.files}",
        ]
        for name, n in data["outcomes"].items():
            lines.append(f"    {name:<18} {n}")
        edits_label = "edits planned" if self.dry_run else "edits made"
        lines.append(f"  {edits_label:<20} {self.planned_edits if self.dry_run else self.edits}")
        if data["statements_by_property"]:
            lines.append("  statements added or extended, by property:")
            lines += [f"    {p:<18} {n}" for p, n in data["statements_by_property"].items()]
        if data["conflicts_by_reason"]:
            lines.append("  conflicts queued for review, by reason:")
            lines += [f"    {r:<28} {n}" for r, n in data["conflicts_by_reason"].items()]
        if self.decisions_applied or self.decisions_superseded:
            lines.append(
                f"  review decisions     {self.decisions_applied} applied, "
                f"{self.decisions_superseded} superseded"
            )
        lines.append(
            f"  Flickr calls         {self.flickr_calls} ({data['flickr_calls_per_file']} per file)"
        )
        lines.append(
            f"  Commons read calls   {self.commons_read_calls} "
            f"({data['commons_read_calls_per_file']} per file)"
        )
        lines.append(f"  elapsed              {data['elapsed_s']} s")
        return "\n".join(lines)


class StopRun(Exception):
    """Raised inside the loop to end the run cleanly with a reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --------------------------------------------------------------------------- the job


@dataclass(slots=True)
class FileResult:
    """What happened to one file in this run (for the report and the summary)."""

    file: WorkFile
    outcome: str
    plan: Plan | None = None
    revid: int | None = None
    error: str | None = None
    conflicts: list[ConflictRecord] = field(default_factory=list)


class Job:
    """One ``backfill run``. Construct with the adapters, call ``run()``."""

    def __init__(
        self,
        store: Store,
        commons: CommonsPort,
        flickr: FlickrPort,
        options: RunOptions,
        *,
        wikidata: WikidataLookup | None = None,
        find_in_wikitext: WikitextFinder | None = None,
        summary_builder: Callable[[Sequence[str], str | None, str], str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.commons = commons
        self.flickr = flickr
        self.options = options
        self.wikidata = wikidata
        self.find_in_wikitext = find_in_wikitext
        self.summary_builder = summary_builder or default_edit_summary
        self.clock = clock
        self.summary = RunSummary(dry_run=options.dry_run)
        self._stop_signal: str | None = None
        self._report: IO[bytes] | None = None

    # ------------------------------------------------------------- top level

    def run(self) -> RunSummary:
        """Take the lock, apply review decisions, walk the worklist, record the run."""
        opts = self.options
        lock_name = "dry-run" if opts.dry_run else "run"
        holder = self.store.acquire_lock(lock_name)  # LockHeld propagates to the CLI
        started = self.clock()
        run_id = self.store.start_run(dry_run=opts.dry_run, args=_options_json(opts))
        self.summary.run_id = run_id
        old_handlers = self._install_signal_handlers()
        if opts.report_path is not None:
            opts.report_path.parent.mkdir(parents=True, exist_ok=True)
            self._report = open(opts.report_path, "wb")  # noqa: SIM115 - closed in finally
        flickr_before = self.flickr.calls
        reads_before = self.commons.read_calls
        try:
            try:
                if not opts.dry_run and opts.apply_decisions:
                    self._apply_decisions(run_id)
                self._walk(run_id, started, holder)
            except StopRun as stop:
                self.summary.stop_reason = stop.reason
                log.warning("stopping: %s", stop.reason)
        finally:
            self.summary.flickr_calls = self.flickr.calls - flickr_before
            self.summary.commons_read_calls = self.commons.read_calls - reads_before
            self.summary.elapsed_s = self.clock() - started
            self.store.finish_run(
                run_id, stop_reason=self.summary.stop_reason, summary=self.summary.to_json()
            )
            self.store.release_lock(holder, lock_name)
            self._restore_signal_handlers(old_handlers)
            if self._report is not None:
                self._report.close()
        return self.summary

    def _walk(self, run_id: int, started: float, holder: str) -> None:
        opts = self.options
        files = self.store.select_files(
            limit=opts.limit,
            owner=opts.owner,
            only=opts.only,
            recheck=opts.recheck,
            max_attempts=opts.max_attempts,
        )
        log.info(
            "run %s: %d files to process%s",
            run_id,
            len(files),
            " (dry run)" if opts.dry_run else "",
        )
        progress = _Progress(len(files), opts.progress)
        try:
            for batch in _batches(files, opts.batch_size):
                self._check_stop(started)
                if not opts.dry_run:
                    may_run, why = self.commons.check_may_run()
                    if not may_run:
                        raise StopRun(why)
                    self.store.heartbeat(holder, "run")
                for result in self._process_batch(run_id, batch):
                    self._account(result)
                    progress.step(result.outcome)
            if opts.limit is not None and len(files) >= opts.limit:
                self.summary.stop_reason = "limit"
        finally:
            progress.close()

    def _check_stop(self, started: float) -> None:
        if self._stop_signal:
            raise StopRun(f"interrupted by {self._stop_signal}")
        max_minutes = self.options.max_minutes
        if max_minutes is not None and self.clock() - started >= max_minutes * 60:
            raise StopRun("max_minutes")

    # ------------------------------------------------------------- a batch

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
        photos = self.fetch_flickr([f for f, _ in live if len(f.photo_ids) == 1])
        creators = self.creator_lookups([s for _, s in live])
        for f, state in live:
            self._check_stop_signal_only()
            yield self._finish(run_id, self._process_file(run_id, f, state, photos, creators))

    def _check_stop_signal_only(self) -> None:
        if self._stop_signal:
            raise StopRun(f"interrupted by {self._stop_signal}")

    def _resolve_titles(self, batch: list[WorkFile]) -> None:
        """``--titles`` rows learn their M-id (one read by titles for the batch)."""
        pending = [f for f in batch if not f.mid and f.title]
        if not pending:
            return
        states = self.commons.read_entities_by_title([f.title for f in pending if f.title])
        for f in pending:
            state = states.get(f.title or "")
            if state is None or state.gone or not state.mid:
                continue
            f.id = self.store.set_file_identity(
                f.id, state.mid, state.pageid, state.title or f.title or ""
            )
            f.mid = state.mid

    def _fill_evidence_from_wikitext(self, files: list[WorkFile]) -> None:
        """Files whose SDC holds no photo id: look for the Flickr source in wikitext."""
        if not files or self.find_in_wikitext is None:
            return
        texts = self.commons.get_wikitext([f.title for f in files if f.title])
        for f in files:
            text = texts.get(f.title or "")
            if not text or not f.title:
                continue
            found = self.find_in_wikitext(f.title, text)
            photo_ids = list(getattr(found, "photo_ids", ()) or ())
            if not photo_ids:
                continue
            owner = getattr(found, "owner", None)
            nsid = owner if owner and "@N" in owner else None
            alias = owner if owner and not nsid else None
            evidence = [{"source": "wikitext", "value": s} for s in getattr(found, "sources", ())]
            f.photo_ids = photo_ids
            f.owner_nsid = f.owner_nsid or nsid
            f.owner_alias = f.owner_alias or alias
            f.evidence = f.evidence + evidence
            f.evidence_sources = sorted(set(f.evidence_sources) | {"wikitext"})
            if not self.options.dry_run:
                self.store.set_file_evidence(
                    f.id, photo_ids, nsid, alias, f.evidence, f.evidence_sources
                )

    def fetch_flickr(self, files: list[WorkFile]) -> dict[str, Any]:
        """One ``fetch_photos`` per owner: the client picks per-photo or paged calls."""
        by_owner: dict[str | None, list[str]] = defaultdict(list)
        for f in files:
            by_owner[self._owner_nsid(f)].append(f.photo_ids[0])
        results: dict[str, Any] = {}
        for nsid, photo_ids in by_owner.items():
            results.update(self.flickr.fetch_photos(nsid, sorted(set(photo_ids))))
        return results

    def _owner_nsid(self, f: WorkFile) -> str | None:
        if f.owner_nsid:
            return f.owner_nsid
        if f.owner_alias:
            return self.flickr.lookup_user(f.owner_alias)
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
            fetched = {q: list(v) for q, v in self.wikidata(missing).items()}
            self.store.put_wikidata_flickr_ids(fetched)
            cached.update(fetched)
        return cached

    # ------------------------------------------------------------- a file

    def _process_file(
        self,
        run_id: int,
        f: WorkFile,
        state: EntityStateLike,
        photos: Mapping[str, Any],
        creators: Mapping[str, Sequence[str]],
    ) -> FileResult:
        assert f.mid is not None
        intents = [] if self.options.dry_run else self.store.open_edits(f.mid)
        if not f.photo_ids:
            self._close_intents(intents, state, landed=False)
            return FileResult(f, FileStatus.NO_FLICKR_ID)
        photo: Any = None
        if len(f.photo_ids) == 1:
            photo = photos.get(f.photo_ids[0])
            if photo is None or not isinstance(photo, FlickrPhoto | FlickrPhotoGone):
                message = str(getattr(photo, "message", photo) or "no answer from Flickr")
                self._close_intents(intents, state, landed=False)
                return FileResult(f, FileStatus.ERROR, error=f"flickr: {message}")
            if isinstance(photo, FlickrPhotoGone) and not self.options.dry_run:
                self.store.put_photo_gone(photo.id, str(photo.reason), photo.code)
        the_plan = self.plan_file(f, state, photo, creators)
        if intents:
            # A previous run died after sending an edit; the new plan says whether it landed.
            landed = the_plan.edit is None and state.lastrevid != intents[-1]["base_revid"]
            self._close_intents(intents, state, landed=landed)
            self.summary.resumed_intents += len(intents)
            if landed:
                return self._record_plan_result(
                    run_id,
                    f,
                    state,
                    the_plan,
                    photo,
                    revid=state.lastrevid,
                    changed=sorted(
                        {
                            c.get("mainsnak", {}).get("property", "")
                            for i in intents
                            for c in i["payload"].get("claims", [])
                        }
                    ),
                )
        if the_plan.edit is None or self.options.dry_run:
            if the_plan.edit is not None:
                self.summary.planned_edits += 1
            return self._record_plan_result(run_id, f, state, the_plan, photo)
        return self._edit(run_id, f, state, the_plan, photo, creators)

    def plan_file(
        self, f: WorkFile, state: EntityStateLike, photo: Any, creators: Mapping[str, Sequence[str]]
    ) -> Plan:
        owner_hint = None
        if f.owner_nsid and isinstance(photo, FlickrPhotoGone):
            # A gone photo gets a creator only for an account people.getInfo says exists
            # (through the client's owner cache, the store's owners table); an owner named
            # only by the file's evidence, deleted or unreadable gets none.
            from bot.flickr import FlickrAuthError, FlickrError

            try:
                owner_hint = self.flickr.get_owner(f.owner_nsid)
            except FlickrAuthError:
                raise
            except FlickrError as exc:
                log.warning(
                    "owner %s of gone photo %s: %s; no creator", f.owner_nsid, photo.id, exc
                )
        if photo is not None:
            wanted = wanted_statements(photo, owner_hint)
        else:
            # Several candidate photos: one proposed P12120 each, so the plan raises one
            # conflict per candidate and a maintainer can accept the right one.
            wanted = [photo_id_statement(pid) for pid in f.photo_ids]
        entity = dict(state.entity)
        entity.setdefault("id", state.mid)
        if state.lastrevid is not None:
            entity["lastrevid"] = state.lastrevid
        owner = photo.owner if isinstance(photo, FlickrPhoto) else owner_hint
        licence = licence_info(photo, entity) if isinstance(photo, FlickrPhoto) else None
        return plan(
            entity,
            wanted,
            evidence_photo_ids=f.photo_ids,
            wikidata_flickr_ids=creators,
            owner=owner,
            licence=licence,
        )

    def _edit(
        self,
        run_id: int,
        f: WorkFile,
        state: EntityStateLike,
        the_plan: Plan,
        photo: Any,
        creators: Mapping[str, Sequence[str]],
        *,
        retry: bool = True,
        conflict_ids: Sequence[int] = (),
    ) -> FileResult:
        """Journal, send, record — and on an edit conflict re-read, re-plan, retry once."""
        assert f.mid is not None and the_plan.edit is not None
        claims = the_plan.edit["claims"]
        changed = list(the_plan.changed_properties)
        summary = self.summary_builder(
            changed, _photo_id(photo, f), self.options.documentation_page
        )
        journal_id = self.store.open_edit(
            run_id=run_id,
            mid=f.mid,
            base_revid=state.lastrevid,
            payload=the_plan.edit,
            summary=summary,
            conflict_ids=conflict_ids,
        )
        try:
            revid = self.commons.edit(f.mid, claims, baserevid=state.lastrevid, summary=summary)
        except EditConflict as conflict:
            self.store.close_edit(journal_id, state="failed", error="editconflict")
            self.summary.edit_conflicts += 1
            if not retry:
                return FileResult(
                    f,
                    FileStatus.ERROR,
                    plan=the_plan,
                    error="edit conflict twice: someone keeps editing this file",
                )
            fresh = self.commons.read_entities([f.mid]).get(f.mid)
            if fresh is None or fresh.gone:
                return FileResult(f, FileStatus.FILE_GONE)
            again = self.plan_file(f, fresh, photo, creators)
            if again.edit is None:
                if conflict.maybe_ours and fresh.lastrevid != state.lastrevid:
                    # The response was lost but the edit landed: the new plan is empty.
                    self.summary.edits += 1
                    return self._record_plan_result(
                        run_id,
                        f,
                        fresh,
                        again,
                        photo,
                        revid=fresh.lastrevid,
                        changed=changed,
                        conflict_ids=conflict_ids,
                    )
                return self._record_plan_result(run_id, f, fresh, again, photo)
            return self._edit(
                run_id, f, fresh, again, photo, creators, retry=False, conflict_ids=conflict_ids
            )
        except StopRun:
            raise
        except Exception as exc:  # recorded per file; the run goes on
            self.store.close_edit(journal_id, state="failed", error=_short(exc))
            log.warning("edit of %s failed: %s", f.mid, _short(exc))
            return FileResult(f, FileStatus.ERROR, plan=the_plan, error=f"edit: {_short(exc)}")
        self.summary.edits += 1
        return self._record_plan_result(
            run_id,
            f,
            state,
            the_plan,
            photo,
            revid=revid,
            changed=changed,
            journal_id=journal_id,
            conflict_ids=conflict_ids,
        )

    def _record_plan_result(
        self,
        run_id: int,
        f: WorkFile,
        state: EntityStateLike,
        the_plan: Plan,
        photo: Any,
        *,
        revid: int | None = None,
        changed: Sequence[str] | None = None,
        journal_id: int | None = None,
        conflict_ids: Sequence[int] = (),
    ) -> FileResult:
        """Queue the plan's conflicts and decide the file's outcome."""
        conflicts = [
            ConflictRecord(
                property=c.property,
                reason=c.reason,
                existing=list(c.existing or []),
                proposed=c.proposed,
                statement_id=c.statement_id,
            )
            for c in the_plan.conflicts
        ]
        assert f.mid is not None
        self.store.record_conflicts(
            mid=f.mid,
            title=state.title or f.title,
            flickr_photo_id=_photo_id(photo, f),
            owner_nsid=_owner_of(photo) or f.owner_nsid,
            base_revid=state.lastrevid,
            conflicts=conflicts,
            run_id=run_id,
            dry_run=self.options.dry_run,
        )
        if isinstance(photo, FlickrPhotoGone):
            outcome = FileStatus.PHOTO_GONE
        elif revid is not None:
            outcome = FileStatus.EDITED
        elif conflicts:
            outcome = FileStatus.CONFLICT
        elif the_plan.edit is not None:  # dry run: an edit was planned
            outcome = FileStatus.EDITED
        else:
            outcome = FileStatus.UNCHANGED
        result = FileResult(f, outcome, plan=the_plan, revid=revid, conflicts=conflicts)
        result_changed = list(changed) if changed is not None else None
        if journal_id is not None and not self.options.dry_run:
            with self.store.transaction() as conn:
                self.store.close_edit(journal_id, state="done", new_revid=revid, conn=conn)
                self.store.record_outcome(
                    f.id,
                    outcome,
                    run_id=run_id,
                    checked_revid=state.lastrevid,
                    edited_revid=revid,
                    changed_properties=result_changed,
                    conn=conn,
                )
                if conflict_ids and revid is not None:
                    self.store.mark_applied(conflict_ids, revid, conn=conn)
            result.error = "recorded"
        return result

    def _close_intents(
        self, intents: list[dict[str, Any]], state: EntityStateLike, *, landed: bool
    ) -> None:
        for intent in intents:
            if landed:
                self.store.close_edit(
                    intent["id"],
                    state="done",
                    new_revid=state.lastrevid,
                    error="confirmed on resume: the plan is now empty",
                )
                if intent["conflict_ids"] and state.lastrevid is not None:
                    self.store.mark_applied(intent["conflict_ids"], state.lastrevid)
            else:
                self.store.close_edit(
                    intent["id"], state="failed", error="not landed (found on resume)"
                )

    def _finish(self, run_id: int, result: FileResult) -> FileResult:
        """Record the outcome (unless already recorded with its edit) and report it."""
        f = result.file
        already = result.error == "recorded"
        if already:
            result.error = None
        if not self.options.dry_run and not already:
            self.store.record_outcome(
                f.id,
                result.outcome,
                run_id=run_id,
                checked_revid=result.plan.base_revid if result.plan else None,
                edited_revid=result.revid,
                changed_properties=list(result.plan.changed_properties)
                if result.plan and result.revid
                else None,
                error=result.error,
            )
        if self._report is not None:
            self._report.write(orjson.dumps(report_line(result, self.options.dry_run)) + b"\n")
        return result

    def _account(self, result: FileResult) -> None:
        s = self.summary
        s.files += 1
        s.outcomes[str(result.outcome)] += 1
        for c in result.conflicts:
            s.conflicts[c.reason] += 1
        if result.plan is not None and (
            result.revid is not None or (self.options.dry_run and result.plan.edit)
        ):
            for prop in result.plan.changed_properties:
                s.statements[prop] += 1

    # ------------------------------------------------------------- review decisions

    def _apply_decisions(self, run_id: int) -> None:
        """Write what maintainers accepted, each against the revision they looked at.

        A file that changed since the conflict was recorded is planned again: if the same
        conflict is still there the decision still means the same thing and is applied
        against the new revision; otherwise it is superseded and the file re-queued.
        """
        accepted = self.store.accepted_conflicts()
        by_mid: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for c in accepted:
            by_mid[c["mid"]].append(c)
        for mid_batch in _chunks(sorted(by_mid), self.options.batch_size):
            self._check_stop_signal_only()
            states = self.commons.read_entities(mid_batch)
            for mid in mid_batch:
                self._apply_file_decisions(run_id, mid, by_mid[mid], states.get(mid))

    def _apply_file_decisions(
        self, run_id: int, mid: str, decided: list[dict[str, Any]], state: EntityStateLike | None
    ) -> None:
        if state is None or state.gone:
            for c in decided:
                self.store.supersede(c["id"], "file_gone")
                self.summary.decisions_superseded += 1
            return
        still_valid = []
        for c in decided:
            if c["base_revid"] == state.lastrevid or self._conflict_still_there(c, state):
                still_valid.append(c)
            else:
                self.store.supersede(c["id"], "file_changed_since_conflict")
                self.summary.decisions_superseded += 1
        if not still_valid:
            return
        claims: list[dict[str, Any]] = []
        for c in still_valid:
            claims.extend(
                apply_decision(state.entity, c["existing"], c["proposed"], c["statement_id"])
            )
        if not claims:
            for c in still_valid:
                self.store.supersede(c["id"], "nothing_to_write")
            return
        props = sorted({c["property"] for c in still_valid})
        summary = self.summary_builder(
            props, still_valid[0]["flickr_photo_id"], self.options.documentation_page
        )
        summary = "Per review decision: " + summary
        ids_ = [c["id"] for c in still_valid]
        journal_id = self.store.open_edit(
            run_id=run_id,
            mid=mid,
            base_revid=state.lastrevid,
            payload={"claims": claims},
            summary=summary,
            conflict_ids=ids_,
        )
        try:
            revid = self.commons.edit(mid, claims, baserevid=state.lastrevid, summary=summary)
        except EditConflict:
            self.store.close_edit(journal_id, state="failed", error="editconflict")
            log.info("decision for %s not applied: the file changed; next run retries", mid)
            return
        except Exception as exc:
            self.store.close_edit(journal_id, state="failed", error=_short(exc))
            log.warning("decision for %s not applied: %s", mid, _short(exc))
            return
        with self.store.transaction() as conn:
            self.store.close_edit(journal_id, state="done", new_revid=revid, conn=conn)
            self.store.mark_applied(ids_, revid, conn=conn)
        self.summary.decisions_applied += len(ids_)
        self.summary.edits += 1

    def _conflict_still_there(self, conflict: Mapping[str, Any], state: EntityStateLike) -> bool:
        """The statement(s) the maintainer looked at are still on the file, unchanged."""
        from bot.store import _strip_hashes

        current = state.entity.get("statements") or state.entity.get("claims") or {}
        if not isinstance(current, dict):
            return False
        now = _strip_hashes(current.get(conflict["property"], []))
        return bool(now) and now == _strip_hashes(conflict["existing"])

    # ------------------------------------------------------------- signals

    def _install_signal_handlers(self) -> dict[int, Any]:
        """SIGTERM (Toolforge's timeout) and Ctrl-C end the run after the current file."""

        def handler(signum: int, frame: FrameType | None) -> None:
            self._stop_signal = signal.Signals(signum).name

        old: dict[int, Any] = {}
        for sig in (signal.SIGTERM, signal.SIGINT):
            if threading.current_thread() is threading.main_thread():
                old[sig] = signal.signal(sig, handler)
        return old

    @staticmethod
    def _restore_signal_handlers(old: Mapping[int, Any]) -> None:
        for sig, h in old.items():
            signal.signal(sig, h)


# --------------------------------------------------------------------------- helpers


PROPERTY_WORDS = {
    ids.P_FLICKR_PHOTO_ID: "Flickr photo ID",
    ids.P_CREATOR: "creator",
    ids.P_SOURCE_OF_FILE: "source",
    ids.P_INCEPTION: "inception",
    ids.P_COORDINATES_OF_POV: "coordinates",
    ids.P_PUBLISHED_IN: "published in",
    ids.P_BHL_PAGE_ID: "BHL page ID",
}


def default_edit_summary(
    properties: Sequence[str], photo_id: str | None, documentation_page: str
) -> str:
    """ "Add Flickr photo ID, creator, inception from Flickr photo 123 ([[doc|details]])"."""
    words = [PROPERTY_WORDS.get(p, p) for p in sorted(properties, key=_property_order)]
    what = ", ".join(words) or "structured data"
    source = f" from Flickr photo {photo_id}" if photo_id else " from Flickr"
    text = f"Add {what}{source} ([[{documentation_page}|details]])"
    return text if len(text) <= 260 else text[:257] + "..."


def _property_order(prop: str) -> int:
    try:
        return ids.WRITTEN_PROPERTIES.index(prop)
    except ValueError:
        return len(ids.WRITTEN_PROPERTIES)


def report_line(result: FileResult, dry_run: bool) -> dict[str, Any]:
    """One JSON line of the run report: the planned edit as a readable diff."""
    f = result.file
    line: dict[str, Any] = {
        "mid": f.mid,
        "title": f.title,
        "outcome": str(result.outcome),
        "flickr_photo_ids": f.photo_ids,
        "dry_run": dry_run,
    }
    if result.plan is not None:
        line["diff"] = plan_diff(result.plan)
        line["edit"] = result.plan.edit
    if result.conflicts:
        line["conflicts"] = [
            {
                "property": c.property,
                "reason": c.reason,
                "existing": list(c.existing),
                "proposed": c.proposed,
            }
            for c in result.conflicts
        ]
    if result.revid is not None:
        line["revid"] = result.revid
    if result.error:
        line["error"] = result.error
    return line


def plan_diff(the_plan: Plan) -> list[str]:
    """``+ P571 add: ...`` / ``~ P7482 add_qualifiers: ...`` / ``! P170 conflict: ...``."""
    marks = {"add": "+", "add_qualifiers": "~", "replace": "~", "conflict": "!", "unchanged": "="}
    lines = []
    for action in the_plan.actions:
        mark = marks.get(action.action, "?")
        proposed = action.proposed or {}
        lines.append(
            f"{mark} {action.property} {action.action}: "
            f"{describe_statement(proposed)} ({action.reason})"
        )
    return lines


def describe_statement(statement: Mapping[str, Any]) -> str:
    """A one-line, human-readable rendering of a statement's main value and qualifiers."""
    snak = statement.get("mainsnak") or {}
    text = _describe_snak(snak)
    quals = statement.get("qualifiers") or {}
    parts = [f"{p}={_describe_snak(s)}" for p, snaks in quals.items() for s in snaks]
    return text + (f" [{', '.join(parts)}]" if parts else "")


def _describe_snak(snak: Mapping[str, Any]) -> str:
    if snak.get("snaktype") != "value":
        return str(snak.get("snaktype", "?"))
    dv = snak.get("datavalue") or {}
    value = dv.get("value")
    kind = dv.get("type")
    if kind == "wikibase-entityid" and isinstance(value, dict):
        return str(value.get("id"))
    if kind == "time" and isinstance(value, dict):
        return f"{value.get('time')}/{value.get('precision')}"
    if kind == "globecoordinate" and isinstance(value, dict):
        return f"{value.get('latitude')},{value.get('longitude')}±{value.get('precision')}"
    return str(value)


def _photo_id(photo: Any, f: WorkFile) -> str | None:
    if isinstance(photo, FlickrPhoto | FlickrPhotoGone):
        return photo.id
    return f.photo_ids[0] if len(f.photo_ids) == 1 else None


def _owner_of(photo: Any) -> str | None:
    return photo.owner.nsid if isinstance(photo, FlickrPhoto) else None


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 300 else text[:297] + "..."


def _batches(files: list[WorkFile], size: int) -> Iterator[list[WorkFile]]:
    """Batches of ``size`` files; the list is already grouped by owner."""
    for start in range(0, len(files), size):
        yield files[start : start + size]


def _chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _options_json(opts: RunOptions) -> dict[str, Any]:
    return {
        k: (str(v) if isinstance(v, Path) else v)
        for k, v in {
            "dry_run": opts.dry_run,
            "limit": opts.limit,
            "max_minutes": opts.max_minutes,
            "only": opts.only,
            "owner": opts.owner,
            "recheck": opts.recheck,
            "report_path": opts.report_path,
        }.items()
    }


class _Progress:
    """A tqdm bar on a TTY; otherwise a plain log line every 30 seconds."""

    def __init__(self, total: int, enabled: bool | None) -> None:
        self.total = total
        self.done = 0
        self.counts: Counter[str] = Counter()
        self.last_log = time.monotonic()
        use_bar = sys.stderr.isatty() if enabled is None else enabled
        self.bar: Any = None
        if use_bar:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="file", file=sys.stderr)

    def step(self, outcome: str) -> None:
        self.done += 1
        self.counts[str(outcome)] += 1
        if self.bar is not None:
            self.bar.update(1)
            return
        now = time.monotonic()
        if now - self.last_log >= 30:
            self.last_log = now
            log.info("progress: %d/%d files %s", self.done, self.total, dumps(dict(self.counts)))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def iter_report(path: Path) -> Iterable[dict[str, Any]]:
    """Read a run report back (tests, and maintainers inspecting a dry run)."""
    with open(path, "rb") as fh:
        for line in fh:
            if line.strip():
                yield orjson.loads(line)


__all__ = ["EditConflict", "Job", "LockHeld", "RunOptions", "RunSummary", "utcnow"]
