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
from collections import Counter

import orjson

from bot.adapters.commons import EditConflict
from bot.core.errors import as_backfill_error
from bot.run.batch import BatchSteps
from bot.run.common import StopRun, _batches, _owner_key
from bot.run.decisions import DecisionSteps
from bot.run.ports import RunOptions
from bot.run.recheck import RecheckSteps
from bot.run.summary import RunSummary, _options_json, _Progress, iter_report, summary_path
from bot.store import (
    LockHeld,
    utcnow,
)
from bot.store.failures import store_unavailable

log = logging.getLogger(__name__)


class Job(BatchSteps, DecisionSteps, RecheckSteps):
    """One ``backfill run``. Construct with the adapters, call ``run()``."""

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
        failed = False
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
                failed = True
                unavailable = store_unavailable(exc)
                self.summary.stop_reason = f"error: {unavailable or as_backfill_error(exc)}"
                log.info("run %s failed: %s", run_id, self.summary.stop_reason)
                if unavailable is not None and unavailable is not exc:
                    raise unavailable from exc
                raise
        finally:
            self.summary.flickr_calls = self.flickr.calls - flickr_before
            self.summary.commons_read_calls = self.commons.read_calls - reads_before
            self.summary.commons_control_calls = self.commons.control_calls - control_before
            self.summary.elapsed_s = self.clock() - self._started
            self._restore_signal_handlers(old_handlers)
            if self._report is not None:
                self._report.close()
            if opts.report_path is not None:
                summary_path(opts.report_path).write_bytes(
                    orjson.dumps(self.summary.to_json(), option=orjson.OPT_INDENT_2) + b"\n"
                )
            self._record_end(run_id, failed=failed)
        return self.summary

    def _record_end(self, run_id: int, *, failed: bool) -> None:
        """The run's stop reason and summary, and the lock given back. A store that has
        become unavailable cannot take them: the run row stays without an end and the
        lease goes stale (the next run takes it over); the printed summary still says
        why it stopped, and the failure that stopped it is the one reported."""
        try:
            self.store.finish_run(
                run_id, stop_reason=self.summary.stop_reason, summary=self.summary.to_json()
            )
            self.store.release_lock(self._holder, self._lock_name)
        except Exception as exc:
            if (failure := store_unavailable(exc)) is None:
                raise
            if not failed:  # the walk ended well, but its end is not recorded: say so
                raise failure from exc
            log.warning("run %s: could not record its end: %s", run_id, failure)

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


__all__ = [
    "EditConflict",
    "Job",
    "LockHeld",
    "RunOptions",
    "RunSummary",
    "_options_json",
    "iter_report",
    "summary_path",
    "utcnow",
]
