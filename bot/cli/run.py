"""``backfill run`` and ``backfill explain``: the bot against Commons and Flickr.

Both are thin calls into the library: the adapters come from ``bot.run.wiring``
(``build_adapters``, ``make_job``; re-exported here for callers that still import them from
the CLI), the plan of one file from ``bot.run.explain``. ``--commons-api`` and
``--flickr-api`` point them at other servers, e.g. the local stand-ins of
``backfill sandbox``.

Both check what they need before any request: ``FLICKR_API_KEY`` (named as missing, no
login first), the store (``run`` needs an existing one; only ``extract`` creates it) and,
for a real run, the bot account. Failures are raised and worded by ``bot.cli.main``; a
run prints its summary first, whatever ended it (except a lock held by another run: then
nothing ran).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from bot.adapters.config import Settings, load_settings
from bot.cli.args import existing_store, non_negative_float, non_negative_int
from bot.core.errors import ConfigError, as_backfill_error
from bot.run.wiring import (
    Adapters,
    build_adapters,
    flickr_retry_policy,
    http_timeout,
    make_job,
    unreachable_bounds,
)
from bot.store import LockHeld, Store
from bot.store.failures import store_unavailable

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    """Add ``run`` and ``explain``."""
    run = subparsers.add_parser(
        "run",
        help="process the worklist: read Commons, fetch Flickr, edit or queue",
        description="Process pending worklist files. Real runs log in and edit; "
        "--dry-run reads anonymously and writes nothing to Commons.",
    )
    add_connection_arguments(run)
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="read anonymously, plan, write a report; no edits, no login",
    )
    run.add_argument("--limit", type=non_negative_int, help="process at most N files")
    run.add_argument("--max-minutes", type=non_negative_float, help="stop cleanly after M minutes")
    run.add_argument("--only", help="comma-separated M-ids or titles to process")
    run.add_argument("--owner", help="only files of this Flickr owner (NSID or path alias)")
    run.add_argument(
        "--recheck",
        action="store_true",
        help="process files already done too (re-plan against current data)",
    )
    run.add_argument(
        "--no-decisions",
        action="store_true",
        help="do not apply review decisions at the start of the run",
    )
    run.add_argument(
        "--recheck-conflicts-after",
        type=float,
        metavar="DAYS",
        help="revision-check files with open conflicts not looked at for DAYS and re-plan "
        "the ones that changed (default: settings recheck_conflicts_days; negative: never)",
    )
    run.add_argument(
        "--report",
        type=Path,
        help="JSON-lines report, one line per file (default for dry runs: "
        "REPORT_DIR/dry-run-<time>.jsonl)",
    )
    run.add_argument("--json", action="store_true", help="print the summary as JSON")
    run.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar (default: on a terminal only)",
    )
    run.set_defaults(func=cmd_run)

    explain = subparsers.add_parser(
        "explain",
        help="why would the bot do that? the plan for one file, live",
        description="Read one file from Commons and its photo from Flickr (anonymously, "
        "writing nothing) and print the plan as JSON.",
    )
    explain.add_argument("file", help="File:Title or M-id")
    add_connection_arguments(explain)
    explain.set_defaults(func=cmd_explain)


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    """The store, Commons, Flickr and Wikidata: what ``run`` and ``explain`` connect to."""
    add_commons_arguments(parser)
    parser.add_argument("--flickr-api", help="Flickr REST endpoint URL")
    parser.add_argument("--wikidata-api", help="Wikidata API URL")


def add_commons_arguments(parser: argparse.ArgumentParser) -> None:
    """The store and Commons (for commands that need no Flickr, such as ``undo``)."""
    parser.add_argument(
        "--db", help="the store: a SQLite file or a mysql:// URL (default: BACKFILL_DB)"
    )
    parser.add_argument("--commons-api", help="Commons API URL (default: commons.wikimedia.org)")
    parser.add_argument(
        "--username",
        help="bot account (default: $COMMONS_BOT_USERNAME, "
        "$COMMONS_BOTPASSWORD_NAME or user-config.py)",
    )
    parser.add_argument(
        "--pywikibot-dir", help="pywikibot config dir (default: $PYWIKIBOT_DIR or settings)"
    )
    parser.add_argument(
        "--put-throttle",
        type=non_negative_float,
        metavar="SECONDS",
        help="seconds between edits (default: settings put_throttle, 10; 0: no wait, "
        "still paced by maxlag)",
    )


def settings_from_args(args: argparse.Namespace) -> Settings:
    return load_settings().with_overrides(
        db_path=args.db,
        commons_api_url=args.commons_api,
        flickr_api_url=args.flickr_api,
        wikidata_api_url=args.wikidata_api,
        pywikibot_dir=args.pywikibot_dir,
        put_throttle=args.put_throttle,
    )


def cmd_run(args: argparse.Namespace) -> int:
    from bot.adapters.flickr import api_key_from_env
    from bot.adapters.pywikibot_setup import resolve_username
    from bot.run.job import RunOptions

    settings = settings_from_args(args)
    existing_store(settings.db_path, command="run")
    api_key_from_env()  # named as missing before any login or request
    username = None
    if not args.dry_run:
        config_dir = Path(os.environ.get("PYWIKIBOT_DIR") or settings.pywikibot_dir)
        username = resolve_username(args.username, config_dir=config_dir)
        if not username:
            raise ConfigError(
                "no bot account: pass --username, set COMMONS_BOT_USERNAME, or name it in "
                "user-config.py (or use --dry-run, or `backfill demo` for the offline demo)"
            )
    report = args.report
    if report is None and args.dry_run:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        report = Path(settings.report_dir) / f"dry-run-{stamp}.jsonl"
    recheck_days = (
        args.recheck_conflicts_after
        if args.recheck_conflicts_after is not None
        else settings.recheck_conflicts_days
    )
    options = RunOptions(
        dry_run=args.dry_run,
        limit=args.limit,
        max_minutes=args.max_minutes,
        only=[x.strip() for x in args.only.split(",") if x.strip()] if args.only else None,
        owner=args.owner,
        recheck=args.recheck,
        batch_size=settings.batch_size,
        max_attempts=settings.max_attempts,
        report_path=report,
        documentation_page=settings.documentation_page,
        progress=args.progress,
        apply_decisions=not args.no_decisions,
        recheck_conflicts_days=recheck_days if recheck_days >= 0 else None,
    )
    job: Any = None
    try:
        with build_adapters(settings, anonymous=args.dry_run, username=username) as ad:
            job = make_job(ad, options)
            job.run()
    except LockHeld:
        raise  # nothing ran: no summary
    except Exception as exc:  # the summary goes out, then bot.cli.main words the error
        if job is not None:
            print_summary(job.summary, as_json=args.json, report=report)
        elif store_unavailable(exc) is not None:
            pass  # the store cannot record a run now; bot.cli.main says why
        else:
            summary = _failed_start(settings, options, exc)
            print_summary(summary, as_json=args.json, report=None)
        raise
    print_summary(job.summary, as_json=args.json, report=report)
    return 0


__all__ = [  # the wiring lives in bot.run.wiring; these names stay importable from here
    "Adapters",
    "build_adapters",
    "flickr_retry_policy",
    "http_timeout",
    "make_job",
    "unreachable_bounds",
]


def _failed_start(settings: Settings, options: Any, exc: BaseException) -> Any:
    """The summary of a run that failed before its job existed (Commons unreachable at
    the first request, a login refused), recorded in the store as a run of its own."""
    from bot.run.job import RunSummary, _options_json

    summary = RunSummary(dry_run=options.dry_run, options=_options_json(options))
    summary.stop_reason = f"error: {as_backfill_error(exc)}"
    with Store(settings.db_path) as store:
        summary.run_id = store.start_run(dry_run=options.dry_run, args=summary.options)
        store.finish_run(summary.run_id, stop_reason=summary.stop_reason, summary=summary.to_json())
    return summary


def print_summary(summary: Any, *, as_json: bool, report: Path | None) -> None:
    """The summary on stdout (JSON or text); where the report and its summary are."""
    from bot.run.job import summary_path

    if as_json:
        sys.stdout.write(
            orjson.dumps(summary.to_json(), option=orjson.OPT_INDENT_2).decode() + "\n"
        )
        return
    print(summary.render())
    if report is not None:
        print(f"  report               {report}")
        print(f"  summary              {summary_path(report)}")


def cmd_explain(args: argparse.Namespace) -> int:
    """The plan for one live file, read anonymously; nothing is written anywhere."""
    from bot.run.explain import explain

    settings = settings_from_args(args).with_overrides(db_path=args.db or ":memory:")
    if args.db:
        existing_store(args.db, command="explain")
    with build_adapters(settings, anonymous=True, username=None) as ad:
        found = explain(ad, args.file)
    option = orjson.OPT_INDENT_2 if found.plan is not None else 0
    sys.stdout.write(orjson.dumps(found.to_json(), option=option).decode() + "\n")
    return 0
