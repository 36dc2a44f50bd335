"""Two writers and kill -9: a webservice process decides 10,000 conflicts while the job
(``backfill run`` against the stand-ins) is killed with SIGKILL at random points at least
ten times and started again. Afterwards: no decision lost, no file edited twice, every
edit recorded exactly once in the journal, every file's outcome recorded.

The kills land at random: some while an edit is in flight (the stand-in applied it, or
not, and the bot dies before it hears the answer), some after a random delay (startup,
reads, decisions being claimed, journal writes). The figures are printed (``-s``).

``store_url``: SQLite, and a fresh MariaDB database on the server of ``MARIADB_URL``, so
the same test runs on both backends.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from bot.store import ConflictRecord, ConflictStatus
from tests.run.test_job_crash import ROOT, bot_process
from tests.support.world import Running, World, p571

DECISIONS = int(os.environ.get("CONCURRENCY_DECISIONS", "10000"))
MIN_KILLS = int(os.environ.get("CONCURRENCY_KILLS", "10"))
PLAIN_FILES = 30
DATED_FILES = 6  # their P571 conflicts are accepted: each needs a second, decision edit
SEED = int(os.environ.get("CONCURRENCY_SEED", "15"))


@pytest.fixture(params=["sqlite", "mariadb"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The store both processes share. SQLite goes on tmpfs when there is one: with
    ``synchronous=FULL`` every commit waits for fsync, and 10,000 decisions on a disk
    shared with other jobs take minutes; locking and transactions are the same."""
    if request.param == "sqlite":
        shm = Path("/dev/shm")
        if not shm.is_dir():
            yield str(tmp_path / "bot.db")
            return
        where = Path(tempfile.mkdtemp(prefix="backfill-concurrency-", dir=shm))
        try:
            yield str(where / "bot.db")
        finally:
            shutil.rmtree(where, ignore_errors=True)
        return
    from tests.support.mariadb import fresh_database

    with fresh_database() as location:  # skips (or fails under REQUIRE_MARIADB=1) without
        yield location.url(with_password=True)


def synthetic_conflicts(n: int) -> list[tuple[str, list[ConflictRecord]]]:
    """``n`` open creator conflicts on files outside the worklist, 100 per file."""
    out: list[tuple[str, list[ConflictRecord]]] = []
    for start in range(0, n, 100):
        records = [
            ConflictRecord(
                property="P170",
                reason="creator_differs",
                existing=[{"id": f"M{8_000_000 + start}$A", "name": f"Name {i}"}],
                proposed={"mainsnak": {"snaktype": "somevalue", "property": "P170"}},
                statement_id=f"M{8_000_000 + start}$A",
            )
            for i in range(start, min(n, start + 100))
        ]
        out.append((f"M{8_000_000 + start}", records))
    return out


class Killer:
    """Kills the bot process at the edit it was told to, from the stand-in's thread:
    after the stand-in applied the edit (or refused to), before the bot hears of it."""

    def __init__(self, running: Running) -> None:
        standin = running.wiki.standin
        self.original = standin._apply_wbeditentity
        standin._apply_wbeditentity = self.edit
        self.proc: subprocess.Popen[bytes] | None = None
        self.edits = 0
        self.kill_at: int | None = None
        self.apply = True
        self.lock = threading.Lock()

    def edit(self, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            self.edits += 1
            due = self.kill_at is not None and self.edits >= self.kill_at
            if due:
                self.kill_at = None
        if not due:
            return self.original(*args, **kwargs)
        result = self.original(*args, **kwargs) if self.apply else None
        if not self.apply:
            self.edits -= 1  # never applied: not an edit
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)
        if result is None:
            from bot.standins.commons import ApiError

            raise ApiError("internal_api_error_DBQueryError", "the bot is gone")
        return result


