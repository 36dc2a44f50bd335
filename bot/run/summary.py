"""What a run reports: the run summary, one result per file, the per-file report lines."""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from bot.core import ids
from bot.core.reconcile import (
    Plan,
)
from bot.run.ports import RunOptions
from bot.store import (
    ConflictRecord,
    WorkFile,
    dumps,
)

log = logging.getLogger(__name__)


@dataclass(slots=True)
class RunSummary:
    """End-of-run figures (log block and ``--json``)."""

    run_id: int = 0
    dry_run: bool = False
    files: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    statements: Counter[str] = field(default_factory=Counter)  # added/extended, by property
    conflicts: Counter[str] = field(default_factory=Counter)  # by reason
    edits: int = 0
    planned_edits: int = 0
    edit_conflicts: int = 0
    edits_merged: int = 0  # Wikibase patched a stale edit into a newer revision
    edits_undone: int = 0  # own statements taken back out after a concurrent edit
    outcomes_unknown: int = 0  # no answer to the last attempt: journal left open
    resumed_intents: int = 0
    decisions_applied: int = 0
    decisions_superseded: int = 0
    decisions_withdrawn: int = 0  # changed by a maintainer before the bot wrote them
    decisions_refused: int = 0  # back to the queue: they would give a file two photo ids
    rule_decisions: int = 0  # new conflicts a decision rule decided as they were queued
    conflicts_closed: int = 0  # of files that are gone or name no Flickr photo any more
    files_rechecked: int = 0
    rechecked_changed: int = 0
    flickr_calls: int = 0
    commons_read_calls: int = 0
    commons_control_calls: int = 0
    licence_drift: int = 0  # files whose Flickr licence now differs from Commons' record
    bhl_photos_listed: int = 0  # photos of BHL's list read (BHL reverse matching)
    bhl_list_calls: int = 0  # Flickr calls that read them (part of flickr_calls)
    elapsed_s: float = 0.0
    stop_reason: str = "done"
    options: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        per_file = max(self.files, 1)
        return {
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "options": self.options,
            "files": self.files,
            "outcomes": dict(sorted(self.outcomes.items())),
            "statements_by_property": dict(sorted(self.statements.items())),
            "conflicts_by_reason": dict(sorted(self.conflicts.items())),
            "edits": self.edits,
            "planned_edits": self.planned_edits,
            "edit_conflicts": self.edit_conflicts,
            "edits_merged": self.edits_merged,
            "edits_undone": self.edits_undone,
            "outcomes_unknown": self.outcomes_unknown,
            "resumed_intents": self.resumed_intents,
            "decisions_applied": self.decisions_applied,
            "decisions_superseded": self.decisions_superseded,
            "decisions_withdrawn": self.decisions_withdrawn,
            "decisions_refused": self.decisions_refused,
            "rule_decisions": self.rule_decisions,
            "conflicts_closed": self.conflicts_closed,
            "files_rechecked": self.files_rechecked,
            "rechecked_changed": self.rechecked_changed,
            "flickr_calls": self.flickr_calls,
            "flickr_calls_per_file": round(self.flickr_calls / per_file, 4),
            "commons_read_calls": self.commons_read_calls,
            "commons_read_calls_per_file": round(self.commons_read_calls / per_file, 4),
            "commons_control_calls": self.commons_control_calls,
            "licence_drift": self.licence_drift,
            "bhl_photos_listed": self.bhl_photos_listed,
            "bhl_list_calls": self.bhl_list_calls,
            "elapsed_s": round(self.elapsed_s, 2),
            "stop_reason": self.stop_reason,
        }

    def render(self) -> str:
        """The readable block printed at the end of a run."""
        data = self.to_json()
        mode = "dry run (nothing written to Commons)" if self.dry_run else "real run"
        lines = [f"Run {self.run_id}: {mode}; stopped: {self.stop_reason}"]
        opts = self.options
        asked = {k: opts.get(k) for k in ("limit", "max_minutes", "only", "owner")}
        asked = {k: v for k, v in asked.items() if v not in (None, [])}
        if opts.get("recheck"):
            asked["recheck"] = True
        if opts.get("apply_decisions") is False:
            asked["decisions"] = "not applied"
        if asked:
            lines.append("  options              " + dumps(asked))
        lines.append(f"  files processed      {self.files}")
        for name, n in data["outcomes"].items():
            lines.append(f"    {name:<18} {n}")
        edits_label = "edits planned" if self.dry_run else "edits made"
        lines.append(f"  {edits_label:<20} {self.planned_edits if self.dry_run else self.edits}")
        if self.edits_merged or self.edits_undone:
            lines.append(
                f"  merged by Commons    {self.edits_merged} "
                f"({self.edits_undone} taken back: someone edited the same property)"
            )
        if self.outcomes_unknown:
            lines.append(
                f"  outcome unknown      {self.outcomes_unknown} (no answer; the next run checks)"
            )
        if data["statements_by_property"]:
            lines.append("  statements added or extended, by property:")
            lines += [f"    {p:<18} {n}" for p, n in data["statements_by_property"].items()]
        if data["conflicts_by_reason"]:
            lines.append("  conflicts queued for review, by reason:")
            lines += [f"    {r:<28} {n}" for r, n in data["conflicts_by_reason"].items()]
        if self.licence_drift:
            lines.append(
                f"  licence drift        {self.licence_drift} (Flickr's licence now differs "
                "from Commons'; listed on the review page, nothing written)"
            )
        if self.bhl_list_calls:
            lines.append(
                f"  BHL photo list       {self.bhl_photos_listed} photos read in "
                f"{self.bhl_list_calls} Flickr calls (BHL reverse matching)"
            )
        if self.decisions_applied or self.decisions_superseded or self.decisions_withdrawn:
            lines.append(
                f"  review decisions     {self.decisions_applied} applied, "
                f"{self.decisions_superseded} superseded, "
                f"{self.decisions_withdrawn} changed before writing"
            )
        if self.decisions_refused:
            lines.append(
                f"  decisions refused    {self.decisions_refused} (back in the queue: they "
                "would give a file two Flickr photo ids)"
            )
        if self.rule_decisions:
            lines.append(
                f"  decided by rules     {self.rule_decisions} new conflicts (written by the "
                "next run when the decision is Flickr's value)"
            )
        if self.files_rechecked:
            lines.append(
                f"  conflict files       {self.files_rechecked} rechecked, "
                f"{self.rechecked_changed} changed on Commons"
            )
        if self.conflicts_closed:
            lines.append(f"  conflicts closed     {self.conflicts_closed} (file gone or no photo)")
        lines.append(
            f"  Flickr calls         {self.flickr_calls} ({data['flickr_calls_per_file']} per file)"
        )
        lines.append(
            f"  Commons read calls   {self.commons_read_calls} "
            f"({data['commons_read_calls_per_file']} per file; "
            f"plus {self.commons_control_calls} run-page/talk-page checks)"
        )
        lines.append(f"  elapsed              {data['elapsed_s']} s")
        return "\n".join(lines)


