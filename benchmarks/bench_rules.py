"""Benchmark of decision rules on a large queue (default 1,000,000 conflicts).

    .venv/bin/python benchmarks/bench_rules.py [--conflicts N] [--requests 100] [--json]

Uses the same pristine seed as ``bench_review.py`` (``benchmarks/out/review-N-vK.seed.db``,
made through ``Store.record_conflicts``; an older seed is migrated in the fresh working
copy, which times the fill of the rule facts of conflicts queued before schema 7). Then,
through Flask's test client as a maintainer:

- **rule previews** (``GET /rules/new?...``: the count of matching open conflicts, the
  largest id and a sample of five side by side) for rules of several shapes over one
  reason's 125,000 conflicts (at 1M): the reason alone; the issue's example (precisions
  of both sides and the same year); a value of the Commons side; one owner; a rule
  matching nothing; a Flickr value only one conflict of its reason has. Each preview's
  count is checked against the seed's definition (``sample.sample_facts``).
- **the baseline**, in the same run: the bulk confirmation page (``GET /bulk``) for the
  same reason, the count the page already showed before rules.
- **the job's cost**: ``record_conflicts`` of new files with no rule, then with five
  active rules (none matching: every rule is asked), per file.

Reports p50/p95/max per scenario and checks the target: preview p95 < 200 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_review import (
    OUT,
    SEED_VERSION,
    Seed,
    percentile,
    seed_db,
    summary,
    working_copy,
)
from bot.core.rules import parse_rule
from bot.store import Store
from review_ui import sample
from review_ui.app import create_app

PREVIEW_TARGET_MS = 200.0
REASON = "date_precision_differs"  # sample: Commons May 1965 (month), Flickr 17 May 1965 (day)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conflicts", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=100, help="requests per scenario")
    parser.add_argument("--rebuild", action="store_true", help="seed again even if the file exists")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)
    if args.conflicts < 1000:
        parser.error("--conflicts must be at least 1000")

    OUT.mkdir(exist_ok=True)
    seed = OUT / f"review-{args.conflicts}-v{SEED_VERSION}.seed.db"
    print(f"queue of {args.conflicts:,} conflicts seeded in {seed}", file=sys.stderr)
    seeded = seed_db(seed, args.conflicts, rebuild=args.rebuild)
    if seeded:
        print(f"seeded in {seeded:.0f} s", file=sys.stderr)
    started = time.perf_counter()
    db = working_copy(seed)  # migrates an older seed: fills the rule facts
    print(f"fresh copy (and migration) in {time.perf_counter() - started:.1f} s", file=sys.stderr)

    app = create_app(
        {
            "DB_PATH": str(db),
            "SECRET_KEY": "benchmark-secret-key-0123456789",
            "MAINTAINERS": "Bench",
            "PROXY_FIX": 0,
            "BULK_WORKER": False,
        }
    )
    client = app.test_client()
    with client.session_transaction() as session:
        session["user"] = {"name": "Bench", "sub": "1", "via": "oauth", "blocked": False}
        session["login_at"] = int(time.time())
        session["csrf"] = "bench-token"

    model = Seed(args.conflicts)
    owner = sample.sample_facts(2).owner_nsid
    of_reason = sum(1 for _ in model.ids(lambda f: f.reason == REASON))
    of_owner = sum(1 for _ in model.ids(lambda f: f.reason == REASON and f.owner_nsid == owner))
    base = {"reason": REASON, "decision": "accept_flickr"}
    last = max(i for i in range(args.conflicts - 8, args.conflicts) if i % sample.KINDS == 5)
    assert sample.sample_facts(last).reason == "photo_id_differs"
    last_photo = str(50000000000 + last)  # sample_file's photo id of file ``last``
    previews: list[tuple[str, dict[str, str], int]] = [
        ("preview: reason", base, of_reason),
        (
            "preview: precisions, same year",
            {**base, "commons_precision": "10", "flickr_precision": "11", "same_year": "yes"},
            of_reason,
        ),
        ("preview: Commons value", {**base, "commons_value": "1965-05-00"}, of_reason),
        ("preview: owner", {**base, "owner": owner}, of_owner),
        ("preview: nothing", {**base, "commons_day": "01-01"}, 0),
        # one photo-id conflict among 125,000 (the last of its kind): found by the index
        (
            "preview: one conflict (Flickr value)",
            {"reason": "photo_id_differs", "decision": "skip", "flickr_value": last_photo},
            1,
        ),
    ]
    results: list[dict[str, Any]] = []
    baseline = time_get(
        client, "/bulk", {"reason": REASON, "decision": "accept_flickr"}, args.requests
    )
    results.append(summary("bulk count page (baseline)", "page", baseline, PREVIEW_TARGET_MS))
    for name, params, expected in previews:
        shown = preview_count(client, params)
        if shown != expected:
            raise SystemExit(f"{name}: the preview says {shown}, the seed has {expected}")
        ms = time_get(client, "/rules/new", params, args.requests)
        results.append(summary(name, "preview", ms, PREVIEW_TARGET_MS))
        results[-1]["matches"] = expected
        results[-1]["x_baseline_p95"] = round(
            percentile(ms, 95) / max(percentile(baseline, 95), 1e-9), 2
        )

    job = job_cost(db, args.conflicts)
    for r in results:
        extra = (
            f"  matches {r['matches']:>7,}  x{r['x_baseline_p95']} baseline"
            if "matches" in r
            else ""
        )
        print(
            f"{r['scenario']:<34} p50 {r['p50_ms']:7.2f}  p95 {r['p95_ms']:7.2f}  "
            f"max {r['max_ms']:7.2f} ms  (target p95 < {r['target_p95_ms']:.0f}) "
            f"{'ok' if r['ok'] else 'SLOW'}{extra}"
        )
    print(
        f"record_conflicts per new file: {job['none_ms']:.3f} ms with no rule, "
        f"{job['five_ms']:.3f} ms with five active rules (x{job['ratio']})"
    )
    if args.json:
        print(json.dumps({"conflicts": args.conflicts, "results": results, "job": job}, indent=2))
    return 0 if all(r["ok"] for r in results if r["kind"] == "preview") else 1


def time_get(client: Any, url: str, params: dict[str, str], n: int) -> list[float]:
    ms: list[float] = []
    for _ in range(n):
        t0 = time.perf_counter()
        response = client.get(url, query_string=params)
        ms.append((time.perf_counter() - t0) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} {params}: {response.status_code}")
    return ms


def preview_count(client: Any, params: dict[str, str]) -> int:
    import re

    text = client.get("/rules/new", query_string=params).get_data(as_text=True)
    found = re.search(r'class="rule-preview__n">([\d,]+)<', text)
    if found is None:
        raise SystemExit(f"no preview count for {params}")
    return int(found.group(1).replace(",", ""))


def job_cost(db: Path, conflicts: int, files: int = 2000) -> dict[str, Any]:
    """``record_conflicts`` per new file, without and with five active rules."""
    with Store(db) as store:
        store.conn.execute("PRAGMA synchronous = OFF")  # time the work, not the fsync

        def batch(start: int) -> float:
            t0 = time.perf_counter()
            for kwargs, record in sample.iter_files(files, start=start):
                store.record_conflicts(conflicts=[record], run_id=2, dry_run=False, **kwargs)
            return (time.perf_counter() - t0) * 1000 / files

        none = statistics.median(batch(conflicts + i * files) for i in range(3))
        for day in ("01-01", "01-02", "01-03", "01-04", "01-05"):
            store.create_rule(
                *parse_rule({"reason": REASON, "decision": "skip", "commons_day": day}),
                actor="Bench",
                max_id=0,
                expected=0,
            )
        five = statistics.median(batch(conflicts + (3 + i) * files) for i in range(3))
    return {"none_ms": none, "five_ms": five, "ratio": round(five / none, 2)}


if __name__ == "__main__":
    sys.exit(main())
