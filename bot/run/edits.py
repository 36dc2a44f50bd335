"""The one journaled edit protocol: journal the intent, send, tell what came of it, undo.

File edits and decision edits both go through :class:`EditProtocol`, so the order that makes
a crash safe is written once: the intent (payload, the statements it was planned against,
``baserevid``, the decisions it carries) is committed before ``wbeditentity`` is sent; what
the send gave back is one typed outcome; only a clear refusal closes the intent as failed
here, an unknown outcome leaves it open for the next run, and a landed edit is closed by the
caller together with what it records (the file's outcome, or the decisions applied).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from bot.adapters.commons import EditConflict, WriteOutcomeUnknown
from bot.core.concurrency import Interference, interference, planned_against, undo_claims
from bot.run.common import _short
from bot.run.ports import CommonsPort, EditResultLike
from bot.run.summary import RunSummary
from bot.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EditIntent:
    """An edit as journaled: what was sent, against which revision, for which decisions."""

    journal_id: int
    mid: str
    base_revid: int
    claims: list[dict[str, Any]]
    planned: dict[str, Any]
    conflict_ids: tuple[int, ...] = ()

    def as_row(self) -> dict[str, Any]:
        """The shape ``Store.open_edits`` gives, for the paths that settle open intents."""
        return {
            "id": self.journal_id,
            "mid": self.mid,
            "base_revid": self.base_revid,
            "payload": {"claims": self.claims, "planned_against": self.planned},
            "conflict_ids": list(self.conflict_ids),
        }


class Landed(NamedTuple):
    """Commons took the edit. ``found``: statements someone else put on the same
    properties meanwhile (Wikibase merged the two edits); empty when there are none."""

    intent: EditIntent
    result: EditResultLike
    found: list[Interference]


class Refused(NamedTuple):
    """``editconflict``. ``maybe_ours``: the request got no answer before the conflict,
    so the first try may have landed; the intent is still open and a fresh read decides."""

    intent: EditIntent
    maybe_ours: bool


class Unknown(NamedTuple):
    """No answer: it may have landed. The intent stays open; the next run re-reads."""

    intent: EditIntent
    error: str


class Failed(NamedTuple):
    """Refused for another reason; the intent is closed as failed."""

    intent: EditIntent
    error: str


EditOutcome = Landed | Refused | Unknown | Failed


@dataclass
class EditProtocol:
    """Sends every edit of a run. ``open_edit`` journals an intent in the transaction that
    renews the run's lock (it raises ``StopRun`` when the lock was lost)."""

    store: Store
    commons: CommonsPort
    summary: RunSummary
    open_edit: Callable[..., int]
    documentation_page: str
    sent: int = field(default=0)

    def send(
        self,
        run_id: int,
        mid: str,
        entity: Mapping[str, Any],
        base_revid: int,
        claims: list[dict[str, Any]],
        edit_summary: str,
        *,
        label: str,
        conflict_ids: Sequence[int] = (),
        undo: Mapping[str, Any] | None = None,
    ) -> EditOutcome:
        """Journal, send and classify one edit of ``mid`` planned against ``entity``.

        ``undo``: this edit takes back part of run ``undo["run"]`` (``bot.run.undo``); the
        intent names it, in the journal and in its payload, so no run settles it as its own.
        """
        planned = planned_against(dict(entity), claims)
        journal_kwargs: dict[str, Any] = (
            {"conflict_ids": list(conflict_ids)} if conflict_ids else {}
        )
        payload: dict[str, Any] = {"claims": claims, "planned_against": planned}
        if undo is not None:
            journal_kwargs["undo_of"] = int(undo["run"])
            payload["undo"] = dict(undo)
        journal_id = self.open_edit(
            run_id=run_id,
            mid=mid,
            base_revid=base_revid,
            payload=payload,
            summary=edit_summary,
            **journal_kwargs,
        )
        self.sent += 1
        intent = EditIntent(journal_id, mid, base_revid, claims, planned, tuple(conflict_ids))
        try:
            result = self.commons.edit(mid, claims, baserevid=base_revid, summary=edit_summary)
        except EditConflict as exc:
            return Refused(intent, bool(exc.maybe_ours))
        except WriteOutcomeUnknown as exc:
            self.store.annotate_edit(journal_id, f"outcome unknown: {_short(exc)}")
            self.summary.outcomes_unknown += 1
            log.warning("%s %s: outcome unknown, the next run checks: %s", label, mid, exc)
            return Unknown(intent, _short(exc))
        except Exception as exc:  # recorded per file; the run goes on
            self.store.close_edit(journal_id, state="failed", error=_short(exc))
            log.warning("%s %s failed: %s", label, mid, _short(exc))
            return Failed(intent, _short(exc))
        self.summary.edits += 1
        if result.patched:
            self.summary.edits_merged += 1
        found = interference(planned, claims, self.entity_after(mid, result), landed=True)
        return Landed(intent, result, found)

    def entity_after(self, mid: str, result: EditResultLike) -> dict[str, Any]:
        """The entity as the edit left it: from the answer, or read when it lacks one."""
        if "statements" in result.entity or "claims" in result.entity:
            return result.entity
        fresh = self.commons.read_entities([mid]).get(mid)
        return fresh.entity if fresh is not None else {}

    def undo(
        self, mid: str, found: list[Interference], revid: int, props: Sequence[str]
    ) -> tuple[int | None, dict[str, Any]]:
        """Send the edit that removes our part of ``found``, against ``revid``.

        Returns (the revision after, the entity after); (None, {}) if it could not be sent.
        An ``editconflict`` is not retried with the same claims: someone changed the file
        again, and resending would overwrite what they wrote (Wikibase patches by statement,
        last writer wins). The journal intent stays open instead, and the next run settles
        the file from a fresh read, as after any undo that failed.
        """
        claims = undo_claims(found)
        if not claims:  # nothing of ours could be told apart: leave it to a person
            fresh = self.commons.read_entities([mid]).get(mid)
            return (revid, fresh.entity if fresh is not None else {})
        edit_summary = (
            f"Undo own statements on {', '.join(props)}: someone edited them at the same time "
            f"([[{self.documentation_page}|details]])"
        )
        try:
            result = self.commons.edit(mid, claims, baserevid=revid, summary=edit_summary)
        except EditConflict:
            log.info("undo on %s met another edit; the next run settles it from a fresh read", mid)
            return None, {}
        except Exception as exc:
            log.warning("undo on %s failed: %s", mid, _short(exc))
            return None, {}
        self.summary.edits += 1
        self.summary.edits_undone += 1
        return result.revid, self.entity_after(mid, result)
