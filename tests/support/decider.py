"""The review webservice's side of the concurrency test, as a process of its own:
a maintainer deciding conflicts while the job runs (``tests/run/test_job_concurrency.py``).

Every ``--post-every``-th decision goes through the review page's real path (the Flask
app's POST with a maintainer session: CSRF, ``seen_status``, the redirect); the others
through the same store call that view makes (``Store.decide`` with ``expected_status``),
which is what a busy page does per request, without the HTTP round trip. Each decision
is appended to ``--log`` once the store has committed it: the test checks every logged
decision against the store afterwards ("0 lost").

    python -m tests.support.decider --db URL --count N --log FILE --accept M1,M2 ...
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import orjson

from bot.store import ConflictStatus, InvalidTransition
from bot.store.location import open_store
from review_ui.app import create_app

MAINTAINER = "Maintainer"
TOKEN = "decider-csrf-token"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--accept", default="", help="M-ids whose conflicts are accepted")
    parser.add_argument("--post-every", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    accept = set(filter(None, args.accept.split(",")))
    rng = random.Random(args.seed)
    app = create_app(
        {
            "DB_PATH": args.db,
            "SECRET_KEY": "decider-secret-key-0123456789",
            "MAINTAINERS": MAINTAINER,
            "BULK_WORKER": False,
            "PROXY_FIX": 0,
        }
    )
    client = app.test_client()
    with client.session_transaction() as session:
        session["user"] = {"name": MAINTAINER, "sub": "1", "via": "oauth", "blocked": False}
        session["login_at"] = int(time.time())
        session["csrf"] = TOKEN
    figures = {"decided": 0, "posts": 0, "api": 0, "refused": 0, "retries": 0, "slow": 0}
    longest = 0.0
    started = time.monotonic()
    with open_store(args.db) as store, args.log.open("a", encoding="utf-8") as log:
        while figures["decided"] < args.count and time.monotonic() - started < args.seconds:
            rows = store.conn.execute(
                "SELECT id, mid FROM conflicts WHERE status = 'open' ORDER BY id LIMIT 200"
            ).fetchall()
            rows += (
                store.conn.execute(
                    f"SELECT id, mid FROM conflicts WHERE status = 'open' AND mid IN "
                    f"({', '.join('?' * len(accept))})",
                    sorted(accept),
                ).fetchall()
                if accept
                else []
            )
            rows = list(dict.fromkeys(rows))
            if not rows:
                time.sleep(0.2)  # the job has not found the rest yet
                continue
            # the conflicts the job found on real files first, as soon as they appear:
            # accepting them gives the job decision edits to make while it is killed
            rows.sort(key=lambda r: (r[1] not in accept, r[0]))
            for cid, mid in rows:
                if figures["decided"] >= args.count:
                    break
                if mid in accept:
                    decision = ConflictStatus.ACCEPT_FLICKR
                else:
                    decision = rng.choice((ConflictStatus.KEEP_COMMONS, ConflictStatus.SKIP))
                via = "post" if figures["decided"] % args.post_every == 0 else "api"
                t0 = time.monotonic()
                if via == "post":
                    response = client.post(
                        f"/conflict/{cid}/decide",
                        data={"csrf_token": TOKEN, "decision": decision, "seen_status": "open"},
                    )
                    if response.status_code == 503:
                        figures["retries"] += 1
                        time.sleep(0.1)
                        continue
                    if response.status_code != 303:
                        figures["refused"] += 1
                        continue
                    figures["posts"] += 1
                else:
                    try:
                        store.decide(cid, decision, actor=MAINTAINER, expected_status="open")
                    except InvalidTransition:
                        figures["refused"] += 1
                        continue
                    figures["api"] += 1
                took = time.monotonic() - t0
                longest = max(longest, took)
                figures["slow"] += took > 0.1  # waited for the job's write lock
                log.write(f"{cid} {decision} {via}\n")
                log.flush()
                figures["decided"] += 1
    figures["elapsed_s"] = round(time.monotonic() - started, 1)  # type: ignore[assignment]
    figures["longest_ms"] = round(longest * 1000)
    sys.stdout.write(orjson.dumps(figures).decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