@dataclass(slots=True)
class FileResult:
    """What happened to one file in this run (for the report and the summary)."""

    file: WorkFile
    outcome: str
    plan: Plan | None = None
    revid: int | None = None
    error: str | None = None
    conflicts: list[ConflictRecord] = field(default_factory=list)
    changed: list[str] | None = None
    """Properties this run's edits left changed (None: the plan's, when an edit landed)."""
    checked_revid: int | None = None
    recorded: bool = False
    """The outcome was already recorded together with its edit."""
    queued: list[str] | None = None
    """Reasons of the conflicts now waiting for a person (None: all of ``conflicts``);
    one a maintainer answered already (``keep_commons``) is found again, not queued."""

    def changed_properties(self, dry_run: bool) -> list[str]:
        if self.changed is not None:
            return list(self.changed)
        if self.plan is not None and (self.revid is not None or (dry_run and self.plan.edit)):
            return list(self.plan.changed_properties)
        return []


PROPERTY_WORDS = {
    ids.P_FLICKR_PHOTO_ID: "Flickr photo ID",
    ids.P_CREATOR: "creator",
    ids.P_SOURCE_OF_FILE: "source",
    ids.P_INCEPTION: "inception",
    ids.P_COORDINATES_OF_POV: "coordinates",
    ids.P_PUBLISHED_IN: "published in",
    ids.P_BHL_PAGE_ID: "BHL page ID",
}


SUMMARY_CAP = 260
"""Edit summaries are cut to this many characters (the tail naming the run always kept)."""


def default_edit_summary(
    properties: Sequence[str],
    photo_id: str | None,
    documentation_page: str,
    *,
    run_id: int | None = None,
) -> str:
    """ "Add Flickr photo ID, creator, inception from Flickr photo 123 ([[doc|details]]; run 12)".

    Naming the run lets a run's edits be found together on-wiki (and ``backfill undo``
    names the run it takes back the same way)."""
    words = [PROPERTY_WORDS.get(p, p) for p in sorted(properties, key=_property_order)]
    what = ", ".join(words) or "structured data"
    source = f" from Flickr photo {photo_id}" if photo_id else " from Flickr"
    return capped(f"Add {what}{source}", documentation_page, run_id)


def with_prefix(prefix: str, summary: str) -> str:
    """``prefix`` before an edit summary, still at most ``SUMMARY_CAP`` characters: the
    summary's head is shortened, so its link and run survive (a plain cut would drop them)."""
    text = prefix + summary
    if len(text) <= SUMMARY_CAP:
        return text
    cut = text.rfind(" ([[")
    tail = text[cut:] if cut > len(prefix) else ""
    head = text[: len(text) - len(tail)]
    room = SUMMARY_CAP - len(tail)
    return (head[: max(room - 3, 0)] + "..." + tail)[:SUMMARY_CAP]


