"""The store: schema, worklist upserts that keep processing state, the review queue."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.core.flickr_photo import FlickrOwner
from bot.store import (
    SCHEMA_VERSION,
    BulkRefused,
    ConflictRecord,
    ConflictStatus,
    FileEvidence,
    FileStatus,
    InvalidTransition,
    LockHeld,
    QueueFilter,
    Store,
    conflict_fingerprint,
    normalise_title,
)
from bot.store.location import StoreLocation
from tests.support.conflicts import ConflictBuilder


def evidence(
    mid: str, *photo_ids: str, title: str | None = None, nsid: str | None = None, revid: int = 100
) -> FileEvidence:
    return FileEvidence(
        mid=mid,
        pageid=int(mid[1:]),
        title=title or f"File:{mid}.jpg",
        snapshot_revid=revid,
        photo_ids=tuple(photo_ids),
        owner_nsid=nsid,
        owner_alias=None,
        evidence=tuple({"source": "P12120", "value": p} for p in photo_ids),
        evidence_sources=("P12120",) if photo_ids else ("P170.P3267",),
        has_p12120=bool(photo_ids),
    )


def test_new_file_is_migrated_and_uses_rollback_journal(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.db")
    assert store.schema_version() == SCHEMA_VERSION
    mode = store.conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "delete"
    assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    store.close()
    # re-opening runs no migration twice
    assert Store(tmp_path / "a.db").migrate() == SCHEMA_VERSION


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.db")
    store.conn.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    store.close()
    with pytest.raises(RuntimeError, match="newer than this bot"):
        Store(tmp_path / "a.db")


def test_upsert_adds_new_updates_evidence_and_keeps_processing_state(store: Store) -> None:
    assert store.upsert_files([evidence("M1", "111"), evidence("M2", "222")]) == (2, 0)
    m1 = store.get_file("M1")
    assert m1 is not None and m1.status == "pending"
    store.record_outcome(
        m1.id,
        FileStatus.EDITED,
        run_id=1,
        checked_revid=100,
        edited_revid=101,
        changed_properties=["P571"],
    )
    # a newer snapshot: M1's evidence changed, M3 is new
    ins, upd = store.upsert_files([evidence("M1", "111", "999", revid=101), evidence("M3", "333")])
    assert (ins, upd) == (1, 1)
    m1 = store.get_file("M1")
    assert m1 is not None
    assert m1.photo_ids == ["111", "999"]
    assert m1.status == "edited" and m1.edited_revid == 101
    assert store.count_files() == 3


def test_titles_rows_merge_into_the_snapshot_row(store: Store) -> None:
    assert store.add_titles(["File:M5.jpg", "m6 thing.jpg", "  ", "File:M5.jpg"]) == 2
    ins, upd = store.upsert_files([evidence("M5", "555", title="File:M5.jpg")])
    assert (ins, upd) == (0, 1)
    assert store.count_files() == 2
    row = store.get_file("M5")
    assert row is not None and row.origin == "titles" and row.photo_ids == ["555"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("File:Foo_bar.jpg", "File:Foo bar.jpg"),
        ("foo.jpg", "File:Foo.jpg"),
        ("image: x  y.png", "File:X y.png"),
        ("", ""),
    ],
)
def test_normalise_title(raw: str, expected: str) -> None:
    assert normalise_title(raw) == expected


def test_select_files_pending_errors_and_open_intents(store: Store) -> None:
    store.upsert_files(
        [
            evidence("M1", "1", nsid="b@N01"),
            evidence("M2", "2", nsid="a@N01"),
            evidence("M3", "3", nsid="a@N01"),
            evidence("M4", "4"),
        ]
    )
    by_mid = {f.mid: f for f in store.select_files()}
    assert [f.mid for f in store.select_files()] == ["M2", "M3", "M1", "M4"]  # grouped by owner
    store.record_outcome(by_mid["M1"].id, FileStatus.UNCHANGED, run_id=1)
    for _ in range(3):
        store.record_outcome(by_mid["M2"].id, FileStatus.ERROR, run_id=1, error="boom")
    store.record_outcome(by_mid["M3"].id, FileStatus.ERROR, run_id=1, error="once")
    store.record_outcome(by_mid["M4"].id, FileStatus.EDITED, run_id=1)
    store.open_edit(run_id=1, mid="M4", base_revid=5, payload={"claims": []}, summary="s")
    assert sorted(f.mid or "" for f in store.select_files(max_attempts=3)) == ["M3", "M4"]
    assert len(store.select_files(recheck=True)) == 4
    assert [f.mid for f in store.select_files(only=["File:M1.jpg"], recheck=True)] == ["M1"]
    assert [f.mid for f in store.select_files(owner="a@N01", recheck=True)] == ["M2", "M3"]


def test_conflicts_are_not_duplicated_and_disappearing_ones_close(
    store: Store, conflict: ConflictBuilder
) -> None:
    rec = conflict()
    out = store.record_conflicts(
        mid="M1",
        title="File:M1.jpg",
        flickr_photo_id="1",
        owner_nsid="a@N01",
        base_revid=10,
        conflicts=[rec],
        run_id=1,
        dry_run=False,
    )
    assert out.new == 1
    again = store.record_conflicts(
        mid="M1",
        title="File:M1.jpg",
        flickr_photo_id="1",
        owner_nsid="a@N01",
        base_revid=11,
        conflicts=[rec],
        run_id=2,
        dry_run=False,
    )
    assert again.new == 0 and again.seen_again == 1
    assert store.conflict_counts()["reason"] == {"creator_differs": 1}
    # someone fixed the file: the next real run finds no conflict
    gone = store.record_conflicts(
        mid="M1",
        title="File:M1.jpg",
        flickr_photo_id="1",
        owner_nsid="a@N01",
        base_revid=12,
        conflicts=[],
        run_id=3,
        dry_run=False,
    )
    assert gone.superseded == 1
    c = store.get_conflict(out.ids[0])
    assert c is not None and c["status"] == "superseded" and c["closed_reason"] == "resolved"
    assert store.conflict_counts()["reason"] == {}
    assert store.conflict_counts(status="superseded")["property"] == {"P170": 1}


def test_keep_commons_is_not_raised_again_but_changed_data_is(
    store: Store, conflict: ConflictBuilder
) -> None:
    kw = dict(
        mid="M1",
        title="File:M1.jpg",
        flickr_photo_id="1",
        owner_nsid="a@N01",
        base_revid=10,
        run_id=1,
        dry_run=False,
    )
    out = store.record_conflicts(conflicts=[conflict()], **kw)  # type: ignore[arg-type]
    store.decide(out.ids[0], ConflictStatus.KEEP_COMMONS, actor="Alice", note="checked")
    again = store.record_conflicts(conflicts=[conflict()], **kw)  # type: ignore[arg-type]
    assert again.new == 0
    assert store.get_conflict(out.ids[0])["status"] == "keep_commons"  # type: ignore[index]
    changed = store.record_conflicts(conflicts=[conflict("Jane Roe")], **kw)  # type: ignore[arg-type]
    assert changed.new == 1
    # the answer was about data that is no longer there: closed, not left as decided
    old = store.get_conflict(out.ids[0])
    assert old is not None and old["status"] == "superseded"
    assert old["closed_reason"] == "data_changed"


def test_decisions_keep_an_audit_trail(store: Store, conflict: ConflictBuilder) -> None:
    out = store.record_conflicts(
        mid="M1",
        title="File:M1.jpg",
        flickr_photo_id="1",
        owner_nsid=None,
        base_revid=10,
        conflicts=[conflict()],
        run_id=1,
        dry_run=True,
    )
    cid = out.ids[0]
    store.decide(cid, "skip", actor="Alice")
    store.decide(cid, "accept_flickr", actor="Bob", note="Flickr is right")
    store.mark_applied([cid], 1234)
    with pytest.raises(InvalidTransition):
        store.decide(cid, "keep_commons", actor="Carol")
    with pytest.raises(InvalidTransition):
        store.decide(cid, "applied", actor="Carol")
    history = store.conflict_history(cid)
    assert [(h["actor"], h["to_status"]) for h in history] == [
        ("bot", "open"),
        ("Alice", "skip"),
        ("Bob", "accept_flickr"),
        ("bot", "applied"),
    ]
    c = store.get_conflict(cid)
    assert c is not None and c["applied_revid"] == 1234 and c["decided_by"] == "Bob"
    assert c["found_dry_run"] is True


def add_conflicts(store: Store, count: int, **overrides: object) -> list[int]:
    """``count`` creator conflicts on distinct files (M0, M1, ...), through the job's path."""
    conflict = ConflictBuilder()
    start = store.conn.execute("SELECT count(*) FROM conflicts").fetchone()[0]
    ids: list[int] = []
    for i in range(start, start + count):
        kw: dict[str, object] = {
            "mid": f"M{i}",
            "title": f"File:M{i}.jpg",
            "flickr_photo_id": str(i),
            "owner_nsid": "a@N01",
            "base_revid": 1,
            "run_id": 1,
            "dry_run": False,
            **overrides,
        }
        ids += store.record_conflicts(conflicts=[conflict(f"n{i}")], **kw).ids  # type: ignore[arg-type]
    return ids


