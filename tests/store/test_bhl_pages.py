"""BHL's photos by page in the store: replaced when read again, the listing's progress, v6 -> v7."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.core import ids
from bot.store import SCHEMA_VERSION, ListedBhlPhoto, Store, utcnow

BHL = ids.BHL_NSID


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "bot.db")


def test_photos_are_found_by_page(store: Store) -> None:
    store.put_bhl_photos(
        BHL,
        [
            ListedBhlPhoto("51281775881", ("33665645",), 1_620_000_000),
            ListedBhlPhoto("7982377911", ("4321212",), 1_619_000_000),
            ListedBhlPhoto("7982377912", ("4321212", "4321213"), 1_618_000_000),
            ListedBhlPhoto("7982377913", (), 1_617_000_000),  # no page tag: nothing kept
        ],
    )
    assert store.bhl_photos_for_pages(["33665645", "4321212", "4321213", "999"]) == {
        "33665645": ["51281775881"],
        "4321212": ["7982377911", "7982377912"],
        "4321213": ["7982377912"],
    }
    assert store.bhl_photos_for_pages([]) == {}
    assert store.count_bhl_photos() == 3


def test_a_photo_read_again_replaces_its_pages(store: Store) -> None:
    store.put_bhl_photos(BHL, [ListedBhlPhoto("7982377911", ("4321212",), 1_619_000_000)])
    store.put_bhl_photos(BHL, [ListedBhlPhoto("7982377911", ("4321299",), 1_619_000_000)])
    assert store.bhl_photos_for_pages(["4321212", "4321299"]) == {"4321299": ["7982377911"]}
    store.put_bhl_photos(BHL, [ListedBhlPhoto("7982377911", (), 1_619_000_000)])
    assert store.count_bhl_photos() == 0  # its tag was removed on Flickr


def test_the_listing_is_complete_only_once_a_read_finished(store: Store) -> None:
    assert store.bhl_listing(BHL) is None
    store.put_bhl_photos(BHL, [ListedBhlPhoto("2", ("20",), 1_620_000_500)])
    store.put_bhl_photos(BHL, [ListedBhlPhoto("1", ("10",), 1_620_000_000)])  # older: page 2
    partial = store.bhl_listing(BHL)
    assert partial is not None and not partial.complete
    assert partial.newest_upload == 1_620_000_500  # the newest stays, whatever the order
    store.finish_bhl_listing(BHL, 2)
    done = store.bhl_listing(BHL)
    assert done is not None and done.complete and done.photos_listed == 2
    assert done.newest_upload == 1_620_000_500 and done.refreshed_at


def test_an_empty_list_read_to_its_end_is_complete(store: Store) -> None:
    store.finish_bhl_listing(BHL, 0)
    listing = store.bhl_listing(BHL)
    assert listing is not None and listing.complete and listing.newest_upload is None


def test_v7_database_is_migrated_to_v8(tmp_path: Path) -> None:
    from bot.store import schema

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for version in range(1, 8):
        for statement in schema._split_sql(schema.MIGRATIONS[version]):
            conn.execute(statement)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '7')")
    conn.commit()
    conn.close()
    migrated = Store(path)
    assert migrated.schema_version() == SCHEMA_VERSION == 8
    migrated.put_bhl_photos(BHL, [ListedBhlPhoto("1", ("10",), 1)])
    assert migrated.bhl_photos_for_pages(["10"]) == {"10": ["1"]}


def test_a_whole_read_drops_the_photos_it_did_not_see_again(store: Store) -> None:
    store.put_bhl_photos(BHL, [ListedBhlPhoto("1", ("10",), 1), ListedBhlPhoto("2", ("20",), 2)])
    store.finish_bhl_listing(BHL, 2, whole_read_from="2000-01-01T00:00:00.000000Z")
    started = utcnow()
    store.put_bhl_photos(BHL, [ListedBhlPhoto("2", ("20",), 2)])  # photo 1 is gone
    store.finish_bhl_listing(BHL, 1, whole_read_from=started)
    assert store.bhl_photos_for_pages(["10", "20"]) == {"20": ["2"]}
    listing = store.bhl_listing(BHL)
    assert listing is not None and listing.full_read_at == started


def test_a_refresh_by_date_drops_nothing(store: Store) -> None:
    started = utcnow()
    store.put_bhl_photos(BHL, [ListedBhlPhoto("1", ("10",), 1)])
    store.finish_bhl_listing(BHL, 1, whole_read_from=started)
    store.put_bhl_photos(BHL, [ListedBhlPhoto("2", ("20",), 2)])
    store.finish_bhl_listing(BHL, 1)
    assert store.count_bhl_photos() == 2
