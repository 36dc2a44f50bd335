"""``backfill undo --run N``: take back what run N wrote, where nobody changed it since.

Per file that run N edited (its journal rows closed as done), the file is read fresh from
Commons and :func:`bot.core.undo.plan_undo` says what of the run's statements and
qualifiers is still exactly as the run left it: that is removed (or a replaced creator put
back) in one edit; the rest is left and listed for a person. The edit goes through the
run's own journaled protocol (``bot.run.edits``: intent committed with the lock renewed,
``baserevid``, one typed outcome), under the same stop checks (run page and talk page,
lock, SIGTERM/Ctrl-C, ``--max-minutes``). The undo is a run of its own in the store
(``runs.args.undo_of``); each file's result is one ``undo_files`` row written with its
journal entry closed, so a second undo skips it, and an undo killed between sending and
recording is settled by the next one exactly as a run settles its own: the fresh read
decides (an undo that landed leaves nothing to take back), nothing is sent twice.

A dry undo logs in to nothing, takes no lock and writes nothing, to Commons or the store.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from bot.core.errors import UsageError, as_backfill_error
from bot.core.undo import JournaledEdit, UndoItem, UndoPlan, plan_undo
from bot.run.base import RunBase
from bot.run.common import StopRun, _chunks
from bot.run.edits import Failed, Landed, Refused, Unknown
from bot.run.ports import CommonsPort, EntityStateLike, RunOptions
from bot.run.summary import PROPERTY_WORDS, capped
from bot.store import Store
from bot.store.journal import JournalRow

log = logging.getLogger(__name__)


@dataclass(slots=True)
class UndoOptions:
    """What ``backfill undo`` was asked to do."""

    run: int
    dry_run: bool = False
    only: list[str] | None = None
    limit: int | None = None
    max_minutes: float | None = None
    documentation_page: str = "Commons:Flickr SDC backfill bot"
    batch_size: int = 50
    heartbeat_s: float = 30.0


@dataclass(slots=True)
class UndoFileResult:
    """What the undo did (or, dry, would do) to one file."""

    mid: str
    outcome: str
    """``undone``, ``left`` (all of it changed since), ``nothing_to_undo``, ``would_undo``
    (dry run), ``file_gone``, ``error``."""
    taken: list[UndoItem] = field(default_factory=list)
    left: list[UndoItem] = field(default_factory=list)
    revid: int | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "mid": self.mid,
            "outcome": self.outcome,
            "taken": [t.to_json() for t in self.taken],
            "left": [x.to_json() for x in self.left],
            "revid": self.revid,
            "error": self.error,
        }


@dataclass(slots=True)
class UndoSummary:
    """End of an undo: per file what was taken back and what was left for a person."""

    undone_run: int
    dry_run: bool
    undo_run_id: int = 0
    files: list[UndoFileResult] = field(default_factory=list)
    already_undone: int = 0
    resumed_intents: int = 0
    unsettled: int = 0
    """Edits of the run undone whose outcome was never recorded: not undone here."""
    edits: int = 0
    stop_reason: str = "done"

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.files:
            out[f.outcome] = out.get(f.outcome, 0) + 1
        return dict(sorted(out.items()))

    def to_json(self) -> dict[str, Any]:
        return {
            "undo_of": self.undone_run,
            "run_id": self.undo_run_id,
            "dry_run": self.dry_run,
            "outcomes": self.counts(),
            "already_undone": self.already_undone,
            "resumed_intents": self.resumed_intents,
            "unsettled": self.unsettled,
            "edits": self.edits,
            "left_for_a_person": sum(len(f.left) for f in self.files),
            "stop_reason": self.stop_reason,
            "files": [f.to_json() for f in self.files],
        }

    def render(self) -> str:
        mode = "dry run (nothing written)" if self.dry_run else f"undo run {self.undo_run_id}"
        lines = [f"Undo of run {self.undone_run}: {mode}; stopped: {self.stop_reason}"]
        lines += [f"  {name:<20} {n}" for name, n in self.counts().items()]
        if self.already_undone:
            lines.append(f"  {'already undone':<20} {self.already_undone} (skipped)")
        if self.unsettled:
            lines.append(
                f"  {'unsettled edits':<20} {self.unsettled} (never recorded: run `backfill "
                "run` to settle them, then undo again)"
            )
        lines.append(f"  {'edits planned' if self.dry_run else 'edits made':<20} {self.edits}")
        for f in self.files:
            head = f"  {f.mid} {f.outcome}" + (f" (revision {f.revid})" if f.revid else "")
            if f.error:
                head += f": {f.error}"
            lines.append(head)
            lines += [f"      - {_item_words(t)}" for t in f.taken]
            lines += [f"      ! left for a person: {_item_words(x)}" for x in f.left]
        return "\n".join(lines)


def _landed_before(earlier: UndoPlan, now: UndoPlan) -> list[UndoItem]:
    """What the first try took back that is gone on the re-read: it landed then."""
    gone = {(g.property, g.statement_id) for g in now.gone}
    gone_props = {g.property for g in now.gone if g.statement_id is None}
    return [
        t
        for t in earlier.taken
        if (t.property, t.statement_id) in gone
        or (t.action == "remove" and t.property in gone_props)
    ]


def _item_words(item: UndoItem) -> str:
    where = f" {item.statement_id}" if item.statement_id else ""
    return f"{item.property}{where} {item.action}: {item.detail}".rstrip(": ")


def undo_summary_text(undone_run: int, plan: UndoPlan, doc: str, undo_run_id: int) -> str:
    """ "Undo run 12: take back inception, creator ([[doc|details]]; run 14)"."""
    props = sorted({t.property for t in plan.taken})
    what = ", ".join(PROPERTY_WORDS.get(p, p) for p in props) or "structured data"
    return capped(f"Undo run {undone_run}: take back {what}", doc, undo_run_id or None)


def _journaled(rows: Sequence[JournalRow]) -> list[JournaledEdit]:
    return [
        JournaledEdit(
            r.id,
            list(r.payload.get("claims") or []),
            dict(r.payload.get("planned_against") or {}),
        )
        for r in rows
    ]


def _items(raw: Any) -> list[UndoItem]:
    return [
        UndoItem(
            str(x.get("property")),
            x.get("statement_id"),
            str(x.get("action")),
            x.get("detail") or "",
        )
        for x in raw or ()
        if isinstance(x, Mapping)
    ]


class UndoJob(RunBase):
    """One ``backfill undo --run N``. Construct with the store and Commons, call ``run()``."""

    def __init__(
        self,
        store: Store,
        commons: CommonsPort,
        options: UndoOptions,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        run_options = RunOptions(
            dry_run=options.dry_run,
            limit=options.limit,
            max_minutes=options.max_minutes,
            only=options.only,
            documentation_page=options.documentation_page,
            batch_size=options.batch_size,
            heartbeat_s=options.heartbeat_s,
        )
        super().__init__(store, commons, cast(Any, None), run_options, clock=clock)
        self.undo = options
        self.result = UndoSummary(undone_run=options.run, dry_run=options.dry_run)

    def _check_target(self) -> None:
        """Only a real run of the bot can be undone; say plainly why not otherwise."""
        n = self.undo.run
        run = self.store.get_run(n)
        if run is None:
            raise UsageError(f"no run {n} in the store (`backfill review` lists the runs)")
        if (self.store.run_args(n) or {}).get("undo_of") is not None:
            raise UsageError(f"run {n} is itself an undo; run `backfill run` to write again")
        if run["dry_run"]:
            raise UsageError(f"run {n} was a dry run: it wrote nothing to take back")

    def run(self) -> UndoSummary:
        """Lock, settle an earlier undo's open intents, undo file by file, record the undo."""
        self._check_target()
        dry = self.undo.dry_run
        if not dry:
            self._holder = self.store.acquire_lock("run")  # LockHeld goes to the CLI
            self._lock_name = "run"
        self._started = self._last_beat = self.clock()
        undo_run_id = 0
        if not dry:
            undo_run_id = self.store.start_run(
                dry_run=False,
                args={"undo_of": self.undo.run, "only": self.undo.only, "limit": self.undo.limit},
            )
        self.summary.run_id = self.result.undo_run_id = undo_run_id
        old_handlers = self._install_signal_handlers()
        try:
            try:
                if not dry:
                    self._check_may_run()
                    self._resume_undo_intents(undo_run_id)
                self._walk_undo(undo_run_id)
            except StopRun as stop:
                self.result.stop_reason = stop.reason
                log.warning("stopping: %s", stop.reason)
            except Exception as exc:
                self.result.stop_reason = f"error: {as_backfill_error(exc)}"
                raise
        finally:
            self.result.edits = self.summary.edits if not dry else self.result.edits
            if not dry:
                self.store.finish_run(
                    undo_run_id, stop_reason=self.result.stop_reason, summary=self.result.to_json()
                )
                self.store.release_lock(self._holder, "run")
            self._restore_signal_handlers(old_handlers)
        return self.result

    # --- the walk ---------------------------------------------------------------------

    def _edits_by_file(self) -> dict[str, list[JournalRow]]:
        only = [m.strip().upper() for m in self.undo.only] if self.undo.only else None
        by_mid: dict[str, list[JournalRow]] = {}
        for row in self.store.run_edits(self.undo.run, only):
            if row.payload.get("claims"):
                by_mid.setdefault(row.mid, []).append(row)
        return by_mid

    def _walk_undo(self, undo_run_id: int) -> None:
        self.result.unsettled = self.store.unsettled_edits(self.undo.run)
        by_mid = self._edits_by_file()
        done = {u.mid for u in self.store.undo_files(self.undo.run)}
        self.result.already_undone = len(set(by_mid) & done)
        mids = [m for m in by_mid if m not in done]
        if self.undo.limit is not None:
            mids = mids[: self.undo.limit]
        log.info("undo of run %s: %d files", self.undo.run, len(mids))
        for batch in _chunks(mids, self.undo.batch_size):
            self._check_stop()
            if not self.undo.dry_run:
                self._keep_lock(force=True)
                self._check_may_run()
            states = self.commons.read_entities(batch)
            for mid in batch:
                self._check_stop()
                result = self._undo_file(undo_run_id, mid, by_mid[mid], states.get(mid))
                self.result.files.append(result)
        if self.undo.limit is not None and len(mids) >= self.undo.limit:
            self.result.stop_reason = "limit"

    def _undo_file(
        self,
        undo_run_id: int,
        mid: str,
        rows: Sequence[JournalRow],
        state: EntityStateLike | None,
        *,
        earlier: UndoPlan | None = None,
    ) -> UndoFileResult:
        """Plan the file's undo against ``state`` and send it; on an edit conflict re-read,
        re-plan and send once more (``earlier``: the first try's plan, part of which may
        have landed: Wikibase patches a stale edit and the adapter puts back only the
        statements someone else changed)."""
        if state is None or state.gone or state.lastrevid is None:
            return UndoFileResult(mid, "file_gone")
        plan = plan_undo(state.entity, _journaled(rows))
        if earlier is not None:
            plan.taken = _landed_before(earlier, plan) + plan.taken
        if not plan.claims:
            outcome = "undone" if plan.taken else "left" if plan.left else "nothing_to_undo"
            new_revid = state.lastrevid if plan.taken else None  # taken by the first try
            self._record(
                undo_run_id, mid, outcome, plan.taken, plan.left, state.lastrevid, new_revid
            )
            return UndoFileResult(mid, outcome, plan.taken, plan.left, revid=state.lastrevid)
        if self.undo.dry_run:
            self.result.edits += 1
            return UndoFileResult(mid, "would_undo", plan.taken, plan.left)
        text = undo_summary_text(self.undo.run, plan, self.undo.documentation_page, undo_run_id)
        undo = {
            "run": self.undo.run,
            "taken": [t.to_json() for t in plan.taken],
            "left": [x.to_json() for x in plan.left],
        }
        sent = self.edits.send(
            undo_run_id,
            mid,
            state.entity,
            state.lastrevid,
            plan.claims,
            text,
            label="undo of",
            undo=undo,
        )
        if isinstance(sent, Landed):
            self._record(
                undo_run_id,
                mid,
                "undone",
                plan.taken,
                plan.left,
                state.lastrevid,
                sent.result.revid,
                [sent.intent.journal_id],
            )
            return UndoFileResult(mid, "undone", plan.taken, plan.left, revid=sent.result.revid)
        if isinstance(sent, Refused):
            fresh = self.commons.read_entities([mid]).get(mid)
            row = JournalRow(
                sent.intent.journal_id,
                undo_run_id,
                mid,
                state.lastrevid,
                {"undo": undo},
                None,
                "open",
            )
            if (
                sent.maybe_ours
                and fresh is not None
                and self._settle(undo_run_id, row, rows, fresh)
            ):
                return self._settled_result(mid, row, fresh)
            self.store.close_edit(
                sent.intent.journal_id,
                state="failed",
                error="editconflict (Commons may have patched part of it in: see the retry)",
            )
            if earlier is not None:
                return UndoFileResult(mid, "error", error="edit conflict twice")
            return self._undo_file(undo_run_id, mid, rows, fresh, earlier=plan)
        if isinstance(sent, Unknown | Failed):
            # Unknown: it may have landed; the intent stays open and the next undo settles it
            return UndoFileResult(mid, "error", plan.taken, plan.left, error=sent.error)
        raise AssertionError(sent)  # pragma: no cover

    def _record(
        self,
        undo_run_id: int,
        mid: str,
        outcome: str,
        taken: Sequence[UndoItem],
        left: Sequence[UndoItem],
        base_revid: int | None,
        new_revid: int | None,
        journal_ids: Sequence[int] = (),
        note: str | None = None,
    ) -> None:
        if self.undo.dry_run:
            return
        self.store.record_undo_file(
            undone_run_id=self.undo.run,
            undo_run_id=undo_run_id,
            mid=mid,
            outcome=outcome,
            taken=[t.to_json() for t in taken],
            left=[x.to_json() for x in left],
            base_revid=base_revid,
            new_revid=new_revid,
            journal_ids=journal_ids,
            journal_note=note,
        )

    # --- what an earlier undo left open ------------------------------------------------

    def _resume_undo_intents(self, undo_run_id: int) -> None:
        """An undo died between sending an edit and recording it: did the edit land?

        The fresh read decides, as for a run: the revision moved and nothing of the run
        is left to take back → it landed, recorded from the intent. Otherwise the intent
        is closed as not landed, and the walk plans that file again.
        """
        intents = self.store.open_undo_edits(self.undo.run)
        if not intents:
            return
        self.result.resumed_intents = len(intents)
        mids = sorted({i.mid for i in intents})
        states = self.commons.read_entities(mids)
        rows = self._edits_by_file()
        for intent in intents:
            fresh = states.get(intent.mid)
            if fresh is not None and self._settle(
                undo_run_id, intent, rows.get(intent.mid, []), fresh
            ):
                log.info("undo of %s found landed on resume", intent.mid)
                continue
            self.store.close_edit(intent.id, state="failed", error="not landed (found on resume)")

    def _settle(
        self,
        undo_run_id: int,
        intent: JournalRow,
        rows: Sequence[JournalRow],
        fresh: EntityStateLike,
    ) -> bool:
        """Record the intent's undo as landed if the fresh read shows it did."""
        if fresh.gone or fresh.lastrevid is None or fresh.lastrevid == intent.base_revid:
            return False
        if plan_undo(fresh.entity, _journaled(rows)).claims:
            return False
        undo = intent.payload.get("undo") or {}
        self._record(
            undo_run_id,
            intent.mid,
            "undone",
            _items(undo.get("taken")),
            _items(undo.get("left")),
            intent.base_revid,
            fresh.lastrevid,
            [intent.id],
            "confirmed on resume: nothing of the run is left to take back",
        )
        return True

    def _settled_result(
        self, mid: str, intent: JournalRow, fresh: EntityStateLike
    ) -> UndoFileResult:
        undo = intent.payload.get("undo") or {}
        return UndoFileResult(
            mid, "undone", _items(undo.get("taken")), _items(undo.get("left")), fresh.lastrevid
        )