def counts_by_group_by(store: Store) -> set[tuple[str, str, str, int]]:
    return set(
        store.conn.execute(
            "SELECT status, reason, property, count(*) FROM conflicts GROUP BY 1, 2, 3"
        ).fetchall()
    )


def counts_from_triggers(store: Store) -> set[tuple[str, str, str, int]]:
    return set(
        store.conn.execute(
            "SELECT status, reason, property, n FROM conflict_counts WHERE n > 0"
        ).fetchall()
    )


def test_bulk_decide_in_chunks_logs_one_event_per_row(store: Store) -> None:
    ids = add_conflicts(store, 12)
    store.decide(ids[1], "skip", actor="Alice")
    store.decide(ids[2], "accept_flickr", actor="Alice")
    store.decide(ids[3], "keep_commons", actor="Alice")  # already what the bulk decides
    store.decide(ids[4], "accept_flickr", actor="Alice")
    store.mark_applied([ids[4]], 99)  # applied: not decidable
    flt = QueueFilter(status=None, owner="a@N01")
    scope = store.bulk_scope(flt, "keep_commons")
    assert (scope.count, scope.max_id) == (10, ids[-1])
    chunks: list[int] = []
    result = store.bulk_decide(
        flt,
        "keep_commons",
        actor="Bob",
        note="bulk",
        max_id=scope.max_id,
        expected=scope.count,
        chunk_size=3,
        between_chunks=lambda r: chunks.append(r.decided),
    )
    assert (result.decided, result.changed_meanwhile, result.chunks) == (10, 0, 4)
    assert chunks == [3, 6, 9, 10]
    assert 0 < result.longest_transaction_s < result.seconds
    events = store.conn.execute(
        "SELECT conflict_id, actor, from_status, to_status, note FROM conflict_events "
        "WHERE actor = 'Bob' ORDER BY id"
    ).fetchall()
    decided = [i for i in ids if i not in (ids[3], ids[4])]
    assert [e[0] for e in events] == decided  # one event per row, in id order
    from_status = {ids[1]: "skip", ids[2]: "accept_flickr"}
    assert events == [
        (i, "Bob", from_status.get(i, "open"), "keep_commons", "bulk") for i in decided
    ]
    for cid in decided:
        c = store.get_conflict(cid)
        assert c is not None
        assert (c["status"], c["decided_by"], c["note"]) == ("keep_commons", "Bob", "bulk")
    untouched = store.get_conflict(ids[3])
    assert untouched is not None and untouched["decided_by"] == "Alice"
    assert store.get_conflict(ids[4])["status"] == "applied"  # type: ignore[index]
    assert counts_from_triggers(store) == counts_by_group_by(store)
    assert store.bulk_scope(flt, "keep_commons").count == 0


