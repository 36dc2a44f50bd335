"""The store: schema, worklist upserts that keep processing state, the review queue."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.flickr_photo import FlickrOwner
from bot.store import (
    SCHEMA_VERSION,
    ConflictRecord,
    ConflictStatus,
    FileEvidence,
    FileStatus,
    InvalidTransition,
    LockHeld,
    QueueFilter,
    Store,
    normalise_title,
)


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


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "bot.db")


def creator_conflict(name: str = "John Smith") -> ConflictRecord:
    existing = [
        {
            "mainsnak": {"snaktype": "somevalue", "property": "P170"},
            "qualifiers": {
                "P2093": [
                    {
                        "snaktype": "value",
                        "property": "P2093",
                        "datavalue": {"type": "string", "value": name},
                    }
                ]
            },
            "id": "M1$A",
            "rank": "normal",
            "type": "statement",
        }
    ]
    proposed = {"mainsnak": {"snaktype": "somevalue", "property": "P170"}, "type": "statement"}
    return ConflictRecord(
        property="P170",
        reason="creator_differs",
        existing=existing,
        proposed=proposed,
        statement_id="M1$A",
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


def test_conflicts_are_not_duplicated_and_disappearing_ones_close(store: Store) -> None:
    rec = creator_conflict()
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


def test_keep_commons_is_not_raised_again_but_changed_data_is(store: Store) -> None:
    kw = dict(
        mid="M1",
        title="File:M1.jpg",
        flickr_photo_id="1",
        owner_nsid="a@N01",
        base_revid=10,
        run_id=1,
        dry_run=False,
    )
    out = store.record_conflicts(conflicts=[creator_conflict()], **kw)  # type: ignore[arg-type]
    store.decide(out.ids[0], ConflictStatus.KEEP_COMMONS, actor="Alice", note="checked")
    again = store.record_conflicts(conflicts=[creator_conflict()], **kw)  # type: ignore[arg-type]
    assert again.new == 0
    assert store.get_conflict(out.ids[0])["status"] == "keep_commons"  # type: ignore[index]
    changed = store.record_conflicts(conflicts=[creator_conflict("Jane Roe")], **kw)  # type: ignore[arg-type]
    assert changed.new == 1
    # the answer was about data that is no longer there: closed, not left as decided
    old = store.get_conflict(out.ids[0])
    assert old is not None and old["status"] == "superseded"
    assert old["closed_reason"] == "data_changed"


def test_decisions_keep_an_audit_trail(store: Store) -> None:
    out = store.record_conflicts(
        mid="M1",
        title="File:M1.jpg",
        flickr_photo_id="1",
        owner_nsid=None,
        base_revid=10,
        conflicts=[creator_conflict()],
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


def test_bulk_decide_checks_the_confirmed_count(store: Store) -> None:
    for i in range(5):
        store.record_conflicts(
            mid=f"M{i}",
            title=f"File:M{i}.jpg",
            flickr_photo_id=str(i),
            owner_nsid="a@N01" if i < 3 else "b@N01",
            base_revid=1,
            conflicts=[creator_conflict(f"n{i}")],
            run_id=1,
            dry_run=False,
        )
    flt = QueueFilter(owner="a@N01")
    assert store.count_matching(flt, "keep_commons") == 3
    with pytest.raises(InvalidTransition):
        store.bulk_decide(flt, "keep_commons", actor="Alice", expected=2)
    assert store.bulk_decide(flt, "keep_commons", actor="Alice", expected=3) == 3
    assert store.conflict_counts()["reason"] == {"creator_differs": 2}
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
    assert store.get_alias("AL") == (False, None)
    store.put_alias("AL", "1@N01")
    store.put_alias("nobody", None)
    assert store.get_alias("al") == (True, "1@N01")
    assert store.get_alias("nobody") == (True, None)
    store.put_wikidata_flickr_ids({"Q1": ["1@N01"], "Q2": []})
    assert store.get_wikidata_flickr_ids(["Q1", "Q2", "Q3"]) == {"Q1": ["1@N01"], "Q2": []}


def test_lock_blocks_a_second_run_but_not_after_a_crash(store: Store, tmp_path: Path) -> None:
    holder = store.acquire_lock()
    with pytest.raises(LockHeld):
        Store(store.path).acquire_lock()
    store.release_lock(holder)
    # a run killed with -9 leaves its lease; its pid is gone, so the next run takes over
    code = (
        "import sys; from bot.store import Store; Store(sys.argv[1]).acquire_lock(); "
        "import os; os._exit(0)"
    )
    subprocess.run(
        [sys.executable, "-c", code, store.path],
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
    )
    assert Store(store.path).acquire_lock()


def test_two_processes_share_the_file(store: Store) -> None:
    other = sqlite3.connect(store.path)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO meta VALUES ('x', 'y')")
    other.commit()
    assert store.conn.execute("SELECT value FROM meta WHERE key='x'").fetchone()[0] == "y"


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
def test_title_search(store: Store, search: str, expected: list[str]) -> None:
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
            conflicts=[creator_conflict(mid)],
            run_id=1,
            dry_run=False,
        )
    flt = QueueFilter(title=search)
    assert [c["mid"] for c in store.list_conflicts(flt)] == expected
    assert store.count_matching(flt) == len(expected)


def test_title_index_follows_title_changes(store: Store) -> None:
    out = store.record_conflicts(
        mid="M1",
        title="File:Before.jpg",
        flickr_photo_id="1",
        owner_nsid=None,
        base_revid=1,
        conflicts=[creator_conflict()],
        run_id=1,
        dry_run=False,
    )
    store.record_conflicts(
        mid="M1",
        title="File:After rename.jpg",
        flickr_photo_id="1",
        owner_nsid=None,
        base_revid=2,
        conflicts=[creator_conflict()],
        run_id=2,
        dry_run=False,
    )
    assert store.list_conflicts(QueueFilter(title="before")) == []
    assert [c["id"] for c in store.list_conflicts(QueueFilter(title="rename"))] == out.ids


def test_v1_database_is_migrated_to_v2_with_its_titles_indexed(tmp_path: Path) -> None:
    from bot import store as store_module

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
    assert migrated.schema_version() == 2
    assert [c["mid"] for c in migrated.list_conflicts(QueueFilter(title="lighthouse"))] == ["M9"]


def test_a_decision_on_a_conflict_that_changed_meanwhile_is_refused(store: Store) -> None:
    out = store.record_conflicts(
        mid="M1",
        title="File:M1.jpg",
        flickr_photo_id="1",
        owner_nsid=None,
        base_revid=1,
        conflicts=[creator_conflict()],
        run_id=1,
        dry_run=False,
    )
    cid = out.ids[0]
    store.decide(cid, "skip", actor="Alice", expected_status="open")
    with pytest.raises(InvalidTransition, match="now skip"):
        store.decide(cid, "keep_commons", actor="Bob", expected_status="open")
    assert store.get_conflict(cid)["decided_by"] == "Alice"  # type: ignore[index]


def _one_conflict(
    store: Store, mid: str = "M1", *, name: str = "John Smith", dry_run: bool = False
) -> int:
    out = store.record_conflicts(
        mid=mid,
        title=f"File:{mid}.jpg",
        flickr_photo_id="1",
        owner_nsid="a@N01",
        base_revid=10,
        conflicts=[creator_conflict(name)],
        run_id=1,
        dry_run=dry_run,
    )
    return out.ids[0]


def test_a_claimed_decision_cannot_be_changed_and_is_given_back_intact(store: Store) -> None:
    cid = _one_conflict(store)
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


def test_a_decision_changed_before_the_claim_is_not_claimed(store: Store) -> None:
    cid = _one_conflict(store)
    store.decide(cid, "accept_flickr", actor="Bob")
    store.decide(cid, "keep_commons", actor="Bob", note="second thoughts")
    assert store.claim_decisions([cid]) == []
    assert store.get_conflict(cid)["status"] == "keep_commons"  # type: ignore[index]


def test_mark_applied_always_records_the_edit(store: Store) -> None:
    claimed, changed = _one_conflict(store, "M1"), _one_conflict(store, "M2")
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


def test_orphan_claims_are_given_back_but_journaled_ones_are_kept(store: Store) -> None:
    orphan, journaled = _one_conflict(store, "M1"), _one_conflict(store, "M2")
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


def test_dry_runs_never_reopen_or_close_conflicts(store: Store) -> None:
    cid = _one_conflict(store)
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
    store.record_conflicts(conflicts=[creator_conflict()], dry_run=True, **kw)  # type: ignore[arg-type]
    assert store.get_conflict(cid)["status"] == "superseded"  # type: ignore[index]
    store.record_conflicts(conflicts=[creator_conflict()], dry_run=False, **kw)  # type: ignore[arg-type]
    assert store.get_conflict(cid)["status"] == "open"  # type: ignore[index]


def test_a_taken_over_lock_is_noticed_and_no_intent_is_written(store: Store) -> None:
    from datetime import timedelta

    from bot.store import LockLost

    holder = store.acquire_lock("run")
    assert store.heartbeat(holder, "run")
    thief = Store(store.path).acquire_lock("run", stale_after=timedelta(0))
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


def test_conflict_files_due_for_a_recheck(store: Store) -> None:
    from datetime import timedelta

    store.upsert_files([evidence(f"M{i}", str(i), nsid="a@N01") for i in range(1, 5)])
    for i in range(1, 5):
        row = store.get_file(f"M{i}")
        assert row is not None
        store.record_outcome(row.id, "conflict", run_id=1, checked_revid=100 + i)
    _one_conflict(store, "M1")
    decided = _one_conflict(store, "M2")
    store.decide(decided, "accept_flickr", actor="Bob")  # waiting for the bot: not due
    kept = _one_conflict(store, "M3")
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


def test_conflicts_of_a_gone_file_are_closed(store: Store) -> None:
    kept = _one_conflict(store, "M1")
    store.decide(kept, "keep_commons", actor="Bob")
    open_ = _one_conflict(store, "M1", name="Jane Roe")  # new data: the keep_commons one closes
    other_file = _one_conflict(store, "M2")
    assert store.get_conflict(open_)["status"] == "open"  # type: ignore[index]
    assert store.close_conflicts_of("M1", "file_gone", "closed: the file is gone") == 1
    c = store.get_conflict(open_)
    assert c is not None and (c["status"], c["closed_reason"]) == ("superseded", "file_gone")
    assert store.get_conflict(other_file)["status"] == "open"  # type: ignore[index]


def test_accepted_conflicts_follow_only_and_owner(store: Store) -> None:
    store.upsert_files([evidence("M1", "1", nsid="a@N01"), evidence("M2", "2", nsid="b@N01")])
    ids = [_one_conflict(store, m) for m in ("M1", "M2")]
    for cid in ids:
        store.decide(cid, "accept_flickr", actor="Bob")
    assert [c["mid"] for c in store.accepted_conflicts()] == ["M1", "M2"]
    assert [c["mid"] for c in store.accepted_conflicts(only=["File:M2.jpg"])] == ["M2"]
    assert [c["mid"] for c in store.accepted_conflicts(owner="b@N01")] == ["M2"]
