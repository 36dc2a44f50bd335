"""The queue, one conflict, a decision, a bulk decision: thin views over ``bot.store``.

Every query goes through the store's Python API (``list_conflicts``, ``decide``, ...);
this module only turns request parameters into a ``QueueFilter`` and rows into pages.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from bot.core.ids import WRITTEN_PROPERTIES
from bot.store import (
    DECIDABLE_FROM,
    DECISIONS,
    FTS_MIN_CHARS,
    BulkRefused,
    BulkResult,
    ConflictStatus,
    InvalidTransition,
    QueueFilter,
    TaskState,
)
from review_ui import render
from review_ui.app import get_store
from review_ui.auth import actor_name, maintainer_required
from review_ui.bulk_tasks import wake_worker

log = logging.getLogger(__name__)

bp = Blueprint("review", __name__)

STATUS_LABELS: Final[dict[str, str]] = {
    ConflictStatus.OPEN: "Open",
    ConflictStatus.SKIP: "Skipped",
    ConflictStatus.ACCEPT_FLICKR: "Use Flickr's value (waiting for the bot)",
    ConflictStatus.KEEP_COMMONS: "Keep Commons' value",
    ConflictStatus.APPLYING: "Being written by the bot now",
    ConflictStatus.APPLIED: "Applied",
    ConflictStatus.SUPERSEDED: "Superseded",
}
STATUS_TABS: Final = (
    (ConflictStatus.OPEN, "Open"),
    (ConflictStatus.SKIP, "Skipped"),
    (ConflictStatus.ACCEPT_FLICKR, "Use Flickr"),
    (ConflictStatus.KEEP_COMMONS, "Keep Commons"),
    (ConflictStatus.APPLIED, "Applied"),
    (ConflictStatus.SUPERSEDED, "Superseded"),
)
STATUS_WORDS: Final[dict[str, str]] = {  # "<these> conflicts" in a sentence
    ConflictStatus.OPEN: "open conflicts",
    ConflictStatus.SKIP: "skipped conflicts",
    ConflictStatus.ACCEPT_FLICKR: "conflicts marked “use Flickr's value”",
    ConflictStatus.KEEP_COMMONS: "conflicts marked “keep Commons' value”",
    ConflictStatus.APPLYING: "conflicts the bot is writing now",
    ConflictStatus.APPLIED: "applied conflicts",
    ConflictStatus.SUPERSEDED: "superseded conflicts",
}
DECISION_LABELS: Final = {
    ConflictStatus.ACCEPT_FLICKR: "Use Flickr's value",
    ConflictStatus.KEEP_COMMONS: "Keep Commons' value",
    ConflictStatus.SKIP: "Skip for now",
}
WITHDRAWN_LABEL: Final = "Back to open (withdrawn)"  # a retired rule's decisions
BULK_STATUSES: Final = (ConflictStatus.OPEN, ConflictStatus.SKIP)
NOTE_MAX: Final = 1000
_PROPERTY_RE: Final = re.compile(r"^P\d{1,9}$")


# --------------------------------------------------------------------------- template helpers


@bp.app_template_filter("bdi")
def bdi_filter(value: Any) -> Markup:
    """Text from outside in its own bidi run (``render.bdi``)."""
    return render.bdi(value)


@bp.app_template_filter("isolated")
def isolated_filter(value: Any) -> str:
    """The same for plain text: attributes (tooltips, alt text) and the window title."""
    return render.isolated(value)


@bp.app_template_global("utc_time")
def utc_time_global(stamp: Any) -> render.UtcTime | None:
    return render.utc_time(stamp)


@bp.app_template_global("reason_view")
def reason_view_global(code: str) -> render.ReasonView:
    return render.reason_view(code)


def commons_base() -> str:
    """The configured wiki (``COMMONS_URL``) every Commons link is built from."""
    return str(current_app.config["COMMONS_URL"])


# --------------------------------------------------------------------------- filters


@dataclass(slots=True)
class View:
    """The queue filter of a request plus its sort order, and how to put it in a URL."""

    flt: QueueFilter
    newest_first: bool = False
    short_title: str | None = None  # a title search too short to run (not applied)

    def args(self) -> dict[str, Any]:
        """Query parameters that reproduce this view (defaults left out)."""
        out: dict[str, Any] = {}
        if self.flt.status != ConflictStatus.OPEN:
            out["status"] = self.flt.status or "all"
        for key in ("reason", "property", "owner", "title"):
            value = getattr(self.flt, key)
            if value:
                out[key] = value
        if self.newest_first:
            out["sort"] = "newest"
        return out

    def _parts(self) -> list[tuple[str, str | None]]:
        """(fixed words, text the visitor typed or None) for each part of the filter."""
        status = self.flt.status
        parts: list[tuple[str, str | None]] = [
            (
                STATUS_WORDS.get(status, f"{status} conflicts")
                if status
                else "conflicts in any state",
                None,
            )
        ]
        if self.flt.reason:
            reason = render.reason_view(self.flt.reason)
            if reason.explained:
                parts.append((f"reason “{reason.text.rstrip('.')}”", None))
            else:  # a code from the address bar: typed text
                parts.append(("reason ", reason.code))
        if self.flt.property:
            ref = render.entity_ref(self.flt.property)
            parts.append(
                (f"property {ref.text} ({ref.id})" if ref.label else f"property {ref.id}", None)
            )
        if self.flt.owner:
            parts.append(("Flickr owner ", self.flt.owner))
        if self.flt.title:
            parts.append(("title containing ", self.flt.title))
        return parts

    def describe(self) -> str:
        """The filter in words, for logs (typed text between FSI and PDI)."""
        return ", ".join(
            words + (f"“{render.isolated(typed)}”" if typed is not None else "")
            for words, typed in self._parts()
        )

    def describe_html(self, *, capital: bool = False) -> Markup:
        """The filter in words for headings and the bulk confirmation, typed text in ``<bdi>``."""
        html = Markup(", ").join(
            Markup("{}“{}”").format(words, bdi_filter(typed))
            if typed is not None
            else Markup("{}").format(words)
            for words, typed in self._parts()
        )
        return Markup(html[:1].upper() + html[1:]) if capital else html

    def heading(self) -> Markup:
        return self.describe_html(capital=True)


def _text(params: Mapping[str, Any], key: str, limit: int) -> str | None:
    value = str(params.get(key) or "").strip()
    return value[:limit] or None


def parse_view(params: Mapping[str, Any]) -> View:
    """Filter and sort from GET parameters or a form's hidden fields; 400 on nonsense."""
    raw_status = str(params.get("status") or ConflictStatus.OPEN)
    if raw_status == "all":
        status: str | None = None
    elif raw_status in {s.value for s in ConflictStatus}:
        status = raw_status
    else:
        abort(400, f"Unknown status {raw_status!r}.")
    prop = _text(params, "property", 12)
    if prop is not None:
        prop = prop.upper()
        if not _PROPERTY_RE.match(prop):
            abort(400, "A property filter looks like P170.")
    title = _text(params, "title", 200)
    short_title = None
    if title is not None and len(title) < FTS_MIN_CHARS:
        # Under 3 characters the trigram index cannot help: a search that matches nothing
        # would read the whole queue (most of a second on a million conflicts).
        short_title, title = title, None
    flt = QueueFilter(
        status=status,
        reason=_text(params, "reason", 100),
        property=prop,
        owner=_text(params, "owner", 100),
        title=title,
    )
    return View(flt=flt, newest_first=params.get("sort") == "newest", short_title=short_title)


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 18:
        abort(400, f"{name} must be a conflict id.")
    return int(raw)


