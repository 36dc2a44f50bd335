"""``backfill store copy``: move a queue from one store to another, verified per table
(thin over ``bot.store.copying.copy_store``)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import orjson


def register(subparsers: Any) -> None:
    """Add ``backfill store copy`` to the CLI."""
    parser = subparsers.add_parser(
        "store",
        help="work on the store as a whole (copy it to another backend or file)",
        description="Work on the store as a whole.",
    )
    actions = parser.add_subparsers(dest="store_command", metavar="ACTION", required=True)
    copy = actions.add_parser(
        "copy",
        help="copy every table into another store, verified by row counts and checksums",
        description="Copy every table of the store at --from into the store at --to "
        "(migrated fresh; the schema versions must match), then verify each table by its "
        "row count and a checksum of its values. A target that holds any rows is refused "
        "unless --force. Stop the job and the review page while copying.",
    )
    copy.add_argument("--from", dest="source", required=True, metavar="URL",
                      help="the store to copy: a path or sqlite:///PATH")  # fmt: skip
    copy.add_argument("--to", dest="target", required=True, metavar="URL",
                      help="the store to copy into (created when missing)")  # fmt: skip
    copy.add_argument("--force", action="store_true",
                      help="replace whatever the target holds (its tables are dropped)")  # fmt: skip
    copy.add_argument("--json", action="store_true", help="the report as JSON")
    copy.set_defaults(func=cmd_copy)


def cmd_copy(args: argparse.Namespace) -> int:
    from bot.store.copying import CopyMismatch, copy_store

    try:
        report = copy_store(args.source, args.target, force=args.force)
    except CopyMismatch as exc:  # the table that differs is in the report; main words it
        print("\n".join(exc.report.lines()))
        raise
    if args.json:
        sys.stdout.write(orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2).decode())
        sys.stdout.write("\n")
    else:
        print("\n".join(report.lines()))
    return 0
