"""The one store setting: a path or URL parsed into a ``StoreLocation`` that never shows
its password, and the MariaDB schema kept in step with SQLite's migrations."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.store import SCHEMA_VERSION, QueueFilter, Store
from bot.store.location import (
    TOOLSDB_HOST,
    Backend,
    BadLocation,
    StoreLocation,
    open_store,
)
from bot.store.schema import MIGRATIONS
from bot.store.schema_mariadb import MARIADB_BASE_VERSION, MARIADB_MIGRATIONS
from tests.support.conflicts import ConflictBuilder


@pytest.mark.parametrize(
    ("setting", "path"),
    [
        ("var/backfill.db", "var/backfill.db"),
        ("/data/project/backfill/backfill.db", "/data/project/backfill/backfill.db"),
        ("sqlite:///data/project/backfill/backfill.db", "/data/project/backfill/backfill.db"),
        (":memory:", ":memory:"),
    ],
)
def test_a_path_or_sqlite_url_is_sqlite(setting: str, path: str) -> None:
    location = StoreLocation.parse(setting)
    assert (location.backend, location.path) == (Backend.SQLITE, path)


def test_a_mysql_url_names_server_user_and_database() -> None:
    location = StoreLocation.parse("mysql://bot:s3cr%40t@db.example:3307/backfill")
    assert (location.host, location.port, location.user, location.database) == (
        "db.example",
        3307,
        "bot",
        "backfill",
    )
    assert location.password == "s3cr@t"  # percent-decoded
    assert StoreLocation.parse(location.url(with_password=True)) == location


def test_a_mysql_url_may_name_a_unix_socket() -> None:
    location = StoreLocation.parse("mysql://bot@localhost/backfill?unix_socket=/run/my.sock")
    assert (location.unix_socket, location.database, location.password) == (
        "/run/my.sock",
        "backfill",
        "",
    )


def test_the_password_is_never_shown() -> None:
    location = StoreLocation.parse("mysql://bot:hunter2-secret@db/backfill")
    for text in (str(location), repr(location), location.url()):
        assert "hunter2" not in text
    assert str(location) == "mysql://bot:***@db/backfill"


def test_toolsdb_reads_the_tools_replica_cnf(tmp_path: Path) -> None:
    (tmp_path / "replica.my.cnf").write_text("[client]\nuser='s54321'\npassword='pw$x'\n")
    location = StoreLocation.parse("toolsdb:backfill", home=str(tmp_path))
    assert (location.host, location.user, location.password, location.database) == (
        TOOLSDB_HOST,
        "s54321",
        "pw$x",
        "s54321__backfill",
    )
    assert "pw$x" not in str(location) + repr(location)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("", "no store given"),
        ("postgres://x@y/z", "unknown store URL scheme"),
        ("sqlite://relative.db", "three slashes"),
        ("mysql://bot@db/", "names one database"),
        ("mysql://bot@db/a/b", "names one database"),
        ("mysql://bot@db/a?ssl=1", "unknown mysql:// URL options"),
        ("toolsdb:", "toolsdb:NAME"),
        ("toolsdb:s1__other", "toolsdb:NAME"),
    ],
)
def test_a_setting_that_names_no_store_is_refused(setting: str, message: str) -> None:
    with pytest.raises(BadLocation, match=message):
        StoreLocation.parse(setting)


def test_toolsdb_without_credentials_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(BadLocation, match=r"replica\.my\.cnf"):
        StoreLocation.parse("toolsdb:backfill", home=str(tmp_path))
    (tmp_path / "replica.my.cnf").write_text("[client]\npassword=x\n")
    with pytest.raises(BadLocation, match="no \\[client\\] user"):
        StoreLocation.parse("toolsdb:backfill", home=str(tmp_path))


def test_open_store_opens_either_form_of_a_sqlite_path(tmp_path: Path) -> None:
    with open_store(f"sqlite://{tmp_path / 'a.db'}") as store:
        assert store.schema_version() == SCHEMA_VERSION
    with open_store(str(tmp_path / "a.db"), migrate=False) as again:
        assert again.path == str(tmp_path / "a.db")


def test_every_schema_version_has_its_mariadb_statements() -> None:
    """A migration added for SQLite only would leave MariaDB stores behind."""
    assert set(MIGRATIONS) == set(range(1, SCHEMA_VERSION + 1))
    assert MARIADB_BASE_VERSION <= SCHEMA_VERSION
    assert set(MARIADB_MIGRATIONS) == set(range(MARIADB_BASE_VERSION + 1, SCHEMA_VERSION + 1))


def test_a_newer_store_is_refused_on_either_backend(store: Store) -> None:
    store.conn.execute("UPDATE meta SET value = '999' WHERE `key` = 'schema_version'")
    with pytest.raises(RuntimeError, match="newer than this bot"):
        Store(store.location)
    assert Store(store.location, migrate=False).schema_version() == 999


def test_titles_and_mids_compare_case_sensitively(store: Store) -> None:
    """``File:Ab.jpg`` and ``File:AB.jpg`` are two files on Commons: a binary collation on
    MariaDB, as SQLite compares text."""
    for title in ("File:Ab.jpg", "File:AB.jpg"):
        store.add_titles([title])
    titles = sorted(r[0] for r in store.conn.execute("SELECT title FROM files"))
    assert titles == ["File:AB.jpg", "File:Ab.jpg"]
    assert (
        store.conn.execute("SELECT count(*) FROM files WHERE title = 'File:Ab.jpg'").fetchone()[0]
        == 1
    )


def test_text_with_quotes_backslashes_and_percent_round_trips(
    store: Store, conflict: ConflictBuilder
) -> None:
    title = "File:O'Brien 100% \\ back?slash ünï.jpg"
    store.record_conflicts(
        mid="M1",
        title=title,
        flickr_photo_id="1",
        owner_nsid=None,
        base_revid=1,
        conflicts=[conflict()],
        run_id=1,
        dry_run=False,
    )
    for search in ("o'brien 100%", "\\ back?", "ünï", "BACK?SLASH"):
        found = store.list_conflicts(QueueFilter(title=search))
        assert [c["title"] for c in found] == [title], search
    assert store.list_conflicts(QueueFilter(title="100%%")) == []