# --------------------------------------------------------------------------- queue


def _row(conflict: dict[str, Any], owner_names: Mapping[str, str]) -> dict[str, Any]:
    existing = conflict["existing"]
    applied = conflict["status"] == ConflictStatus.APPLIED
    revid = conflict["applied_revid"]
    return {
        **conflict,
        "property_ref": render.entity_ref(conflict["property"]),
        "reason_view": render.reason_view(conflict["reason"]),
        # the value found is no longer on Commons once the bot has written Flickr's
        "applied": applied,
        "applied_url": render.commons_diff_url(revid, commons_base())
        if applied and revid
        else None,
        "existing_summary": render.summary(existing[0]) if existing else "—",
        "existing_more": max(0, len(existing) - 1),
        "proposed_summary": render.summary(conflict["proposed"]),
        "owner_name": owner_names.get(conflict["owner_nsid"] or ""),
    }


def _owner_names(nsids: set[str]) -> dict[str, str]:
    owners = get_store().get_owners(nsids)
    return {nsid: o.display_name for nsid, o in owners.items() if o.display_name}


@bp.get("/")
def queue() -> str:
    view = parse_view(request.args)
    after, before = _int_arg("after"), _int_arg("before")
    size = int(current_app.config["PAGE_SIZE"])
    store = get_store()
    nf = view.newest_first
    if before is not None:
        rows = store.list_conflicts(view.flt, before_id=before, limit=size + 1, newest_first=nf)
        has_prev = len(rows) > size
        rows = rows[-size:]
        has_next = bool(rows) and bool(
            store.list_conflicts(view.flt, after_id=rows[-1]["id"], limit=1, newest_first=nf)
        )
    else:
        rows = store.list_conflicts(view.flt, after_id=after, limit=size + 1, newest_first=nf)
        has_next = len(rows) > size
        rows = rows[:size]
        has_prev = (
            after is not None
            and bool(rows)
            and bool(
                store.list_conflicts(view.flt, before_id=rows[0]["id"], limit=1, newest_first=nf)
            )
        )
    owner_names = _owner_names({r["owner_nsid"] for r in rows if r["owner_nsid"]})
    counts = store.conflict_counts(view.flt.status)
    reasons = sorted(
        set(counts["reason"])
        | set(render.known_reasons())
        | ({view.flt.reason} if view.flt.reason else set())
    )
    properties = list(
        dict.fromkeys(
            [
                *WRITTEN_PROPERTIES,
                *sorted(counts["property"]),
                *([view.flt.property] if view.flt.property else []),
            ]
        )
    )
    return render_template(
        "queue.html",
        view=view,
        rows=[_row(r, owner_names) for r in rows],
        has_prev=has_prev,
        has_next=has_next,
        page_after=after,
        page_before=before,
        counts=counts,
        totals=store.status_totals(),
        status_tabs=STATUS_TABS,
        status_labels=STATUS_LABELS,
        reasons=reasons,
        properties=[render.entity_ref(p) for p in properties],
        decision_labels=DECISION_LABELS,
        bulk_allowed=view.flt.status in BULK_STATUSES,
        bulk_tasks=store.active_bulk_tasks(),
    )