def capped(head: str, documentation_page: str, run_id: int | None) -> str:
    """``head`` plus the link to the task page and the run, at most ``SUMMARY_CAP``
    characters: only ``head`` is shortened, so the link and the run survive."""
    tail = f" ([[{documentation_page}|details]]" + (f"; run {run_id})" if run_id else ")")
    room = SUMMARY_CAP - len(tail)
    if len(head) > room:
        head = head[: max(room - 3, 0)] + "..."
    return (head + tail)[:SUMMARY_CAP]


def _property_order(prop: str) -> int:
    try:
        return ids.WRITTEN_PROPERTIES.index(prop)
    except ValueError:
        return len(ids.WRITTEN_PROPERTIES)


def report_line(result: FileResult, dry_run: bool) -> dict[str, Any]:
    """One JSON line of the run report: the planned edit as a readable diff."""
    f = result.file
    line: dict[str, Any] = {
        "mid": f.mid,
        "title": f.title,
        "outcome": str(result.outcome),
        "flickr_photo_ids": f.photo_ids,
        "dry_run": dry_run,
    }
    if result.plan is not None:
        line["diff"] = plan_diff(result.plan)
        line["edit"] = result.plan.edit
    if result.conflicts:
        line["conflicts"] = [
            {
                "property": c.property,
                "reason": c.reason,
                "existing": list(c.existing),
                "proposed": c.proposed,
            }
            for c in result.conflicts
        ]
    if result.revid is not None:
        line["revid"] = result.revid
    if result.error:
        line["error"] = result.error
    return line


def plan_diff(the_plan: Plan) -> list[str]:
    """``+ P571 add: ...`` / ``~ P7482 add_qualifiers: ...`` / ``! P170 conflict: ...``."""
    marks = {"add": "+", "add_qualifiers": "~", "replace": "~", "conflict": "!", "unchanged": "="}
    lines = []
    for action in the_plan.actions:
        mark = marks.get(action.action, "?")
        proposed = action.proposed or {}
        lines.append(
            f"{mark} {action.property} {action.action}: "
            f"{describe_statement(proposed)} ({action.reason})"
        )
    return lines


def describe_statement(statement: Mapping[str, Any]) -> str:
    """A one-line, human-readable rendering of a statement's main value and qualifiers."""
    snak = statement.get("mainsnak") or {}
    text = _describe_snak(snak)
    quals = statement.get("qualifiers") or {}
    parts = [f"{p}={_describe_snak(s)}" for p, snaks in quals.items() for s in snaks]
    return text + (f" [{', '.join(parts)}]" if parts else "")


def _describe_snak(snak: Mapping[str, Any]) -> str:
    if snak.get("snaktype") != "value":
        return str(snak.get("snaktype", "?"))
    dv = snak.get("datavalue") or {}
    value = dv.get("value")
    kind = dv.get("type")
    if kind == "wikibase-entityid" and isinstance(value, dict):
        return str(value.get("id"))
    if kind == "time" and isinstance(value, dict):
        return f"{value.get('time')}/{value.get('precision')}"
    if kind == "globecoordinate" and isinstance(value, dict):
        return f"{value.get('latitude')},{value.get('longitude')}±{value.get('precision')}"
    return str(value)


def _options_json(opts: RunOptions) -> dict[str, Any]:
    return {
        k: (str(v) if isinstance(v, Path) else v)
        for k, v in {
            "dry_run": opts.dry_run,
            "limit": opts.limit,
            "max_minutes": opts.max_minutes,
            "only": opts.only,
            "owner": opts.owner,
            "recheck": opts.recheck,
            "apply_decisions": opts.apply_decisions,
            "recheck_conflicts_days": opts.recheck_conflicts_days,
            "report_path": opts.report_path,
        }.items()
    }


def summary_path(report_path: Path) -> Path:
    """Where the run summary goes next to a report: ``x.jsonl`` → ``x.summary.json``."""
    return report_path.with_name(report_path.stem + ".summary.json")


class _Progress:
    """A tqdm bar on a TTY; otherwise a plain log line every 30 seconds."""

    def __init__(self, total: int, enabled: bool | None) -> None:
        self.total = total
        self.done = 0
        self.counts: Counter[str] = Counter()
        self.last_log = time.monotonic()
        use_bar = sys.stderr.isatty() if enabled is None else enabled
        self.bar: Any = None
        if use_bar:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="file", file=sys.stderr)

    def step(self, outcome: str) -> None:
        self.done += 1
        self.counts[str(outcome)] += 1
        if self.bar is not None:
            self.bar.update(1)
            return
        now = time.monotonic()
        if now - self.last_log >= 30:
            self.last_log = now
            log.info("progress: %d/%d files %s", self.done, self.total, dumps(dict(self.counts)))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def iter_report(path: Path) -> Iterable[dict[str, Any]]:
    """Read a run report back (tests, and maintainers inspecting a dry run)."""
    with open(path, "rb") as fh:
        for line in fh:
            if line.strip():
                yield orjson.loads(line)
