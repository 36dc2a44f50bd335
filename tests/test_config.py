"""Settings: defaults file, overrides from a file and from BACKFILL_* variables."""

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import Settings, load_settings


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
