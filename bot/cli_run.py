"""``backfill run`` and ``backfill explain``: the bot against Commons and Flickr.

Both build the same adapters (``build_adapters``): a pywikibot site (logged in for real
runs, anonymous for dry runs and ``explain``), the Flickr client with the store as its
owner cache, and the Wikidata client for creator items. ``--commons-api`` and
``--flickr-api`` point them at other servers, e.g. the local stand-ins of
``backfill sandbox``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from bot.config import Settings, load_settings
from bot.store import LockHeld, Store

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
    run.add_argument("--limit", type=int, help="process at most N files")
    run.add_argument("--max-minutes", type=float, help="stop cleanly after M minutes")
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
    parser.add_argument("--db", help="the SQLite store (default: settings db_path)")
    parser.add_argument("--commons-api", help="Commons API URL (default: commons.wikimedia.org)")
    parser.add_argument("--flickr-api", help="Flickr REST endpoint URL")
    parser.add_argument("--wikidata-api", help="Wikidata API URL")
    parser.add_argument(
        "--username",
        help="bot account (default: $COMMONS_BOT_USERNAME, "
        "$COMMONS_BOTPASSWORD_NAME or user-config.py)",
    )
    parser.add_argument(
        "--pywikibot-dir", help="pywikibot config dir (default: $PYWIKIBOT_DIR or settings)"
    )
    parser.add_argument("--put-throttle", type=float, help="seconds between edits")


def settings_from_args(args: argparse.Namespace) -> Settings:
    return load_settings().with_overrides(
        db_path=args.db,
        commons_api_url=args.commons_api,
        flickr_api_url=args.flickr_api,
        wikidata_api_url=args.wikidata_api,
        pywikibot_dir=args.pywikibot_dir,
        put_throttle=args.put_throttle,
    )


@dataclass
class Adapters:
    """Everything a run talks to, built from settings."""

    store: Store
    commons: Any
    flickr: Any
    wikidata: Any


@contextmanager
def build_adapters(
    settings: Settings,
    *,
    anonymous: bool,
    username: str | None,
    environ: Mapping[str, str] | None = None,
    flickr_api_key: str | None = None,
) -> Iterator[Adapters]:
    """Open the store and the three clients; close them afterwards."""
    from bot.commons import CommonsClient
    from bot.flickr import FlickrClient
    from bot.pywikibot_setup import setup_pywikibot
    from bot.ratelimit import TokenBucket
    from bot.wikidata import WikidataClient

    config_dir = Path(os.environ.get("PYWIKIBOT_DIR") or settings.pywikibot_dir)
    site = setup_pywikibot(
        settings.commons_api_url or None,
        config_dir,
        None if anonymous else username,
        put_throttle=settings.put_throttle or None,
        retry_wait=settings.retry_wait or None,
        maxlag=settings.maxlag,
        user_agent=settings.user_agent,
        environ=environ,
    )
    store = Store(settings.db_path)
    flickr = FlickrClient(
        flickr_api_key,
        base_url=settings.flickr_api_url,
        user_agent=settings.user_agent,
        owner_cache=store,
        rate_limiter=TokenBucket(calls_per_hour=settings.flickr_calls_per_hour),
        owner_max_age=settings.owner_cache_max_age,
    )
    wikidata = WikidataClient(
        settings.wikidata_api_url,
        user_agent=settings.user_agent,
        retry_wait=settings.retry_wait or 5.0,  # as pywikibot's default for Commons reads
    )
    commons = CommonsClient(site, run_page=settings.run_page, tags=settings.edit_tags)
    try:
        yield Adapters(store, commons, flickr, wikidata)
    finally:
        flickr.close()
        wikidata.close()
        store.close()


def make_job(ad: Adapters, options: Any) -> Any:
    """The job wired to the adapters, as every entry point (run, demo, tests) wants it."""
    from bot.job import Job
    from bot.wikitext import find_flickr_source

    return Job(
        ad.store,
        ad.commons,
        ad.flickr,
        options,
        wikidata=ad.wikidata.fetch_flickr_user_ids,
        find_in_wikitext=find_flickr_source,
    )


def cmd_run(args: argparse.Namespace) -> int:
    from bot.flickr import FlickrAuthError
    from bot.job import RunOptions
    from bot.pywikibot_setup import resolve_username

    settings = settings_from_args(args)
    username = None
    if not args.dry_run:
        config_dir = Path(os.environ.get("PYWIKIBOT_DIR") or settings.pywikibot_dir)
        username = resolve_username(args.username, config_dir=config_dir)
        if not username:
            print(
                "backfill run: no bot account: pass --username, set COMMONS_BOT_USERNAME, "
                "or name it in user-config.py (or use --dry-run, or `backfill demo` for "
                "the offline demo)",
                file=sys.stderr,
            )
            return 2
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
    status = 0
    try:
        with build_adapters(settings, anonymous=args.dry_run, username=username) as ad:
            job = make_job(ad, options)
            job.run()
    except LockHeld as exc:
        print(f"backfill run: {exc}", file=sys.stderr)
        return 4
    except FlickrAuthError as exc:
        print(f"backfill run: Flickr refused the API key, stopping: {exc}", file=sys.stderr)
        status = 3
    except Exception as exc:  # the run row says "error: ..."; the summary still goes out
        log.exception("backfill run failed")
        print(f"backfill run: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        status = 1
    if job is None:
        return status or 1
    print_summary(job.summary, as_json=args.json, report=report)
    return status


def print_summary(summary: Any, *, as_json: bool, report: Path | None) -> None:
    """The summary on stdout (JSON or text); where the report and its summary are."""
    from bot.job import summary_path

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
    from bot.evidence import evidence_from_entity
    from bot.job import Job, RunOptions
    from bot.store import WorkFile

    settings = settings_from_args(args).with_overrides(db_path=args.db or ":memory:")
    with build_adapters(settings, anonymous=True, username=None) as ad:
        target = args.file.strip()
        if target.upper().startswith("M") and target[1:].isdigit():
            states = ad.commons.read_entities([target.upper()])
        else:
            states = ad.commons.read_entities_by_title([target])
        state = next(iter(states.values()), None)
        if state is None or state.gone:
            print(f"backfill explain: {target}: no such file on Commons", file=sys.stderr)
            return 1
        entity = dict(state.entity)
        entity.setdefault("id", state.mid)
        found = evidence_from_entity({**entity, "title": state.title, "pageid": state.pageid})
        photo_ids = list(found.photo_ids) if found else []
        wf = WorkFile(
            id=0,
            mid=state.mid,
            title=state.title,
            pageid=state.pageid,
            photo_ids=photo_ids,
            owner_nsid=found.owner_nsid if found else None,
            owner_alias=found.owner_alias if found else None,
            evidence=[dict(e) for e in found.evidence] if found else [],
            evidence_sources=list(found.evidence_sources) if found else [],
            has_p12120=bool(found and found.has_p12120),
            status="pending",
            attempts=0,
            origin="explain",
        )
        job = Job(
            ad.store,
            ad.commons,
            ad.flickr,
            RunOptions(dry_run=True),
            wikidata=ad.wikidata.fetch_flickr_user_ids,
        )
        if not wf.photo_ids:
            from bot.wikitext import find_flickr_source

            text = ad.commons.get_wikitext([state.title]).get(state.title or "")
            if text:
                wf.photo_ids = list(find_flickr_source(state.title or "", text).photo_ids)
        if not wf.photo_ids:
            print(
                orjson.dumps(
                    {"mid": state.mid, "title": state.title, "outcome": "no_flickr_id"}
                ).decode()
            )
            return 0
        from bot.flickr import FetchError, FlickrAuthError

        try:
            photos = job.fetch_flickr([wf]) if len(wf.photo_ids) == 1 else {}
        except FlickrAuthError as exc:
            print(f"backfill explain: Flickr refused the API key: {exc}", file=sys.stderr)
            return 3
        photo = photos.get(wf.photo_ids[0]) if len(wf.photo_ids) == 1 else None
        if isinstance(photo, FetchError):
            print(
                f"backfill explain: Flickr did not answer for photo {photo.photo_id}: "
                f"{photo.message}; a run would retry this file later",
                file=sys.stderr,
            )
            return 1
        creators = job.creator_lookups([state])
        unchecked, why = job.wikidata_unchecked
        if unchecked:
            print(
                f"backfill explain: Wikidata did not answer for {', '.join(sorted(unchecked))}: "
                f"{why}; a run would retry this file later",
                file=sys.stderr,
            )
            return 1
        the_plan = job.plan_file(wf, state, photo, creators)
        out = the_plan.to_json()
        out["title"] = state.title
        out["evidence"] = wf.evidence
        out["flickr_calls"] = ad.flickr.calls
        sys.stdout.write(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0