@pytest.mark.slow
def test_decisions_and_edits_survive_kill_9_while_a_maintainer_decides(
    world: World, store_url: str, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    dated = [
        world.add_file(
            100 + i,
            str(52810336600 + i),
            taken="1965-05-01 00:00:00",
            granularity=4,
            statements={"P571": [p571(f"M{100 + i}", "+1965-00-00T00:00:00Z", 9)]},
        )
        for i in range(DATED_FILES)
    ]
    plain = [world.add_file(200 + i, str(52810337000 + i)) for i in range(PLAIN_FILES)]
    started = time.monotonic()
    with world.start(store_url=store_url) as running:
        with running.store() as store:
            for mid, records in synthetic_conflicts(DECISIONS - DATED_FILES):
                store.record_conflicts(
                    mid=mid,
                    title=f"File:{mid}.jpg",
                    flickr_photo_id=None,
                    owner_nsid=None,
                    base_revid=1,
                    conflicts=records,
                    run_id=None,
                    dry_run=False,
                )
        seeded_s = time.monotonic() - started
        killer = Killer(running)
        log = tmp_path / "decisions.log"
        decider = subprocess.Popen(
            [sys.executable, "-m", "tests.support.decider", "--db", store_url,
             "--count", str(DECISIONS), "--log", str(log), "--accept", ",".join(dated),
             "--seed", str(SEED), "--seconds", "240"],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        kills: Counter[str] = Counter()
        kills_with_work_left = runs = 0
        try:
            while sum(kills.values()) < MIN_KILLS:
                runs += 1
                proc = killer.proc = bot_process(running)
                if runs % 3:  # in the middle of one of the next few edits, landed or not
                    killer.apply = runs % 3 == 1
                    killer.kill_at = killer.edits + rng.randint(1, 4)
                    kind = "mid-edit, applied" if killer.apply else "mid-edit, not applied"
                    wait = 60.0
                else:
                    kind, wait = "after a random delay", rng.uniform(0.5, 3.0)
                try:
                    proc.wait(wait)
                except subprocess.TimeoutExpired:
                    proc.send_signal(signal.SIGKILL)
                    proc.wait(30)
                killer.kill_at = None
                if proc.returncode == -signal.SIGKILL:
                    kills[kind] += 1
                    with running.store() as store:
                        if store.accepted_conflicts() or store.status_counts().get("pending"):
                            kills_with_work_left += 1
                else:  # it finished first: nothing left that this kill could hit
                    assert proc.returncode == 0, proc.stderr.read().decode()[-2000:]  # type: ignore[union-attr]
            runs += 1  # the rest of the walk, unkilled: the job finds every real conflict
            walk = bot_process(running)
            _, err = walk.communicate(timeout=300)
            assert walk.returncode == 0, err.decode()[-2000:]
            out, err = decider.communicate(timeout=300)
            assert decider.returncode == 0, err.decode()[-2000:]
            web = orjson.loads(out.splitlines()[-1])
            for _ in range(3):  # what is left, with nobody killing it: decisions applied last
                runs += 1
                final = bot_process(running)
                _, err = final.communicate(timeout=300)
                assert final.returncode == 0, err.decode()[-2000:]
                with running.store() as store:
                    if (
                        not store.accepted_conflicts()
                        and store.status_counts().get("pending") is None
                    ):
                        break
        finally:
            for p in (decider, killer.proc):
                if p is not None and p.poll() is None:
                    p.kill()

        writes = running.writes_by_mid()
        expected = {m: 2 for m in dated} | {m: 1 for m in plain}
        logged = [line.split() for line in log.read_text().splitlines()]
        with running.store() as store:
            events = Counter(
                (cid, to_status)
                for cid, to_status in store.conn.execute(
                    "SELECT conflict_id, to_status FROM conflict_events WHERE actor = ?",
                    ("Maintainer",),
                ).fetchall()
            )
            lost = [cid for cid, decision, _ in logged if events[(int(cid), decision)] != 1]
            applied = Counter(
                cid
                for (cid,) in store.conn.execute(
                    "SELECT conflict_id FROM conflict_events WHERE to_status = 'applied'"
                ).fetchall()
            )
            done = Counter(
                mid
                for (mid,) in store.conn.execute(
                    "SELECT mid FROM edit_journal WHERE state = 'done'"
                ).fetchall()
            )
            statuses = store.status_counts()
            open_intents = store.open_edits()
            decided_status = dict(
                store.conn.execute("SELECT id, status FROM conflicts WHERE status != 'open'")
            )
            files = {m: store.get_file(m) for m in plain}
        doubled = {m: n for m, n in writes.items() if n > expected.get(m, 0)}
        figures = {
            "kills": sum(kills.values()),
            "kills_by_kind": dict(kills),
            "kills_with_work_left": kills_with_work_left,
            "runs": runs,
            "decisions": len(logged),
            "decisions_via_post": web["posts"],
            "decisions_via_store_api": web["api"],
            "edits": sum(writes.values()),
            "lost": len(lost),
            "doubled": len(doubled),
            "seeding_s": round(seeded_s, 1),
            "decider_s": web["elapsed_s"],
            "decisions_slower_than_100ms": web["slow"],
            "longest_decision_ms": web["longest_ms"],
            "total_s": round(time.monotonic() - started, 1),
        }
        print("\nconcurrency figures:", orjson.dumps(figures).decode())

    assert figures["kills"] >= MIN_KILLS
    assert len(logged) == DECISIONS and len({cid for cid, _, _ in logged}) == DECISIONS
    assert lost == []  # every decision the page was told was stored, is, once
    for cid, decision, _ in logged:  # and nothing undid it (accepted ones were applied)
        want = ConflictStatus.APPLIED if decision == ConflictStatus.ACCEPT_FLICKR else decision
        assert decided_status[int(cid)] == want, cid
    assert doubled == {} and writes == expected  # every file edited exactly as often as needed
    assert done == Counter(writes)  # each edit recorded once in the journal, none twice
    assert open_intents == []
    assert all(n == 1 for n in applied.values()) and len(applied) == DATED_FILES
    assert statuses.get("pending") is None and statuses.get("error") is None
    for mid in plain:
        row = files[mid]
        assert row is not None and row.status == "edited"
        assert row.edited_revid == running.wiki.lastrevid(mid)