# --------------------------------------------------------------------------- one conflict


def _neighbours(conflict_id: int, view: View) -> tuple[int | None, int | None]:
    """(previous, next) in the view's order."""
    older, newer = get_store().neighbours(conflict_id, view.flt)
    return (newer, older) if view.newest_first else (older, newer)


@bp.get("/conflict/<int:conflict_id>")
def conflict(conflict_id: int) -> str:
    view = parse_view(request.args)
    store = get_store()
    record = store.get_conflict(conflict_id)
    if record is None:
        abort(404, f"There is no conflict {conflict_id}.")
    prev_id, next_id = _neighbours(conflict_id, view)
    owner = store.get_owner(record["owner_nsid"]) if record["owner_nsid"] else None
    title = record["title"] or record["mid"]
    proposed = record["proposed"]
    history = store.conflict_history(conflict_id)
    base = commons_base()
    written = written_revision(record, history)
    return render_template(
        "conflict.html",
        view=view,
        c=record,
        prev_id=prev_id,
        next_id=next_id,
        history=history,
        owner=owner,
        owner_url=render.flickr_people_url(
            (owner.path_alias if owner else None) or record["owner_nsid"]
        ),
        # after the bot's edit no statement is "the one a decision would change"
        existing=render.render_statements(
            record["existing"], target_id=None if written else record["statement_id"]
        ),
        proposed=render.render_statement(proposed) if proposed else None,
        property_ref=render.entity_ref(record["property"]),
        reason=render.reason_view(record["reason"]),
        distance=render.distance_between(record["existing"][0], proposed)
        if record["existing"] and proposed
        else None,
        decidable=record["status"] in DECIDABLE_FROM,
        written=written,
        links={
            "file": render.commons_file_url(title, base) if record["title"] else None,
            "history": render.commons_history_url(title, base) if record["title"] else None,
            "thumb": render.commons_thumb_url(title, base=base) if record["title"] else None,
            "entity": render.commons_entity_url(record["mid"], base),
            "flickr": render.flickr_photo_url(record["flickr_photo_id"]),
            "base": render.commons_revision_url(record["base_revid"], base)
            if record["base_revid"]
            else None,
            "diff": render.commons_diff_url(record["applied_revid"], base)
            if record["applied_revid"]
            else None,
            "written": render.commons_diff_url(written.revid, base)
            if written and written.revid
            else None,
        },
        status_labels=STATUS_LABELS,
        decision_labels=DECISION_LABELS,
        revision_url=lambda revid: render.commons_diff_url(revid, base),
    )


