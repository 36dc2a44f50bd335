"""The wiring every entry point shares: the adapters built from settings, and the job on them.

``backfill run``, ``backfill explain``, ``backfill demo`` and the tests all build the same
adapters (``build_adapters``): a pywikibot site (logged in for real runs, anonymous for dry
runs and ``explain``), the Flickr client with the store as its owner cache, and the
Wikidata client for creator items, each with the retries and timeouts the settings give.
``make_job`` puts the job on them. Kept out of the CLI so that a library caller or a test
gets the same wiring without going through argument parsing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.adapters.config import Settings
from bot.store import Store
from bot.store.copying import refuse_incomplete_copy

if TYPE_CHECKING:  # the job and its adapters load only when a command uses them
    from bot.run.job import Job
    from bot.run.ports import RunOptions


def flickr_retry_policy(settings: Settings) -> Any:
    """Flickr's retries as the settings bound them: ``max_retries`` tries to connect, the
    first wait ``retry_wait`` (2 s by default, as the client's own default), jitter no
    larger than that wait."""
    from bot.adapters.flickr import RetryPolicy

    wait = settings.retry_wait
    return RetryPolicy(
        connect_attempts=max(1, settings.max_retries), initial_wait=wait, jitter=min(2.0, wait)
    )


def http_timeout(settings: Settings) -> Any:
    """httpx timeouts: a connection must open within ``connect_timeout`` seconds."""
    import httpx

    return httpx.Timeout(30.0, connect=settings.connect_timeout)


def unreachable_bounds(settings: Settings) -> dict[str, float]:
    """Seconds after which each service counts as unreachable, as ``build_adapters``
    configures them (computed from the retry settings, not measured)."""
    from bot.adapters import flickr, pywikibot_setup, wikidata

    s = settings
    return {
        "commons": pywikibot_setup.unreachable_bound(
            s.max_retries, s.retry_wait, s.retry_max, s.connect_timeout
        ),
        "flickr": flickr.unreachable_bound(flickr_retry_policy(s), s.connect_timeout),
        "wikidata": wikidata.unreachable_bound(
            max(1, s.max_retries), s.connect_timeout, s.retry_wait, s.retry_max
        ),
    }


@dataclass
class Adapters:
    """Everything a run talks to, built from settings."""

    store: Store
    commons: Any
    flickr: Any
    wikidata: Any


def commons_site(
    settings: Settings, username: str | None, *, environ: Mapping[str, str] | None = None
) -> Any:
    """pywikibot's Commons site as every command sets it up from the settings (logged in
    as ``username``; anonymous when it is None): pacing, bounded retries, maxlag."""
    from bot.adapters.pywikibot_setup import setup_pywikibot

    config_dir = Path(os.environ.get("PYWIKIBOT_DIR") or settings.pywikibot_dir)
    return setup_pywikibot(
        settings.commons_api_url or None,
        config_dir,
        username,
        put_throttle=settings.put_throttle,
        max_retries=settings.max_retries,
        retry_wait=settings.retry_wait,
        retry_max=settings.retry_max,
        connect_timeout=settings.connect_timeout,
        maxlag=settings.maxlag,
        user_agent=settings.user_agent,
        environ=environ,
    )


@contextmanager
def build_adapters(
    settings: Settings,
    *,
    anonymous: bool,
    username: str | None,
    environ: Mapping[str, str] | None = None,
    flickr_api_key: str | None = None,
) -> Iterator[Adapters]:
    """Open the store and the three clients; close them afterwards.

    The Flickr key is checked first: a missing one is named before any login."""
    from bot.adapters.commons import CommonsClient
    from bot.adapters.flickr import FlickrClient, api_key_from_env
    from bot.adapters.ratelimit import TokenBucket
    from bot.adapters.wikidata import WikidataClient

    key = flickr_api_key if flickr_api_key is not None else api_key_from_env()
    site = commons_site(settings, None if anonymous else username, environ=environ)
    store = Store(settings.db_path)
    try:
        refuse_incomplete_copy(store, settings.db_path)
    except BaseException:
        store.close()
        raise
    flickr = FlickrClient(
        key,
        base_url=settings.flickr_api_url,
        user_agent=settings.user_agent,
        owner_cache=store,
        rate_limiter=TokenBucket(calls_per_hour=settings.flickr_calls_per_hour),
        owner_max_age=settings.owner_cache_max_age,
        retry=flickr_retry_policy(settings),
        timeout=http_timeout(settings),
    )
    wikidata = WikidataClient(
        settings.wikidata_api_url,
        user_agent=settings.user_agent,
        timeout=http_timeout(settings),
        retry_wait=settings.retry_wait,
        retry_max=settings.retry_max,
        connect_attempts=max(1, settings.max_retries),
    )
    commons = CommonsClient(site, run_page=settings.run_page, tags=settings.edit_tags)
    try:
        yield Adapters(store, commons, flickr, wikidata)
    finally:
        flickr.close()
        wikidata.close()
        store.close()


def make_job(ad: Adapters, options: RunOptions) -> Job:
    """The job wired to the adapters, as every entry point (run, explain, demo, tests) wants it."""
    from bot.core.wikitext import find_flickr_source
    from bot.run.job import Job

    return Job(
        ad.store,
        ad.commons,
        ad.flickr,
        options,
        wikidata=ad.wikidata.fetch_flickr_user_ids,
        find_in_wikitext=find_flickr_source,
    )
