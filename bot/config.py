"""Project settings: defaults in ``config/defaults.toml``, overridden by the environment.

Secrets are not settings: ``FLICKR_API_KEY`` and Commons credentials are read where they
are used (``bot.flickr``, pywikibot's own files) and never stored here, so a settings
object can be logged or printed safely.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

DEFAULTS_FILE = Path(__file__).resolve().parent.parent / "config" / "defaults.toml"
ENV_PREFIX = "BACKFILL_"


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
    put_throttle: float = 0
    retry_wait: float = 0
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
    for source in (path or DEFAULTS_FILE, env.get(ENV_PREFIX + "CONFIG")):
        if source and Path(source).is_file():
            with open(source, "rb") as fh:
                data = tomllib.load(fh)
            unknown = set(data) - known
            if unknown:
                raise ValueError(f"{source}: unknown settings {sorted(unknown)}")
            values.update({k: _coerce(k, v) for k, v in data.items()})
    for name in known:
        raw = env.get(ENV_PREFIX + name.upper())
        if raw is not None:
            values[name] = _coerce(name, raw)
    return Settings(**values)
