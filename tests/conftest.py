"""Fixtures shared by the test modules: a fresh ``store``, the job's ``world`` of stand-ins,
a ``conflict`` builder, a ``free_port``.

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
from tests.support.conflicts import ConflictBuilder
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
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh, migrated store in ``tmp_path/store.db`` (beside, not in, a world's
    ``bot.db``); closed after the test."""
    with Store(tmp_path / "store.db") as fresh:
        yield fresh


@pytest.fixture
def world(tmp_path: Path) -> World:
    """The job tests' world (``tests.support.world``): seed it, then ``world.start()``."""
    return World(tmp_path)


@pytest.fixture
def conflict() -> ConflictBuilder:
    """``conflict(name)`` builds a creator conflict; ``conflict.record(store, ...)`` queues rows."""
    return ConflictBuilder()
