"""``backfill undo --run N``: take back what a run wrote (``bot.run.undo``).

Only Commons is needed (no Flickr key): a real undo logs in as the bot account, a dry one
reads anonymously and writes nothing anywhere. Failures are worded by ``bot.cli.main``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from bot.adapters.config import Settings, load_settings
from bot.cli.args import existing_store, non_negative_float, non_negative_int
from bot.cli.run import add_commons_arguments
from bot.core.errors import ConfigError, UsageError
from bot.store import Store

DESCRIPTION = """\
Take back what run N wrote to Commons. For each file the run edited, only the statements
and qualifiers the bot added or changed in that run, and only where nobody changed them
since (the file is read fresh): a statement the run added and still exactly as it left
it is removed; a qualifier it added to someone's statement loses just that qualifier; a
placeholder creator it replaced is put back if the statement is still the bot's.
Anything changed since is left alone and listed for a person. Every edit goes through
the run's journaled edit path (baserevid, the run page and talk page, the lock, SIGTERM,
--max-minutes); each file's undo is recorded, so undoing again skips it and an undo
killed midway resumes without editing twice."""


def register(subparsers: Any) -> None:
    """Add ``undo``."""
    undo = subparsers.add_parser(
        "undo",
        help="take back what run N wrote (where nobody changed it since)",
        description=DESCRIPTION,
    )
    undo.add_argument(
        "--run",
        type=positive_int,
        required=True,
        metavar="N",
        help="the run to take back (its id, as `backfill review` lists it)",
    )
    undo.add_argument(
        "--dry-run",
        action="store_true",
        help="read anonymously and show what would be taken back; write nothing",
    )
    undo.add_argument(
        "--only",
        nargs="+",
        metavar="M",
        help="only these files (M-ids, space- or comma-separated)",
    )
    undo.add_argument("--limit", type=non_negative_int, metavar="K", help="at most K files")
    undo.add_argument("--max-minutes", type=non_negative_float, help="stop cleanly after M minutes")
    undo.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_commons_arguments(undo)
    undo.set_defaults(func=cmd_undo)


def positive_int(text: str) -> int:
    """A run id: a whole number > 0."""
    value = non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("run ids start at 1")
    return value


def only_mids(values: list[str] | None) -> list[str] | None:
    """``--only M1 M2,M3`` → ``["M1", "M2", "M3"]``; anything else is refused (exit 2)."""
    if not values:
        return None
    mids = [m.strip().upper() for v in values for m in v.split(",") if m.strip()]
    bad = [m for m in mids if not (m.startswith("M") and m[1:].isdigit())]
    if bad:
        raise UsageError(f"--only takes M-ids (M123), not {bad[0]!r}")
    return mids


@contextmanager
def commons_client(settings: Settings, username: str | None) -> Iterator[Any]:
    """The Commons adapter as a run builds it (logged in unless ``username`` is None)."""
    from bot.adapters.commons import CommonsClient
    from bot.run.wiring import commons_site

    site = commons_site(settings, username)
    yield CommonsClient(site, run_page=settings.run_page, tags=settings.edit_tags)


def cmd_undo(args: argparse.Namespace) -> int:
    from bot.adapters.pywikibot_setup import resolve_username
    from bot.run.undo import UndoJob, UndoOptions

    settings = load_settings().with_overrides(
        db_path=args.db,
        commons_api_url=args.commons_api,
        pywikibot_dir=args.pywikibot_dir,
        put_throttle=args.put_throttle,
    )
    existing_store(settings.db_path, command="undo")
    only = only_mids(args.only)
    username = None
    if not args.dry_run:
        config_dir = Path(os.environ.get("PYWIKIBOT_DIR") or settings.pywikibot_dir)
        username = resolve_username(args.username, config_dir=config_dir)
        if not username:
            raise ConfigError(
                "no bot account: pass --username, set COMMONS_BOT_USERNAME, or name it in "
                "user-config.py (or use --dry-run)"
            )
    options = UndoOptions(
        run=args.run,
        dry_run=args.dry_run,
        only=only,
        limit=args.limit,
        max_minutes=args.max_minutes,
        documentation_page=settings.documentation_page,
        batch_size=settings.batch_size,
    )
    from bot.store import LockHeld

    with Store(settings.db_path) as store:
        job = UndoJob(store, _LazyCommons(settings, username), options)
        try:
            job.run()
        except (LockHeld, UsageError):
            raise  # nothing ran: no summary
        except Exception:  # the summary goes out, then bot.cli.main words the error
            print_undo(job.result, as_json=args.json)
            raise
    print_undo(job.result, as_json=args.json)
    return 0


class _LazyCommons:
    """Commons, logged in on first use: a run that cannot be undone (no such run, a dry
    run) is refused before any login or request."""

    def __init__(self, settings: Settings, username: str | None) -> None:
        self._settings = settings
        self._username = username
        self._client: Any = None
        self._context: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            self._context = commons_client(self._settings, self._username)
            self._client = self._context.__enter__()
        return getattr(self._client, name)


def print_undo(result: Any, *, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(orjson.dumps(result.to_json(), option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        print(result.render())