@dataclass(frozen=True, slots=True)
class Written:
    """The bot wrote Flickr's value after the Commons side of this conflict was read:
    the stored "existing" statements are what Commons held before that edit."""

    revid: int | None
    at: str | None
    applied: bool  # the conflict's own decision (status applied), not a later edit


def written_revision(record: Mapping[str, Any], history: list[dict[str, Any]]) -> Written | None:
    """The bot's edit that made the stored Commons side out of date, if any: the applied
    revision, or an edit recorded in the history after the conflict was last seen (the
    bot wrote Flickr's value although the decision had changed meanwhile)."""
    if record["status"] == ConflictStatus.APPLIED:
        return Written(record["applied_revid"], record["applied_at"], True)
    seen = record["last_seen_at"] or record["found_at"] or ""
    for event in reversed(history):
        wrote = event["to_status"] in (ConflictStatus.APPLIED, event["from_status"])
        if event["revid"] and event["actor"] == "bot" and wrote and event["at"] >= seen:
            return Written(int(event["revid"]), event["at"], False)
    return None


@bp.post("/conflict/<int:conflict_id>/decide")
@maintainer_required
def decide(conflict_id: int) -> Response | tuple[str, int]:
    """Record a decision, then show the next conflict of the same view."""
    view = parse_view(request.form)
    decision = request.form.get("decision", "")
    if decision not in DECISIONS:
        abort(400, "Choose one of: use Flickr's value, keep Commons' value, skip.")
    note = (request.form.get("note") or "").strip()[:NOTE_MAX] or None
    store = get_store()
    record = store.get_conflict(conflict_id)
    if record is None:
        abort(404, f"There is no conflict {conflict_id}.")
    seen = request.form.get("seen_status")
    if seen and seen != record["status"]:
        return _refused(
            Markup("Conflict {} changed while you were looking at it: it is now “{}”{}. ").format(
                conflict_id,
                STATUS_LABELS.get(record["status"], record["status"]),
                Markup(" (by {})").format(bdi_filter(record["decided_by"]))
                if record["decided_by"]
                else "",
            )
            + "Nothing was changed; look again and decide.",
            url_for("review.conflict", conflict_id=conflict_id, **view.args()),
        )
    try:
        store.decide(
            conflict_id, decision, actor=actor_name(), note=note, expected_status=seen or None
        )
    except KeyError:
        abort(404, f"There is no conflict {conflict_id}.")
    except InvalidTransition as exc:
        return _refused(
            f"{exc}.", url_for("review.conflict", conflict_id=conflict_id, **view.args())
        )
    flash(f"Conflict {conflict_id}: {DECISION_LABELS[ConflictStatus(decision)]}.", "success")
    _, next_id = _neighbours(conflict_id, view)
    if next_id is None:
        flash("That was the last conflict in this view.", "info")
        return redirect(url_for("review.queue", **view.args()), 303)
    return redirect(url_for("review.conflict", conflict_id=next_id, **view.args()), 303)


def _refused(message: str | Markup, back: str) -> tuple[str, int]:
    return render_template("refused.html", message=message, back=back), 409


# --------------------------------------------------------------------------- bulk


def _bulk_view(params: Mapping[str, Any]) -> tuple[View, str]:
    view = parse_view(params)
    decision = str(params.get("decision") or "")
    if decision not in DECISIONS:
        abort(400, "Choose the decision to apply to every matching conflict.")
    if view.flt.status not in BULK_STATUSES:
        abort(
            400,
            "Bulk decisions apply to open or skipped conflicts only: "
            "choose one of those states in the filter.",
        )
    return view, decision


