"""The store conformance suite: every test here that uses ``store`` (or
``store_location``) runs on both backends, ``[sqlite]`` and ``[mariadb]``."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["sqlite", "mariadb"])
def store_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``@pytest.mark.sqlite_only`` tests (SQLite's own file lock, PRAGMAs) run on SQLite only:
    their MariaDB variant is deselected, not skipped (CI runs with no MariaDB skip)."""
    keep, drop = [], []
    for item in items:
        is_mariadb = "[mariadb" in item.nodeid or "-mariadb" in item.nodeid
        (drop if is_mariadb and item.get_closest_marker("sqlite_only") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
