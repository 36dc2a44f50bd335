"""Files with undecided conflicts that changed on Commons go back to the worklist (one revision check per batch)."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.run.base import RunBase
from bot.run.common import _batches
from bot.store import (
    WorkFile,
)

log = logging.getLogger(__name__)


class RecheckSteps(RunBase):
    """Files with undecided conflicts that changed on Commons go back to the worklist (one revision check per batch)."""

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
