"""The store's part of undoing a run: an undo's intents are its own, one row per file."""

from __future__ import annotations

from pathlib import Path

import pytest
from store.test_store import evidence

from bot.store import FileStatus, Store


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "bot.db")


def test_an_undo_intent_is_never_a_runs_open_intent(store: Store) -> None:
    store.upsert_files([evidence("M1", "1")])
    (f,) = store.select_files()
    store.record_outcome(f.id, FileStatus.EDITED, run_id=1)
    jid = store.open_edit(
        run_id=2,
        mid="M1",
        base_revid=5,
        payload={"claims": [], "undo": {"run": 1}},
        summary="s",
        undo_of=1,
    )
    assert store.open_edits() == [] and store.open_edits("M1") == []
    assert store.select_files() == []  # a run does not pick the file up to settle it
    (intent,) = store.open_undo_edits(1)
    assert (intent.id, intent.mid, intent.payload["undo"]) == (jid, "M1", {"run": 1})
    assert store.open_undo_edits(2) == []


def test_run_edits_are_the_done_ones_in_order(store: Store) -> None:
    ids = []
    for mid, state in [("M2", "done"), ("M1", "done"), ("M1", "failed"), ("M1", "done")]:
        jid = store.open_edit(run_id=1, mid=mid, base_revid=1, payload={"claims": [{}]}, summary="")
        store.close_edit(jid, state=state, new_revid=2)
        ids.append(jid)
    store.open_edit(run_id=1, mid="M3", base_revid=1, payload={"claims": []}, summary="")
    assert [(r.mid, r.id) for r in store.run_edits(1)] == [
        ("M1", ids[1]),
        ("M1", ids[3]),
        ("M2", ids[0]),
    ]
    assert [r.mid for r in store.run_edits(1, ["M2"])] == ["M2"]
    assert store.unsettled_edits(1) == 1


def test_one_undo_row_per_file_recorded_with_its_journal_closed(store: Store) -> None:
    jid = store.open_edit(run_id=2, mid="M1", base_revid=5, payload={}, summary="", undo_of=1)
    store.record_undo_file(
        undone_run_id=1,
        undo_run_id=2,
        mid="M1",
        outcome="undone",
        taken=[{"property": "P571"}],
        left=[{"property": "P170"}],
        base_revid=5,
        new_revid=6,
        journal_ids=[jid],
    )
    (row,) = store.undo_files(1)
    assert (row.mid, row.outcome, row.taken, row.left, row.new_revid) == (
        "M1",
        "undone",
        [{"property": "P571"}],
        [{"property": "P170"}],
        6,
    )
    assert store.open_undo_edits(1) == []
    with pytest.raises(store.errors):  # never twice (a unique key)
        store.record_undo_file(
            undone_run_id=1,
            undo_run_id=3,
            mid="M1",
            outcome="undone",
            taken=[],
            left=[],
            base_revid=6,
            new_revid=7,
        )
