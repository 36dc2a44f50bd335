"""Decision rules in the store: the preview, a rule's decisions in the append-only
history, new conflicts decided as they are queued, pause, retire and its withdrawal."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core import ids
from bot.core.rules import RuleDecision, RuleFilter, RuleInvalid, RuleState, parse_rule
from bot.store import ConflictRecord, ConflictStatus, QueueFilter, Store
from bot.store.rule_sql import facts_of
from review_ui import sample

YEAR_1965 = sample.inception("+1965-00-00T00:00:00Z", ids.PRECISION_YEAR, sid="M$A")
MAY_1965 = sample.inception("+1965-05-00T00:00:00Z", ids.PRECISION_MONTH)
PRECISION = RuleFilter(
    reason="date_precision_differs", commons_precision=9, flickr_precision=10, same_year=True
)


def date_conflict(existing: dict[str, Any] = YEAR_1965) -> ConflictRecord:
    return ConflictRecord(
        ids.P_INCEPTION, "date_precision_differs", [existing], MAY_1965, existing.get("id")
    )


def queue(store: Store, mid: str, rec: ConflictRecord | None = None, **kw: Any) -> int:
    outcome = store.record_conflicts(
        mid=mid,
        title=f"File:{mid}.jpg",
        flickr_photo_id="1",
        owner_nsid=kw.pop("owner", "1@N00"),
        base_revid=10,
        conflicts=[rec or date_conflict()],
        run_id=1,
        dry_run=kw.pop("dry_run", False),
    )
    return outcome.ids[0]


def saved(store: Store, flt: RuleFilter = PRECISION, decision: str = "accept_flickr") -> int:
    result = store.create_rule(flt, RuleDecision(decision), actor="Alice", note="checked")
    store.rule_decide(result.rule.id, max_id=10**9, pause=0)
    return result.rule.id


def test_the_preview_counts_open_matching_conflicts_and_shows_the_first(store: Store) -> None:
    a, b = queue(store, "M1"), queue(store, "M2")
    queue(store, "M3", date_conflict(sample.inception("+1966-00-00T00:00:00Z", 9, sid="M3$A")))
    store.decide(b, ConflictStatus.SKIP, actor="Bob")  # answered by a person: not open
    preview = store.preview_rule(PRECISION)
    assert (preview.count, preview.max_id) == (1, a)
    assert [c["id"] for c in preview.sample] == [a]
    assert store.preview_rule(RuleFilter(reason="date_precision_differs")).count == 2


def test_saving_queues_the_first_pass_which_records_the_rule_in_the_history(
    store: Store,
) -> None:
    cid = queue(store, "M1")
    created = store.create_rule(PRECISION, RuleDecision.ACCEPT_FLICKR, actor="Alice", note="ok")
    task = store.get_bulk_task(created.task_id or 0)
    assert task is not None and task.rule_id == created.rule.id and task.expected == 1
    assert store.get_conflict(cid)["status"] == "open"  # the worker decides it, not the POST
    result = store.rule_decide(created.rule.id, max_id=task.max_id, pause=0)
    assert result.decided == 1
    row = store.get_conflict(cid)
    assert row["status"] == "accept_flickr" and row["decided_rule"] == created.rule.id
    assert row["decided_by"] == f"rule #{created.rule.id}"
    last = store.conflict_history(cid)[-1]
    assert last["actor"] == f"rule #{created.rule.id}" and last["rule_id"] == created.rule.id
    assert last["note"].startswith(f"decided by rule #{created.rule.id}, written by Alice on ")
    assert last["note"].endswith(": ok")
    assert store.get_rule(created.rule.id).decided == 1
    assert [e.action for e in store.rule_events(created.rule.id)] == ["created"]
    with pytest.raises(store.errors, match="append-only"):
        store.conn.execute("UPDATE conflict_events SET rule_id = NULL")


def test_a_new_conflict_is_decided_by_the_rule_as_the_job_queues_it(store: Store) -> None:
    rule_id = saved(store)
    outcome = store.record_conflicts(
        mid="M9",
        title="File:M9.jpg",
        flickr_photo_id="9",
        owner_nsid="9@N00",
        base_revid=10,
        conflicts=[date_conflict(), date_conflict(sample.inception("+1970-05-00T00:00:00Z", 10))],
        run_id=2,
        dry_run=False,
    )
    assert outcome.statuses == ["accept_flickr", "open"] and outcome.by_rule == 1
    assert outcome.waiting() == [False, True]
    history = store.conflict_history(outcome.ids[0])
    assert [(e["actor"], e["to_status"], e["rule_id"]) for e in history] == [
        ("bot", "open", None),
        (f"rule #{rule_id}", "accept_flickr", rule_id),
    ]
    assert store.get_rule(rule_id).decided == 1


def test_a_dry_run_decides_nothing(store: Store) -> None:
    saved(store)
    cid = queue(store, "M1", dry_run=True)
    assert store.get_conflict(cid)["status"] == "open"


def test_a_conflict_someone_answered_before_is_not_decided_by_a_rule(store: Store) -> None:
    cid = queue(store, "M1")
    store.decide(cid, ConflictStatus.KEEP_COMMONS, actor="Bob")
    store.supersede(cid, "file_changed_since_conflict")
    queue(store, "M1")  # found again: reopened
    assert store.get_conflict(cid)["status"] == "open"
    saved_id = store.create_rule(PRECISION, RuleDecision.ACCEPT_FLICKR, actor="Alice").rule.id
    queue(store, "M1")  # seen again, open, but Bob answered it once: waits for a person
    assert store.get_conflict(cid)["status"] == "open"
    assert store.get_rule(saved_id).decided == 0


def test_a_paused_rule_decides_nothing_new_and_keeps_its_decisions(store: Store) -> None:
    first = queue(store, "M1")
    rule_id = saved(store)
    paused = store.pause_rule(rule_id, actor="Bob", note="looking into it")
    assert paused.state is RuleState.PAUSED and paused.updated_by == "Bob"
    later = queue(store, "M2")
    assert store.get_conflict(later)["status"] == "open"
    assert store.get_conflict(first)["status"] == "accept_flickr"
    resumed = store.resume_rule(rule_id, actor="Bob")
    assert resumed.task_id is not None and resumed.expected == 1
    store.rule_decide(rule_id, max_id=10**9, pause=0)
    assert store.get_conflict(later)["status"] == "accept_flickr"
    assert [e.action for e in store.rule_events(rule_id)] == ["created", "paused", "resumed"]


def test_a_first_pass_stops_when_the_rule_is_paused(store: Store) -> None:
    ids_ = [queue(store, f"M{i}") for i in range(5)]
    rule_id = store.create_rule(PRECISION, RuleDecision.SKIP, actor="Alice").rule.id
    store.rule_decide(
        rule_id,
        max_id=10**9,
        chunk_size=2,
        pause=0,
        between_chunks=lambda r: store.pause_rule(rule_id, actor="Bob") if r.chunks == 1 else None,
    )
    assert [store.get_conflict(i)["status"] for i in ids_] == ["skip"] * 2 + ["open"] * 3


def test_retiring_withdraws_what_the_bot_has_not_written(store: Store) -> None:
    accepted, written, changed = queue(store, "M1"), queue(store, "M2"), queue(store, "M3")
    rule_id = saved(store)
    store.mark_applied([written], 12345)
    store.decide(changed, ConflictStatus.KEEP_COMMONS, actor="Bob")  # a person's now
    retired = store.retire_rule(rule_id, actor="Carol", note="too broad")
    assert retired.expected == 1 and retired.task_id is not None
    # the job writes none of its decisions from now on, even before the withdrawal
    assert store.accepted_conflicts() == []
    result = store.withdraw_rule_decisions(rule_id, pause=0)
    assert result.decided == 1
    assert [store.get_conflict(i)["status"] for i in (accepted, written, changed)] == [
        "open",
        "applied",
        "keep_commons",
    ]
    row = store.get_conflict(accepted)
    assert row["decided_by"] is None and row["decided_rule"] is None
    last = store.conflict_history(accepted)[-1]
    assert (last["actor"], last["from_status"], last["to_status"], last["rule_id"]) == (
        "Carol",
        "accept_flickr",
        "open",
        rule_id,
    )
    assert last["note"] == f"withdrawn: rule #{rule_id} was retired by Carol"
    rule = store.get_rule(rule_id)
    assert (rule.state, rule.decided, rule.withdrawn) == (RuleState.RETIRED, 3, 1)
    later = queue(store, "M4")
    assert store.get_conflict(later)["status"] == "open"  # decides nothing more
    with pytest.raises(RuleInvalid, match="retired"):
        store.pause_rule(rule_id, actor="Carol")


def test_rule_sql_and_python_agree_on_every_sample_kind(store: Store) -> None:
    sample.seed(store, 32)
    rows = store.list_conflicts(QueueFilter(), limit=100)
    filters = [RuleFilter(reason=r["reason"]) for r in rows[:8]] + [
        parse_rule({"decision": "skip", "reason": "date_differs", "commons_circa": "yes"})[0],
        parse_rule({"decision": "skip", "reason": "date_differs", "flickr_day": "05-17"})[0],
        parse_rule({"decision": "skip", "reason": "date_precision_differs", "same_year": "yes"})[0],
        parse_rule({"decision": "skip", "reason": "creator_differs", "commons_value": "somevalue"})[
            0
        ],
        parse_rule({"decision": "skip", "reason": "photo_id_differs", "commons_value": "1"})[0],
        parse_rule(
            {"decision": "skip", "reason": "date_precision_differs", "owner": rows[2]["owner_nsid"]}
        )[0],
    ]
    for flt in filters:
        in_python = {
            r["id"]
            for r in rows
            if flt.matches(
                facts_of(
                    ConflictRecord(
                        r["property"], r["reason"], r["existing"], r["proposed"], r["statement_id"]
                    ),
                    r["owner_nsid"],
                )
            )
        }
        preview = store.preview_rule(flt, sample=100)
        assert {c["id"] for c in preview.sample} == in_python, flt
        assert preview.count == len(in_python) > 0, flt


def test_conflicts_queued_before_rules_get_their_facts_filled(store: Store) -> None:
    cid = queue(store, "M1")
    store.conn.execute(
        "UPDATE conflicts SET sides_known = 0, commons_precision = NULL, flickr_precision = NULL, "
        "commons_year = NULL, flickr_year = NULL"
    )
    assert store.preview_rule(PRECISION).count == 0
    assert store.fill_rule_sides() == 1
    assert store.fill_rule_sides() == 0
    assert store.preview_rule(PRECISION).sample[0]["id"] == cid


def test_a_decision_the_bot_held_while_its_rule_was_retired_is_withdrawn_when_released(
    store: Store,
) -> None:
    cid = queue(store, "M1")
    rule_id = saved(store)
    assert store.claim_decisions([cid]) == [cid]  # the bot is writing it
    store.retire_rule(rule_id, actor="Carol")
    assert store.withdraw_rule_decisions(rule_id, pause=0).decided == 0  # held: not taken
    store.release_decisions([cid], "not written: the run stopped")
    row = store.get_conflict(cid)
    assert row["status"] == "open" and row["decided_rule"] is None
    last = store.conflict_history(cid)[-1]
    assert (last["from_status"], last["to_status"], last["rule_id"]) == (
        "accept_flickr",
        "open",
        rule_id,
    )
