"""Benchmark of the review page on a large queue (default 1,000,000 conflicts).

    .venv/bin/python benchmarks/bench_review.py [--conflicts N] [--requests 200] [--json]

Seeds a queue through ``Store.record_conflicts`` (the job's own write path, one sample
conflict per file from ``review_ui.sample``), keeps it in ``benchmarks/out/`` so the next
run reuses it, then times the page through Flask's test client: the queue unfiltered and
filtered (reason, owner, title search), one conflict, and a decision POST. Reports
p50/p95/max per scenario and checks the targets: p95 < 50 ms for pages, < 20 ms for a
decision.

Seeding speed: the store opens every connection with ``synchronous=FULL`` and a rollback
journal, which costs an fsync per transaction; for the throwaway seeding connection only,
the benchmark sets ``synchronous=OFF`` and an in-memory journal. The page itself is timed
with the store's normal settings.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.store import ConflictStatus, QueueFilter, Store
from review_ui import sample
from review_ui.app import create_app

OUT = Path(__file__).resolve().parent / "out"
PAGE_TARGET_MS = 50.0
DECISION_TARGET_MS = 20.0
SEED_VERSION = 1


def seed_db(path: Path, count: int, *, rebuild: bool = False) -> float:
    """Make (or reuse) a database with ``count`` sample conflicts; returns seconds spent."""
    if path.exists() and not rebuild:
        with Store(path, migrate=False) as store:
            if sum(store.status_totals().values()) == count:
                return 0.0
    tmp = path.with_suffix(".building")
    for leftover in (tmp, Path(f"{tmp}-journal")):
        leftover.unlink(missing_ok=True)
    started = time.perf_counter()
    with Store(tmp) as store:
        store.conn.execute("PRAGMA synchronous = OFF")
        store.conn.execute("PRAGMA journal_mode = MEMORY")

        def progress(n: int) -> None:
            if n % 100_000 == 0:
                rate = n / (time.perf_counter() - started)
                print(f"  seeded {n:,} of {count:,} ({rate:,.0f}/s)", file=sys.stderr)

        sample.seed(store, count, progress=progress)
    os.replace(tmp, path)
    return time.perf_counter() - started


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def timed(
    n: int, request: Callable[[int], Any], after: Callable[[], Any] | None = None
) -> list[float]:
    """Milliseconds of ``n`` calls (after two warm-up calls); ``after`` runs untimed."""
    out = []
    for i in (-1, -2, *range(n)):
        start = time.perf_counter()
        request(i)
        if i >= 0:
            out.append((time.perf_counter() - start) * 1000)
        if after is not None:
            after()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conflicts", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--db", type=Path, help="database to seed/reuse (default in benchmarks/out)"
    )
    parser.add_argument("--rebuild", action="store_true", help="seed again even if the file exists")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)

    OUT.mkdir(exist_ok=True)
    db = args.db or OUT / f"review-{args.conflicts}-v{SEED_VERSION}.db"
    print(f"queue of {args.conflicts:,} conflicts in {db}", file=sys.stderr)
    seed_seconds = seed_db(db, args.conflicts, rebuild=args.rebuild)
    if seed_seconds:
        print(f"seeded in {seed_seconds:.0f} s", file=sys.stderr)
    with Store(db):  # a file cached by an older version is migrated (the page never does)
        pass

    app = create_app(
        {
            "DB_PATH": str(db),
            "SECRET_KEY": "benchmark-secret-key-0123456789",
            "MAINTAINERS": "Bench",
            "PROXY_FIX": 0,
        }
    )
    client = app.test_client()
    with client.session_transaction() as session:
        session["user"] = {"name": "Bench", "via": "oauth"}
        session["csrf"] = "bench-token"

    rng = random.Random(42)
    n = args.requests
    with Store(db, migrate=False) as store:
        open_ids = [c["id"] for c in store.list_conflicts(QueueFilter(), limit=50_000)]
        any_id = max(
            c["id"]
            for c in store.list_conflicts(QueueFilter(status=None), newest_first=True, limit=1)
        )
        owner = store.list_conflicts(QueueFilter(), limit=1)[0]["owner_nsid"]
        owner_count = store.count_matching(QueueFilter(owner=owner))
    rare = f"{rng.randrange(args.conflicts):07d}"  # one title contains this number

    def get(url: str, expect: int = 200) -> Callable[[int], Any]:
        def call(i: int) -> None:
            response = client.get(
                url.format(after=rng.randrange(1, any_id + 1), id=rng.randrange(1, any_id + 1))
            )
            if response.status_code != expect:
                raise SystemExit(f"{url}: HTTP {response.status_code}")

        return call

    decide_ids = rng.sample(open_ids, min(len(open_ids), n + 2))

    def read_flashes() -> None:
        """What the browser's GET after the redirect does: show (and drop) the message."""
        with client.session_transaction() as session:
            session.pop("_flashes", None)

    def decide(i: int) -> None:
        cid = decide_ids[i]
        response = client.post(
            f"/conflict/{cid}/decide",
            data={
                "csrf_token": "bench-token",
                "decision": ("skip", "keep_commons")[i % 2],
                "seen_status": ConflictStatus.OPEN,
            },
        )
        if response.status_code != 303:
            raise SystemExit(f"decision: HTTP {response.status_code}")

    scenarios: list[tuple[str, str, Callable[[int], Any], float]] = [
        ("queue, first page", "page", get("/"), PAGE_TARGET_MS),
        ("queue, page after a random id", "page", get("/?after={after}"), PAGE_TARGET_MS),
        ("queue by reason", "page", get("/?reason=date_differs&after={after}"), PAGE_TARGET_MS),
        ("queue by property", "page", get("/?property=P1259&after={after}"), PAGE_TARGET_MS),
        (
            f"queue by owner ({owner_count} conflicts)",
            "page",
            get(f"/?owner={owner}"),
            PAGE_TARGET_MS,
        ),
        ("title search, common word", "page", get("/?title=Harbour"), PAGE_TARGET_MS),
        ("title search, one match", "page", get(f"/?title={rare}"), PAGE_TARGET_MS),
        ("conflict page", "page", get("/conflict/{id}"), PAGE_TARGET_MS),
        (
            "bulk confirmation (count by reason)",
            "page",
            get("/bulk?reason=date_differs&decision=keep_commons"),
            PAGE_TARGET_MS,
        ),
        ("decision POST", "decision", decide, DECISION_TARGET_MS),
    ]
    results = []
    for name, kind, call, target in scenarios:
        ms = timed(n, call, after=read_flashes if kind == "decision" else None)
        results.append(
            {
                "scenario": name,
                "kind": kind,
                "requests": n,
                "p50_ms": round(statistics.median(ms), 2),
                "p95_ms": round(percentile(ms, 95), 2),
                "max_ms": round(max(ms), 2),
                "target_p95_ms": target,
                "ok": percentile(ms, 95) < target,
            }
        )

    print(
        f"\nreview page, {args.conflicts:,} conflicts, Flask test client, SQLite "
        f"{__import__('sqlite3').sqlite_version}"
    )
    print(f"{'scenario':44} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  target")
    for r in results:
        verdict = "ok" if r["ok"] else "MISSED"
        print(
            f"{r['scenario']:44} {r['requests']:5d} {r['p50_ms']:8.2f} {r['p95_ms']:8.2f} "
            f"{r['max_ms']:8.2f}  p95 < {r['target_p95_ms']:.0f} {verdict}"
        )
    if args.json:
        print(json.dumps({"conflicts": args.conflicts, "results": results}, indent=2))
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
