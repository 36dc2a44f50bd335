"""``backfill extract`` and ``backfill export``: the snapshot → worklist step, and a dump
of the worklist as JSON lines.

``extract`` is a long batch job (hours on the real dump), so it reports progress on its
own: a bar on a terminal, otherwise an INFO log line every ``--progress-interval``
seconds even without ``-v``. Its inputs are checked before a store is created. It
exits 1 when the input was truncated or unreadable (what was read before is kept) or
is refused before reading (empty, its content not what its name says: one line on
stderr), 5 when an input file is missing, 2 on usage errors (``bot.core.errors.ExitCode``).
Malformed lines are counted and skipped: they do not change the exit status.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from bot.adapters.config import load_settings
from bot.cli.args import existing_store, non_negative_int, positive_float, readable_file
from bot.core.errors import UsageError
from bot.extract.snapshot import extract
from bot.store import Store, WorkFile

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``extract`` and ``export`` to the ``backfill`` command line."""
    parser = subparsers.add_parser(
        "extract",
        help="scan a Commons mediainfo snapshot into the worklist",
        description=(
            "Stream a Commons mediainfo snapshot (commons-YYYYMMDD-mediainfo.json.gz, "
            ".bz2, .xz or plain JSON; the compression is detected from the content, and a "
            "name that says otherwise is refused) and upsert "
            "one worklist row per file with Flickr evidence. Re-running on a newer "
            "snapshot adds new files and updates evidence; processing state is kept. "
            "--titles adds files by title (their evidence is found at run time)."
        ),
    )
    parser.add_argument(
        "snapshot",
        nargs="?",
        type=Path,
        metavar="SNAPSHOT",
        help="the snapshot file (optional with --titles)",
    )
    parser.add_argument(
        "--db", help="the store: a SQLite file or a mysql:// URL (default: BACKFILL_DB)"
    )
    parser.add_argument(
        "--titles",
        type=Path,
        metavar="FILE",
        help="also add the files named in FILE, one title per line ('-': stdin)",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    progress = parser.add_mutually_exclusive_group()
    progress.add_argument(
        "--progress",
        dest="progress",
        action="store_const",
        const=True,
        default=None,
        help="always show a progress bar",
    )
    progress.add_argument(
        "--no-progress",
        dest="progress",
        action="store_const",
        const=False,
        help="no progress output at all",
    )
    parser.add_argument(
        "--progress-interval",
        type=positive_float,
        default=30.0,
        metavar="SECONDS",
        help="seconds between progress log lines when not on a terminal (default: 30)",
    )
    parser.add_argument(
        "--workers",
        type=non_negative_int,
        default=None,
        metavar="N",
        help="processes that decode candidate lines (default: 1 when three CPUs are usable "
        "and the snapshot is over 64 MB, else 0 = all in this process)",
    )
    parser.set_defaults(func=run_extract)

    parser = subparsers.add_parser(
        "export",
        help="print the worklist as JSON lines",
        description=(
            "Print one JSON object per worklist file: mid, title, flickr_photo_ids, owner "
            "({nsid, path_alias} or null), evidence and status. Streams."
        ),
    )
    parser.add_argument(
        "--db", help="the store: a SQLite file or a mysql:// URL (default: BACKFILL_DB)"
    )
    parser.set_defaults(func=run_export)


def _db_path(args: argparse.Namespace) -> str:
    return str(args.db) if args.db else load_settings().db_path


def _title_lines(path: Path) -> Iterator[str]:
    """Titles from a file, one per line; blank lines and ``#`` comments are skipped."""
    handle = sys.stdin if str(path) == "-" else open(path, encoding="utf-8")  # noqa: SIM115
    try:
        for line in handle:
            line = line.strip()
            if line and not line.startswith("#"):
                yield line
    finally:
        if handle is not sys.stdin:
            handle.close()


def run_extract(args: argparse.Namespace) -> int:
    """Scan the snapshot and/or add titles; print the summary."""
    if args.snapshot is None and args.titles is None:
        raise UsageError("give a SNAPSHOT, --titles FILE, or both")
    if args.snapshot is not None:
        readable_file(args.snapshot, "snapshot")
    if args.titles is not None and str(args.titles) != "-":
        readable_file(args.titles, "titles file")
    if args.progress is not False and args.verbose <= 0:
        # Progress lines are INFO; a batch job that runs for hours should show them.
        logging.getLogger("bot.extract.snapshot").setLevel(logging.INFO)
    titles = _title_lines(args.titles) if args.titles is not None else ()
    with Store(_db_path(args)) as store:
        summary = extract(
            args.snapshot,
            store,
            titles=titles,
            progress=args.progress,
            progress_interval=args.progress_interval,
            workers=args.workers,  # None: extract decides (default_workers)
        )
    if args.json:
        sys.stdout.write(
            orjson.dumps(summary.to_json(), option=orjson.OPT_INDENT_2).decode() + "\n"
        )
    else:
        print(summary.format_text())
    return 0 if summary.ok else 1


def export_record(row: WorkFile) -> dict[str, Any]:
    """One worklist row as the ``export`` JSON object."""
    owner = None
    if row.owner_nsid or row.owner_alias:
        owner = {"nsid": row.owner_nsid, "path_alias": row.owner_alias}
    return {
        "mid": row.mid,
        "title": row.title,
        "flickr_photo_ids": row.photo_ids,
        "owner": owner,
        "evidence": row.evidence,
        "status": row.status,
    }


def run_export(args: argparse.Namespace) -> int:
    """Print the worklist as JSON lines (streamed; a closed pipe ends it quietly)."""
    path = existing_store(_db_path(args), command="export")
    with Store(path) as store:
        out = sys.stdout
        try:
            for row in store.iter_worklist():
                out.write(orjson.dumps(export_record(row)).decode() + "\n")
            out.flush()
        except BrokenPipeError:
            # `backfill export | head`: stop writing; keep Python from complaining at exit.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
    return 0
