"""Project settings: defaults in ``config/defaults.toml``, overridden by the environment.

Secrets are not settings: ``FLICKR_API_KEY`` and Commons credentials are read where they
are used (``bot.adapters.flickr``, pywikibot's own files) and never stored here, so a settings
object can be logged or printed safely.

A relative path in a settings file is relative to the project (the directory that holds
``config/``) for ``config/defaults.toml``, and to the file's own directory for a
``$BACKFILL_CONFIG`` file, never to wherever the command happens to be started: a store
must not appear in the current directory. A path given in a ``BACKFILL_*`` variable or
on the command line is taken as given.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.core.errors import ConfigError

PROJECT_DIR = Path(__file__).resolve().parents[2]
DEFAULTS_FILE = PROJECT_DIR / "config" / "defaults.toml"
ENV_PREFIX = "BACKFILL_"
PATH_SETTINGS = ("db_path", "report_dir", "pywikibot_dir")
NON_NEGATIVE = (
    "flickr_calls_per_hour",
    "put_throttle",
    "retry_wait",
    "retry_max",
    "max_retries",
    "connect_timeout",
    "maxlag",
    "max_attempts",
    "batch_size",
)


class SettingsError(ConfigError, ValueError):
    """A settings file or ``BACKFILL_*`` value that cannot be used."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Every tunable of the bot, with the defaults a Toolforge deployment wants."""

    db_path: str = "var/backfill.db"
    report_dir: str = "var/reports"
    pywikibot_dir: str = "var/pywikibot"
    commons_api_url: str = ""
    wikidata_api_url: str = "https://www.wikidata.org/w/api.php"
    flickr_api_url: str = "https://api.flickr.com/services/rest/"
    flickr_calls_per_hour: int = 3600
    owner_cache_max_age_days: float = 30
    user_agent: str = "flickr-sdc-backfill/0.1"
    documentation_page: str = "Commons:Flickr SDC backfill bot"
    edit_tags: tuple[str, ...] = field(default_factory=tuple)
    put_throttle: float = 10.0
    retry_wait: float = 2.0
    retry_max: float = 8.0
    max_retries: int = 3
    connect_timeout: float = 3.0
    maxlag: int = 5
    run_page: str = "User:{username}/Run"
    max_attempts: int = 3
    batch_size: int = 50
    recheck_conflicts_days: float = 7.0

    @property
    def owner_cache_max_age(self) -> timedelta:
        """How long a cached people.getInfo answer is trusted."""
        return timedelta(days=max(0.0, self.owner_cache_max_age_days))

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with the non-None overrides applied (command-line flags)."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def _coerce(name: str, raw: Any) -> Any:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    try:
        value = _convert(kind, raw)
    except (TypeError, ValueError):
        raise SettingsError(f"setting {name}: not a valid {kind}: {raw!r}") from None
    if name in NON_NEGATIVE and value < 0:
        raise SettingsError(f"setting {name}: must not be negative (got {raw!r})")
    return value


def _convert(kind: Any, raw: Any) -> Any:
    if kind in ("int", int):
        return int(raw)
    if kind in ("float", float):
        return float(raw)
    if "tuple" in str(kind):
        if isinstance(raw, str):
            return tuple(t.strip() for t in raw.split(",") if t.strip())
        return tuple(raw)
    return str(raw)


def load_settings(path: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Defaults file, then ``$BACKFILL_CONFIG`` file, then ``BACKFILL_*`` variables."""
    env = dict(os.environ if environ is None else environ)
    known = {f.name for f in fields(Settings)}
    values: dict[str, Any] = {}
    defaults = path or DEFAULTS_FILE
    extra = env.get(ENV_PREFIX + "CONFIG")
    if extra and not Path(extra).is_file():
        raise SettingsError(f"{ENV_PREFIX}CONFIG names no file: {extra}")
    for source in (defaults, extra):
        if source and Path(source).is_file():
            try:
                with open(source, "rb") as fh:
                    data = tomllib.load(fh)
            except tomllib.TOMLDecodeError as exc:
                raise SettingsError(f"{source}: not valid TOML: {exc}") from None
            unknown = set(data) - known
            if unknown:
                raise SettingsError(f"{source}: unknown settings {sorted(unknown)}")
            base = PROJECT_DIR if Path(source) == DEFAULTS_FILE else Path(source).parent
            for k, v in data.items():
                value = _coerce(k, v)
                if k in PATH_SETTINGS and value:
                    value = str(base / Path(value).expanduser())
                values[k] = value
    for name in known:
        raw = env.get(ENV_PREFIX + name.upper())
        if raw is not None:
            values[name] = _coerce(name, raw)
    # the store, in one setting for every backend: a SQLite path or a mysql:// / toolsdb:
    # URL (``bot.store.location``); it wins over the older BACKFILL_DB_PATH
    store = env.get(ENV_PREFIX + "DB", "").strip()
    if store:
        values["db_path"] = store
    return Settings(**values)
