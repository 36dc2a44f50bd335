"""A fresh MariaDB database per test, on the server ``MARIADB_URL`` names.

``MARIADB_URL`` is a ``mysql://user:pass@host:port/anydb`` URL (``tests/mariadb/start.sh``
prints one); its database part is replaced by a new ``bf_*`` database for each test, which
is dropped afterwards. Without the variable the MariaDB variants skip, saying why; with
``REQUIRE_MARIADB=1`` (CI) a missing server is a failure instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bot.store.location import StoreLocation

SKIP_REASON = (
    "MariaDB store tests need a server: export MARIADB_URL=$(bash tests/mariadb/start.sh "
    "var/mariadb 33061 | tail -n 1) (REQUIRE_MARIADB=1 turns this skip into a failure)"
)


def server_location() -> StoreLocation:
    """The server of ``MARIADB_URL``; skips (or fails, under ``REQUIRE_MARIADB=1``) without it."""
    url = os.environ.get("MARIADB_URL", "").strip()
    if not url:
        if os.environ.get("REQUIRE_MARIADB") == "1":
            pytest.fail("REQUIRE_MARIADB=1 but MARIADB_URL is not set")
        pytest.skip(SKIP_REASON)
    location = StoreLocation.parse(url)
    if location.is_sqlite:
        pytest.fail(f"MARIADB_URL is not a mysql:// URL: {location}")
    return location


@contextmanager
def fresh_database() -> Iterator[StoreLocation]:
    """A new, empty database on the test server; dropped when the test is done."""
    from bot.store import mariadb

    server = server_location()
    name = f"bf_{uuid.uuid4().hex[:16]}"
    admin = mariadb.connect(server, database=False)
    try:
        admin.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        yield server.with_database(name)
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.close()
