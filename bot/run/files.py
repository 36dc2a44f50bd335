"""One file: settle what an earlier run left open, plan, edit through the journaled protocol or queue, record the outcome."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from bot.core import ids
from bot.core.claims import licence_info, photo_id_statement, wanted_statements
from bot.core.concurrency import (
    Interference,
    interference,
    statements_of,
)
from bot.core.flickr_photo import FlickrPhoto, FlickrPhotoGone
from bot.core.reconcile import (
    Plan,
    plan,
)
from bot.run.base import RunBase
from bot.run.common import _claim_properties, _owner_of, _photo_id, _waiting, _weak_only
from bot.run.edits import Failed, Refused, Unknown
from bot.run.ports import EntityStateLike
from bot.run.summary import FileResult, report_line
from bot.store import (
    ConflictRecord,
    FileStatus,
    WorkFile,
)

log = logging.getLogger(__name__)


class FileSteps(RunBase):
    """One file: settle what an earlier run left open, plan, edit through the journaled protocol or queue, record the outcome."""

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
        the_plan = self._plan_once(f, state, photo, creators)
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
        self.summary.rule_decisions += recorded.by_rule
        return FileResult(
            f,
            FileStatus.CONFLICT,
            conflicts=[record],
            checked_revid=state.lastrevid,
            queued=_waiting([record], recorded.waiting()),
        )

    def _plan_once(
        self, f: WorkFile, state: EntityStateLike, photo: Any, creators: Mapping[str, Sequence[str]]
    ) -> Plan:
        """The plan a batch step made of this file from the same state and photo, or a new one."""
        made = self._batch_plans.pop(f.mid or "", None)
        if made is not None and made[0] is state and made[1] is photo:
            return made[2]
        return self.plan_file(f, state, photo, creators)

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
        """Send the plan's edit through the protocol and record what came of it — and on an
        edit conflict re-read, re-plan, retry once."""
        assert f.mid is not None and the_plan.edit is not None
        if state.lastrevid is None:
            return FileResult(f, FileStatus.ERROR, plan=the_plan, error="no base revision")
        claims = the_plan.edit["claims"]
        changed = list(the_plan.changed_properties)
        summary = self.summary_builder(
            changed, _photo_id(photo, f), self.options.documentation_page
        )
        sent = self.edits.send(
            run_id, f.mid, state.entity, state.lastrevid, claims, summary, label="edit of"
        )
        if isinstance(sent, Refused):
            fresh = self.commons.read_entities([f.mid]).get(f.mid)
            if sent.maybe_ours and fresh is not None and not fresh.gone:
                # No answer, and the file changed: maybe our edit. The fresh read decides.
                again = self.plan_file(f, fresh, photo, creators)
                resumed = self._resume_file_intents(
                    run_id, f, fresh, [sent.intent.as_row()], again, photo, resumed=False
                )
                if resumed is not None:
                    self.summary.edits += 1
                    return resumed
            else:
                self.store.close_edit(sent.intent.journal_id, state="failed", error="editconflict")
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
        if isinstance(sent, Unknown | Failed):
            # Unknown: it may have landed, the intent stays open and the next run re-reads.
            return FileResult(f, FileStatus.ERROR, plan=the_plan, error=f"edit: {sent.error}")
        if sent.found:
            return self._settle(
                run_id,
                f,
                state,
                the_plan,
                photo,
                [sent.intent.journal_id],
                sent.found,
                revid=sent.result.revid,
                changed=changed,
            )
        return self._record_plan_result(
            run_id,
            f,
            state,
            the_plan,
            photo,
            revid=sent.result.revid,
            changed=changed,
            journal_ids=[sent.intent.journal_id],
        )

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
        final_revid, after = self.edits.undo(f.mid, found, revid, hit)
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
        conflicts = self._with_evidence(f.mid or "", conflicts)
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
        self.summary.rule_decisions += recorded.by_rule
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

    def _with_evidence(self, mid: str, conflicts: list[ConflictRecord]) -> list[ConflictRecord]:
        """The plan's conflicts with what the batch learnt about them (see ``EvidenceSteps``)."""
        return conflicts

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
            and result.outcome
            in (FileStatus.FILE_GONE, FileStatus.NO_FLICKR_ID, FileStatus.BHL_NO_MATCH)
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
