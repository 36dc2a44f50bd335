"""``backfill``: the command line. Each subcommand lives in its own ``bot.cli.*`` module.

Every module listed in ``COMMAND_MODULES`` exposes ``register(subparsers)``, which adds
its subcommand(s) and sets ``func`` on the parser: ``func(args) -> int`` is the exit
status. Subcommands are thin: they parse arguments and call the Python API of the
module they are named after, so the CLI mirrors the library. The CLI may import every other package;
nothing imports it.

Failures are turned into words here and nowhere else: a subcommand raises (an error of
``bot.core.errors``' tree, or whatever a library raised), and :func:`main` prints one line
``backfill COMMAND: what is wrong`` and exits with the code of its kind
(``bot.core.errors.ExitCode``). The traceback is shown only with ``--debug`` (or ``-vv``).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

from bot import __version__
from bot.core.errors import ExitCode, as_backfill_error, is_unexpected
from bot.store.failures import store_unavailable

COMMAND_MODULES: tuple[str, ...] = (
    "bot.cli.urls",
    "bot.cli.snapshot",
    "bot.cli.review",
    "bot.cli.plan",
    "bot.cli.run",
    "bot.cli.undo",
    "bot.cli.demo",
    "bot.cli.licences",
    "bot.cli.store",
    "bot.cli.rules",
)


EXIT_CODES_HELP = """exit codes (the README lists which command exits with which):
  0  success                  6  store missing (no store at the path)
  1  failed (a bug: --debug)  7  configuration (a credential or setting)
  2  usage                    8  network (a service could not be reached)
  3  auth refused             9  remote error (a service answered with an error)
  4  lock held (another run)  10 store unavailable (read-only maintenance, server
  5  input missing               down, disk full): try again later"""


class _Parser(argparse.ArgumentParser):
    """argparse, with a bad argument reported as one line (not the whole usage first)."""

    def error(self, message: str) -> NoReturn:
        self.exit(int(ExitCode.USAGE), f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with every registered subcommand."""
    parser = _Parser(
        prog="backfill",
        description="Backfill structured data on Wikimedia Commons files copied from Flickr.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)"
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show the Python traceback of a failure (also with -vv)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def configure_logging(verbosity: int) -> None:
    """Plain structured log lines on stderr; secrets are never passed to the logger."""
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``backfill`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    if not getattr(args, "func", None):
        parser.print_help()
        return int(ExitCode.USAGE)
    try:
        status: int = args.func(args)
    except KeyboardInterrupt:
        print(f"backfill {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        return report_failure(args.command, exc, show_traceback=args.debug or args.verbose >= 2)
    return status


def report_failure(command: str, exc: BaseException, *, show_traceback: bool = False) -> int:
    """One line on stderr for a failure; its exit code (the traceback only if asked)."""
    unavailable = store_unavailable(exc)  # the store's "not now" (maintenance, down, full)
    error = unavailable or as_backfill_error(exc)
    if show_traceback:
        traceback.print_exception(exc, file=sys.stderr)
    if unavailable is None and is_unexpected(exc):  # a bug, not a kind of failure the bot knows
        hint = "" if show_traceback else " (backfill --debug shows where)"
        print(f"backfill {command}: failed: {error}{hint}", file=sys.stderr)
    else:
        print(f"backfill {command}: {error}", file=sys.stderr)
    return int(error.exit_code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
