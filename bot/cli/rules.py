"""``backfill rules list|show|pause|resume|retire``: decision rules from the command line,
thin over the store's rule API (``bot.store.rules``). Rules are written on the review page
(which shows the preview first); here they are listed, shown and paused, resumed or
retired.

Who did it is recorded with every change: ``--by NAME``, by default ``cli:`` and the OS
user running the command (``cli:tools.flickr-sdc``), so the history tells a change made
here from one made on the page. A retire withdraws the rule's decisions the bot has not
written before the command returns (in short chunks, as the page's background worker
does); a resume runs the rule's new first pass the same way.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from bot.cli.args import existing_store, non_negative_int
from bot.core.rules import DECISION_WORDS


def register(subparsers: Any) -> None:
    """Add ``backfill rules`` and its subcommands."""
    rules = subparsers.add_parser(
        "rules",
        help="list, show, pause, resume or retire decision rules",
        description=__doc__.split("\n\n", 1)[0].replace("``", "`"),
    )
    sub = rules.add_subparsers(dest="rules_command", metavar="SUBCOMMAND", required=True)

    def add(name: str, help_text: str, *, rule_id: bool, change: bool) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = sub.add_parser(
            name, help=help_text, description=help_text
        )
        parser.add_argument(
            "--db", required=True, help="the store: a SQLite file or a mysql:// / toolsdb: URL"
        )
        if rule_id:
            parser.add_argument(
                "rule_id", type=non_negative_int, metavar="ID", help="the rule's id"
            )
        if change:
            parser.add_argument(
                "--by",
                metavar="NAME",
                help="who is doing this, recorded in the rule's history "
                "(default: cli: and the OS user)",
            )
            parser.add_argument("--note", help="why, recorded in the rule's history")
        return parser

    add(
        "list",
        "every rule: id, state, decision, author, created, how many decided",
        rule_id=False,
        change=False,
    ).set_defaults(func=cmd_list)
    add(
        "show", "one rule: its conditions, history and counts", rule_id=True, change=False
    ).set_defaults(func=cmd_show)
    add(
        "pause",
        "pause a rule: it decides nothing new; its decisions stand",
        rule_id=True,
        change=True,
    ).set_defaults(func=cmd_pause)
    add(
        "resume",
        "resume a paused rule: it decides new conflicts and the open ones it matches now",
        rule_id=True,
        change=True,
    ).set_defaults(func=cmd_resume)
    add(
        "retire",
        "retire a rule: it decides nothing more; its decisions the bot has not written go back to open",
        rule_id=True,
        change=True,
    ).set_defaults(func=cmd_retire)


def cli_actor(by: str | None) -> str:
    """``--by`` as given, else ``cli:`` and the OS user."""
    if by and by.strip():
        return by.strip()[:85]
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        user = "unknown"
    return f"cli:{user}"


def _open(args: argparse.Namespace) -> Any:
    from bot.store import Store

    return Store(existing_store(args.db, command=f"rules {args.rules_command}"))


def cmd_list(args: argparse.Namespace) -> int:
    with _open(args) as store:
        found = store.list_rules()
        if not found:
            print("no rules")
        for r in found:
            print(
                f"#{r.id}  {r.state:<8} {DECISION_WORDS[r.decision]:<20} by {r.created_by} "
                f"{r.created_at[:16]}  decided {r.decided}"
                + (f" (withdrawn {r.withdrawn})" if r.withdrawn else "")
                + f"  | {r.filter.describe()}"
            )
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with _open(args) as store:
        r = store.get_rule(args.rule_id)
        print(f"rule #{r.id}: {r.state}")
        print(f"  when:       {r.filter.describe()}")
        print(f"  decision:   {DECISION_WORDS[r.decision]}")
        if r.note:
            print(f"  note:       {r.note}")
        print(f"  written by: {r.created_by}, {r.created_at}")
        print(f"  decided:    {r.decided} (withdrawn {r.withdrawn})")
        print(f"  matches now: {store.preview_rule(r.filter, sample=0).count} open conflicts")
        print("  history:")
        for e in store.rule_events(r.id):
            print(f"    {e.at}  {e.action} by {e.actor}" + (f": {e.note}" if e.note else ""))
    return 0


def cmd_pause(args: argparse.Namespace) -> int:
    with _open(args) as store:
        r = store.pause_rule(args.rule_id, actor=cli_actor(args.by), note=args.note)
        print(f"rule #{r.id} paused: it decides nothing new; its {r.decided} decisions stand")
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    with _open(args) as store:
        saved = store.resume_rule(
            args.rule_id, actor=cli_actor(args.by), note=args.note, background=False
        )
        result = store.rule_decide(args.rule_id, max_id=store.last_conflict_id())
        print(f"rule #{saved.rule.id} resumed: {result.decided} open conflicts decided now")
    return 0


def cmd_retire(args: argparse.Namespace) -> int:
    with _open(args) as store:
        store.retire_rule(args.rule_id, actor=cli_actor(args.by), note=args.note, background=False)
        result = store.withdraw_rule_decisions(args.rule_id)
        print(
            f"rule #{args.rule_id} retired: {result.decided} of its decisions the bot had not "
            "written went back to open",
            file=sys.stdout,
        )
    return 0
