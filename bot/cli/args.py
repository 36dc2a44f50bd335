"""Argument types and checks the subcommands share (not a subcommand itself).

argparse turns a ``type=`` callable's ``ArgumentTypeError`` into its usual one-line
"argument --limit: ..." message and exit status 2, so a bad number is refused before any
store is opened or any request sent.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from bot.core.errors import InputMissing, StoreMissing
from bot.store.location import StoreLocation


def non_negative_int(text: str) -> int:
    """An integer >= 0 (``--limit``, ``--workers``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text}")
    return value


def port_number(text: str) -> int:
    """A TCP port, 0 (any free one) to 65535."""
    value = non_negative_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"not a port number: {text}")
    return value


def non_negative_float(text: str) -> float:
    """A number of seconds or minutes >= 0 (``--put-throttle``, ``--max-minutes``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value >= 0 or value == float("inf"):  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be a number >= 0: {text}")
    return value


def positive_float(text: str) -> float:
    """A number > 0 (``--progress-interval``)."""
    value = non_negative_float(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0: {text}")
    return value


def existing_store(path: str | Path, *, command: str) -> str:
    """The store setting ``path`` (a file or a ``mysql://``/``toolsdb:`` URL), which must
    exist: only ``extract`` creates a SQLite file (a server database is checked when it
    is opened)."""
    location = StoreLocation.parse(path)  # BadLocation: a ConfigError
    if not location.exists():
        raise StoreMissing(
            f"no store at {location}: create it with `backfill extract SNAPSHOT --db "
            f"{location}` (or pass --db, or set BACKFILL_DB, to use another one) before "
            f"`{command}`"
        )
    return str(path)


def readable_file(path: Path, what: str) -> Path:
    """``path`` exists, is a file and can be read; else :class:`InputMissing` naming it."""
    if not path.exists():
        raise InputMissing(f"no such {what}: {path}")
    if path.is_dir():
        raise InputMissing(f"{what} {path} is a directory, not a file")
    if not os.access(path, os.R_OK):
        raise InputMissing(f"cannot read {what} {path}: permission denied")
    return path