def test_bulk_decide_leaves_conflicts_found_after_the_confirmation(store: Store) -> None:
    add_conflicts(store, 4)
    flt = QueueFilter(owner="a@N01")
    scope = store.bulk_scope(flt, "skip")
    later = add_conflicts(store, 2)  # the job finds more while the maintainer reads the page
    assert later[0] > (scope.max_id or 0)
    result = store.bulk_decide(
        flt, "skip", actor="Bob", max_id=scope.max_id, expected=scope.count, chunk_size=3
    )
    assert (result.decided, result.changed_meanwhile) == (4, 0)
    assert [store.get_conflict(i)["status"] for i in later] == ["open", "open"]  # type: ignore[index]
    assert store.conflict_history(later[0])[-1]["to_status"] == "open"


def test_bulk_decide_keeps_a_decision_made_between_chunks(
    store: Store, store_location: StoreLocation
) -> None:
    ids = add_conflicts(store, 6)
    flt = QueueFilter(owner="a@N01")
    scope = store.bulk_scope(flt, "skip")
    other = Store(store_location, migrate=False)  # another maintainer, another connection

    def meanwhile(result: object) -> None:
        if not other.get_conflict(ids[4])["decided_by"]:  # type: ignore[index]
            other.decide(ids[4], "accept_flickr", actor="Carol", expected_status="open")

    result = store.bulk_decide(
        flt,
        "skip",
        actor="Bob",
        max_id=scope.max_id,
        expected=scope.count,
        chunk_size=2,
        between_chunks=meanwhile,
    )
    other.close()
    assert (result.decided, result.changed_meanwhile) == (5, 1)
    carol = store.get_conflict(ids[4])
    assert carol is not None and (carol["status"], carol["decided_by"]) == (
        "accept_flickr",
        "Carol",
    )
    assert [h["actor"] for h in store.conflict_history(ids[4])] == ["bot", "Carol"]
    assert [store.get_conflict(i)["status"] for i in ids] == ["skip"] * 4 + [
        "accept_flickr",
        "skip",
    ]  # type: ignore[index]
    assert counts_from_triggers(store) == counts_by_group_by(store)


@pytest.mark.sqlite_only  # SQLite's file lock; MariaDB locks rows (test_store_two_writers)
def test_bulk_decide_frees_the_write_lock_between_chunks(store: Store) -> None:
    add_conflicts(store, 7)
    got_lock: list[bool] = []

    def another_writer(result: object) -> None:
        job = sqlite3.connect(store.path, timeout=0, isolation_level=None)
        try:
            job.execute("BEGIN IMMEDIATE")  # raises "database is locked" if still held
            job.execute("UPDATE meta SET value = value WHERE key = 'schema_version'")
            job.execute("COMMIT")
            got_lock.append(True)
        finally:
            job.close()

    result = store.bulk_decide(
        QueueFilter(), "skip", actor="Bob", chunk_size=2, between_chunks=another_writer
    )
    assert result.decided == 7 and got_lock == [True] * 4


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (QueueFilter(title="harbour"), ["M1", "M3", "M6"]),  # trigram index
        (QueueFilter(title="rb"), ["M1", "M3", "M6"]),  # under three characters: LIKE
        (QueueFilter(title="harbour", owner="b@N01"), ["M3"]),
        (QueueFilter(owner="b@N01"), ["M2", "M3"]),
        (QueueFilter(reason="creator_differs", owner="a@N01"), ["M0", "M1", "M4", "M5", "M6"]),
    ],
)
def test_bulk_decide_with_title_and_owner_filters(
    store: Store, flt: QueueFilter, expected: list[str]
) -> None:
    titles = [
        "File:Bridge.jpg",
        "File:Harbour at dusk.jpg",
        "File:Market.jpg",
        "File:Old harbour.jpg",
        "File:Tram.jpg",
        "File:Street.jpg",
        "File:HARBOUR lights.jpg",
    ]
    for i, title in enumerate(titles):
        owner = "b@N01" if i in (2, 3) else "a@N01"
        add_conflicts(store, 1, title=title, owner_nsid=owner)
    scope = store.bulk_scope(flt, "keep_commons")
    assert scope.count == len(expected)
    result = store.bulk_decide(
        flt, "keep_commons", actor="Bob", max_id=scope.max_id, expected=scope.count, chunk_size=2
    )
    assert (result.decided, result.changed_meanwhile) == (len(expected), 0)
    decided = store.list_conflicts(QueueFilter(status="keep_commons"), limit=100)
    assert [c["mid"] for c in decided] == expected
    assert counts_from_triggers(store) == counts_by_group_by(store)


def test_bulk_decide_refuses_what_is_not_a_decision(store: Store) -> None:
    add_conflicts(store, 2)
    for decision in ("applied", "open", "superseded", "nonsense"):
        with pytest.raises(InvalidTransition):
            store.bulk_decide(QueueFilter(), decision, actor="Bob")
    with pytest.raises(ValueError):
        store.bulk_decide(QueueFilter(), "skip", actor="Bob", chunk_size=0)
    assert store.count_matching(QueueFilter()) == 2


def test_queue_pages_and_title_search(store: Store) -> None:
    add_conflicts(store, 5)
    page = store.list_conflicts(QueueFilter(status=None), limit=2)
    assert [c["mid"] for c in page] == ["M0", "M1"]
    nxt = store.list_conflicts(QueueFilter(status=None), after_id=page[-1]["id"], limit=2)
    assert [c["mid"] for c in nxt] == ["M2", "M3"]
    prev = store.list_conflicts(QueueFilter(status=None), before_id=nxt[0]["id"], limit=2)
    assert [c["mid"] for c in prev] == ["M0", "M1"]
    assert [c["mid"] for c in store.list_conflicts(QueueFilter(title="m4"))] == ["M4"]
    assert store.list_conflicts(QueueFilter(title="%")) == []


