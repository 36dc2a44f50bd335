"""Maintainers' decisions: settled if a run left them open, then written through the journaled protocol, each against the revision it was made on."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from bot.core import ids
from bot.core.concurrency import (
    Interference,
    claims_present,
    interference,
    statements_of,
)
from bot.core.decisions import apply_decision, second_photo_id
from bot.core.reconcile import (
    same_statement,
    without_duplicates,
)
from bot.core.wikibase import strip_hashes
from bot.run.base import RunBase
from bot.run.common import StopRun, _chunks
from bot.run.edits import Failed, Refused, Unknown
from bot.run.ports import EntityStateLike
from bot.run.summary import with_prefix

log = logging.getLogger(__name__)


class DecisionSteps(RunBase):
    """Maintainers' decisions: settled if a run left them open, then written through the journaled protocol, each against the revision it was made on."""

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
        final_revid, _ = self.edits.undo(mid, found, revid, hit)
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
        summary = with_prefix("Per review decision: ", summary)
        try:
            sent = self.edits.send(
                run_id,
                mid,
                state.entity,
                state.lastrevid,
                claims,
                summary,
                label="decision for",
                conflict_ids=ids_,
            )
        except StopRun:
            self.store.release_decisions(ids_, "not written: the run stopped")
            raise
        self._decision_edits += 1
        journal_id = sent.intent.journal_id
        if isinstance(sent, Refused):
            if sent.maybe_ours:
                fresh = self.commons.read_entities([mid]).get(mid)
                self._settle_decision_intent(run_id, mid, sent.intent.as_row(), fresh)
                return
            self.store.close_edit(journal_id, state="failed", error="editconflict")
            self.store.release_decisions(ids_, "not written: the file changed; tried again later")
            log.info("decision for %s not applied: the file changed; next run retries", mid)
            return
        if isinstance(sent, Unknown):  # it may have landed: the next run settles it
            return
        if isinstance(sent, Failed):
            self.store.release_decisions(ids_, f"not written: {sent.error}")
            return
        if sent.found:
            self._undo_decision(run_id, mid, journal_id, ids_, sent.found, sent.result.revid)
            return
        with self.store.transaction() as conn:
            self.store.close_edit(journal_id, state="done", new_revid=sent.result.revid, conn=conn)
            self.store.mark_applied(ids_, sent.result.revid, conn=conn)
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
        current = state.entity.get("statements") or state.entity.get("claims") or {}
        if not isinstance(current, dict):
            return False
        now = strip_hashes(current.get(conflict["property"], []))
        return bool(now) and now == strip_hashes(conflict["existing"])