@bp.get("/bulk")
@maintainer_required
def bulk_confirm() -> str | tuple[str, int]:
    """Say how many conflicts a bulk decision would change, and ask to confirm."""
    view, decision = _bulk_view(request.args)
    try:
        scope = get_store().bulk_scope(view.flt, decision)
    except BulkRefused as exc:
        return _refused(str(exc), url_for("review.queue", **view.args()))
    if scope.left_out:
        flash(_left_out_message(scope.left_out), "info")
    return render_template(
        "bulk.html",
        view=view,
        decision=decision,
        count=scope.count,
        max_id=scope.max_id,
        decision_label=DECISION_LABELS[ConflictStatus(decision)],
    )


def _form_int(name: str, what: str) -> int:
    raw = request.form.get(name, "")
    if not raw.isdigit() or len(raw) > 18:
        abort(400, f"The {what} is missing from the form. Go back to the queue and start again.")
    return int(raw)


@bp.post("/bulk")
@maintainer_required
def bulk_apply() -> Response | tuple[str, int]:
    """Record the decision of the conflicts the confirmation page counted (none found
    later: ids above the confirmed ``max_id``; none someone else decided meanwhile) as a
    task, and answer at once: the worker runs it in the background (``bulk_tasks``)."""
    view, decision = _bulk_view(request.form)
    expected = _form_int("expected", "confirmed count")
    max_id = _form_int("max_id", "confirmed range")
    note = (request.form.get("note") or "").strip()[:NOTE_MAX] or None
    actor = actor_name()
    try:
        task_id = get_store().create_bulk_task(
            view.flt, decision, actor=actor, note=note, max_id=max_id, expected=expected
        )
    except BulkRefused as exc:
        return _refused(str(exc), url_for("review.queue", **view.args()))
    log.info(
        "bulk task %d: %s by %s on %s, %d confirmed up to id %d",
        task_id,
        decision,
        actor,
        view.describe(),
        expected,
        max_id,
    )
    wake_worker()
    return redirect(url_for("review.bulk_progress", task_id=task_id), 303)


@bp.get("/bulk/<int:task_id>")
def bulk_progress(task_id: int) -> str:
    """A bulk decision's state and counts; reloads itself (``<meta refresh>``) until done."""
    store = get_store()
    task = store.get_bulk_task(task_id)
    if task is None:
        abort(404, f"There is no bulk decision {task_id}.")
    ahead = sum(1 for t in store.active_bulk_tasks() if t.id < task.id)
    label = DECISION_LABELS.get(ConflictStatus(task.decision), WITHDRAWN_LABEL)
    messages: list[str] = []
    if task.state == TaskState.DONE:
        result = BulkResult(decided=task.decided, changed_meanwhile=task.changed_meanwhile or 0)
        messages.append(bulk_message(result, label))
        if task.left_out:
            messages.append(_left_out_message(task.left_out))
    return render_template(
        "bulk_task.html",
        task=task,
        view=View(flt=task.filter),
        decision_label=label,
        ahead=ahead,
        messages=messages,
        percent=min(100, task.decided * 100 // task.expected) if task.expected else 100,
        refresh_seconds=int(current_app.config.get("BULK_REFRESH_SECONDS", 2)),
    )


def _left_out_message(n: int) -> str:
    """Why a bulk "use Flickr's value" skipped the conflicts about several photo ids."""
    those = "1 conflict" if n == 1 else f"{n:,} conflicts"
    return (
        f"{those} about files that cite several Flickr photos "
        f"{'is' if n == 1 else 'are'} left out: each of those files needs the one photo "
        "id chosen, one conflict at a time."
    )


def bulk_message(result: BulkResult, label: str) -> str:
    """The result in words: how many were decided, how many changed meanwhile."""
    done, changed = result.decided, result.changed_meanwhile
    text = f"{done:,} conflict{'s' if done != 1 else ''} marked “{label}”."
    if changed == 1:
        text += (
            " 1 of those you confirmed changed meanwhile (someone else decided it, or the bot "
            "closed it) and was left as it is."
        )
    elif changed:
        text += (
            f" {changed:,} of those you confirmed changed meanwhile (someone else decided "
            "them, or the bot closed them) and were left as they are."
        )
    return text
