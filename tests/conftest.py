"""Fixtures shared by the test modules: a fresh ``store``, the job's ``world`` of stand-ins,
a ``conflict`` builder, a ``free_port``.

``store`` is SQLite here; under ``tests/store/`` (its conftest) it runs on both backends,
``sqlite`` and ``mariadb`` (the latter on ``MARIADB_URL``'s server, ``tests.support.mariadb``).
``store_location`` is where that store lives, for a second connection
(``open_store(store_location)``) or a subprocess (``store_location.url(with_password=True)``).

The helpers behind them live in ``tests/support/`` (imported as ``tests.support.*``). The
real Wikibase (``real_wiki``) is started at most once per session however many modules run
scenarios against it; see ``tests.support.wikibase``.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store import Store
from bot.store.location import StoreLocation
from tests.support.conflicts import ConflictBuilder
from tests.support.mariadb import fresh_database
from tests.support.wikibase import real_wiki_fixture  # noqa: F401 - fixture
from tests.support.world import World


@pytest.fixture
def free_port() -> int:
    """A 127.0.0.1 port where nothing listens: connecting to it is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def store_backend() -> str:
    """The backend of ``store``: SQLite, except where a conftest parametrizes it."""
    return "sqlite"


@pytest.fixture
def store_location(store_backend: str, tmp_path: Path) -> Iterator[StoreLocation]:
    """Where a fresh store lives: ``tmp_path/store.db`` (beside, not in, a world's
    ``bot.db``), or a new database on the MariaDB test server, dropped afterwards."""
    if store_backend == "sqlite":
        yield StoreLocation.parse(tmp_path / "store.db")
    else:
        with fresh_database() as location:
            yield location


@pytest.fixture
def store(store_location: StoreLocation) -> Iterator[Store]:
    """A fresh, migrated store at ``store_location``; closed after the test."""
    with Store(store_location) as fresh:
        yield fresh


@pytest.fixture
def world(tmp_path: Path, store_backend: str, request: pytest.FixtureRequest) -> World:
    """The job tests' world (``tests.support.world``): seed it, then ``world.start()``.
    Its store is ``tmp_path/bot.db``, or a fresh MariaDB database (``store_location``)
    where ``store_backend`` is ``mariadb``."""
    if store_backend == "sqlite":
        return World(tmp_path)
    location: StoreLocation = request.getfixturevalue("store_location")
    return World(tmp_path, db=location.url(with_password=True))


@pytest.fixture
def conflict() -> ConflictBuilder:
    """``conflict(name)`` builds a creator conflict; ``conflict.record(store, ...)`` queues rows."""
    return ConflictBuilder()
