"""Settings: defaults file, overrides from a file and from BACKFILL_* variables."""

from datetime import timedelta
from pathlib import Path

import pytest

from bot.adapters.config import PROJECT_DIR, Settings, SettingsError, load_settings
from bot.core.errors import ExitCode


def test_defaults_file_matches_the_dataclass_defaults() -> None:
    settings = load_settings(environ={})
    assert settings.flickr_calls_per_hour == 3600
    assert settings.maxlag == 5
    assert settings.edit_tags == ()
    assert settings.owner_cache_max_age == timedelta(days=30) == Settings().owner_cache_max_age


def test_owner_cache_max_age_from_the_environment() -> None:
    settings = load_settings(environ={"BACKFILL_OWNER_CACHE_MAX_AGE_DAYS": "0.5"})
    assert settings.owner_cache_max_age == timedelta(hours=12)


def test_environment_overrides_and_types(tmp_path: Path) -> None:
    extra = tmp_path / "site.toml"
    extra.write_text('batch_size = 500\nedit_tags = ["BotSDC"]\n')
    settings = load_settings(
        environ={
            "BACKFILL_CONFIG": str(extra),
            "BACKFILL_FLICKR_CALLS_PER_HOUR": "1800",
            "BACKFILL_EDIT_TAGS": "a, b",
        }
    )
    assert settings.batch_size == 500
    assert settings.flickr_calls_per_hour == 1800
    assert settings.edit_tags == ("a", "b")


def test_unknown_setting_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("flickr_api_key = 'x'\n")
    with pytest.raises(ValueError, match="unknown settings"):
        load_settings(environ={"BACKFILL_CONFIG": str(bad)})


def test_flag_overrides_skip_none() -> None:
    s = Settings().with_overrides(batch_size=None, maxlag=2)
    assert (s.batch_size, s.maxlag) == (50, 2)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("BACKFILL_PUT_THROTTLE", "-1", "setting put_throttle: must not be negative"),
        ("BACKFILL_MAX_RETRIES", "-2", "setting max_retries: must not be negative"),
        ("BACKFILL_BATCH_SIZE", "many", "setting batch_size: not a valid int: 'many'"),
        ("BACKFILL_CONFIG", "/nonexistent/site.toml", "BACKFILL_CONFIG names no file"),
    ],
)
def test_unusable_values_are_configuration_errors(variable: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message) as err:
        load_settings(environ={variable: value})
    assert err.value.exit_code == ExitCode.CONFIG


def test_relative_paths_in_a_settings_file_are_relative_to_that_file(tmp_path: Path) -> None:
    extra = tmp_path / "site" / "site.toml"
    extra.parent.mkdir()
    extra.write_text('db_path = "data/b.db"\nreport_dir = "/abs/reports"\n')
    settings = load_settings(environ={"BACKFILL_CONFIG": str(extra)})
    assert settings.db_path == str(tmp_path / "site" / "data" / "b.db")
    assert settings.report_dir == "/abs/reports"
    assert settings.pywikibot_dir == str(PROJECT_DIR / "var" / "pywikibot")
