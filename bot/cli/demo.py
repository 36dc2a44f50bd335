"""``backfill sandbox`` and ``backfill demo``: the real bot against local stand-ins.

``sandbox`` serves stand-in Commons and Flickr APIs from a data directory until
interrupted, so ``backfill run --commons-api URL --flickr-api URL`` can rehearse on them.
``demo`` does the whole loop offline on the bundled sample: extract the sample snapshot,
run the bot (real pywikibot, real httpx) against the stand-ins, print the summary, and
serve the review page with the conflicts it found.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import time
from pathlib import Path
from typing import Any

from bot.adapters.config import Settings
from bot.cli.args import port_number
from bot.core.errors import InputMissing, UsageError

DEMO_DIR = Path("var/demo")


def register(subparsers: Any) -> None:
    """Add ``sandbox`` and ``demo``."""
    sandbox = subparsers.add_parser(
        "sandbox",
        help="serve stand-in Commons and Flickr APIs on 127.0.0.1",
        description="Start local stand-ins of the Commons (and Wikidata) API and the Flickr "
        "REST API, seeded from DIR (see bot.standins.sandbox for the layout), print their "
        "URLs and serve until Ctrl-C.",
    )
    sandbox.add_argument(
        "--data", type=Path, help="sandbox data directory (default: the bundled demo sample)"
    )
    sandbox.add_argument("--commons-port", type=port_number, default=0)
    sandbox.add_argument("--flickr-port", type=port_number, default=0)
    sandbox.add_argument(
        "--inject",
        action="append",
        default=[],
        metavar="ENDPOINT:KIND[:COUNT[:ACTION]]",
        help="a fault for the next matching requests, repeatable: commons:maxlag:3, "
        "commons:http503:2:wbeditentity, commons:concurrent_edit, flickr:code201:2, "
        "flickr:http_429:1:flickr.photos.getInfo (Commons kinds: maxlag, ratelimited, "
        "http503, badtoken, concurrent_edit, lost_response; Flickr kinds: http_500, "
        "http_503, http_429, code_201, code_105, invalid_json, slow). More can be added "
        "while it runs: POST a JSON fault to each stand-in's /_standin/inject; "
        "GET /_standin/state shows requests, writes and pending faults.",
    )
    sandbox.set_defaults(func=cmd_sandbox)

    demo = subparsers.add_parser(
        "demo",
        help="offline demo: extract the sample, run against stand-ins, review",
        description="Extract the bundled sample snapshot, run the bot against local "
        "stand-in Commons and Flickr APIs, print the summary, then serve the "
        "review page with the conflicts it found.",
    )
    demo.add_argument(
        "--dir",
        type=Path,
        default=DEMO_DIR,
        help=f"working directory, emptied first (default: {DEMO_DIR})",
    )
    demo.add_argument(
        "--no-serve",
        action="store_true",
        help="stop after the summary (exit 0) instead of serving the review page",
    )
    demo.add_argument("--port", type=port_number, default=8000, help="review page port (8000)")
    demo.add_argument("--json", action="store_true", help="print the run summary as JSON")
    demo.set_defaults(func=cmd_demo)


def cmd_sandbox(args: argparse.Namespace) -> int:
    from bot.standins.sandbox import (
        DEMO_BOT,
        DEMO_BOTPASSWORD,
        DEMO_BOTPASSWORD_NAME,
        DEMO_FLICKR_KEY,
        SAMPLE_SNAPSHOT,
        inject_faults,
        parse_fault,
        prepare_demo_data,
        run_sandbox,
    )

    try:
        faults = [parse_fault(spec) for spec in args.inject]
    except ValueError as exc:
        raise UsageError(f"--inject {exc}") from exc
    data = args.data
    if data is None:
        data = prepare_demo_data(DEMO_DIR / "sandbox-data")
    elif not (data / "commons").is_dir() or not (data / "flickr").is_dir():
        raise InputMissing(f"{data} needs commons/ and flickr/ subdirectories")
    with run_sandbox(data, port_commons=args.commons_port, port_flickr=args.flickr_port) as (
        urls,
        wiki,
        flickr,
    ):
        inject_faults(faults, wiki, flickr)
        print(f"Commons API   {urls.commons_api}")
        print(f"Wikidata API  {urls.wikidata_api}")
        print(f"Flickr API    {urls.flickr_api}")
        print(f"control       {urls.commons_control}{{inject,state}}")
        print(f"              {urls.flickr_control}{{inject,state}}")
        for fault in faults:
            print(f"fault         {fault}")
        print(
            f"\nbot account {DEMO_BOT}: export COMMONS_BOTPASSWORD_NAME={DEMO_BOTPASSWORD_NAME} "
            f"COMMONS_BOTPASSWORD={DEMO_BOTPASSWORD} FLICKR_API_KEY={DEMO_FLICKR_KEY}"
        )
        db = DEMO_DIR / "sandbox.db"
        print(f"then: backfill extract {SAMPLE_SNAPSHOT} --db {db}")
        print(
            f"      backfill run --db {db} --commons-api {urls.commons_api} --flickr-api "
            f"{urls.flickr_api} --wikidata-api {urls.wikidata_api} --username {DEMO_BOT}"
        )
        print("Ctrl-C stops the sandbox.", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


def run_demo(workdir: Path, *, put_throttle: float = 0.2) -> tuple[Any, Any, dict[str, int]]:
    """Extract, run against the stand-ins; returns (extract summary, run summary, wiki facts)."""
    from bot.adapters.pywikibot_setup import ENV_BOTPASSWORD, ENV_BOTPASSWORD_NAME
    from bot.extract.snapshot import extract
    from bot.run.job import RunOptions
    from bot.run.wiring import build_adapters, make_job
    from bot.standins.sandbox import (
        DEMO_BOT,
        DEMO_BOTPASSWORD,
        DEMO_BOTPASSWORD_NAME,
        DEMO_FLICKR_KEY,
        SAMPLE_SNAPSHOT,
        prepare_demo_data,
        run_sandbox,
    )
    from bot.store import Store

    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    db = workdir / "backfill.db"
    with Store(db) as store:
        extracted = extract(SAMPLE_SNAPSHOT, store, progress=False)
    data = prepare_demo_data(workdir / "sandbox-data")
    with run_sandbox(data) as (urls, wiki, _flickr):
        settings = Settings(
            db_path=str(db),
            report_dir=str(workdir / "reports"),
            pywikibot_dir=str(workdir / "pywikibot"),
            commons_api_url=urls.commons_api,
            wikidata_api_url=urls.wikidata_api,
            flickr_api_url=urls.flickr_api,
            put_throttle=put_throttle,
            user_agent="flickr-sdc-backfill-demo/0.1 (offline demo)",
        )
        environ = {ENV_BOTPASSWORD_NAME: DEMO_BOTPASSWORD_NAME, ENV_BOTPASSWORD: DEMO_BOTPASSWORD}
        options = RunOptions(
            report_path=workdir / "reports" / "demo-run.jsonl",
            progress=False,
            documentation_page=settings.documentation_page,
        )
        with build_adapters(
            settings,
            anonymous=False,
            username=DEMO_BOT,
            environ=environ,
            flickr_api_key=DEMO_FLICKR_KEY,
        ) as ad:
            summary = make_job(ad, options).run()
        facts = {"wbeditentity_received": len(wiki.writes)}
    return extracted, summary, facts


def cmd_demo(args: argparse.Namespace) -> int:
    import orjson

    extracted, summary, facts = run_demo(args.dir)
    print("== 1. extract: the bundled sample snapshot → worklist")
    print(extracted.format_text())
    print("\n== 2. run: the bot against the local stand-in Commons and Flickr")
    if args.json:
        print(orjson.dumps(summary.to_json(), option=orjson.OPT_INDENT_2).decode())
    else:
        print(summary.render())
    print(f"  the stand-in Commons received {facts['wbeditentity_received']} wbeditentity edits")
    print(f"  per-file report: {args.dir / 'reports' / 'demo-run.jsonl'}")
    db = args.dir / "backfill.db"
    if args.no_serve:
        print(f"\nreview page: backfill review --db {db} --dev-login")
        return 0
    from werkzeug.serving import run_simple

    from bot.cli.review import build_app

    print(
        f"\n== 3. review: http://127.0.0.1:{args.port}/ (development login; Ctrl-C stops)",
        flush=True,
    )
    # The demo is offline on 127.0.0.1 and needs someone to decide its conflicts: it turns
    # on the development login the only way there is, for this process alone.
    os.environ["TOOL_DEV_LOGIN"] = "1"
    app = build_app(db)
    with contextlib.suppress(KeyboardInterrupt):
        run_simple("127.0.0.1", args.port, app, use_reloader=False)
    return 0
