"""Decision rules on the review page: the list, the form with its preview, one rule, and
pause / resume / retire. Thin over ``Store`` (``bot.store.rules``) and ``bot.core.rules``.

The form is a GET to ``/rules/new``: filled in, the page shows how many open conflicts
match now and a sample side by side, and a Save button (a POST with the counted range,
as the bulk confirmation). Saving records the rule and its first pass as a background
task and answers with that task's progress page. Only maintainers see the form or
change a rule; everyone who may read the queue may read the rules.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from bot.core.rules import (
    DECISION_WORDS,
    FIELDS,
    NOTE_MAX,
    PRECISION_WORDS,
    RULE_REASONS,
    RuleDecision,
    RuleFilter,
    RuleInvalid,
    RuleState,
    parse_rule,
)
from bot.store import RuleNotFound, SavedRule
from review_ui import render
from review_ui.app import get_store
from review_ui.auth import actor_name, maintainer_required
from review_ui.bulk_tasks import wake_worker
from review_ui.views import STATUS_LABELS, _owner_names, _row

log = logging.getLogger(__name__)

bp = Blueprint("rules", __name__)

STATE_LABELS: Final = {
    RuleState.ACTIVE: "Active",
    RuleState.PAUSED: "Paused",
    RuleState.RETIRED: "Retired",
}
SAMPLE_SIZE: Final = 5
_FORM_KEYS: Final = (*FIELDS, "decision", "note")


def _form_values(params: Any) -> dict[str, str]:
    """The rule's fields as typed (to fill the form again), nothing else."""
    return {k: str(params.get(k) or "")[:NOTE_MAX] for k in _FORM_KEYS}


def _parse(params: Any) -> tuple[RuleFilter, RuleDecision] | RuleInvalid:
    try:
        return parse_rule({k: params.get(k) for k in (*FIELDS, "decision")})
    except RuleInvalid as exc:
        return exc


def _note(params: Any) -> str | None:
    return (str(params.get("note") or "")).strip()[:NOTE_MAX] or None


@bp.get("/rules")
def rules() -> str:
    store = get_store()
    return render_template(
        "rules.html",
        rules=store.list_rules(),
        state_labels=STATE_LABELS,
        decision_words=DECISION_WORDS,
    )


@bp.get("/rules/new")
@maintainer_required
def new_rule() -> str | tuple[str, int]:
    """The form; with fields given, their preview (count and sample) and Save."""
    values = _form_values(request.args)
    parsed = _parse(request.args) if request.args.get("reason") else None
    preview = rows = None
    error = None
    if isinstance(parsed, RuleInvalid):
        error = str(parsed)
    elif parsed is not None:
        preview = get_store().preview_rule(parsed[0], sample=SAMPLE_SIZE)
        names = _owner_names({r["owner_nsid"] for r in preview.sample if r["owner_nsid"]})
        rows = [_row(r, names) for r in preview.sample]
    page = render_template(
        "rule_new.html",
        values=values,
        error=error,
        parsed=parsed if not isinstance(parsed, RuleInvalid) else None,
        preview=preview,
        rows=rows,
        reasons=sorted(RULE_REASONS),
        reason_view=render.reason_view,
        decision_words=DECISION_WORDS,
        precision_words=PRECISION_WORDS,
        status_labels=STATUS_LABELS,
    )
    return (page, 400) if error else page


def _form_int(name: str) -> int | None:
    raw = request.form.get(name, "")
    if raw == "":
        return None
    if not raw.isdigit() or len(raw) > 18:
        abort(400, "The preview's count is missing from the form. Preview the rule again.")
    return int(raw)


@bp.post("/rules")
@maintainer_required
def create_rule() -> Response | tuple[str, int]:
    """Save the rule previewed; its first pass decides the conflicts the preview counted
    (none found later: ids above ``max_id``) in the background."""
    parsed = _parse(request.form)
    if isinstance(parsed, RuleInvalid):
        abort(400, str(parsed))
    flt, decision = parsed
    expected = _form_int("expected")
    max_id = _form_int("max_id")
    actor = actor_name()
    saved = get_store().create_rule(
        flt, decision, actor=actor, note=_note(request.form), max_id=max_id, expected=expected
    )
    log.info("rule %d by %s: %s → %s", saved.rule.id, actor, flt.describe(), decision.value)
    flash(f"Rule #{saved.rule.id} saved: it decides new conflicts the bot finds.", "success")
    return _after(saved)


def _after(saved: SavedRule) -> Response:
    """The progress page of the rule's background task, or the rule when it has none."""
    if saved.task_id is not None:
        wake_worker()
        return redirect(url_for("review.bulk_progress", task_id=saved.task_id), 303)
    return redirect(url_for("rules.rule", rule_id=saved.rule.id), 303)


@bp.get("/rules/<int:rule_id>")
def rule(rule_id: int) -> str:
    store = get_store()
    try:
        found = store.get_rule(rule_id)
    except RuleNotFound:
        abort(404, f"There is no rule {rule_id}.")
    conflicts = store.rule_conflicts(rule_id)
    names = _owner_names({r["owner_nsid"] for r in conflicts if r["owner_nsid"]})
    return render_template(
        "rule.html",
        rule=found,
        events=store.rule_events(rule_id),
        rows=[_row(r, names) for r in conflicts],
        tasks=[t for t in store.active_bulk_tasks() if t.rule_id == rule_id],
        state_labels=STATE_LABELS,
        decision_words=DECISION_WORDS,
        status_labels=STATUS_LABELS,
    )


def _change(rule_id: int, action: str) -> Response:
    store = get_store()
    actor = actor_name()
    note = _note(request.form)
    try:
        if action == "pause":
            store.pause_rule(rule_id, actor=actor, note=note)
            flash(
                f"Rule #{rule_id} paused: it decides nothing new; its decisions stand.", "success"
            )
            return redirect(url_for("rules.rule", rule_id=rule_id), 303)
        if action == "resume":
            saved = store.resume_rule(rule_id, actor=actor, note=note)
            flash(f"Rule #{rule_id} resumed.", "success")
        else:
            saved = store.retire_rule(rule_id, actor=actor, note=note)
            flash(
                f"Rule #{rule_id} retired: it decides nothing more; {saved.expected:,} of its "
                "decisions the bot has not written go back to the queue.",
                "success",
            )
    except RuleNotFound:
        abort(404, f"There is no rule {rule_id}.")
    except RuleInvalid as exc:
        abort(409, str(exc))
    log.info("rule %d %s by %s", rule_id, action, actor)
    return _after(saved)


@bp.post("/rules/<int:rule_id>/pause")
@maintainer_required
def pause(rule_id: int) -> Response:
    return _change(rule_id, "pause")


@bp.post("/rules/<int:rule_id>/resume")
@maintainer_required
def resume(rule_id: int) -> Response:
    return _change(rule_id, "resume")


@bp.post("/rules/<int:rule_id>/retire")
@maintainer_required
def retire(rule_id: int) -> Response:
    return _change(rule_id, "retire")
