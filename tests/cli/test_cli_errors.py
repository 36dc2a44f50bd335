"""Every failure of the command line is one line on stderr and the exit code of its kind.

Network cases run ``backfill`` as a subprocess against a 127.0.0.1 port where nothing
listens, with small retry bounds from ``BACKFILL_*`` variables (the default bounds are
checked by computation in ``test_default_bounds_are_at_most_30_s``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from bot.adapters.config import PROJECT_DIR, load_settings
from bot.cli import main
from bot.core.errors import ExitCode
from bot.run.wiring import build_adapters, unreachable_bounds
from bot.standins.sandbox import SAMPLE_SNAPSHOT
from bot.store import Store
from tests.support.world import FLICKR_KEY, World

REPO = Path(__file__).resolve().parents[2]
FAST_RETRIES = {
    "BACKFILL_MAX_RETRIES": "1",
    "BACKFILL_RETRY_WAIT": "0.01",
    "BACKFILL_RETRY_MAX": "0.01",
    "BACKFILL_CONNECT_TIMEOUT": "1",
}


def backfill(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m bot.cli ARGS`` with a clean environment (no key, no account)."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        env={**keep, "PYTHONPATH": str(REPO), **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_line(stderr: str) -> str:
    """The single line a failure prints (no traceback, no retry chatter)."""
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.fixture
def sample_db(tmp_path: Path) -> Path:
    """A store extracted from the bundled sample."""
    db = tmp_path / "store.db"
    assert main(["extract", str(SAMPLE_SNAPSHOT), "--db", str(db), "--no-progress"]) in (0, 1)
    return db


# --------------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--limit", "-1"], "argument --limit: must not be negative: -1"),
        (["run", "--limit", "x"], "argument --limit: not a whole number: 'x'"),
        (["run", "--put-throttle", "-1"], "argument --put-throttle: must be a number >= 0: -1"),
        (["run", "--max-minutes", "-5"], "argument --max-minutes: must be a number >= 0: -5"),
        (["explain", "M1", "--put-throttle", "nan"], "must be a number >= 0: nan"),
        (["extract", "x", "--workers", "-2"], "argument --workers: must not be negative: -2"),
        (["extract", "x", "--progress-interval", "0"], "must be greater than 0: 0"),
        (["review", "--db", "x", "--port", "70000"], "argument --port: not a port number"),
    ],
)
def test_bad_arguments_are_refused_by_parsing(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        main(args)
    assert stop.value.code == ExitCode.USAGE == 2
    line = one_line(capsys.readouterr().err)
    assert line.startswith(f"backfill {args[0]}: ") and message in line


# --------------------------------------------------------------------------- stores and inputs


def test_run_without_a_store_says_so_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "backfill.db"
    result = backfill(
        "run",
        "--dry-run",
        cwd=tmp_path,
        env={"BACKFILL_DB_PATH": str(missing), "FLICKR_API_KEY": "k"},
    )
    assert result.returncode == ExitCode.STORE_MISSING == 6
    assert one_line(result.stderr).startswith(f"backfill run: no store at {missing}: ")
    assert list(tmp_path.iterdir()) == []  # no ./var, no store, no pywikibot dir


@pytest.mark.parametrize(
    "args",
    [
        ["explain", "M1", "--db", "{missing}"],
        ["export", "--db", "{missing}"],
        ["review", "--db", "{missing}"],
    ],
)
def test_commands_that_need_a_store_say_there_is_none(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
) -> None:
    monkeypatch.setenv("FLICKR_API_KEY", "k")
    missing = tmp_path / "none.db"
    assert main([a.format(missing=missing) for a in args]) == ExitCode.STORE_MISSING
    assert one_line(capsys.readouterr().err).startswith(f"backfill {args[0]}: no store at ")
    assert not missing.exists()


def test_the_default_store_path_is_the_project_setting_not_the_current_directory() -> None:
    settings = load_settings(environ={})
    assert settings.db_path == str(PROJECT_DIR / "var" / "backfill.db")
    assert settings.pywikibot_dir == str(PROJECT_DIR / "var" / "pywikibot")
    assert load_settings(environ={"BACKFILL_DB_PATH": "/srv/b.db"}).db_path == "/srv/b.db"


# --------------------------------------------------------------------------- the Flickr key


@pytest.mark.parametrize(
    "args",
    [
        ["explain", "M1"],
        ["run", "--dry-run"],
        ["run", "--username", "SomeBot"],  # a real run: the key is named before the login
    ],
)
def test_a_missing_flickr_key_is_named_before_any_request(
    tmp_path: Path, sample_db: Path, free_port: int, args: list[str]
) -> None:
    # Commons points at a closed port: a request or a login would fail differently (8).
    api = f"http://127.0.0.1:{free_port}/w/api.php"
    result = backfill(
        *args, "--db", str(sample_db), "--commons-api", api, cwd=tmp_path, env=FAST_RETRIES
    )
    assert result.returncode == ExitCode.CONFIG == 7
    assert one_line(result.stderr) == (
        f"backfill {args[0]}: FLICKR_API_KEY is not set: a Flickr API key is needed to read "
        "photos (`backfill demo` runs offline without one)"
    )


def test_a_real_run_without_an_account_is_a_configuration_error(
    tmp_path: Path, sample_db: Path
) -> None:
    result = backfill(
        "run", "--db", str(sample_db), "--pywikibot-dir", str(tmp_path / "pwb"),
        cwd=tmp_path, env={"FLICKR_API_KEY": "k"},
    )  # fmt: skip
    assert result.returncode == ExitCode.CONFIG
    assert one_line(result.stderr).startswith("backfill run: no bot account: pass --username")


# --------------------------------------------------------------------------- unreachable


def test_an_unreachable_commons_fails_a_dry_run_with_its_summary(
    tmp_path: Path, sample_db: Path, free_port: int
) -> None:
    api = f"http://127.0.0.1:{free_port}/w/api.php"
    result = backfill(
        "run", "--dry-run", "--db", str(sample_db), "--commons-api", api,
        "--pywikibot-dir", str(tmp_path / "pwb"),
        cwd=tmp_path, env={**FAST_RETRIES, "FLICKR_API_KEY": "k"},
    )  # fmt: skip
    assert result.returncode == ExitCode.NETWORK == 8
    line = (
        f"Commons at 127.0.0.1:{free_port} did not answer: gave up after the bounded retries "
        "(-v shows each try)"
    )
    assert one_line(result.stderr) == f"backfill run: {line}"
    first = result.stdout.splitlines()[0]
    assert first == f"Run 1: dry run (nothing written to Commons); stopped: error: {line}"
    with Store(sample_db) as s:  # the failed run is recorded like any other
        run = s.get_run(1)
    assert run is not None and run["stop_reason"] == f"error: {line}"


def test_an_unreachable_commons_fails_explain(tmp_path: Path, free_port: int) -> None:
    api = f"http://127.0.0.1:{free_port}/w/api.php"
    result = backfill(
        "explain", "M1", "--commons-api", api, "--pywikibot-dir", str(tmp_path / "pwb"),
        cwd=tmp_path, env={**FAST_RETRIES, "FLICKR_API_KEY": "k"},
    )  # fmt: skip
    assert result.returncode == ExitCode.NETWORK
    assert one_line(result.stderr) == (
        f"backfill explain: Commons at 127.0.0.1:{free_port} did not answer: gave up after the "
        "bounded retries (-v shows each try)"
    )


def test_an_unreachable_flickr_fails_explain_in_one_line(
    world: World,
    free_port: int,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world.add_file(101, "52810336619")
    monkeypatch.setenv("FLICKR_API_KEY", FLICKR_KEY)
    for name, value in FAST_RETRIES.items():
        monkeypatch.setenv(name, value)
    with world.start() as running:
        s = running.settings
        status = main(
            [
                "explain", "M101", "--commons-api", s.commons_api_url,
                "--flickr-api", f"http://127.0.0.1:{free_port}/services/rest/",
                "--wikidata-api", s.wikidata_api_url, "--pywikibot-dir", s.pywikibot_dir,
            ]
        )  # fmt: skip
    assert status == ExitCode.NETWORK
    assert one_line(capsys.readouterr().err) == (
        f"backfill explain: cannot reach Flickr at 127.0.0.1:{free_port}: connection refused (1 try)"
    )


def test_default_bounds_are_at_most_30_s() -> None:
    """Computed from the shipped settings as build_adapters configures each client."""
    bounds = unreachable_bounds(load_settings(environ={}))
    assert set(bounds) == {"commons", "flickr", "wikidata"}
    assert all(0 < seconds <= 30 for seconds in bounds.values()), bounds
    assert bounds["commons"] == 4 * 3 + 2 + 4 + 8  # 4 tries, waits doubling from 2 s


def test_test_bounds_are_small() -> None:
    bounds = unreachable_bounds(load_settings(environ=FAST_RETRIES))
    assert all(seconds <= 3 for seconds in bounds.values()), bounds


# --------------------------------------------------------------------------- put throttle


# None as the expected delay: pywikibot's minimum gap (``minthrottle``, 0.1 s by default)
@pytest.mark.parametrize(("throttle", "write_delay"), [(0.0, None), (0.3, 0.3), (None, 10.0)])
def test_put_throttle_zero_means_no_wait_between_edits(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    throttle: float | None,
    write_delay: float | None,
) -> None:
    """0: an edit waits no longer than any request (pywikibot's minimum gap between two
    requests, ``minthrottle``: 0.1 s unless a test lowered it); maxlag still applies. None
    (the flag not given): the setting, 10 s."""
    monkeypatch.setenv("FLICKR_API_KEY", FLICKR_KEY)
    with world.start() as running:
        settings = running.settings.with_overrides(put_throttle=throttle)
        if throttle is None:
            settings = replace(settings, put_throttle=load_settings(environ={}).put_throttle)
        with build_adapters(settings, anonymous=True, username=None) as ad:
            import pywikibot

            throttle_ = ad.commons.site.throttle
            expected = pywikibot.config.minthrottle if write_delay is None else write_delay
            assert throttle_.writedelay == expected
            assert throttle_.mindelay == pywikibot.config.minthrottle
            assert pywikibot.config.write_maxlag == settings.maxlag == 5


# --------------------------------------------------------------------------- unexpected errors


def test_an_unexpected_error_is_one_line_and_the_traceback_is_behind_debug(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(args: object) -> int:
        raise KeyError("surprise")

    monkeypatch.setattr("bot.cli.urls.run", broken)
    assert main(["parse-url", "x"]) == ExitCode.FAILED == 1
    assert one_line(capsys.readouterr().err) == (
        "backfill parse-url: failed: KeyError: 'surprise' (backfill --debug shows where)"
    )
    assert main(["--debug", "parse-url", "x"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback") and err.endswith(
        "backfill parse-url: failed: KeyError: 'surprise'\n"
    )


# --------------------------------------------------------------------------- the README


def test_the_readme_lists_every_exit_code() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Exit codes") :]
    listed = {int(m) for m in re.findall(r"^\| (\d+) \|", section, re.M)}
    assert listed == {int(code) for code in ExitCode}


@pytest.mark.parametrize(
    ("key", "flickr", "code", "reason"),
    [
        (FLICKR_KEY, "closed", ExitCode.NETWORK,
         "cannot reach Flickr at 127.0.0.1:{port}: connection refused (1 try)"),
        ("not-the-key", "standin", ExitCode.AUTH_REFUSED,
         "Flickr refused the API key (Invalid API Key (Key has invalid format)); "
         "check FLICKR_API_KEY"),
    ],
)  # fmt: skip
def test_a_run_that_flickr_stops_prints_its_summary_and_one_line(
    tmp_path: Path,
    world: World,
    free_port: int,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    key: str,
    flickr: str,
    code: ExitCode,
    reason: str,
) -> None:
    world.add_file(101, "52810336619")
    monkeypatch.setenv("FLICKR_API_KEY", key)
    for name, value in FAST_RETRIES.items():
        monkeypatch.setenv(name, value)
    with world.start() as running:
        s = running.settings
        api = (
            f"http://127.0.0.1:{free_port}/services/rest/"
            if flickr == "closed"
            else s.flickr_api_url
        )
        status = main(
            [
                "run", "--dry-run", "--db", s.db_path, "--commons-api", s.commons_api_url,
                "--flickr-api", api, "--wikidata-api", s.wikidata_api_url,
                "--pywikibot-dir", s.pywikibot_dir, "--report", str(tmp_path / "r.jsonl"),
            ]
        )  # fmt: skip
    assert status == code
    out, err = capsys.readouterr()
    line = reason.format(port=free_port)
    assert one_line(err) == f"backfill run: {line}"
    assert out.splitlines()[0].endswith(f"stopped: error: {line}")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["sandbox", "--data", "{tmp}"], ExitCode.INPUT_MISSING,
         "backfill sandbox: {tmp} needs commons/ and flickr/ subdirectories"),
        (["sandbox", "--inject", "commons:nonsense"], ExitCode.USAGE,
         "backfill sandbox: --inject 'commons:nonsense': unknown commons fault"),
        (["extract", "--db", "{tmp}/b.db"], ExitCode.USAGE,
         "backfill extract: give a SNAPSHOT, --titles FILE, or both"),
        (["review", "--db", "{store}"], ExitCode.CONFIG, "backfill review: "),
    ],
)  # fmt: skip
def test_other_failures_are_one_line(
    tmp_path: Path,
    sample_db: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    code: ExitCode,
    message: str,
) -> None:
    monkeypatch.delenv("TOOL_SECRET_KEY", raising=False)
    monkeypatch.delenv("TOOL_DEV_LOGIN", raising=False)
    capsys.readouterr()  # the sample_db fixture's extract summary
    values = {"tmp": tmp_path, "store": sample_db}
    assert main([a.format(**values) for a in args]) == code
    assert one_line(capsys.readouterr().err).startswith(message.format(**values))


def test_an_unreachable_flickr_stops_a_run_with_one_line_on_stderr(
    tmp_path: Path, world: World, free_port: int
) -> None:
    """As a subprocess, so that the bot's own log lines count too: the tries before
    Flickr counts as unreachable are logged at INFO, not as a warning each."""
    world.add_file(101, "52810336619")
    with world.start() as running:
        s = running.settings
        result = backfill(
            "run", "--dry-run", "--no-progress", "--db", s.db_path,
            "--commons-api", s.commons_api_url,
            "--flickr-api", f"http://127.0.0.1:{free_port}/services/rest/",
            "--wikidata-api", s.wikidata_api_url,
            "--pywikibot-dir", str(tmp_path / "pwb-sub"), "--report", str(tmp_path / "r.jsonl"),
            cwd=tmp_path,
            env={**FAST_RETRIES, "BACKFILL_MAX_RETRIES": "2", "FLICKR_API_KEY": FLICKR_KEY},
        )  # fmt: skip
    line = f"cannot reach Flickr at 127.0.0.1:{free_port}: connection refused (2 tries)"
    assert result.returncode == ExitCode.NETWORK
    assert one_line(result.stderr) == f"backfill run: {line}"
    assert result.stdout.splitlines()[0].endswith(f"stopped: error: {line}")
