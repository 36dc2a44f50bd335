"""Shared helpers for the Commons tests: a stand-in, a pywikibot site on it, statements.

Test modules import the ``*_fixture`` functions; pytest registers them under their
``name`` (``standin``, ``commons_site``, ``pywikibot_dir``), which keeps linters quiet.

Real pywikibot talks to :mod:`bot.standins.commons` over HTTP on 127.0.0.1; nothing here
reaches the real Commons or Wikidata. pywikibot's config dir is one fresh temporary
directory per test session (its apicache, throttle.ctrl and cookies live there).
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.pywikibot_setup import ENV_BOTPASSWORD, ENV_BOTPASSWORD_NAME, setup_pywikibot
from bot.standins.commons import StandinData, StandinHandle, run_commons_standin

BOT = "FlickrSdcBot"
BOTPASSWORD_NAME = "FlickrSdcBot@backfill"
BOTPASSWORD = "standin-bot-password"
PUT_THROTTLE = 0.2
RUN_PAGE = f"User:{BOT}/Run"

SiteFactory = Callable[..., Any]
"""``commons_site(wiki, username=BOT, environ=None, **setup_kwargs)`` -> a pywikibot DataSite."""
StandinFactory = Callable[..., StandinHandle]
"""``standin(data)`` -> a running stand-in, stopped after the test."""


def bot_env() -> dict[str, str]:
    """The environment a Toolforge job would have: a BotPassword in two variables."""
    return {ENV_BOTPASSWORD_NAME: BOTPASSWORD_NAME, ENV_BOTPASSWORD: BOTPASSWORD}


def string_claim(prop: str, value: str) -> dict[str, Any]:
    """A new statement (no id) with a string value, as the bot sends it."""
    return {
        "mainsnak": {
            "snaktype": "value",
            "property": prop,
            "datavalue": {"type": "string", "value": value},
        },
        "type": "statement",
        "rank": "normal",
    }


def files(count: int, *, first: int = 1000, sdc: bool = True) -> dict[str, dict[str, Any]]:
    """``count`` seeded files M<first>.. with (or without) an empty statement map."""
    out: dict[str, dict[str, Any]] = {}
    for i in range(count):
        pageid = first + i
        seed: dict[str, Any] = {
            "title": f"File:Photo {pageid} (5300{pageid:07d}).jpg",
            "lastrevid": 800_000 + pageid,
        }
        if sdc:
            seed["statements"] = {}
        out[f"M{pageid}"] = seed
    return out


@pytest.fixture(name="offline", autouse=True)
def offline_fixture(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that opens a connection anywhere but this machine."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else address
        local = ("127.0.0.1", "::1", "localhost")
        # a str that is not a host name is a unix socket path: local too
        if isinstance(host, str) and host not in local and not host.startswith("/"):
            raise RuntimeError(f"a test tried to connect to {address!r}")
        real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(scope="session", name="pywikibot_dir")
def pywikibot_dir_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One fresh pywikibot config dir for the whole session."""
    return tmp_path_factory.mktemp("pywikibot")


@pytest.fixture(name="standin")
def standin_fixture() -> Iterator[StandinFactory]:
    """Start stand-ins for the test (``with``-less); all are stopped at the end."""
    stack: list[Any] = []

    def start(data: StandinData | dict[str, Any] | Path | None = None) -> StandinHandle:
        manager = run_commons_standin(data)
        handle = manager.__enter__()
        stack.append(manager)
        return handle

    yield start
    for manager in reversed(stack):
        manager.__exit__(None, None, None)


@pytest.fixture(name="commons_site")
def commons_site_fixture(pywikibot_dir: Path) -> Iterator[SiteFactory]:
    """``make(wiki, username=BOT, environ=bot_env(), **setup_kwargs)`` -> a DataSite.

    Fast settings for tests: a 0.2 s edit throttle, 10 ms between requests, 50 ms retry
    waits. Any OAuth token the test configured is removed afterwards (ports get reused).
    """
    hosts: list[str] = []

    def make(
        wiki: StandinHandle,
        username: str | None = BOT,
        environ: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Any:
        options: dict[str, Any] = {
            "put_throttle": PUT_THROTTLE,
            "min_throttle": 0.01,
            "retry_wait": 0.05,
            "retry_max": 1,
            "max_retries": 3,
        }
        options.update(kwargs)
        hosts.append(wiki.api_url.split("/")[2])
        return setup_pywikibot(
            wiki.api_url,
            pywikibot_dir,
            username,
            environ=bot_env() if environ is None else environ,
            **options,
        )

    yield make
    pywikibot = sys.modules.get("pywikibot")  # not imported here: setup must come first
    if pywikibot is not None:
        for host in hosts:
            pywikibot.config.authenticate.pop(host, None)
