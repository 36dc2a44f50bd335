"""``backfill rules list|show|pause|resume|retire``: thin over the store, who did it recorded."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.errors import ExitCode
from bot.core.rules import parse_rule
from bot.store import Store
from review_ui import sample


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "bot.db"
    with Store(path) as store:
        sample.seed(store, 16)  # date_differs: conflicts 2 and 10
        rule = store.create_rule(
            *parse_rule({"reason": "date_differs", "decision": "keep_commons"}),
            actor="Alice",
            note="1943 is the scan",
        ).rule
        store.rule_decide(rule.id, max_id=16, pause=0)
    return path


def statuses(db: Path, *ids: int) -> list[str]:
    with Store(db) as store:
        return [store.get_conflict(i)["status"] for i in ids]  # type: ignore[index]


def test_list_and_show(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "list", "--db", str(db)]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("#1  active   keep Commons' value  by Alice ")
    assert line.endswith("decided 2  | reason: date_differs")
    assert main(["rules", "show", "1", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "note:       1943 is the scan" in out and "decided:    2 (withdrawn 0)" in out
    assert "matches now: 0 open conflicts" in out and "created by Alice" in out


def test_pause_and_retire_record_who_did_it(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "pause", "1", "--db", str(db), "--by", "Bob", "--note", "why"]) == 0
    assert statuses(db, 2, 10) == ["keep_commons", "keep_commons"]
    assert main(["rules", "retire", "1", "--db", str(db)]) == 0
    assert "2 of its decisions the bot had not written went back to open" in capsys.readouterr().out
    assert statuses(db, 2, 10) == ["open", "open"]
    with Store(db) as store:
        events = [(e.action, e.actor, e.note) for e in store.rule_events(1)]
        history = store.conflict_history(2)[-1]
    assert events[1:] == [("paused", "Bob", "why"), ("retired", f"cli:{getpass.getuser()}", None)]
    assert history["actor"] == f"cli:{getpass.getuser()}" and history["rule_id"] == 1


def test_resume_decides_what_matches_now(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["rules", "pause", "1", "--db", str(db), "--by", "Bob"])
    with Store(db) as store:
        store.decide(2, "skip", actor="Carol")
        store.decide(2, "keep_commons", actor="Carol")
    assert main(["rules", "resume", "1", "--db", str(db), "--by", "Bob"]) == 0
    assert "rule #1 resumed: 0 open conflicts decided now" in capsys.readouterr().out


def test_mistakes_are_one_line_and_a_usage_exit(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules", "show", "7", "--db", str(db)]) == ExitCode.USAGE
    assert capsys.readouterr().err == "backfill rules: there is no rule 7\n"
    main(["rules", "retire", "1", "--db", str(db)])
    capsys.readouterr()
    assert main(["rules", "pause", "1", "--db", str(db)]) == ExitCode.USAGE
    assert "rule 1 is retired: it cannot be paused" in capsys.readouterr().err
    assert main(["rules", "list", "--db", str(db.with_name("none.db"))]) == ExitCode.STORE_MISSING


@pytest.mark.parametrize("sub", ["list", "show", "pause", "resume", "retire"])
def test_every_subcommand_has_help(sub: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["rules", sub, "--help"])
    assert done.value.code == 0
    assert "--db" in capsys.readouterr().out
