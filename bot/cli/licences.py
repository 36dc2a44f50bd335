"""``backfill licences``: the licence drift report (files whose Flickr licence now differs
from what Commons records), as on the review page; ``--csv`` writes the same CSV as the
page's download. Read-only: nothing is written to Commons or to the store.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.cli.args import existing_store


def register(subparsers: Any) -> None:
    """Add ``backfill licences`` to the CLI."""
    parser = subparsers.add_parser(
        "licences",
        help="list files whose Flickr licence changed (the licence drift report)",
        description="Files whose current Flickr licence differs from the licence Commons "
        "records (P275, or the licence template): counts by licence pair, or the rows as "
        "CSV with --csv. Nothing is written.",
    )
    parser.add_argument(
        "--db", required=True, help="the store: a SQLite file or a mysql:// / toolsdb: URL"
    )
    parser.add_argument("--commons", help="only this Commons licence (e.g. 'CC BY-SA 2.0')")
    parser.add_argument("--flickr", help="only this Flickr licence now (e.g. 'CC BY 2.0')")
    parser.add_argument("--csv", action="store_true", help="write every row as CSV")
    parser.add_argument(
        "-o", "--output", type=Path, help="write the CSV to this file (default: stdout)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.store import Store

    path = existing_store(args.db, command="licences")
    with Store(path, migrate=False) as store:
        if args.csv:
            chunks = store.iter_licence_drift_csv(commons=args.commons, flickr=args.flickr)
            if args.output is None:
                for chunk in chunks:
                    sys.stdout.write(chunk)
            else:
                with open(args.output, "w", encoding="utf-8", newline="") as out:
                    out.writelines(chunks)
            return 0
        total = store.licence_drift_count(commons=args.commons, flickr=args.flickr)
        print(f"{total} file(s) whose Flickr licence differs from Commons'")
        for commons, flickr, n in store.licence_drift_pairs():
            if args.commons in (None, commons) and args.flickr in (None, flickr):
                print(f"  {n:>8}  {commons} (Commons) -> {flickr} (Flickr now)")
    return 0
