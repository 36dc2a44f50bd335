"""The run's state and the checks every step makes: stop signals, --max-minutes, the run page, the lock, the journal."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from types import FrameType
from typing import IO, Any

from bot.core.reconcile import Plan
from bot.run.common import StopRun
from bot.run.edits import EditProtocol
from bot.run.ports import CommonsPort, FlickrPort, RunOptions, WikidataLookup, WikitextFinder
from bot.run.summary import RunSummary, _options_json, default_edit_summary
from bot.store import (
    LockLost,
    Store,
    WorkFile,
)

log = logging.getLogger(__name__)


class RunBase:
    """The run's state and the checks every step makes: stop signals, --max-minutes, the run page, the lock, the journal."""

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
        self._summary_base = summary_builder
        self.summary_builder = self._edit_summary
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
        # plans a batch step already made (by M-id, with the state and photo they were made
        # from): the file step uses them instead of planning the same file twice
        self._batch_plans: dict[str, tuple[object, object, Plan]] = {}
        self._owner_left: Counter[str | None] = Counter()  # files per owner still to come
        self.wikidata_unchecked: tuple[set[str], str] = (set(), "")  # items, why
        # every edit of the run, of a file or of a decision, goes through this one protocol
        self.edits = EditProtocol(
            store, commons, self.summary, self._open_edit, options.documentation_page
        )

    def _edit_summary(self, properties: Sequence[str], photo_id: str | None, doc: str) -> str:
        """The summary of an edit of this run: it names the run (``…; run 12)``)."""
        if self._summary_base is not None:
            return self._summary_base(properties, photo_id, doc)
        return default_edit_summary(properties, photo_id, doc, run_id=self.summary.run_id or None)

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
