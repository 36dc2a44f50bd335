"""The runs of the bot: one read-only page, for everyone who may see the review page.

Each run (real, dry, or an undo of another run) with its times, why it stopped, the edits
its journal holds and what undoing it did, plus links to the bot account's contributions
on the configured wiki (``COMMONS_URL``, ``BOT_USERNAME``) in the run's time window, where
its edits carry "run N" in their summaries.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from flask import Blueprint, current_app, render_template

from bot.store.journal import RunRow
from review_ui.app import get_store

bp = Blueprint("runs", __name__)


@dataclass(frozen=True, slots=True)
class RunView:
    """A run as its row on the page shows it."""

    run: RunRow
    kind: str
    undo_state: str
    contributions: str


def contributions_url(commons: str, bot: str, run: RunRow | None = None) -> str:
    """``Special:Contributions`` of the bot, within the run's days when a run is given."""
    url = f"{commons}/wiki/Special:Contributions/{quote(bot.replace(' ', '_'))}"
    if run is None:
        return url
    params = {"start": run.started_at[:10], "end": (run.ended_at or run.started_at)[:10]}
    return f"{url}?{urlencode(params)}"


def _undo_state(run: RunRow) -> str:
    if run.undo_of is not None:
        return f"undo of run {run.undo_of}"
    if run.dry_run or not (run.files_undone or run.files_left):
        return "not undone"
    left = f"; {run.files_left} left for a person" if run.files_left else ""
    return f"undone: {run.files_undone} files{left}"


def _kind(run: RunRow) -> str:
    if run.undo_of is not None:
        return "undo"
    return "dry run" if run.dry_run else "real"


@bp.get("/runs")
def runs() -> str:
    commons = str(current_app.config["COMMONS_URL"])
    bot = str(current_app.config["BOT_USERNAME"])
    rows = [
        RunView(r, _kind(r), _undo_state(r), contributions_url(commons, bot, r))
        for r in get_store().list_runs()
    ]
    return render_template(
        "runs.html", rows=rows, bot=bot, all_contributions=contributions_url(commons, bot)
    )
