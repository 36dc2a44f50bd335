"""``backfill run``: the one place that orchestrates I/O.

Per batch of worklist files (grouped by Flickr owner so the Flickr client can batch):
read Commons, fetch Flickr, plan, then edit or queue, and record one outcome per file.
Before the walk, a real run first settles edits a previous run left open, writes what
maintainers decided on the review page, and looks for conflict files that changed on
Commons (one cheap revision check per batch) so the walk can re-plan them.

Safety rests on these things:

- **The edit journal.** An intent (payload, the statements it was planned against and
  ``baserevid``) is committed before ``wbeditentity`` is sent and closed, together with
  the file's outcome, in one transaction after. A run killed in between leaves an open
  intent; the next run re-reads that file and plans again. Planning is idempotent, so if
  the edit landed the new plan is empty and nothing is sent twice; if it did not, the
  plan is sent again. An edit whose last attempt got no answer stays open the same way.
- **``baserevid`` and Wikibase's patching.** Every edit names the revision its plan was
  made against. Wikibase refuses it (``editconflict``: re-read, re-plan, one retry) only
  when someone changed the same statements; otherwise it merges the edit into the newer
  revision. So after every edit the bot compares the entity Commons returns with what it
  planned against (:mod:`bot.core.concurrency`): if a property it wrote now also holds
  statements it did not plan against, it takes its own statements on that property back
  out with a second edit and queues a ``concurrent_edit`` conflict for a person.
- **Stop checks.** The run page and talk-page messages are read before anything is
  written and before every batch (of files or of decisions); SIGTERM, Ctrl-C and
  ``--max-minutes`` end the run between two files; ``--limit`` counts decision edits
  too; the run's lock is renewed in the same transaction that journals each edit, and
  a run whose lock was taken over stops before its next edit (``lock_lost``).
- **Review decisions** are claimed (``applying``) right before their edit, so a
  maintainer cannot change one under the bot; a decision whose file changed since is
  superseded and the file re-planned. A decision never adds a statement the file holds
  already, nor a second Flickr photo id (those go back to the queue); a photo id decided
  for a file that cites several photos is the file's from then on.
- **Dry runs** never log in, never write to Commons, never mark a file done and never
  close or reopen a conflict.
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
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import IO, Any, Protocol

import orjson

from bot.adapters.commons import EditConflict, WriteOutcomeUnknown
from bot.core import ids
from bot.core.claims import licence_info, photo_id_statement, wanted_statements
from bot.core.concurrency import (
    Interference,
    claims_present,
    interference,
    planned_against,
    statements_of,
    undo_claims,
)
from bot.core.decisions import apply_decision, second_photo_id
from bot.core.errors import as_backfill_error
from bot.core.flickr_photo import FlickrOwner, FlickrPhoto, FlickrPhotoGone
from bot.core.reconcile import (
    Plan,
    creator_items_to_look_up,
    photo_ids_on_file,
    plan,
    same_statement,
    without_duplicates,
)
from bot.store import (
    ConflictRecord,
    FileStatus,
    LockHeld,
    LockLost,
    Store,
    WorkFile,
    dumps,
    utcnow,
)

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


class FlickrPort(Protocol):
    """What the job needs from Flickr (``bot.adapters.flickr.FlickrClient``)."""

    @property
    def calls(self) -> int: ...

    def fetch_photos(
        self, nsid: str | None, photo_ids: Sequence[str], *, expected_later: int = 0
    ) -> Mapping[str, Any]: ...

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
    recheck_conflicts_days: float | None = 7.0
    """Files with undecided conflicts not looked at for this long get a revision check
    (None: never); the ones that changed on Commons are re-planned."""
    heartbeat_s: float = 30.0
    """Renew the run's lock at least this often (and with every edit)."""


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
    edits_merged: int = 0  # Wikibase patched a stale edit into a newer revision
    edits_undone: int = 0  # own statements taken back out after a concurrent edit
    outcomes_unknown: int = 0  # no answer to the last attempt: journal left open
    resumed_intents: int = 0
    decisions_applied: int = 0
    decisions_superseded: int = 0
    decisions_withdrawn: int = 0  # changed by a maintainer before the bot wrote them
    decisions_refused: int = 0  # back to the queue: they would give a file two photo ids
    conflicts_closed: int = 0  # of files that are gone or name no Flickr photo any more
    files_rechecked: int = 0
    rechecked_changed: int = 0
    flickr_calls: int = 0
    commons_read_calls: int = 0
    commons_control_calls: int = 0
    elapsed_s: float = 0.0
    stop_reason: str = "done"
    options: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        per_file = max(self.files, 1)
        return {
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "options": self.options,
            "files": self.files,
            "outcomes": dict(sorted(self.outcomes.items())),
            "statements_by_property": dict(sorted(self.statements.items())),
            "conflicts_by_reason": dict(sorted(self.conflicts.items())),
            "edits": self.edits,
            "planned_edits": self.planned_edits,
            "edit_conflicts": self.edit_conflicts,
            "edits_merged": self.edits_merged,
            "edits_undone": self.edits_undone,
            "outcomes_unknown": self.outcomes_unknown,
            "resumed_intents": self.resumed_intents,
            "decisions_applied": self.decisions_applied,
            "decisions_superseded": self.decisions_superseded,
            "decisions_withdrawn": self.decisions_withdrawn,
            "decisions_refused": self.decisions_refused,
            "conflicts_closed": self.conflicts_closed,
            "files_rechecked": self.files_rechecked,
            "rechecked_changed": self.rechecked_changed,
            "flickr_calls": self.flickr_calls,
            "flickr_calls_per_file": round(self.flickr_calls / per_file, 4),
            "commons_read_calls": self.commons_read_calls,
            "commons_read_calls_per_file": round(self.commons_read_calls / per_file, 4),
            "commons_control_calls": self.commons_control_calls,
            "elapsed_s": round(self.elapsed_s, 2),
            "stop_reason": self.stop_reason,
        }

    def render(self) -> str:
        """The readable block printed at the end of a run."""
        data = self.to_json()
        mode = "dry run (nothing written to Commons)" if self.dry_run else "real run"
        lines = [f"Run {self.run_id}: {mode}; stopped: {self.stop_reason}"]
        opts = self.options
        asked = {k: opts.get(k) for k in ("limit", "max_minutes", "only", "owner")}
        asked = {k: v for k, v in asked.items() if v not in (None, [])}
        if opts.get("recheck"):
            asked["recheck"] = True
        if opts.get("apply_decisions") is False:
            asked["decisions"] = "not applied"
        if asked:
            lines.append("  options              " + dumps(asked))
        lines.append(f"  files processed      {self.files}")
        for name, n in data["outcomes"].items():
            lines.append(f"    {name:<18} {n}")
        edits_label = "edits planned" if self.dry_run else "edits made"
        lines.append(f"  {edits_label:<20} {self.planned_edits if self.dry_run else self.edits}")
        if self.edits_merged or self.edits_undone:
            lines.append(
                f"  merged by Commons    {self.edits_merged} "
                f"({self.edits_undone} taken back: someone edited the same property)"
            )
        if self.outcomes_unknown:
            lines.append(
                f"  outcome unknown      {self.outcomes_unknown} (no answer; the next run checks)"
            )
        if data["statements_by_property"]:
            lines.append("  statements added or extended, by property:")
            lines += [f"    {p:<18} {n}" for p, n in data["statements_by_property"].items()]
        if data["conflicts_by_reason"]:
            lines.append("  conflicts queued for review, by reason:")
            lines += [f"    {r:<28} {n}" for r, n in data["conflicts_by_reason"].items()]
        if self.decisions_applied or self.decisions_superseded or self.decisions_withdrawn:
            lines.append(
                f"  review decisions     {self.decisions_applied} applied, "
                f"{self.decisions_superseded} superseded, "
                f"{self.decisions_withdrawn} changed before writing"
            )
        if self.decisions_refused:
            lines.append(
                f"  decisions refused    {self.decisions_refused} (back in the queue: they "
                "would give a file two Flickr photo ids)"
            )
        if self.files_rechecked:
            lines.append(
                f"  conflict files       {self.files_rechecked} rechecked, "
                f"{self.rechecked_changed} changed on Commons"
            )
        if self.conflicts_closed:
            lines.append(f"  conflicts closed     {self.conflicts_closed} (file gone or no photo)")
        lines.append(
            f"  Flickr calls         {self.flickr_calls} ({data['flickr_calls_per_file']} per file)"
        )
        lines.append(
            f"  Commons read calls   {self.commons_read_calls} "
            f"({data['commons_read_calls_per_file']} per file; "
            f"plus {self.commons_control_calls} run-page/talk-page checks)"
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
    changed: list[str] | None = None
    """Properties this run's edits left changed (None: the plan's, when an edit landed)."""
    checked_revid: int | None = None
    recorded: bool = False
    """The outcome was already recorded together with its edit."""
    queued: list[str] | None = None
    """Reasons of the conflicts now waiting for a person (None: all of ``conflicts``);
    one a maintainer answered already (``keep_commons``) is found again, not queued."""

    def changed_properties(self, dry_run: bool) -> list[str]:
        if self.changed is not None:
            return list(self.changed)
        if self.plan is not None and (self.revid is not None or (dry_run and self.plan.edit)):
            return list(self.plan.changed_properties)
        return []


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
        self.summary = RunSummary(dry_run=options.dry_run, options=_options_json(options))
        self._stop_signal: str | None = None
        self._report: IO[bytes] | None = None
        self._holder = ""
        self._lock_name = "dry-run" if options.dry_run else "run"
        self._started = 0.0
        self._last_beat = 0.0
        self._decision_edits = 0
        self._rechecked_dry: list[WorkFile] = []
        self._owner_left: Counter[str | None] = Counter()  # files per owner still to come
        self.wikidata_unchecked: tuple[set[str], str] = (set(), "")  # items, why

    # ------------------------------------------------------------- top level

    def run(self) -> RunSummary:
        """Take the lock, settle and apply review decisions, recheck, walk, record the run.

        Whatever ends the run (done, a stop, an exception) the run row gets its stop
        reason and summary; an exception is recorded as ``error: ...`` and re-raised.
        """
        opts = self.options
        self._holder = self.store.acquire_lock(self._lock_name)  # LockHeld goes to the CLI
        self._started = self._last_beat = self.clock()
        run_id = self.store.start_run(dry_run=opts.dry_run, args=_options_json(opts))
        self.summary.run_id = run_id
        old_handlers = self._install_signal_handlers()
        if opts.report_path is not None:
            opts.report_path.parent.mkdir(parents=True, exist_ok=True)
            self._report = open(opts.report_path, "wb")  # noqa: SIM115 - closed in finally
        flickr_before = self.flickr.calls
        reads_before = self.commons.read_calls
        control_before = self.commons.control_calls
        try:
            try:
                if not opts.dry_run:
                    self._check_may_run()
                    self._resume_decision_intents(run_id)
                    if opts.apply_decisions:
                        self._apply_decisions(run_id)
                self._recheck_conflict_files()
                self._walk(run_id)
            except StopRun as stop:
                self.summary.stop_reason = stop.reason
                log.warning("stopping: %s", stop.reason)
            except Exception as exc:
                # One line in words (bot.core.errors); the command line prints it, once.
                self.summary.stop_reason = f"error: {as_backfill_error(exc)}"
                log.info("run %s failed: %s", run_id, self.summary.stop_reason)
                raise
        finally:
            self.summary.flickr_calls = self.flickr.calls - flickr_before
            self.summary.commons_read_calls = self.commons.read_calls - reads_before
            self.summary.commons_control_calls = self.commons.control_calls - control_before
            self.summary.elapsed_s = self.clock() - self._started
            self.store.finish_run(
                run_id, stop_reason=self.summary.stop_reason, summary=self.summary.to_json()
            )
            self.store.release_lock(self._holder, self._lock_name)
            self._restore_signal_handlers(old_handlers)
            if self._report is not None:
                self._report.close()
            if opts.report_path is not None:
                summary_path(opts.report_path).write_bytes(
                    orjson.dumps(self.summary.to_json(), option=orjson.OPT_INDENT_2) + b"\n"
                )
        return self.summary

    def _walk(self, run_id: int) -> None:
        opts = self.options
        left = self._limit_left()
        if left is not None and left <= 0:
            raise StopRun("limit")
        files = self.store.select_files(
            limit=left,
            owner=opts.owner,
            only=opts.only,
            recheck=opts.recheck,
            max_attempts=opts.max_attempts,
        )
        if self._rechecked_dry:  # dry run: changed conflict files are not re-queued
            chosen = {f.id for f in files}
            files += [f for f in self._rechecked_dry if f.id not in chosen]
            if left is not None:
                files = files[:left]
        log.info(
            "run %s: %d files to process%s",
            run_id,
            len(files),
            " (dry run)" if opts.dry_run else "",
        )
        # How many files of each owner are still to come: the Flickr client pages a big
        # account's photo list only if enough of its files will use the pages.
        self._owner_left = Counter(_owner_key(f) for f in files)
        progress = _Progress(len(files), opts.progress)
        try:
            for batch in _batches(files, opts.batch_size):
                self._check_stop()
                self._keep_lock(force=True)
                if not opts.dry_run:
                    self._check_may_run()
                for result in self._process_batch(run_id, batch):
                    self._account(result)
                    progress.step(result.outcome)
            if left is not None and len(files) >= left:
                self.summary.stop_reason = "limit"
        finally:
            progress.close()

    # ------------------------------------------------------------- stop checks

    def _check_stop(self) -> None:
        """A signal or ``--max-minutes``: end the run between two files."""
        if self._stop_signal:
            raise StopRun(f"interrupted by {self._stop_signal}")
        max_minutes = self.options.max_minutes
        if max_minutes is not None and self.clock() - self._started >= max_minutes * 60:
            raise StopRun("max_minutes")

    def _check_may_run(self) -> None:
        """The run page and the bot's talk page (one request): stop unless allowed."""
        may_run, why = self.commons.check_may_run()
        if not may_run:
            raise StopRun(why)

    def _keep_lock(self, *, force: bool = False) -> None:
        """Renew the run's lease (every ``heartbeat_s``, or now); stop if it was taken."""
        now = self.clock()
        if not force and now - self._last_beat < self.options.heartbeat_s:
            return
        self._last_beat = now
        if not self.store.heartbeat(self._holder, self._lock_name):
            raise StopRun("lock_lost")

    def _limit_left(self) -> int | None:
        """What is left of ``--limit`` after the decision edits of this run."""
        if self.options.limit is None:
            return None
        return self.options.limit - self._decision_edits

    def _open_edit(self, **kwargs: Any) -> int:
        """Journal an intent; the same transaction renews the lock (no edit without it)."""
        try:
            journal_id = self.store.open_edit(lock=(self._holder, self._lock_name), **kwargs)
        except LockLost as exc:
            raise StopRun("lock_lost") from exc
        self._last_beat = self.clock()
        return journal_id

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
        decided = self.store.decided_photo_ids([f.mid for f, _ in live if f.mid])
        for f, state in live:
            _use_decided_photo_id(f, state, decided.get(f.mid or ""))
        photos = self.fetch_flickr(
            [f for f, s in live if len(f.photo_ids) == 1 and not _weak_only(f, s)]
        )
        self.wikidata_unchecked = (set(), "")
        creators = self.creator_lookups([s for _, s in live])
        unchecked, why = self.wikidata_unchecked
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
        # decision edits are settled by _resume_decision_intents, with their conflicts
        intents = [i for i in intents if not i["conflict_ids"]]
        if not f.photo_ids:
            self._close_intents(intents, state, landed=False)
            return FileResult(f, FileStatus.NO_FLICKR_ID, checked_revid=state.lastrevid)
        if not intents and _weak_only(f, state):
            return self._queue_weak_evidence(run_id, f, state)
        photo: Any = None
        if len(f.photo_ids) == 1:
            photo = photos.get(f.photo_ids[0])
            if photo is None or not isinstance(photo, FlickrPhoto | FlickrPhotoGone):
                message = str(getattr(photo, "message", photo) or "no answer from Flickr")
                # no plan, so open intents stay open for a run that can tell
                return FileResult(f, FileStatus.ERROR, error=f"flickr: {message}")
            if isinstance(photo, FlickrPhotoGone) and not self.options.dry_run:
                self.store.put_photo_gone(photo.id, str(photo.reason), photo.code)
        the_plan = self.plan_file(f, state, photo, creators)
        if intents:
            resumed = self._resume_file_intents(run_id, f, state, intents, the_plan, photo)
            if resumed is not None:
                return resumed
        if the_plan.edit is None or self.options.dry_run:
            if the_plan.edit is not None:
                self.summary.planned_edits += 1
            return self._record_plan_result(run_id, f, state, the_plan, photo)
        return self._edit(run_id, f, state, the_plan, photo, creators)

    def _resume_file_intents(
        self,
        run_id: int,
        f: WorkFile,
        state: EntityStateLike,
        intents: list[dict[str, Any]],
        the_plan: Plan,
        photo: Any,
        *,
        resumed: bool = True,
    ) -> FileResult | None:
        """A previous run (or attempt) sent an edit and never recorded it: did it land?

        The fresh read decides. If it landed next to someone else's edit of the same
        property, that is settled first (own statements out, conflict queued). If the new
        plan is empty and the revision moved, it landed: recorded as edited. Otherwise
        the intents are closed as not landed and the caller plans and sends again.
        """
        assert f.mid is not None
        if resumed:
            self.summary.resumed_intents += len(intents)
        for intent in intents:
            payload = intent["payload"] or {}
            planned = payload.get("planned_against")
            claims = payload.get("claims") or []
            if planned is None or state.lastrevid == intent["base_revid"]:
                continue
            found = interference(planned, claims, state.entity, landed=False)
            if found:
                changed = _claim_properties(claims)
                return self._settle(
                    run_id,
                    f,
                    state,
                    the_plan,
                    photo,
                    [i["id"] for i in intents],
                    found,
                    revid=int(state.lastrevid or 0),
                    changed=changed,
                )
        landed = the_plan.edit is None and state.lastrevid != intents[-1]["base_revid"]
        if not landed:
            self._close_intents(intents, state, landed=False)
            return None
        changed = sorted({p for i in intents for p in _claim_properties(i["payload"])})
        return self._record_plan_result(
            run_id,
            f,
            state,
            the_plan,
            photo,
            revid=state.lastrevid,
            changed=changed,
            journal_ids=[i["id"] for i in intents],
            journal_note="confirmed on resume: the plan is now empty",
        )

    def _queue_weak_evidence(self, run_id: int, f: WorkFile, state: EntityStateLike) -> FileResult:
        """Only the file name suggests the photo: ask a person, write nothing, call nobody."""
        assert f.mid is not None
        photo_id = f.photo_ids[0]
        record = ConflictRecord(
            property=ids.P_FLICKR_PHOTO_ID,
            reason="weak_flickr_evidence",
            existing=list(statements_of(state.entity).get(ids.P_FLICKR_PHOTO_ID, [])),
            proposed=photo_id_statement(photo_id),
        )
        recorded = self.store.record_conflicts(
            mid=f.mid,
            title=state.title or f.title,
            flickr_photo_id=photo_id,
            owner_nsid=f.owner_nsid,
            base_revid=state.lastrevid,
            conflicts=[record],
            run_id=run_id,
            dry_run=self.options.dry_run,
        )
        return FileResult(
            f,
            FileStatus.CONFLICT,
            conflicts=[record],
            checked_revid=state.lastrevid,
            queued=_waiting([record], recorded.waiting()),
        )

    def plan_file(
        self, f: WorkFile, state: EntityStateLike, photo: Any, creators: Mapping[str, Sequence[str]]
    ) -> Plan:
        owner_hint = None
        if f.owner_nsid and isinstance(photo, FlickrPhotoGone):
            # A gone photo gets a creator only for an account people.getInfo says exists
            # (through the client's owner cache, the store's owners table); an owner named
            # only by the file's evidence, deleted or unreadable gets none.
            from bot.adapters.flickr import FlickrError, FlickrFatalError

            try:
                owner_hint = self.flickr.get_owner(f.owner_nsid)
            except FlickrFatalError:
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
    ) -> FileResult:
        """Journal, send, check, record — and on an edit conflict re-read, re-plan, retry once."""
        assert f.mid is not None and the_plan.edit is not None
        if state.lastrevid is None:
            return FileResult(f, FileStatus.ERROR, plan=the_plan, error="no base revision")
        claims = the_plan.edit["claims"]
        changed = list(the_plan.changed_properties)
        summary = self.summary_builder(
            changed, _photo_id(photo, f), self.options.documentation_page
        )
        planned = planned_against(state.entity, claims)
        journal_id = self._open_edit(
            run_id=run_id,
            mid=f.mid,
            base_revid=state.lastrevid,
            payload={"claims": claims, "planned_against": planned},
            summary=summary,
        )
        try:
            result = self.commons.edit(f.mid, claims, baserevid=state.lastrevid, summary=summary)
        except EditConflict as conflict:
            fresh = self.commons.read_entities([f.mid]).get(f.mid)
            if conflict.maybe_ours and fresh is not None and not fresh.gone:
                # No answer, and the file changed: maybe our edit. The fresh read decides.
                intent = {
                    "id": journal_id,
                    "base_revid": state.lastrevid,
                    "payload": {"claims": claims, "planned_against": planned},
                    "conflict_ids": [],
                }
                again = self.plan_file(f, fresh, photo, creators)
                resumed = self._resume_file_intents(
                    run_id, f, fresh, [intent], again, photo, resumed=False
                )
                if resumed is not None:
                    self.summary.edits += 1
                    return resumed
            else:
                self.store.close_edit(journal_id, state="failed", error="editconflict")
            self.summary.edit_conflicts += 1
            if fresh is None or fresh.gone:
                return FileResult(f, FileStatus.FILE_GONE)
            if not retry:
                return FileResult(
                    f,
                    FileStatus.ERROR,
                    plan=the_plan,
                    error="edit conflict twice: someone keeps editing this file",
                )
            again = self.plan_file(f, fresh, photo, creators)
            if again.edit is None:
                return self._record_plan_result(run_id, f, fresh, again, photo)
            return self._edit(run_id, f, fresh, again, photo, creators, retry=False)
        except WriteOutcomeUnknown as exc:
            # It may have landed: the intent stays open and the next run re-reads the file.
            self.store.annotate_edit(journal_id, f"outcome unknown: {_short(exc)}")
            self.summary.outcomes_unknown += 1
            log.warning("edit of %s: outcome unknown, the next run checks: %s", f.mid, exc)
            return FileResult(f, FileStatus.ERROR, plan=the_plan, error=f"edit: {_short(exc)}")
        except Exception as exc:  # recorded per file; the run goes on
            self.store.close_edit(journal_id, state="failed", error=_short(exc))
            log.warning("edit of %s failed: %s", f.mid, _short(exc))
            return FileResult(f, FileStatus.ERROR, plan=the_plan, error=f"edit: {_short(exc)}")
        self.summary.edits += 1
        if result.patched:
            self.summary.edits_merged += 1
        found = interference(planned, claims, self._entity_after(f.mid, result), landed=True)
        if found:
            return self._settle(
                run_id,
                f,
                state,
                the_plan,
                photo,
                [journal_id],
                found,
                revid=result.revid,
                changed=changed,
            )
        return self._record_plan_result(
            run_id,
            f,
            state,
            the_plan,
            photo,
            revid=result.revid,
            changed=changed,
            journal_ids=[journal_id],
        )

    def _entity_after(self, mid: str, result: EditResultLike) -> dict[str, Any]:
        """The entity as the edit left it: from the answer, or read when it lacks one."""
        if "statements" in result.entity or "claims" in result.entity:
            return result.entity
        fresh = self.commons.read_entities([mid]).get(mid)
        return fresh.entity if fresh is not None else {}

    def _settle(
        self,
        run_id: int,
        f: WorkFile,
        state: EntityStateLike,
        the_plan: Plan,
        photo: Any,
        journal_ids: Sequence[int],
        found: list[Interference],
        *,
        revid: int,
        changed: Sequence[str],
    ) -> FileResult:
        """Our edit landed next to someone else's on the same properties: take our
        statements there back out, queue ``concurrent_edit`` conflicts, record honestly.

        The journal stays open until the undo is done, so a crash in between is settled
        by the next run the same way.
        """
        assert f.mid is not None
        hit = sorted({x.property for x in found})
        log.warning("%s: someone edited %s while the bot wrote it; undoing ours", f.mid, hit)
        final_revid, after = self._undo(f.mid, found, revid, hit)
        if final_revid is None:
            for journal_id in journal_ids:
                self.store.annotate_edit(
                    journal_id, f"merged with a concurrent edit of {hit}; undo failed"
                )
            return FileResult(
                f,
                FileStatus.ERROR,
                plan=the_plan,
                error=f"merged with a concurrent edit of {', '.join(hit)}; undo failed, "
                "the next run retries",
            )
        current = statements_of(after)
        extra = [
            ConflictRecord(
                property=x.property,
                reason="concurrent_edit",
                existing=list(current.get(x.property, [])),
                proposed=x.proposed,
                statement_id=x.statement_id,
                base_revid=final_revid,
            )
            for x in found
        ]
        remaining = [p for p in changed if p not in hit]
        return self._record_plan_result(
            run_id,
            f,
            state,
            the_plan,
            photo,
            revid=final_revid,
            changed=remaining,
            journal_ids=journal_ids,
            journal_note=f"merged with a concurrent edit; own statements on {hit} undone",
            extra_conflicts=extra,
            outcome=FileStatus.EDITED if remaining else FileStatus.CONFLICT,
        )

    def _undo(
        self, mid: str, found: list[Interference], revid: int, props: Sequence[str]
    ) -> tuple[int | None, dict[str, Any]]:
        """Send the edit that removes our part of ``found`` (one retry on a conflict).

        Returns (the revision after, the entity after); (None, {}) if it could not be sent.
        """
        claims = undo_claims(found)
        if not claims:  # nothing of ours could be told apart: leave it to a person
            fresh = self.commons.read_entities([mid]).get(mid)
            return (revid, fresh.entity if fresh is not None else {})
        summary = (
            f"Undo own statements on {', '.join(props)}: someone edited them at the same time "
            f"([[{self.options.documentation_page}|details]])"
        )
        for attempt in (1, 2):
            try:
                result = self.commons.edit(mid, claims, baserevid=revid, summary=summary)
            except EditConflict:
                fresh = self.commons.read_entities([mid]).get(mid)
                if attempt == 2 or fresh is None or fresh.gone or fresh.lastrevid is None:
                    return None, {}
                revid = fresh.lastrevid
                continue
            except Exception as exc:
                log.warning("undo on %s failed: %s", mid, _short(exc))
                return None, {}
            self.summary.edits += 1
            self.summary.edits_undone += 1
            return result.revid, self._entity_after(mid, result)
        return None, {}

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
        journal_ids: Sequence[int] = (),
        journal_note: str | None = None,
        extra_conflicts: Sequence[ConflictRecord] = (),
        outcome: str | None = None,
    ) -> FileResult:
        """Queue the plan's conflicts, decide the file's outcome, and — when an edit was
        made — close its journal entries and record the outcome in one transaction."""
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
        conflicts += list(extra_conflicts)
        assert f.mid is not None
        recorded = self.store.record_conflicts(
            mid=f.mid,
            title=state.title or f.title,
            flickr_photo_id=_photo_id(photo, f),
            owner_nsid=_owner_of(photo) or f.owner_nsid,
            base_revid=state.lastrevid,
            conflicts=conflicts,
            run_id=run_id,
            dry_run=self.options.dry_run,
        )
        if outcome is None:
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
        result = FileResult(
            f,
            outcome,
            plan=the_plan,
            revid=revid,
            conflicts=conflicts,
            changed=list(changed) if changed is not None else None,
            checked_revid=state.lastrevid,
            queued=_waiting(conflicts, recorded.waiting()),
        )
        if journal_ids and not self.options.dry_run:
            with self.store.transaction() as conn:
                for journal_id in journal_ids:
                    self.store.close_edit(
                        journal_id, state="done", new_revid=revid, error=journal_note, conn=conn
                    )
                self.store.record_outcome(
                    f.id,
                    outcome,
                    run_id=run_id,
                    checked_revid=state.lastrevid,
                    edited_revid=revid,
                    changed_properties=result.changed,
                    conn=conn,
                )
            result.recorded = True
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
        """Record the outcome (unless already recorded with its edit) and report it.

        A file that is gone, or names no Flickr photo any more, has nothing left for a
        maintainer to decide: its open conflicts are closed.
        """
        f = result.file
        if not self.options.dry_run and not result.recorded:
            checked = result.checked_revid
            if checked is None and result.plan is not None:
                checked = result.plan.base_revid
            self.store.record_outcome(
                f.id,
                result.outcome,
                run_id=run_id,
                checked_revid=checked,
                edited_revid=result.revid,
                changed_properties=result.changed_properties(False) if result.revid else None,
                error=result.error,
            )
        if (
            not self.options.dry_run
            and f.mid
            and result.outcome in (FileStatus.FILE_GONE, FileStatus.NO_FLICKR_ID)
        ):
            self.summary.conflicts_closed += self.store.close_conflicts_of(
                f.mid, str(result.outcome), f"closed: the file is {result.outcome}"
            )
        if self._report is not None:
            self._report.write(orjson.dumps(report_line(result, self.options.dry_run)) + b"\n")
        return result

    def _account(self, result: FileResult) -> None:
        s = self.summary
        s.files += 1
        s.outcomes[str(result.outcome)] += 1
        queued = result.queued
        for reason in queued if queued is not None else [c.reason for c in result.conflicts]:
            s.conflicts[reason] += 1
        for prop in result.changed_properties(self.options.dry_run):
            s.statements[prop] += 1

    # ------------------------------------------------------------- review decisions

    def _resume_decision_intents(self, run_id: int) -> None:
        """Decision edits a previous run sent but never recorded: applied, or not?

        Settled before any decision is looked at, so a decision whose edit landed is
        marked applied (not superseded because "the file changed": it changed by our
        own edit). Claims left without a journal entry are given back.
        """
        intents = [i for i in self.store.open_edits() if i["conflict_ids"]]
        by_mid: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for intent in intents:
            by_mid[intent["mid"]].append(intent)
        for mid_batch in _chunks(sorted(by_mid), self.options.batch_size):
            self._check_stop()
            self._keep_lock(force=True)
            states = self.commons.read_entities(mid_batch)
            for mid in mid_batch:
                for intent in by_mid[mid]:
                    self.summary.resumed_intents += 1
                    self._settle_decision_intent(run_id, mid, intent, states.get(mid))
        self.store.release_orphan_claims()

    def _settle_decision_intent(
        self,
        run_id: int,
        mid: str,
        intent: Mapping[str, Any],
        state: EntityStateLike | None,
        *,
        landed_for_sure: bool = False,
    ) -> None:
        """One decision edit of unknown outcome, against a fresh read of its file."""
        ids_ = [int(c) for c in intent["conflict_ids"]]
        payload = intent["payload"] or {}
        claims = payload.get("claims") or []
        planned = payload.get("planned_against") or {}
        if state is None or state.gone:
            self.store.close_edit(intent["id"], state="failed", error="the file is gone")
            self.store.release_decisions(ids_, "not written: the file is gone")
            return
        landed = landed_for_sure or (
            state.lastrevid != intent["base_revid"] and claims_present(state.entity, claims)
        )
        if not landed:
            self.store.close_edit(intent["id"], state="failed", error="not landed (found later)")
            self.store.release_decisions(ids_, "not written yet: the bot tries again")
            return
        revid = int(state.lastrevid or 0)
        found = interference(planned, claims, state.entity, landed=landed_for_sure)
        if found:
            self._undo_decision(run_id, mid, intent["id"], ids_, found, revid)
            return
        # The edit landed in some revision after its base, not necessarily the latest
        # (someone may have edited since): its revision is recorded as unknown.
        note = (
            f"confirmed later: the edit landed after revision {intent['base_revid']} "
            f"(the file was at revision {revid} when checked; which revision is the bot's "
            "is not known)"
        )
        with self.store.transaction() as conn:
            self.store.close_edit(intent["id"], state="done", new_revid=None, error=note, conn=conn)
            self.store.mark_applied(ids_, None, note=note, conn=conn)
        self.summary.decisions_applied += len(ids_)

    def _undo_decision(
        self,
        run_id: int,
        mid: str,
        journal_id: int,
        conflict_ids: Sequence[int],
        found: list[Interference],
        revid: int,
    ) -> None:
        """A decision edit merged next to someone else's edit of the same property: take
        ours back out; the decision no longer means what it did, so it is superseded and
        the file re-planned against what is there now."""
        hit = sorted({x.property for x in found})
        final_revid, _ = self._undo(mid, found, revid, hit)
        if final_revid is None:
            self.store.annotate_edit(journal_id, f"merged with a concurrent edit of {hit}")
            return
        self.store.close_edit(
            journal_id,
            state="done",
            new_revid=final_revid,
            error=f"merged with a concurrent edit; own statements on {hit} undone",
        )
        for cid in conflict_ids:
            self.store.supersede(cid, "concurrent_edit")
        self.summary.decisions_superseded += len(conflict_ids)
        self.store.requeue_mid(mid, note="a review decision met a concurrent edit: re-plan")

    def _apply_decisions(self, run_id: int) -> None:
        """Write what maintainers accepted, each against the revision they looked at.

        Through the same stop checks as the walk: the run page and talk page before each
        batch, signals and ``--max-minutes`` before each file, the lock renewed with each
        edit; each decision edit counts toward ``--limit``; ``--only``/``--owner`` narrow
        which files' decisions are applied. A file that changed since the conflict was
        recorded is planned again: if the same conflict is still there the decision still
        means the same thing and is applied against the new revision; otherwise it is
        superseded and the file goes back to ``pending``, so the walk re-plans it (and
        raises a fresh conflict if one is still needed).
        """
        opts = self.options
        accepted = self.store.accepted_conflicts(only=opts.only, owner=opts.owner)
        by_mid: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for c in accepted:
            by_mid[c["mid"]].append(c)
        for mid_batch in _chunks(sorted(by_mid), opts.batch_size):
            self._check_stop()
            self._keep_lock(force=True)
            self._check_may_run()
            states = self.commons.read_entities(mid_batch)
            for mid in mid_batch:
                self._check_stop()
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
        if len(still_valid) < len(decided):
            self.store.requeue_mid(mid, note="a review decision was superseded: re-plan")
        if not still_valid:
            return
        left = self._limit_left()
        if left is not None and left <= 0:
            raise StopRun("limit")
        claimed = set(self.store.claim_decisions([c["id"] for c in still_valid]))
        self.summary.decisions_withdrawn += len(still_valid) - len(claimed)
        still_valid = [c for c in still_valid if c["id"] in claimed]
        if not still_valid:
            return
        still_valid = self._already_on_the_file(mid, still_valid, state)
        still_valid = self._refuse_second_photo_id(mid, still_valid, state)
        if not still_valid:
            return
        claims = self._decision_claims(still_valid, state)
        ids_ = [c["id"] for c in still_valid]
        if not claims or state.lastrevid is None:
            for cid in ids_:
                self.store.supersede(cid, "nothing_to_write")
            return
        props = sorted({c["property"] for c in still_valid})
        summary = self.summary_builder(
            props, still_valid[0]["flickr_photo_id"], self.options.documentation_page
        )
        summary = "Per review decision: " + summary
        planned = planned_against(state.entity, claims)
        try:
            journal_id = self._open_edit(
                run_id=run_id,
                mid=mid,
                base_revid=state.lastrevid,
                payload={"claims": claims, "planned_against": planned},
                summary=summary,
                conflict_ids=ids_,
            )
        except StopRun:
            self.store.release_decisions(ids_, "not written: the run stopped")
            raise
        self._decision_edits += 1
        intent = {
            "id": journal_id,
            "base_revid": state.lastrevid,
            "payload": {"claims": claims, "planned_against": planned},
            "conflict_ids": ids_,
        }
        try:
            result = self.commons.edit(mid, claims, baserevid=state.lastrevid, summary=summary)
        except EditConflict as exc:
            if exc.maybe_ours:
                fresh = self.commons.read_entities([mid]).get(mid)
                self._settle_decision_intent(run_id, mid, intent, fresh)
                return
            self.store.close_edit(journal_id, state="failed", error="editconflict")
            self.store.release_decisions(ids_, "not written: the file changed; tried again later")
            log.info("decision for %s not applied: the file changed; next run retries", mid)
            return
        except WriteOutcomeUnknown as exc:
            self.store.annotate_edit(journal_id, f"outcome unknown: {_short(exc)}")
            self.summary.outcomes_unknown += 1
            log.warning("decision for %s: outcome unknown, the next run checks", mid)
            return
        except Exception as exc:
            self.store.close_edit(journal_id, state="failed", error=_short(exc))
            self.store.release_decisions(ids_, f"not written: {_short(exc)}")
            log.warning("decision for %s not applied: %s", mid, _short(exc))
            return
        self.summary.edits += 1
        if result.patched:
            self.summary.edits_merged += 1
        found = interference(planned, claims, self._entity_after(mid, result), landed=True)
        if found:
            self._undo_decision(run_id, mid, journal_id, ids_, found, result.revid)
            return
        with self.store.transaction() as conn:
            self.store.close_edit(journal_id, state="done", new_revid=result.revid, conn=conn)
            self.store.mark_applied(ids_, result.revid, conn=conn)
        self.summary.decisions_applied += len(ids_)
        if ids.P_FLICKR_PHOTO_ID in props:
            # the photo id was what held the rest back: plan the file again
            self.store.requeue_mid(mid, note="photo id decided: plan the rest")

    @staticmethod
    def _decision_claims(
        decided: Sequence[Mapping[str, Any]], state: EntityStateLike
    ) -> list[dict[str, Any]]:
        """The claims of the decisions, none that the file (or another of them) already
        holds, identical: a decision never adds the same statement twice."""
        claims: list[dict[str, Any]] = []
        for c in decided:
            claims.extend(
                apply_decision(state.entity, c["existing"], c["proposed"], c["statement_id"])
            )
        return without_duplicates(state.entity, claims)

    def _already_on_the_file(
        self, mid: str, decided: list[dict[str, Any]], state: EntityStateLike
    ) -> list[dict[str, Any]]:
        """Decisions whose statement the file already holds, identical (someone wrote it
        meanwhile, or an earlier run did): applied with nothing written; the others stay.
        A photo id decided this way is the file's like any other (the file is re-planned)."""
        on_file = statements_of(state.entity)
        there = [
            c
            for c in decided
            if c["proposed"]
            and any(same_statement(s, c["proposed"]) for s in on_file.get(c["property"], []))
        ]
        if not there:
            return decided
        note = (
            f"nothing written: the file already holds this statement (revision {state.lastrevid})"
        )
        self.store.mark_applied([c["id"] for c in there], None, note=note)
        self.summary.decisions_applied += len(there)
        if any(c["property"] == ids.P_FLICKR_PHOTO_ID for c in there):
            self.store.requeue_mid(mid, note="photo id decided: plan the rest")
        return [c for c in decided if c not in there]

    def _refuse_second_photo_id(
        self, mid: str, decided: list[dict[str, Any]], state: EntityStateLike
    ) -> list[dict[str, Any]]:
        """Photo-id decisions that would leave the file with two Flickr photo ids (two
        candidates accepted, or one next to another id already on the file) are not
        written: they go back to the queue with the reason, the others stay."""
        photo = [c for c in decided if c["property"] == ids.P_FLICKR_PHOTO_ID]
        if not photo:
            return decided
        both = second_photo_id(state.entity, self._decision_claims(photo, state))
        if not both:
            return decided
        note = (
            f"not written: the file would hold {len(both)} Flickr photo ids "
            f"({', '.join(sorted(both))}); accept only the one photo this file is"
        )
        refused = [c["id"] for c in photo]
        self.store.refuse_decisions(refused, note)
        self.summary.decisions_refused += len(refused)
        log.warning("decisions %s for %s: %s", refused, mid, note)
        self.store.requeue_mid(mid, note="photo-id decisions refused: re-plan")
        return [c for c in decided if c["property"] != ids.P_FLICKR_PHOTO_ID]

    def _conflict_still_there(self, conflict: Mapping[str, Any], state: EntityStateLike) -> bool:
        """The statement(s) the maintainer looked at are still on the file, unchanged."""
        from bot.store.records import _strip_hashes

        current = state.entity.get("statements") or state.entity.get("claims") or {}
        if not isinstance(current, dict):
            return False
        now = _strip_hashes(current.get(conflict["property"], []))
        return bool(now) and now == _strip_hashes(conflict["existing"])

    # ------------------------------------------------------------- conflict recheck

    def _recheck_conflict_files(self) -> None:
        """Conflicts a person may have fixed on Commons: find the files that changed.

        Files with undecided conflicts not looked at for ``recheck_conflicts_days`` get
        a revision check (one ``prop=info`` per batch, no Flickr call); the ones whose
        latest revision is not the one last planned against go back to ``pending``, so
        the walk re-plans them and the conflicts that went away are closed. A dry run
        keeps them in memory and writes nothing.
        """
        opts = self.options
        if opts.recheck or opts.recheck_conflicts_days is None:
            return
        due = self.store.conflict_files_due(
            timedelta(days=opts.recheck_conflicts_days), only=opts.only, owner=opts.owner
        )
        for batch in _batches(due, opts.batch_size):
            self._check_stop()
            self._keep_lock(force=True)
            latest = self.commons.latest_revisions([f.mid for f in batch if f.mid])
            changed: list[WorkFile] = []
            same: list[WorkFile] = []
            for f in batch:
                known = max(f.checked_revid or 0, f.edited_revid or 0)
                revid = latest.get(f.mid or "")
                (changed if revid is None or revid != known else same).append(f)
            self.summary.files_rechecked += len(batch)
            self.summary.rechecked_changed += len(changed)
            if opts.dry_run:
                self._rechecked_dry += changed
                continue
            self.store.requeue_files(
                [f.id for f in changed], note="changed on Commons since its conflict was raised"
            )
            self.store.touch_files([f.id for f in same])

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
            "apply_decisions": opts.apply_decisions,
            "recheck_conflicts_days": opts.recheck_conflicts_days,
            "report_path": opts.report_path,
        }.items()
    }


def summary_path(report_path: Path) -> Path:
    """Where the run summary goes next to a report: ``x.jsonl`` → ``x.summary.json``."""
    return report_path.with_name(report_path.stem + ".summary.json")


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


__all__ = [
    "EditConflict",
    "Job",
    "LockHeld",
    "RunOptions",
    "RunSummary",
    "summary_path",
    "utcnow",
]
