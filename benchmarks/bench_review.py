"""Benchmark of the review page on a large queue (default 1,000,000 conflicts).

    .venv/bin/python benchmarks/bench_review.py [--conflicts N] [--requests 200] [--json]
        [--db mysql://user:pass@host:port/dbname]

With ``--db`` naming a MariaDB database, the same scenarios run against that database
instead of a SQLite file: the benchmark owns it (drops and re-creates it) and seeds it
through the same ``record_conflicts`` path every run; the MariaDB figures of the README
were measured so (``tests/mariadb/start.sh`` starts a local server).

Seeds a queue through ``Store.record_conflicts`` (the job's own write path, one sample
conflict per file from ``review_ui.sample``) into ``benchmarks/out/review-N-vK.seed.db``,
which no run ever modifies, and starts every run from a fresh copy of it
(``...work.db``): the decisions of one run never leak into the next one's figures. Then:

- **pages** through Flask's test client: the queue unfiltered and filtered (reason,
  property, owner, title search with the trigram index and with fewer than three
  characters, which falls back to ``LIKE``), one conflict, the bulk confirmation. Every
  filtered page is checked against the seed's definition (``sample.sample_facts``): the
  conflict ids it lists must be exactly the ones that match, so a fast wrong page fails.
- **decision POSTs**, each checked to have changed its conflict.
- **a bulk decision** over every conflict of one reason (125,000 at 1M) as the page
  makes it now: the POST that records the task (timed: it must answer at once), then
  the app's worker thread running ``Store.bulk_decide`` in the background while the
  progress page is polled, and while another process writes to the store the way the
  job does (``record_conflicts`` every 20 ms): the time to completion, the longest
  single transaction, and the longest write of that other process, against its own
  figure before the bulk started. The other process's new conflicts have ids above the
  confirmed ``max_id`` and must stay open. The baseline, in the same run: a bulk decision
  of another reason (as many rows) with ``Store.bulk_decide`` called in the benchmark's
  thread, as the POST did before the worker (its "POST" time is the whole decision).

Reports p50/p95/max per scenario and checks the targets: p95 < 50 ms for pages, < 20 ms
for a decision; for the bulk decision, the POST under 100 ms, no transaction longer
than 500 ms and no write of the other process waiting longer than 250 ms (the job's
busy timeout is 30 s; before chunking, one bulk decision held the lock for 23 s; before
the background worker, its POST kept the maintainer waiting 25 s).

Seeding speed: the store opens every connection with ``synchronous=FULL`` and a rollback
journal, which costs an fsync per transaction; for the throwaway seeding connection only,
the benchmark sets ``synchronous=OFF`` and an in-memory journal. Everything timed uses the
store's normal settings.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import shutil
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.store import ConflictRecord, ConflictStatus, QueueFilter, Store
from bot.store.location import StoreLocation
from review_ui import sample
from review_ui.app import create_app
from review_ui.bulk_tasks import BACKGROUND_CHUNK_ROWS

OUT = Path(__file__).resolve().parent / "out"
PAGE_TARGET_MS = 50.0
DECISION_TARGET_MS = 20.0
BULK_POST_TARGET_MS = 100.0
BULK_TRANSACTION_TARGET_MS = 500.0
CONCURRENT_WRITE_TARGET_MS = 250.0
PAGE_SIZE = 50
SEED_VERSION = 2  # v2: schema v3; the seed is never modified, runs use a copy
_ROW_ID = re.compile(r'href="/conflict/(\d+)[?"]')


def seed_db(path: Path, count: int, *, rebuild: bool = False) -> float:
    """Make (or keep) the pristine seed with ``count`` sample conflicts; returns seconds."""
    marker = f"{count}:{SEED_VERSION}"
    if path.exists() and not rebuild:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'bench_seed'").fetchone()
        except sqlite3.DatabaseError:
            row = None
        finally:
            conn.close()
        if row and row[0] == marker:
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
        store.conn.execute("INSERT INTO meta(key, value) VALUES ('bench_seed', ?)", (marker,))
    os.replace(tmp, path)
    return time.perf_counter() - started


def fresh_mariadb(location: StoreLocation, count: int) -> tuple[str, float]:
    """Drop, re-create and seed the MariaDB database ``location`` names; its URL (with the
    password: it goes to this benchmark's own processes only) and the seconds seeding took."""
    from bot.store import mariadb

    admin = mariadb.connect(location, database=False)
    admin.execute(f"DROP DATABASE IF EXISTS `{location.database}`")
    admin.execute(
        f"CREATE DATABASE `{location.database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
    )
    admin.close()
    started = time.perf_counter()
    with Store(location) as store:

        def progress(n: int) -> None:
            if n % 20_000 == 0:
                rate = n / (time.perf_counter() - started)
                print(f"  seeded {n:,} of {count:,} ({rate:,.0f}/s)", file=sys.stderr)

        sample.seed(store, count, progress=progress)
        store.conn.execute("ANALYZE TABLE conflicts, conflict_counts").fetchall()
    return location.url(with_password=True), time.perf_counter() - started


def working_copy(seed: Path) -> Path:
    """A fresh copy of the seed for this run (the seed itself is never opened to write)."""
    work = seed.with_name(seed.name.replace(".seed.db", ".work.db"))
    for stale in (work, Path(f"{work}-journal")):
        stale.unlink(missing_ok=True)
    shutil.copyfile(seed, work)
    # flush the copy now: otherwise the first fsync of a timed transaction writes back
    # the whole 1.4 GB copy (a first bulk chunk took 1 s instead of 0.13 s)
    with open(work, "rb+") as fh:
        os.fsync(fh.fileno())
    with Store(work):  # a seed made by an older schema is migrated here, in the copy
        pass
    return work


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


# --------------------------------------------------------------------------- expectations


class Seed:
    """The seeded queue as ``review_ui.sample`` defines it: conflict id ``i + 1`` is the
    i-th sample file, every one open (the run's copy is fresh)."""

    def __init__(self, count: int) -> None:
        self.count = count

    def ids(self, match: Callable[[sample.SampleFacts], bool], after: int = 0) -> Iterator[int]:
        for i in range(after, self.count):
            if match(sample.sample_facts(i)):
                yield i + 1

    def page(self, match: Callable[[sample.SampleFacts], bool], after: int = 0) -> list[int]:
        """The ids the queue's page after ``after`` must list, oldest first."""
        found: list[int] = []
        for cid in self.ids(match, after):
            found.append(cid)
            if len(found) == PAGE_SIZE:
                break
        return found


def title_has(text: str) -> Callable[[sample.SampleFacts], bool]:
    needle = text.lower()
    return lambda f: needle in f.title.lower()


@dataclass(slots=True)
class Scenario:
    name: str
    kind: str  # "page" or "decision"
    prepare: Callable[[], tuple[str, list[int] | None]]  # (url, expected ids) — untimed
    target_ms: float
    requests: int


# --------------------------------------------------------------------------- concurrent writer


def job_like_writer(
    db: str, reason: str, ready: Any, start_bulk: Any, stop: Any, out: Connection
) -> None:
    """Another process writing as the job does: one ``record_conflicts`` every 20 ms.

    Times every call (lock wait + its own work): first ``baseline`` calls with nothing
    else writing, then during the bulk decision, until told to stop."""
    store = Store(db, migrate=False)
    calls: dict[str, list[float]] = {"baseline": [], "during": []}
    ids: list[int] = []
    n = 0 if reason == "date_differs" else 5_000_000

    def write(phase: str) -> None:
        nonlocal n
        kwargs, record = sample.sample_file(10_000_000 + n)
        record = ConflictRecord(  # of the reason the bulk decision's filter names
            record.property, reason, record.existing, record.proposed, record.statement_id
        )
        n += 1
        started = time.perf_counter()
        outcome = store.record_conflicts(conflicts=[record], run_id=99, dry_run=False, **kwargs)
        calls[phase].append((time.perf_counter() - started) * 1000)
        ids.extend(outcome.ids)

    for _ in range(25):
        write("baseline")
        time.sleep(0.02)
    ready.set()
    start_bulk.wait()
    while not stop.is_set():
        write("during")
        time.sleep(0.02)
    store.close()
    out.send({"calls": calls, "ids": ids})
    out.close()


def bulk_scenario(
    app: Any, client: Any, db: str, chunk: int, reason: str, *, background: bool
) -> dict[str, Any]:
    """One bulk decision over every open conflict of ``reason``, with the job writing.

    ``background``: as the page makes it now, the POST that records it (timed: it must
    answer at once), then the app's worker thread running it while the progress page
    is polled. Otherwise the baseline: ``Store.bulk_decide`` called in this thread, as
    the POST did before (the maintainer's request waited for all of it)."""
    flt = QueueFilter(reason=reason)
    with Store(db, migrate=False) as store:
        scope = store.bulk_scope(flt, ConflictStatus.KEEP_COMMONS)
    ctx = multiprocessing.get_context("spawn")
    ready, start_bulk, stop = ctx.Event(), ctx.Event(), ctx.Event()
    receive, send = ctx.Pipe(duplex=False)
    writer = ctx.Process(target=job_like_writer, args=(db, reason, ready, start_bulk, stop, send))
    writer.start()
    if not ready.wait(60):
        raise SystemExit("the concurrent writer did not start")
    start_bulk.set()
    time.sleep(0.1)  # let it get going
    if not background:
        return _direct_bulk(db, flt, scope, chunk, stop, receive, writer)
    form = {
        "csrf_token": "bench-token",
        "decision": ConflictStatus.KEEP_COMMONS,
        "reason": reason,
        "expected": str(scope.count),
        "max_id": str(scope.max_id),
        "note": "bulk benchmark",
    }
    started = time.perf_counter()
    response = client.post("/bulk", data=form)
    post_ms = (time.perf_counter() - started) * 1000
    if response.status_code != 303 or not response.headers["Location"].startswith("/bulk/"):
        raise SystemExit(f"bulk POST: HTTP {response.status_code}")
    task_id = int(response.headers["Location"].rsplit("/", 1)[1])
    worker = app.extensions["bulk_worker"]
    progress_ms: list[float] = []
    deadline = time.monotonic() + 3600
    while True:  # the progress page, as a maintainer's browser reloads it
        done = worker.wait_for(task_id, timeout=0.5)
        began = time.perf_counter()
        page = client.get(f"/bulk/{task_id}")
        progress_ms.append((time.perf_counter() - began) * 1000)
        if page.status_code != 200:
            raise SystemExit(f"progress page: HTTP {page.status_code}")
        if done:
            break
        if time.monotonic() > deadline:
            raise SystemExit("the bulk task did not finish within an hour")
    background_s = time.perf_counter() - started
    stop.set()
    report = receive.recv()
    writer.join(30)
    with Store(db, migrate=False) as store:
        task = store.get_bulk_task(task_id)
        if task is None or task.state != "done":
            raise SystemExit(f"bulk task {task_id}: {task}")
        if task.decided != scope.count or task.changed_meanwhile:
            raise SystemExit(f"bulk decided {task.decided} of {scope.count}")
        if f"{scope.count:,} conflicts marked" not in page.get_data(as_text=True):
            raise SystemExit("the progress page does not state the result")
        _check_after(store, flt, report["ids"], max_id=scope.max_id or 0)
    during = report["calls"]["during"]
    longest_ms = task.longest_transaction_ms or 0.0
    return {
        "mode": "background",
        "rows": task.decided,
        "chunk_rows": chunk,
        "chunks": task.chunks,
        "post_ms": round(post_ms, 1),
        "seconds": round(background_s, 2),
        "rows_per_s": round(task.decided / background_s),
        "longest_transaction_ms": round(longest_ms, 1),
        "progress_requests": len(progress_ms),
        "progress_p50_ms": round(statistics.median(progress_ms), 1),
        "progress_max_ms": round(max(progress_ms), 1),
        **_writer_figures(report),
        "ok": post_ms < BULK_POST_TARGET_MS
        and longest_ms < BULK_TRANSACTION_TARGET_MS
        and max(during) < CONCURRENT_WRITE_TARGET_MS,
    }


def _direct_bulk(
    db: str, flt: QueueFilter, scope: Any, chunk: int, stop: Any, receive: Any, writer: Any
) -> dict[str, Any]:
    """The baseline: the whole bulk decision in the calling thread (the old POST)."""
    with Store(db, migrate=False) as store:
        result = store.bulk_decide(
            flt,
            ConflictStatus.KEEP_COMMONS,
            actor="Bench",
            note="bulk benchmark",
            max_id=scope.max_id,
            expected=scope.count,
            chunk_size=chunk,
        )
        stop.set()
        report = receive.recv()
        writer.join(30)
        if result.decided != scope.count or result.changed_meanwhile:
            raise SystemExit(f"bulk decided {result.decided} of {scope.count}")
        _check_after(store, flt, report["ids"], max_id=scope.max_id)
    during = report["calls"]["during"]
    return {
        "mode": "direct (baseline)",
        "rows": result.decided,
        "chunk_rows": chunk,
        "chunks": result.chunks,
        "post_ms": round(result.seconds * 1000, 1),  # what the old POST waited
        "seconds": round(result.seconds, 2),
        "rows_per_s": round(result.decided / result.seconds),
        "longest_transaction_ms": round(result.longest_transaction_s * 1000, 1),
        **_writer_figures(report),
        "ok": result.longest_transaction_s * 1000 < BULK_TRANSACTION_TARGET_MS
        and max(during) < CONCURRENT_WRITE_TARGET_MS,
    }


def _writer_figures(report: dict[str, Any]) -> dict[str, Any]:
    during, baseline = report["calls"]["during"], report["calls"]["baseline"]
    return {
        "writer_calls_during": len(during),
        "writer_p50_ms": round(statistics.median(during), 1),
        "writer_max_ms": round(max(during), 1),
        "writer_baseline_p50_ms": round(statistics.median(baseline), 1),
        "writer_baseline_max_ms": round(max(baseline), 1),
    }


def _check_after(
    store: Store, flt: QueueFilter, written: list[int], max_id: int | None = None
) -> None:
    """The other process's conflicts (found after the confirmation) stay open, and the
    trigger-kept counts equal counting the table."""
    if not written or (max_id is not None and min(written) <= max_id):
        raise SystemExit("the concurrent writer's conflicts are not above max_id")
    statuses = {store.get_conflict(i)["status"] for i in written}  # type: ignore[index]
    if statuses != {"open"}:
        raise SystemExit(f"conflicts found during the bulk decision became {statuses}")
    left = store.bulk_scope(flt, ConflictStatus.KEEP_COMMONS)
    if left.count != len(written):
        raise SystemExit(f"{left.count} open conflicts of the filter left, not {len(written)}")
    counted = set(
        store.conn.execute(
            "SELECT status, reason, property, count(*) FROM conflicts GROUP BY 1, 2, 3"
        )
    )
    kept = set(
        store.conn.execute("SELECT status, reason, property, n FROM conflict_counts WHERE n > 0")
    )
    if counted != kept:
        raise SystemExit("conflict_counts differs from a GROUP BY after the bulk decision")


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conflicts", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200, help="requests per page scenario")
    parser.add_argument(
        "--seed-db", type=Path, help="the pristine seed to make/keep (default in benchmarks/out)"
    )
    parser.add_argument("--rebuild", action="store_true", help="seed again even if the file exists")
    parser.add_argument(
        "--chunk", type=int, default=BACKGROUND_CHUNK_ROWS, help="bulk rows per chunk"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument(
        "--db",
        help="a mysql:// URL: run against this MariaDB database (dropped and re-seeded); "
        "default: a SQLite copy of the seed in benchmarks/out",
    )
    args = parser.parse_args(argv)
    if args.conflicts < 1000:
        parser.error("--conflicts must be at least 1000")

    OUT.mkdir(exist_ok=True)
    location = StoreLocation.parse(args.db) if args.db else None
    db: str
    if location is not None and not location.is_sqlite:
        print(f"queue of {args.conflicts:,} conflicts seeded in {location}", file=sys.stderr)
        db, seed_seconds = fresh_mariadb(location, args.conflicts)
        print(f"seeded in {seed_seconds:.0f} s", file=sys.stderr)
        with Store(db, migrate=False) as store:
            version = store.conn.execute("SELECT version()").fetchone()[0]
        backend = f"MariaDB {version}"
    else:
        seed = args.seed_db or OUT / f"review-{args.conflicts}-v{SEED_VERSION}.seed.db"
        print(f"queue of {args.conflicts:,} conflicts seeded in {seed}", file=sys.stderr)
        seed_seconds = seed_db(seed, args.conflicts, rebuild=args.rebuild)
        if seed_seconds:
            print(f"seeded in {seed_seconds:.0f} s", file=sys.stderr)
        db = str(working_copy(seed))
        print(f"this run works on a fresh copy: {db}", file=sys.stderr)
        backend = f"SQLite {sqlite3.sqlite_version}"

    app = create_app(
        {
            "DB_PATH": str(db),
            "SECRET_KEY": "benchmark-secret-key-0123456789",
            "MAINTAINERS": "Bench",
            "PROXY_FIX": 0,
            "PAGE_SIZE": PAGE_SIZE,
            "BULK_WORKER": True,  # bulk decisions run in this process's worker thread
            "BULK_CHUNK_ROWS": args.chunk,
        }
    )
    client = app.test_client()
    with client.session_transaction() as session:
        session["user"] = {"name": "Bench", "sub": "1", "via": "oauth", "blocked": False}
        session["login_at"] = int(time.time())
        session["csrf"] = "bench-token"

    rng = random.Random(42)
    n = args.requests
    model = Seed(args.conflicts)
    owner = sample.sample_facts(0).owner_nsid
    owner_first_page = model.page(lambda f: f.owner_nsid == owner)
    rare = f"{rng.randrange(args.conflicts):07d}"  # exactly one title contains this number
    rare_page = model.page(title_has(rare), after=max(0, int(rare) - 1))
    if len(rare_page) != 1:
        raise SystemExit(f"the seed has {len(rare_page)} titles with {rare}, not 1")
    date_count = sum(1 for _ in model.ids(lambda f: f.reason == "date_differs"))
    no_match_short = "qz"  # under FTS_MIN_CHARS: the page does not run it (no index)

    def random_after() -> int:
        return rng.randrange(0, args.conflicts - PAGE_SIZE)

    def page(url: str, match: Callable[[sample.SampleFacts], bool]) -> Callable[[], Any]:
        def prepare() -> tuple[str, list[int]]:
            after = random_after()
            return url.format(after=after), model.page(match, after)

        return prepare

    def fixed(url: str, expected: list[int] | None) -> Callable[[], tuple[str, list[int] | None]]:
        return lambda: (url, expected)

    def conflict_page() -> tuple[str, list[int] | None]:
        return f"/conflict/{rng.randrange(1, args.conflicts + 1)}", None

    everything = page("/?after={after}", lambda f: True)
    scenarios = [
        Scenario("queue, first page", "page", fixed("/", list(range(1, 51))), PAGE_TARGET_MS, n),
        Scenario("queue, page after a random id", "page", everything, PAGE_TARGET_MS, n),
        Scenario(
            "queue by reason",
            "page",
            page("/?reason=date_differs&after={after}", lambda f: f.reason == "date_differs"),
            PAGE_TARGET_MS,
            n,
        ),
        Scenario(
            "queue by property",
            "page",
            page("/?property=P1259&after={after}", lambda f: f.property == "P1259"),
            PAGE_TARGET_MS,
            n,
        ),
        Scenario(
            f"queue by owner ({sum(1 for _ in model.ids(lambda f: f.owner_nsid == owner))} conflicts)",
            "page",
            fixed(f"/?owner={owner}", owner_first_page),
            PAGE_TARGET_MS,
            n,
        ),
        Scenario(
            "title search, common word",
            "page",
            fixed("/?title=Harbour", model.page(title_has("Harbour"))),
            PAGE_TARGET_MS,
            n,
        ),
        Scenario(
            "title search, one match",
            "page",
            fixed(f"/?title={rare}", rare_page),
            PAGE_TARGET_MS,
            n,
        ),
        Scenario(
            f"title search under 3 chars ({no_match_short!r}: not applied, first page shown)",
            "page",
            fixed(f"/?title={no_match_short}", list(range(1, 51))),
            PAGE_TARGET_MS,
            n,
        ),
        Scenario("conflict page", "page", conflict_page, PAGE_TARGET_MS, n),
        Scenario(
            "bulk confirmation (count by reason)",
            "page",
            fixed("/bulk?reason=date_differs&decision=keep_commons", None),
            PAGE_TARGET_MS,
            n,
        ),
    ]

    results = []
    for scenario in scenarios:
        ms: list[float] = []
        for i in (-1, -2, *range(scenario.requests)):  # two warm-up requests
            url, expected = scenario.prepare()
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{url}: HTTP {response.status_code}")
            text = response.get_data(as_text=True)
            if expected is not None:
                listed = [int(x) for x in _ROW_ID.findall(text)]
                if listed != expected:
                    raise SystemExit(
                        f"{url}: listed {len(listed)} rows {listed[:3]}..., expected "
                        f"{len(expected)} {expected[:3]}..."
                    )
            if scenario.name.startswith("bulk") and f">{date_count:,}<" not in text:
                raise SystemExit(f"{url}: the confirmation does not state {date_count:,}")
            if i >= 0:
                ms.append(elapsed)
        results.append(summary(scenario.name, "page", ms, scenario.target_ms))

    # decisions: each POST must change its conflict
    with Store(db, migrate=False) as store:
        open_ids = [c["id"] for c in store.list_conflicts(QueueFilter(), limit=50_000)]
    decide_ids = rng.sample(open_ids, min(len(open_ids), n + 2))
    ms = []
    for i, cid in enumerate(decide_ids):
        decision = ("skip", "keep_commons")[i % 2]
        started = time.perf_counter()
        response = client.post(
            f"/conflict/{cid}/decide",
            data={"csrf_token": "bench-token", "decision": decision, "seen_status": "open"},
        )
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 303:
            raise SystemExit(f"decision: HTTP {response.status_code}")
        with client.session_transaction() as session:  # what the GET after the redirect does
            session.pop("_flashes", None)
        if i >= 2:
            ms.append(elapsed)
    with Store(db, migrate=False) as store:
        changed = {store.get_conflict(cid)["status"] for cid in decide_ids[:10]}  # type: ignore[index]
        if changed - {"skip", "keep_commons"}:
            raise SystemExit(f"decided conflicts have status {changed}")
    results.append(summary("decision POST", "decision", ms, DECISION_TARGET_MS))

    print("bulk decision in this thread (baseline), a writer running ...", file=sys.stderr)
    direct = bulk_scenario(app, client, db, args.chunk, "creator_differs", background=False)
    print("bulk decision in the background, a writer running ...", file=sys.stderr)
    bulk = bulk_scenario(app, client, db, args.chunk, "date_differs", background=True)

    print(f"\nreview page, {args.conflicts:,} conflicts, Flask test client, {backend}")
    print(f"{'scenario':46} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  target")
    for r in results:
        verdict = "ok" if r["ok"] else "MISSED"
        print(
            f"{r['scenario']:46} {r['requests']:5d} {r['p50_ms']:8.2f} {r['p95_ms']:8.2f} "
            f"{r['max_ms']:8.2f}  p95 < {r['target_p95_ms']:.0f} {verdict}"
        )
    for b in (direct, bulk):
        print(
            f"\nbulk decision, {b['mode']}: {b['rows']:,} rows in {b['chunks']} chunks of "
            f"{b['chunk_rows']:,}, {b['seconds']:.1f} s ({b['rows_per_s']:,} rows/s), longest "
            f"transaction {b['longest_transaction_ms']:.1f} ms "
            f"(target < {BULK_TRANSACTION_TARGET_MS:.0f}); the POST answered after "
            f"{b['post_ms']:,.1f} ms (target < {BULK_POST_TARGET_MS:.0f})"
        )
        if "progress_requests" in b:
            print(
                f"progress page polled {b['progress_requests']} times meanwhile: p50 "
                f"{b['progress_p50_ms']:.1f} ms, longest {b['progress_max_ms']:.1f} ms"
            )
        print(
            f"concurrent job-like writer, {b['writer_calls_during']} record_conflicts calls "
            f"during it: p50 {b['writer_p50_ms']:.1f} ms, longest {b['writer_max_ms']:.1f} ms "
            f"(target < {CONCURRENT_WRITE_TARGET_MS:.0f}); before it: p50 "
            f"{b['writer_baseline_p50_ms']:.1f} ms, longest {b['writer_baseline_max_ms']:.1f} ms"
            f"  {'ok' if b['ok'] else 'MISSED'}"
        )
    if args.json:
        figures = {"conflicts": args.conflicts, "results": results, "bulk": bulk, "direct": direct}
        print(json.dumps(figures, indent=2))
    return 0 if all(r["ok"] for r in results) and bulk["ok"] else 1


def summary(name: str, kind: str, ms: list[float], target: float) -> dict[str, Any]:
    return {
        "scenario": name,
        "kind": kind,
        "requests": len(ms),
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "max_ms": round(max(ms), 2),
        "target_p95_ms": target,
        "ok": percentile(ms, 95) < target,
    }


if __name__ == "__main__":
    sys.exit(main())
