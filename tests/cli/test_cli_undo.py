"""``backfill undo``: --help, and every refusal one line with the exit code of its kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.core.errors import ExitCode
from bot.store import Store


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    """A store with run 1 (real), run 2 (dry) and run 3 (an undo of run 1)."""
    path = tmp_path / "bot.db"
    with Store(path) as store:
        for dry, args in [(False, {}), (True, {}), (False, {"undo_of": 1})]:
            run = store.start_run(dry_run=dry, args=args)
            store.finish_run(run, stop_reason="done", summary={})
    return path


def test_help_says_what_is_taken_back_and_what_is_not(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["undo", "--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for words in ["--run N", "--dry-run", "--only", "--limit", "changed them since", "left alone"]:
        assert words in text


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["--run", "9"], ExitCode.USAGE, "no run 9 in the store"),
        (["--run", "2"], ExitCode.USAGE, "run 2 was a dry run"),
        (["--run", "3"], ExitCode.USAGE, "run 3 is itself an undo"),
        (["--run", "1", "--only", "File:A.jpg"], ExitCode.USAGE, "--only takes M-ids"),
        (["--run", "1", "--dry-run", "--only", "x"], ExitCode.USAGE, "--only takes M-ids"),
    ],
)
def test_refusals(
    db: Path,
    args: list[str],
    code: ExitCode,
    words: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COMMONS_BOT_USERNAME", "FlickrSdcBot")
    assert main(["undo", "--db", str(db), *args]) == code
    captured = capsys.readouterr()
    assert captured.err.startswith("backfill undo: ") and words in captured.err
    assert captured.err.count("\n") == 1 and captured.out == ""


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["undo"], ExitCode.USAGE),  # --run is required
        (["undo", "--run", "0"], ExitCode.USAGE),
        (["undo", "--run", "x"], ExitCode.USAGE),
        (["undo", "--run", "1", "--limit", "-1"], ExitCode.USAGE),
    ],
)
def test_bad_arguments(argv: list[str], code: ExitCode) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == code


def test_no_store_is_exit_6(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["undo", "--db", str(tmp_path / "none.db"), "--run", "1"]) == ExitCode.STORE_MISSING
    assert "no store at" in capsys.readouterr().err


def test_no_bot_account_is_exit_7(
    db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("COMMONS_BOT_USERNAME", "COMMONS_BOTPASSWORD_NAME", "COMMONS_OAUTH_CONSUMER_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYWIKIBOT_DIR", str(tmp_path / "pwb"))
    assert main(["undo", "--db", str(db), "--run", "1"]) == ExitCode.CONFIG


def test_a_run_holding_the_lock_is_exit_4(
    db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COMMONS_BOT_USERNAME", "FlickrSdcBot")
    with Store(db) as store:
        store.acquire_lock("run")  # this live process holds it, as a running run would
        assert main(["undo", "--db", str(db), "--run", "1"]) == ExitCode.LOCK_HELD
    assert "another run holds the 'run' lock" in capsys.readouterr().err
