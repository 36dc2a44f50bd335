"""``backfill review``: serve the review page locally (werkzeug), e.g. on a laptop.

On Toolforge the same app runs under uWSGI (``review_ui.wsgi``); this command is for
looking at a copy of the database, or developing the page with the password-less
development login. Only the environment variable ``TOOL_DEV_LOGIN=1`` turns that login
on; ``--dev-login`` is shorthand that sets it for this one local process.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli.args import existing_store, port_number
from bot.core.errors import ConfigError

if TYPE_CHECKING:
    from flask import Flask


def register(subparsers: Any) -> None:
    """Add ``backfill review`` to the CLI."""
    parser = subparsers.add_parser(
        "review",
        help="serve the review page locally",
        description="Serve the review web page on this machine (plain HTTP, werkzeug). "
        "Configuration also comes from TOOL_* environment variables (see review_ui.app): "
        "set TOOL_SECRET_KEY, or TOOL_DEV_LOGIN=1 for a password-less development login "
        "(announced on every page; never on a public server).",
    )
    parser.add_argument(
        "--db", required=True, help="the store: a SQLite file or a mysql:// / toolsdb: URL"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=port_number, default=8000, help="port to listen on (8000)")
    parser.add_argument(
        "--dev-login",
        action="store_true",
        help="shorthand for TOOL_DEV_LOGIN=1 in this process: the password-less development "
        "login, announced on every page (never on a public server)",
    )
    parser.set_defaults(func=run)


def build_app(db: str | Path) -> Flask:
    """The review app configured for plain HTTP on this machine (no proxy in front; a
    Secure cookie would be dropped by browsers other than on localhost). The development
    login follows ``TOOL_DEV_LOGIN``, like everywhere else."""
    from review_ui.app import create_app  # here, so other subcommands never load Flask

    config: dict[str, Any] = {"DB_PATH": str(db), "PROXY_FIX": 0, "SESSION_COOKIE_SECURE": False}
    return create_app(config)


def run(args: argparse.Namespace) -> int:
    """Build the app and serve it until interrupted."""
    from werkzeug.serving import run_simple

    existing_store(args.db, command="review")
    if args.dev_login:
        os.environ["TOOL_DEV_LOGIN"] = "1"  # the switch create_app reads; this process only
    try:
        app = build_app(args.db)
    except RuntimeError as exc:  # create_app: no TOOL_SECRET_KEY (and no development login)
        raise ConfigError(str(exc)) from exc
    print(f"review page on http://{args.host}:{args.port}/ (Ctrl-C stops it)", file=sys.stderr)
    run_simple(args.host, args.port, app, threaded=True, use_reloader=False)
    return 0
