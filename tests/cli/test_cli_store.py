"""``backfill store copy`` and the exit codes ``backfill --help`` lists."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from bot.cli import EXIT_CODES_HELP, build_parser, main
from bot.core.errors import ExitCode
from bot.store import Store
from bot.store.copying import COPIED_TABLES
from tests.support.conflicts import ConflictBuilder


@pytest.fixture()
def source(tmp_path: Path, conflict: ConflictBuilder) -> Path:
    path = tmp_path / "old.db"
    with Store(path) as store:
        conflict.record(store, mid="M1")
        conflict.record(store, conflict("Jane Roe"), mid="M2")
        store.start_run(dry_run=False)
    return path


def test_copy_prints_a_line_per_table_and_exits_0(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "new.db"
    assert main(["store", "copy", "--from", str(source), "--to", f"sqlite:///{target}"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["table", "source", "rows", "target", "rows", "checksum", "check"]
    conflicts = next(line for line in out if line.startswith("conflicts "))
    assert conflicts.split()[1:3] == ["2", "2"] and conflicts.endswith("ok")
    assert len(out) == len(COPIED_TABLES) + 3 and out[-1].endswith(": verified")


def test_a_second_copy_is_refused_in_one_line_then_forced(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = str(tmp_path / "new.db")
    assert main(["store", "copy", "--from", str(source), "--to", target]) == 0
    capsys.readouterr()
    assert main(["store", "copy", "--from", str(source), "--to", target]) == ExitCode.USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith(f"backfill store: {target} is not empty: ")
    assert line.endswith("; pass --force to replace it")
    assert main(["store", "copy", "--from", str(source), "--to", target, "--force", "--json"]) == 0
    report = orjson.loads(capsys.readouterr().out)
    assert report["ok"] and report["replaced"]
    assert {t["table"] for t in report["tables"] if t["ok"]} >= {"conflicts", "conflict_counts"}


def test_a_missing_source_is_exit_6(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["store", "copy", "--from", str(tmp_path / "x.db"), "--to", str(tmp_path / "y")])
    assert code == ExitCode.STORE_MISSING
    assert capsys.readouterr().err.startswith("backfill store: no store at ")


def test_help_lists_every_exit_code() -> None:
    listed = {int(word) for line in EXIT_CODES_HELP.splitlines()[1:] for word in line.split()
              if word.isdigit()}  # fmt: skip
    assert listed == {int(code) for code in ExitCode}
    assert "10 store unavailable" in build_parser().format_help()


@pytest.mark.parametrize("command", [["rules", "list"], ["store", "copy", "--to", "x.db"]])
def test_a_mariadb_server_that_is_down_exits_10_with_one_line(
    command: list[str], free_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"mysql://backfill:secret-pw@127.0.0.1:{free_port}/backfill"
    args = [*command, "--db", url] if command[0] == "rules" else [*command, "--from", url]
    assert main(args) == ExitCode.STORE_UNAVAILABLE == 10
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "secret-pw" not in err
    assert "connect" in err