def test_owner_alias_and_wikidata_caches(store: Store) -> None:
    store.put_owner(
        FlickrOwner(nsid="1@N01", username="u", realname=None, path_alias="al", photos_count=7)
    )
    assert store.get_owner("1@N01") == FlickrOwner("1@N01", "u", None, "al", 7, False)
    assert store.get_owners(["1@N01", "2@N02", "1@N01"]) == {
        "1@N01": FlickrOwner("1@N01", "u", None, "al", 7, False)
    }
    assert store.get_owners([]) == {}
    assert store.get_alias("AL") == (False, None)
    store.put_alias("AL", "1@N01")
    store.put_alias("nobody", None)
    assert store.get_alias("al") == (True, "1@N01")
    assert store.get_alias("nobody") == (True, None)
    store.put_wikidata_flickr_ids({"Q1": ["1@N01"], "Q2": []})
    assert store.get_wikidata_flickr_ids(["Q1", "Q2", "Q3"]) == {"Q1": ["1@N01"], "Q2": []}


def test_lock_blocks_a_second_run_but_not_after_a_crash(
    store: Store, store_location: StoreLocation
) -> None:
    holder = store.acquire_lock()
    with pytest.raises(LockHeld):
        Store(store_location).acquire_lock()
    store.release_lock(holder)
    # a run killed with -9 leaves its lease; its pid is gone, so the next run takes over
    code = (
        "import sys; from bot.store import Store; Store(sys.argv[1]).acquire_lock(); "
        "import os; os._exit(0)"
    )
    subprocess.run(
        [sys.executable, "-c", code, store_location.url(with_password=True)],
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    assert Store(store_location).acquire_lock()


# Another process writing to the store (the job, while the review page holds the lock):
# it announces itself, waits in SQLite's busy handler for the write lock, writes, and
# prints when it got the lock (CLOCK_MONOTONIC: the same clock in every process).
WAITING_WRITER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], timeout=float(sys.argv[2]), isolation_level=None)
print("waiting", flush=True)
conn.execute("BEGIN IMMEDIATE")
got_lock_at = time.monotonic()
conn.execute("INSERT INTO meta VALUES ('written_by', 'the other process')")
conn.execute("COMMIT")
print(got_lock_at, flush=True)
"""


@pytest.mark.sqlite_only  # SQLite's busy handler; MariaDB's row locks: test_store_two_writers
def test_a_second_process_waits_for_the_write_lock_then_writes(store: Store) -> None:
    with store.transaction() as conn:
        conn.execute("INSERT INTO meta VALUES ('held_by', 'this process')")
        impatient = sqlite3.connect(store.path, timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            impatient.execute("BEGIN IMMEDIATE")  # no busy timeout: refused at once
        impatient.close()
        other = subprocess.Popen(
            [sys.executable, "-c", WAITING_WRITER, store.path, "5"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert other.stdout is not None and other.stdout.readline().strip() == "waiting"
        time.sleep(0.3)
        assert other.poll() is None  # still waiting for us
    released_at = time.monotonic()
    out, _ = other.communicate(timeout=5)
    assert other.returncode == 0
    got_lock_at = float(out)
    # it got the lock once we let go (its busy handler polls every few to 100 ms), long
    # before its own 5 s timeout
    assert released_at - 0.01 <= got_lock_at < released_at + 1
    rows = dict(
        store.conn.execute("SELECT `key`, value FROM meta WHERE `key` IN ('held_by', 'written_by')")
    )
    assert rows == {"held_by": "this process", "written_by": "the other process"}


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("harbour", ["M1", "M3"]),  # substring, any case, through the trigram index
        ("HARBOUR AT", ["M1"]),
        ('"quoted"', ["M2"]),  # quotes are text, not FTS syntax
        ("%", []),  # LIKE wildcards are text too
        ("ex", ["M2"]),  # under three characters: LIKE
        ("nothing like it", []),
    ],
)
def test_title_search(
    store: Store, conflict: ConflictBuilder, search: str, expected: list[str]
) -> None:
    titles = {
        "M1": "File:Harbour at dusk.jpg",
        "M2": 'File:Text "quoted".png',
        "M3": "File:Old harbour.jpg",
    }
    for mid, title in titles.items():
        store.record_conflicts(
            mid=mid,
            title=title,
            flickr_photo_id="1",
            owner_nsid=None,
            base_revid=1,
            conflicts=[conflict(mid)],
            run_id=1,
            dry_run=False,
        )
    flt = QueueFilter(title=search)
    assert [c["mid"] for c in store.list_conflicts(flt)] == expected
    assert store.count_matching(flt) == len(expected)


def test_title_index_follows_title_changes(store: Store, conflict: ConflictBuilder) -> None:
    out = store.record_conflicts(
        mid="M1",
        title="File:Before.jpg",
        flickr_photo_id="1",
        owner_nsid=None,
        base_revid=1,
        conflicts=[conflict()],
        run_id=1,
        dry_run=False,
    )
    store.record_conflicts(
        mid="M1",
        title="File:After rename.jpg",
        flickr_photo_id="1",
        owner_nsid=None,
        base_revid=2,
        conflicts=[conflict()],
        run_id=2,
        dry_run=False,
    )
    assert store.list_conflicts(QueueFilter(title="before")) == []
    assert [c["id"] for c in store.list_conflicts(QueueFilter(title="rename"))] == out.ids


def test_v1_database_is_migrated_with_its_titles_indexed(tmp_path: Path) -> None:
    from bot.store import schema as store_module

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for statement in store_module._split_sql(store_module._SCHEMA_V1):
        conn.execute(statement)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    conn.execute(
        "INSERT INTO conflicts(fingerprint, mid, title, property, reason, existing, found_at, "
        "updated_at) VALUES ('f', 'M9', 'File:Lighthouse.jpg', 'P170', 'r', '[]', 'x', 'x')"
    )
    conn.commit()
    conn.close()
    migrated = Store(path)
    assert migrated.schema_version() == SCHEMA_VERSION
    assert [c["mid"] for c in migrated.list_conflicts(QueueFilter(title="lighthouse"))] == ["M9"]


def test_v2_database_is_migrated_to_v3_clearing_stale_decisions_on_open_rows(
    tmp_path: Path,
) -> None:
    from bot.store import schema as store_module

    path = tmp_path / "v2.db"
    conn = sqlite3.connect(path)
    for script in (store_module._SCHEMA_V1, store_module._SCHEMA_V2):
        for statement in store_module._split_sql(script):
            conn.execute(statement)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '2')")
    for cid, status in ((1, "open"), (2, "keep_commons")):
        conn.execute(
            "INSERT INTO conflicts(id, fingerprint, mid, title, property, reason, existing, "
            "status, decided_by, decided_at, note, applied_revid, applied_at, found_at, "
            "updated_at) VALUES (?, ?, 'M9', 'File:X.jpg', 'P170', 'r', '[]', ?, 'Alice', "
            "'2025-01-01', 'old note', ?, ?, 'x', 'x')",
            (cid, f"f{cid}", status, 77 if cid == 1 else None, "2025-01-02" if cid == 1 else None),
        )
        conn.execute(
            "INSERT INTO conflict_events(conflict_id, at, actor, to_status) VALUES (?, 'x', 'Alice', ?)",
            (cid, status),
        )
    conn.commit()
    conn.close()
    migrated = Store(path)
    assert migrated.schema_version() == SCHEMA_VERSION
    reopened, decided = migrated.get_conflict(1), migrated.get_conflict(2)
    assert reopened is not None and decided is not None
    assert [reopened[k] for k in ("decided_by", "decided_at", "note", "applied_revid")] == [
        None
    ] * 4
    assert (decided["decided_by"], decided["note"]) == ("Alice", "old note")  # not reopened
    assert [h["actor"] for h in migrated.conflict_history(1)] == ["Alice"]  # history stays
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        migrated.conn.execute("DELETE FROM conflict_events")


def test_a_reopened_conflict_forgets_the_last_rounds_decision(
    store: Store, conflict: ConflictBuilder
) -> None:
    kw = dict(
        mid="M1",
        title="File:M1.jpg",
        flickr_photo_id="1",
        owner_nsid=None,
        base_revid=10,
        run_id=1,
        dry_run=False,
    )
    cid = store.record_conflicts(conflicts=[conflict()], **kw).ids[0]  # type: ignore[arg-type]
    store.decide(cid, "accept_flickr", actor="Alice", note="Flickr is right")
    store.mark_applied([cid], 1234)
    # someone reverted the bot's edit: the next run finds the same conflict again
    again = store.record_conflicts(conflicts=[conflict()], **kw)  # type: ignore[arg-type]
    assert again.reopened == 1
    c = store.get_conflict(cid)
    assert c is not None and c["status"] == "open"
    for column in ("decided_by", "decided_at", "note", "applied_revid", "applied_at"):
        assert c[column] is None, column
    # closed by the bot, then found again: the close reason goes too
    store.supersede(cid, "file_changed_since_conflict")
    assert store.get_conflict(cid)["closed_reason"] == "file_changed_since_conflict"  # type: ignore[index]
    store.record_conflicts(conflicts=[conflict()], **kw)  # type: ignore[arg-type]
    c = store.get_conflict(cid)
    assert c is not None and (c["status"], c["closed_reason"]) == ("open", None)
    # the earlier rounds are all in the history
    assert [
        (h["actor"], h["from_status"], h["to_status"], h["note"])
        for h in store.conflict_history(cid)
    ] == [
        ("bot", None, "open", None),
        ("Alice", "open", "accept_flickr", "Flickr is right"),
        ("bot", "accept_flickr", "applied", None),
        ("bot", "applied", "open", "found again"),
        ("bot", "open", "superseded", "file_changed_since_conflict"),
        ("bot", "superseded", "open", "found again"),
    ]
    assert store.conflict_counts()["reason"] == {"creator_differs": 1}


def test_the_audit_trail_cannot_be_rewritten(
    store: Store, store_location: StoreLocation, conflict: ConflictBuilder
) -> None:
    cid = store.record_conflicts(
        mid="M1",
        title="File:M1.jpg",
        flickr_photo_id="1",
        owner_nsid=None,
        base_revid=10,
        conflicts=[conflict()],
        run_id=1,
        dry_run=False,
    ).ids[0]
    store.decide(cid, "skip", actor="Alice", note="later")
    before = store.conflict_history(cid)
    other = Store(store_location, migrate=False)  # e.g. someone in the sqlite3/mariadb shell
    for sql in (
        "UPDATE conflict_events SET actor = 'Mallory'",
        "UPDATE conflict_events SET note = NULL WHERE conflict_id = 1",
        "DELETE FROM conflict_events WHERE actor = 'Alice'",
        "DELETE FROM conflict_events",
    ):
        with pytest.raises(store.errors, match="conflict_events is append-only"):
            other.conn.execute(sql)
    other.close()
    other.close()
    assert store.conflict_history(cid) == before
    store.decide(cid, "keep_commons", actor="Bob")  # appending still works
    assert len(store.conflict_history(cid)) == len(before) + 1


def test_a_decision_on_a_conflict_that_changed_meanwhile_is_refused(
    store: Store, conflict: ConflictBuilder
) -> None:
    out = store.record_conflicts(
        mid="M1",
        title="File:M1.jpg",
        flickr_photo_id="1",
        owner_nsid=None,
        base_revid=1,
        conflicts=[conflict()],
        run_id=1,
        dry_run=False,
    )
    cid = out.ids[0]
    store.decide(cid, "skip", actor="Alice", expected_status="open")
    with pytest.raises(InvalidTransition, match="now skip"):
        store.decide(cid, "keep_commons", actor="Bob", expected_status="open")
    assert store.get_conflict(cid)["decided_by"] == "Alice"  # type: ignore[index]


@pytest.mark.parametrize("held_ms", [0, 1, 5, 20, 40, 100, 150, 300, 2000])
def test_the_pause_between_bulk_chunks_outlasts_a_waiting_writers_sleep(held_ms: int) -> None:
    from bot.store import bulk_pause

    # SQLite's default busy handler (sqliteDefaultBusyCallback): the sleep before each try
    delays = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100]
    tries, total = [0], 0
    while total <= held_ms + 1000:
        total += delays[min(len(tries) - 1, len(delays) - 1)]
        tries.append(total)
    # a writer that began waiting at any ms of the chunk tries again before the pause ends
    pause_ms = bulk_pause(held_ms / 1000) * 1000
    for began in range(held_ms + 1):
        waited = held_ms - began
        next_try = next(t for t in tries if t > waited)
        assert next_try - waited <= pause_ms, (began, next_try, waited)


def test_a_claimed_decision_cannot_be_changed_and_is_given_back_intact(
    store: Store, conflict: ConflictBuilder
) -> None:
    cid = conflict.record(store).ids[0]
    store.decide(cid, "accept_flickr", actor="Bob", note="Flickr is right")
    assert store.claim_decisions([cid]) == [cid]
    assert store.get_conflict(cid)["status"] == "applying"  # type: ignore[index]
    assert store.accepted_conflicts() == []  # a second run would not take it
    with pytest.raises(InvalidTransition):
        store.decide(cid, "keep_commons", actor="Carol")  # the page cannot change it now
    assert store.claim_decisions([cid]) == []  # nor can another run claim it twice
    store.release_decisions([cid], "not written: the file changed")
    c = store.get_conflict(cid)
    assert c is not None and c["status"] == "accept_flickr"
    assert (c["decided_by"], c["note"]) == ("Bob", "Flickr is right")  # who decided is kept
    assert [h["to_status"] for h in store.conflict_history(cid)][-2:] == [
        "applying",
        "accept_flickr",
    ]


def test_a_decision_changed_before_the_claim_is_not_claimed(
    store: Store, conflict: ConflictBuilder
) -> None:
    cid = conflict.record(store).ids[0]
    store.decide(cid, "accept_flickr", actor="Bob")
    store.decide(cid, "keep_commons", actor="Bob", note="second thoughts")
    assert store.claim_decisions([cid]) == []
    assert store.get_conflict(cid)["status"] == "keep_commons"  # type: ignore[index]


def test_mark_applied_always_records_the_edit(store: Store, conflict: ConflictBuilder) -> None:
    claimed, changed = (
        conflict.record(store, mid="M1").ids[0],
        conflict.record(store, mid="M2").ids[0],
    )
    for cid in (claimed, changed):
        store.decide(cid, "accept_flickr", actor="Bob")
    store.claim_decisions([claimed])
    store.decide(changed, "keep_commons", actor="Carol")
    store.mark_applied([claimed, changed], 4321)
    c = store.get_conflict(claimed)
    assert c is not None and (c["status"], c["applied_revid"]) == ("applied", 4321)
    other = store.get_conflict(changed)
    assert other is not None and other["status"] == "keep_commons"
    last = store.conflict_history(changed)[-1]
    assert last["revid"] == 4321 and "keep_commons by then" in last["note"]


def test_orphan_claims_are_given_back_but_journaled_ones_are_kept(
    store: Store, conflict: ConflictBuilder
) -> None:
    orphan, journaled = (
        conflict.record(store, mid="M1").ids[0],
        conflict.record(store, mid="M2").ids[0],
    )
    for cid in (orphan, journaled):
        store.decide(cid, "accept_flickr", actor="Bob")
    store.claim_decisions([orphan, journaled])
    store.open_edit(
        run_id=1,
        mid="M2",
        base_revid=10,
        payload={"claims": []},
        summary="s",
        conflict_ids=[journaled],
    )
    assert store.release_orphan_claims() == 1
    assert store.get_conflict(orphan)["status"] == "accept_flickr"  # type: ignore[index]
    assert store.get_conflict(journaled)["status"] == "applying"  # type: ignore[index]


def test_dry_runs_never_reopen_or_close_conflicts(store: Store, conflict: ConflictBuilder) -> None:
    cid = conflict.record(store).ids[0]
    kw = dict(
        mid="M1",
        title="File:M1.jpg",
        flickr_photo_id="1",
        owner_nsid="a@N01",
        base_revid=11,
        run_id=2,
    )
    store.record_conflicts(conflicts=[], dry_run=True, **kw)  # type: ignore[arg-type]
    assert store.get_conflict(cid)["status"] == "open"  # type: ignore[index]
    store.record_conflicts(conflicts=[], dry_run=False, **kw)  # type: ignore[arg-type]
    assert store.get_conflict(cid)["status"] == "superseded"  # type: ignore[index]
    store.record_conflicts(conflicts=[conflict()], dry_run=True, **kw)  # type: ignore[arg-type]
    assert store.get_conflict(cid)["status"] == "superseded"  # type: ignore[index]
    store.record_conflicts(conflicts=[conflict()], dry_run=False, **kw)  # type: ignore[arg-type]
    assert store.get_conflict(cid)["status"] == "open"  # type: ignore[index]


def test_a_taken_over_lock_is_noticed_and_no_intent_is_written(
    store: Store, store_location: StoreLocation
) -> None:
    from datetime import timedelta

    from bot.store import LockLost

    holder = store.acquire_lock("run")
    assert store.heartbeat(holder, "run")
    thief = Store(store_location).acquire_lock("run", stale_after=timedelta(0))
    assert not store.heartbeat(holder, "run")
    with pytest.raises(LockLost):
        store.open_edit(
            run_id=1, mid="M1", base_revid=1, payload={}, summary="s", lock=(holder, "run")
        )
    assert store.open_edits() == []
    store.release_lock(holder, "run")  # the old holder's release leaves the thief's lock
    with pytest.raises(LockHeld):
        store.acquire_lock("run")
    store.release_lock(thief, "run")


def test_conflict_files_due_for_a_recheck(store: Store, conflict: ConflictBuilder) -> None:
    from datetime import timedelta

    store.upsert_files([evidence(f"M{i}", str(i), nsid="a@N01") for i in range(1, 5)])
    for i in range(1, 5):
        row = store.get_file(f"M{i}")
        assert row is not None
        store.record_outcome(row.id, "conflict", run_id=1, checked_revid=100 + i)
    conflict.record(store, mid="M1").ids[0]
    decided = conflict.record(store, mid="M2").ids[0]
    store.decide(decided, "accept_flickr", actor="Bob")  # waiting for the bot: not due
    kept = conflict.record(store, mid="M3").ids[0]
    store.decide(kept, "keep_commons", actor="Bob")  # data may change: due
    due = store.conflict_files_due(timedelta(0))
    assert [f.mid for f in due] == ["M1", "M3"]
    assert due[0].checked_revid == 101
    assert store.conflict_files_due(timedelta(days=1)) == []  # looked at just now
    assert [f.mid for f in store.conflict_files_due(timedelta(0), only=["M3"])] == ["M3"]
    store.touch_files([due[0].id])
    store.requeue_files([due[1].id])
    assert store.get_file("M3").status == "pending"  # type: ignore[union-attr]
    assert [f.mid for f in store.conflict_files_due(timedelta(0))] == ["M1"]


def test_conflicts_of_a_gone_file_are_closed(store: Store, conflict: ConflictBuilder) -> None:
    kept = conflict.record(store, mid="M1").ids[0]
    store.decide(kept, "keep_commons", actor="Bob")
    open_ = conflict.record(store, conflict("Jane Roe"), mid="M1").ids[
        0
    ]  # new data: the keep_commons one closes
    other_file = conflict.record(store, mid="M2").ids[0]
    assert store.get_conflict(open_)["status"] == "open"  # type: ignore[index]
    assert store.close_conflicts_of("M1", "file_gone", "closed: the file is gone") == 1
    c = store.get_conflict(open_)
    assert c is not None and (c["status"], c["closed_reason"]) == ("superseded", "file_gone")
    assert store.get_conflict(other_file)["status"] == "open"  # type: ignore[index]


def test_accepted_conflicts_follow_only_and_owner(store: Store, conflict: ConflictBuilder) -> None:
    store.upsert_files([evidence("M1", "1", nsid="a@N01"), evidence("M2", "2", nsid="b@N01")])
    ids = [conflict.record(store, mid=m).ids[0] for m in ("M1", "M2")]
    for cid in ids:
        store.decide(cid, "accept_flickr", actor="Bob")
    assert [c["mid"] for c in store.accepted_conflicts()] == ["M1", "M2"]
    assert [c["mid"] for c in store.accepted_conflicts(only=["File:M2.jpg"])] == ["M2"]
    assert [c["mid"] for c in store.accepted_conflicts(owner="b@N01")] == ["M2"]


# --- decisions settle: the bot's own edit is not a new conflict ------------------------


def photo_id_statement(value: str, sid: str | None = None) -> dict[str, object]:
    """A P12120 statement: as the bot proposes it (no id) or as Commons holds it."""
    statement: dict[str, object] = {
        "mainsnak": {
            "snaktype": "value",
            "property": "P12120",
            "datavalue": {"type": "string", "value": value},
        },
        "type": "statement",
        "rank": "normal",
    }
    if sid:
        statement["id"] = sid
        statement["mainsnak"]["hash"] = f"h{value}"  # type: ignore[index]
    return statement


def candidate(value: str, *on_file: str) -> ConflictRecord:
    """A ``multiple_photo_ids`` candidate with the P12120 values the file holds."""
    existing = [photo_id_statement(v, f"M1$S{n}") for n, v in enumerate(on_file)]
    return ConflictRecord("P12120", "multiple_photo_ids", existing, photo_id_statement(value))


def record(store: Store, *conflicts: ConflictRecord, dry_run: bool = False) -> list[int]:
    return store.record_conflicts(
        mid="M1",
        title="File:M1.jpg",
        flickr_photo_id=None,
        owner_nsid=None,
        base_revid=10,
        conflicts=list(conflicts),
        run_id=1,
        dry_run=dry_run,
    ).ids


FINGERPRINT_CASES = [
    # (case, the conflict as first found, as found again, same identity)
    ("its own proposal now on the file", candidate("A"), candidate("A", "A"), True),
    ("another photo id now on the file", candidate("A"), candidate("A", "B"), False),
    ("its proposal on the file twice", candidate("A"), candidate("A", "A", "A"), True),
]


@pytest.mark.parametrize(
    ("case", "first", "again", "same"), FINGERPRINT_CASES, ids=[c[0] for c in FINGERPRINT_CASES]
)
def test_a_conflicts_identity_ignores_its_own_proposal_on_the_file(
    case: str, first: ConflictRecord, again: ConflictRecord, same: bool
) -> None:
    assert (conflict_fingerprint("M1", first) == conflict_fingerprint("M1", again)) is same


def test_fingerprints_without_the_proposal_on_the_file_are_those_of_older_stores(
    conflict: ConflictBuilder,
) -> None:
    """Rows recorded before keep matching: the identity only changed for conflicts whose
    Commons side holds their own proposal (the duplicates the old identity let in)."""
    import hashlib

    from bot.core.wikibase import strip_hashes
    from bot.store.records import dumps

    rec = conflict()
    text = dumps(["M1", rec.property, rec.reason, strip_hashes(rec.existing), rec.proposed])
    assert conflict_fingerprint("M1", rec) == hashlib.sha256(text.encode()).hexdigest()[:32]


def test_the_other_candidate_keeps_its_identity_after_a_decision_was_written(store: Store) -> None:
    first, other = record(store, candidate("A"), candidate("B"))
    store.decide(first, ConflictStatus.ACCEPT_FLICKR, actor="Alice")
    store.decide(other, ConflictStatus.KEEP_COMMONS, actor="Alice")
    store.mark_applied([first], 11)
    # the file now holds A, written by the bot for Alice's decision
    assert record(store, candidate("A", "A"), candidate("B", "A")) == [first, other]
    assert store.get_conflict(first)["status"] == "applied"  # type: ignore[index]
    assert store.get_conflict(other)["status"] == "keep_commons"  # type: ignore[index]


def test_an_applied_decision_someone_reverted_is_asked_again(store: Store) -> None:
    (cid,) = record(store, candidate("A"))
    store.decide(cid, ConflictStatus.ACCEPT_FLICKR, actor="Alice")
    store.mark_applied([cid], 11)
    assert record(store, candidate("A", "A")) == [cid]
    assert store.get_conflict(cid)["status"] == "applied"  # type: ignore[index]
    assert record(store, candidate("A")) == [cid]  # the bot's statement was removed
    assert store.get_conflict(cid)["status"] == "open"  # type: ignore[index]


def test_recorded_statuses_say_which_conflicts_wait_for_a_person(store: Store) -> None:
    kept, skipped = record(store, candidate("A"), candidate("B"))
    store.decide(kept, ConflictStatus.KEEP_COMMONS, actor="Alice")
    store.decide(skipped, ConflictStatus.SKIP, actor="Alice")
    out = store.record_conflicts(
        mid="M1",
        title="File:M1.jpg",
        flickr_photo_id=None,
        owner_nsid=None,
        base_revid=10,
        conflicts=[candidate("A"), candidate("B"), candidate("C")],
        run_id=2,
        dry_run=False,
    )
    assert out.statuses == ["keep_commons", "skip", "open"]
    assert out.waiting() == [False, True, True]


def test_refused_decisions_go_back_to_the_queue_with_the_reason(store: Store) -> None:
    a, b = record(store, candidate("A"), candidate("B"))
    for cid in (a, b):
        store.decide(cid, ConflictStatus.ACCEPT_FLICKR, actor="Alice")
    store.claim_decisions([a, b])
    store.refuse_decisions([a, b], "not written: two photo ids")
    for cid in (a, b):
        c = store.get_conflict(cid)
        assert c is not None and c["status"] == "open" and c["decided_by"] is None
        last = store.conflict_history(cid)[-1]
        assert (last["from_status"], last["to_status"], last["note"]) == (
            "applying",
            "open",
            "not written: two photo ids",
        )


def test_a_decision_confirmed_without_its_revision_says_so(store: Store) -> None:
    (cid,) = record(store, candidate("A"))
    store.decide(cid, ConflictStatus.ACCEPT_FLICKR, actor="Alice")
    store.mark_applied([cid], None, note="landed after revision 10")
    c = store.get_conflict(cid)
    assert c is not None and c["status"] == "applied" and c["applied_revid"] is None
    assert store.conflict_history(cid)[-1]["note"] == "landed after revision 10"


BULK_PHOTO_ID_CASES = [
    # (case, filter, decision, decided, left out)
    ("accept everything open", QueueFilter(), "accept_flickr", 1, 2),
    ("keep Commons' value on everything", QueueFilter(), "keep_commons", 3, 0),
    ("skip the photo-id conflicts", QueueFilter(reason="multiple_photo_ids"), "skip", 2, 0),
    ("accept a property's conflicts", QueueFilter(property="P12120"), "accept_flickr", 0, 2),
]


@pytest.mark.parametrize(
    ("case", "flt", "decision", "decided", "left_out"),
    BULK_PHOTO_ID_CASES,
    ids=[c[0] for c in BULK_PHOTO_ID_CASES],
)
def test_bulk_accept_leaves_out_files_citing_several_photos(
    store: Store, case: str, flt: QueueFilter, decision: str, decided: int, left_out: int
) -> None:
    record(store, candidate("A"), candidate("B"))
    add_conflicts(store, 1)  # a creator conflict on another file
    scope = store.bulk_scope(flt, decision)
    assert (scope.count, scope.left_out) == (decided, left_out)
    result = store.bulk_decide(flt, decision, actor="Alice", max_id=scope.max_id, pause=0)
    assert (result.decided, result.left_out) == (decided, left_out)
    photo_ids = store.list_conflicts(QueueFilter(status=None, reason="multiple_photo_ids"))
    if decision == "accept_flickr":
        assert {c["status"] for c in photo_ids} == {"open"}


def test_bulk_accept_of_photo_id_conflicts_is_refused_with_the_reason(store: Store) -> None:
    ids = record(store, candidate("A"), candidate("B"))
    flt = QueueFilter(reason="multiple_photo_ids")
    with pytest.raises(BulkRefused, match="one photo id chosen"):
        store.bulk_scope(flt, "accept_flickr")
    with pytest.raises(BulkRefused, match="one photo id chosen"):
        store.bulk_decide(flt, "accept_flickr", actor="Alice", pause=0)
    assert [store.get_conflict(c)["status"] for c in ids] == ["open", "open"]  # type: ignore[index]


def test_the_photo_id_decided_for_a_file_is_its_latest_applied_one(store: Store) -> None:
    a, b = record(store, candidate("A"), candidate("B"))
    assert store.decided_photo_ids(["M1", "M2"]) == {}
    store.decide(a, ConflictStatus.ACCEPT_FLICKR, actor="Alice")
    store.mark_applied([a], 11)
    assert store.decided_photo_ids(["M1", "M2"]) == {"M1": "A"}
    store.decide(b, ConflictStatus.ACCEPT_FLICKR, actor="Alice")  # later, someone else
    store.mark_applied([b], 12)
    assert store.decided_photo_ids(["M1"]) == {"M1": "B"}


def test_a_dry_run_reports_a_conflict_it_would_reopen_as_waiting(store: Store) -> None:
    (cid,) = record(store, candidate("A"))
    store.supersede(cid, "resolved")
    out = store.record_conflicts(
        mid="M1",
        title="File:M1.jpg",
        flickr_photo_id=None,
        owner_nsid=None,
        base_revid=10,
        conflicts=[candidate("A")],
        run_id=2,
        dry_run=True,
    )
    assert out.statuses == ["open"] and out.waiting() == [True]
    assert store.get_conflict(cid)["status"] == "superseded"  # type: ignore[index]
