"""The job end to end on either store backend: the same run against the stand-ins, its
store a SQLite file or a MariaDB database (``MARIADB_URL``; skipped without one, a failure
under ``REQUIRE_MARIADB=1``)."""

from __future__ import annotations

import pytest

from bot.store import ConflictStatus, LockHeld, QueueFilter
from tests.support.world import World, p571

pytestmark = pytest.mark.parametrize("store_backend", ["sqlite", "mariadb"])


def test_edits_land_once_and_a_second_run_makes_none(world: World) -> None:
    m1 = world.add_file(101, "52810336619")
    m2 = world.add_file(102, "52810336620", granularity=8, taken="1943-01-01 00:00:00")
    with world.start() as running:
        summary = running.run()
        assert summary.outcomes == {"edited": 2}
        assert running.writes_by_mid() == {m1: 1, m2: 1}
        assert running.run().files == 0
        with running.store() as store:
            assert store.status_counts() == {"edited": 2}
            assert store.open_edits() == []
            assert store.count_edits() == 2  # the journal: one closed intent per edit
            row = store.get_file(m1)
            assert row is not None and row.edited_revid == running.wiki.lastrevid(m1)


def test_a_maintainers_decision_is_applied_and_a_held_lock_stops_a_run(world: World) -> None:
    mid = world.add_file(
        101,
        "52810336619",
        taken="1965-05-01 00:00:00",
        granularity=4,
        statements={"P571": [p571("M101", "+1965-00-00T00:00:00Z", 9)]},
    )
    with world.start() as running:
        assert running.run().conflicts == {"date_precision_differs": 1}
        with running.store() as store:
            (conflict,) = store.list_conflicts(QueueFilter())
            store.decide(conflict["id"], ConflictStatus.ACCEPT_FLICKR, actor="Maintainer")
            holder = store.acquire_lock()  # another run, on another host
        with pytest.raises(LockHeld):
            running.run()
        with running.store() as store:
            store.release_lock(holder)
        assert running.run().decisions_applied == 1
        with running.store() as store:
            applied = store.get_conflict(conflict["id"])
            assert applied is not None and applied["status"] == "applied"
            assert applied["applied_revid"] == running.wiki.lastrevid(mid)
            history = [h["to_status"] for h in store.conflict_history(conflict["id"])]
            assert history == ["open", "accept_flickr", "applying", "applied"]
