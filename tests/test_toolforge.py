"""The Toolforge deployment files: valid for the jobs framework, and one set of paths."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TOOLFORGE = ROOT / "config" / "toolforge"
JOB_KEYS = {
    "name",
    "command",
    "image",
    "schedule",
    "timeout",
    "retry",
    "mem",
    "cpu",
    "emails",
    "filelog",
    "filelog-stdout",
    "filelog-stderr",
    "mount",
    "continuous",
}


def test_jobs_yaml_is_a_list_of_jobs_with_known_keys_and_absolute_paths() -> None:
    jobs = yaml.safe_load((TOOLFORGE / "jobs.yaml").read_text())
    assert isinstance(jobs, list) and {j["name"] for j in jobs} == {
        "backfill-build-venv",
        "backfill-daily",
    }
    for job in jobs:
        assert set(job) <= JOB_KEYS, set(job) - JOB_KEYS
        for key in ("command", "filelog-stdout", "filelog-stderr"):
            value = str(job[key])
            # a job container need not have $HOME; ~ is not expanded in filelog paths
            assert value.startswith("/data/project/flickr-sdc-backfill/"), (key, value)
            assert "$HOME" not in value and "~" not in value
        script = Path(
            job["command"]
            .split()[0]
            .replace("/data/project/flickr-sdc-backfill/flickr-sdc-backfill", str(ROOT))
        )
        assert script.exists() and script.stat().st_mode & stat.S_IXUSR, script
    daily = next(j for j in jobs if j["name"] == "backfill-daily")
    assert daily["schedule"] == "@daily" and daily["timeout"] < 24 * 3600


def test_run_daily_uses_the_tool_home_paths(tmp_path: Path) -> None:
    """Run the real script with a stand-in for the venv's backfill that prints its setup."""
    tool_home = tmp_path / "tool"
    fake = tool_home / "backfill-venv" / "bin" / "backfill"
    fake.parent.mkdir(parents=True)
    fake.write_text(
        '#!/bin/sh\necho "PYWIKIBOT_DIR=$PYWIKIBOT_DIR"\necho "DB=$BACKFILL_DB_PATH"\n'
        'echo "REPORTS=$BACKFILL_REPORT_DIR"\necho "ARGS=$*"\n'
    )
    fake.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKFILL_", "PYWIKIBOT"))}
    env.pop("HOME", None)  # it must not matter whether the container sets HOME
    env["TOOL_HOME"] = str(tool_home)
    out = subprocess.run(
        ["bash", str(TOOLFORGE / "run-daily.sh")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    assert f"PYWIKIBOT_DIR={tool_home}/pywikibot" in out
    assert f"DB={tool_home}/backfill/backfill.db" in out
    assert f"REPORTS={tool_home}/backfill/reports" in out
    assert "ARGS=-v run --max-minutes 1140 --json" in out  # no --recheck: see the script
    assert (tool_home / "pywikibot").is_dir()


def test_one_pywikibot_config_dir_everywhere() -> None:
    """README, run-daily.sh and user-config.py.sample name the same config dir."""
    where = "/data/project/<tool>/pywikibot"
    assert where in (ROOT / "user-config.py.sample").read_text()
    assert "$TOOL_HOME/pywikibot" in (TOOLFORGE / "run-daily.sh").read_text()
    readme = (ROOT / "README.md").read_text()
    assert where in readme
    assert (
        "~/.pywikibot" not in readme
        and ".pywikibot" not in (TOOLFORGE / "run-daily.sh").read_text()
    )
    # and the OAuth variables the code reads are the ones the README names
    from bot.adapters.pywikibot_setup import ENV_OAUTH

    for name in ENV_OAUTH:
        assert name in readme or name.replace("COMMONS_OAUTH_", "..._") in readme, name
    assert "ACCESS_KEY" not in readme
    assert not re.search(r"TOOL_DB_PATH=~", readme)
