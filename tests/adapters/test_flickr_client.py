"""The Flickr client: normalising, errors, retries, rate limit, call counting, cost-based fetching.

Three kinds of test, none of which can reach the real Flickr:
- pure functions (the cost decision, the normalisers), some with Hypothesis;
- vcrpy cassettes written by hand in Flickr's real JSON shape (record_mode="none");
- the real client, over real HTTP, against the local stand-in server (bot.standins.flickr),
  which can inject faults and counts every request by method.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import logging
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import vcr
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.flickr import (
    DEFAULT_TIMEOUT,
    DEFAULT_USER_AGENT,
    LISTING_EXTRAS,
    FetchError,
    FlickrApiError,
    FlickrAuthError,
    FlickrClient,
    FlickrKeyMissing,
    FlickrUnavailableError,
    FlickrUnreachableError,
    ListingCache,
    MemoryOwnerCache,
    RetryPolicy,
    Strategy,
    alias_from,
    api_key_from_env,
    choose_strategy,
    listing_pages,
    parse_listing_photo,
    parse_photo_info,
    parse_retry_after,
    unreachable_bound,
)
from bot.adapters.ratelimit import TokenBucket
from bot.core import ids
from bot.core.bhl import listed_pages
from bot.core.claims import bhl_page_id
from bot.core.errors import ExitCode
from bot.core.flickr_photo import (
    FlickrLocation,
    FlickrOwner,
    FlickrPhoto,
    FlickrPhotoGone,
    GoneReason,
)
from bot.standins.flickr import (
    STANDIN_API_KEY,
    Fault,
    StandinData,
    StandinHandle,
    listing_entry,
    load_standin_data,
    make_person,
    make_photo,
    run_flickr_standin,
    save_standin_data,
)
from bot.store import Store

FIXTURES = Path(__file__).parents[1] / "fixtures" / "flickr"
CASSETTES = FIXTURES / "cassettes"

GET_INFO = "flickr.photos.getInfo"
PEOPLE_GET_INFO = "flickr.people.getInfo"
GET_PHOTOS = "flickr.people.getPhotos"
LOOKUP_USER = "flickr.urls.lookupUser"

FAST = RetryPolicy(attempts=4, initial_wait=0, max_wait=0, jitter=0)

BIG = "20000001@N02"  # an institution: 2,000 public photos
HUGE = "20000002@N03"  # 50,000 photos (only a few seeded; the count comes from people.getInfo)
SMALL = "20000003@N04"  # 1,000 public photos plus a private one
OTHER = "20000004@N05"
GONE_OWNER = "20000666@N06"


# --------------------------------------------------------------------------- helpers


def owner_photos(nsid: str, n: int, *, first_id: int, alias: str) -> list[dict[str, Any]]:
    """``n`` photos of one owner, ids increasing with upload time."""
    return [
        make_photo(
            str(first_id + i),
            nsid,
            username=f"{alias} on Flickr",
            realname=f"{alias.title()} Archive",
            path_alias=alias,
            posted=1_600_000_000 + 60 * i,
            machine_tags=[f"archive:item={first_id + i}"] if i % 7 == 0 else [],
            geo=(51.5 + i / 10_000, -0.12, 16) if i % 5 == 0 else None,
        )
        for i in range(n)
    ]


@functools.cache
def bulk_photos() -> tuple[dict[str, Any], ...]:
    """Built once: the stand-in never changes photo objects, so tests can share them."""
    return (
        *owner_photos(BIG, 2000, first_id=51_000_000_000, alias="bigarchive"),
        *owner_photos(SMALL, 1000, first_id=52_000_000_000, alias="smallarchive"),
    )


def seeded() -> StandinData:
    data = StandinData()
    data.photos.update((photo["id"], photo) for photo in bulk_photos())
    data.add_photo(make_photo("52000009999", SMALL, username="small", public=False))
    data.add_owner(make_person(BIG, "bigarchive on Flickr", path_alias="bigarchive"))
    data.add_owner(make_person(HUGE, "Huge Library", path_alias="hugelib", photos_count=50_000))
    for i in range(6):
        data.add_photo(make_photo(str(53_000_000_000 + i), HUGE, username="Huge Library"))
    data.add_photo(make_photo("54000000777", OTHER, username="someone else", path_alias="else"))
    data.deleted_owners.add(GONE_OWNER)
    for i in range(5):
        data.add_photo(make_photo(str(55_000_000_000 + i), GONE_OWNER, username="gone"))
    return data


@pytest.fixture()
def standin() -> Iterator[StandinHandle]:
    with run_flickr_standin(seeded()) as handle:
        yield handle


@pytest.fixture()
def sleeps() -> list[float]:
    return []


@pytest.fixture()
def make_client(
    standin: StandinHandle, sleeps: list[float]
) -> Iterator[Callable[..., FlickrClient]]:
    clients: list[FlickrClient] = []

    def make(**kwargs: Any) -> FlickrClient:
        kwargs.setdefault("rate_limiter", TokenBucket.unlimited())
        kwargs.setdefault("retry", FAST)
        kwargs.setdefault("sleep", sleeps.append)
        kwargs.setdefault("base_url", standin.url)
        client = FlickrClient(kwargs.pop("api_key", standin.api_key), **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def ids_of(first_id: int, indexes: range | list[int]) -> list[str]:
    return [str(first_id + i) for i in indexes]


# --------------------------------------------------------------------------- cost decision


@pytest.mark.parametrize(
    ("n_wanted", "count", "expected"),
    [
        (300, 2000, Strategy.OWNER_PAGES),  # 4 pages < 300 getInfo
        (3, 50_000, Strategy.GET_INFO),  # 100 pages > 3 getInfo
        (4, 2000, Strategy.GET_INFO),  # a tie goes to getInfo (raw machine tags)
        (5, 2000, Strategy.OWNER_PAGES),
        (2, 400, Strategy.OWNER_PAGES),  # count already known: one page beats two getInfo
        (1, 0, Strategy.GET_INFO),
        (0, 10, Strategy.GET_INFO),
        (3, None, Strategy.GET_INFO),  # asking for the count costs more than it can save
        (4, None, Strategy.LOOKUP_OWNER),
        (5000, None, Strategy.LOOKUP_OWNER),
    ],
)
def test_choose_strategy(n_wanted: int, count: int | None, expected: Strategy) -> None:
    assert choose_strategy(n_wanted, count) is expected


@pytest.mark.parametrize(
    ("case", "n_wanted", "count", "pages", "fetched", "expected"),
    [
        ("3 of 4 pages already held: 1 page < 2 getInfo", 2, 2000, None, 3, Strategy.OWNER_PAGES),
        ("nothing held: 4 pages > 2 getInfo", 2, 2000, None, 0, Strategy.GET_INFO),
        ("Flickr's page count beats a stale count", 3, 50_000, 2, 0, Strategy.OWNER_PAGES),
        ("page count known, no owner count", 30, None, 20, 0, Strategy.OWNER_PAGES),
        ("a batch plus the owner's later files", 50 + 250, 90_000, None, 0, Strategy.OWNER_PAGES),
        ("the same batch alone", 50, 90_000, None, 0, Strategy.GET_INFO),
    ],
)
def test_choose_strategy_counts_only_the_pages_still_to_fetch(
    case: str,
    n_wanted: int,
    count: int | None,
    pages: int | None,
    fetched: int,
    expected: Strategy,
) -> None:
    assert choose_strategy(n_wanted, count, pages=pages, pages_fetched=fetched) is expected


def test_choose_strategy_threshold_is_configurable_but_never_below_three() -> None:
    assert choose_strategy(10, None, lookup_threshold=20) is Strategy.GET_INFO
    assert choose_strategy(2, None, lookup_threshold=1) is Strategy.GET_INFO
    assert choose_strategy(3, None, lookup_threshold=1) is Strategy.LOOKUP_OWNER


def test_listing_pages() -> None:
    assert [listing_pages(n) for n in (0, 1, 500, 501, 2000, 50_000)] == [1, 1, 1, 2, 4, 100]
    assert listing_pages(250, per_page=100) == 3


@given(
    n=st.integers(1, 5000),
    count=st.integers(0, 2_000_000),
    per_page=st.integers(1, 500),
    fetched=st.integers(0, 5000),
)
def test_choose_strategy_never_picks_the_dearer_plan(
    n: int, count: int, per_page: int, fetched: int
) -> None:
    strategy = choose_strategy(n, count, per_page=per_page, pages_fetched=fetched)
    pages_left = max(0, listing_pages(count, per_page) - fetched)
    cost = pages_left if strategy is Strategy.OWNER_PAGES else n
    assert strategy in (Strategy.OWNER_PAGES, Strategy.GET_INFO)
    assert cost == min(pages_left, n)


# --------------------------------------------------------------------------- normalising


def loosen(value: Any, rng: random.Random, mode: str) -> Any:
    """Flickr's loose typing: the same scalar as a number or as a string."""
    if isinstance(value, dict):
        return {k: loosen(v, rng, mode) for k, v in value.items()}
    if isinstance(value, list):
        return [loosen(v, rng, mode) for v in value]
    to_number = mode == "numbers" or (mode == "random" and rng.random() < 0.5)
    if isinstance(value, bool):
        return value
    if to_number and isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                number = float(value)
            except ValueError:
                return value
            return number if str(number) == value else value
    if not to_number and isinstance(value, int | float):
        return str(value)
    return value


BASE_PHOTO = make_photo(
    "54300000001",
    "20000005@N01",
    username="loose",
    realname="Loose Types",
    path_alias="loosetypes",
    posted=1_650_000_000,
    taken="1901-05-00 00:00:00",
    granularity=4,
    taken_unknown=True,
    license="7",
    title="1901",
    geo=(-33.856784, 151.215297, 14),
    machine_tags=["bhl:page=123456", "geo:country=Australia"],
)


def test_get_info_record_is_complete() -> None:
    record = parse_photo_info(BASE_PHOTO)
    assert record == FlickrPhoto(
        id="54300000001",
        owner=FlickrOwner("20000005@N01", "loose", "Loose Types", "loosetypes"),
        date_posted=datetime(2022, 4, 15, 5, 20, tzinfo=UTC),
        date_taken="1901-05-00 00:00:00",
        date_taken_granularity=4,
        date_taken_unknown=True,
        license_id="7",
        media="photo",
        location=FlickrLocation(-33.856784, 151.215297, 14),
        machine_tags=("bhl:page=123456", "geo:country=Australia"),
        title="1901",
        is_public=True,
    )
    assert record.date_posted.tzinfo is UTC


@settings(max_examples=60)
@given(seed=st.integers(0, 2**32 - 1))
def test_loose_types_give_identical_records(seed: int) -> None:
    rng = random.Random(seed)
    expected = parse_photo_info(BASE_PHOTO)
    assert parse_photo_info(loosen(copy.deepcopy(BASE_PHOTO), rng, "random")) == expected
    entry = listing_entry(BASE_PHOTO, LISTING_EXTRAS.split(","))
    expected_listed = parse_listing_photo(entry)
    assert parse_listing_photo(loosen(entry, rng, "random")) == expected_listed


def test_listing_and_get_info_agree_except_for_tag_normalisation() -> None:
    from_info = parse_photo_info(BASE_PHOTO)
    listed = parse_listing_photo(listing_entry(BASE_PHOTO, LISTING_EXTRAS.split(",")))
    assert listed.machine_tags == ("bhl:page=123456", "geo:country=australia")
    assert listed.machine_tags_normalised and not from_info.machine_tags_normalised
    same_tags = dataclasses.replace(
        listed, machine_tags=from_info.machine_tags, machine_tags_normalised=False
    )
    assert same_tags == from_info


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"latitude": 0, "longitude": 0, "accuracy": 0}, None),
        ({"latitude": "0", "longitude": "0", "accuracy": "16"}, None),
        ({"latitude": "12.5", "longitude": "0", "accuracy": "0"}, None),
        ({"latitude": "12.5", "longitude": "0", "accuracy": "3", "geo_is_public": "0"}, None),
        ({"latitude": "12.5", "longitude": "0", "accuracy": 3}, FlickrLocation(12.5, 0.0, 3)),
        (
            {"latitude": 12.5, "longitude": "-7", "accuracy": "16", "geo_is_public": 1},
            FlickrLocation(12.5, -7.0, 16),
        ),
        ({"latitude": "95", "longitude": "10", "accuracy": "16"}, None),
        ({"latitude": "", "longitude": "", "accuracy": ""}, None),
    ],
)
def test_listing_geo_only_when_real_and_public(
    fields: dict[str, Any], expected: FlickrLocation | None
) -> None:
    entry = {"id": "1", "owner": "1@N01", "dateupload": "1600000000", **fields}
    assert parse_listing_photo(entry).location == expected


def test_get_info_geo_hidden_when_geoperms_not_public() -> None:
    photo = make_photo("1", "1@N01", geo=(10.0, 20.0, 16), geo_public=False)
    assert parse_photo_info(photo).location is None
    photo = make_photo("1", "1@N01", geo=(10.0, 20.0, 16))
    del photo["geoperms"]  # no geoperms: Flickr only sends location when we may see it
    assert parse_photo_info(photo).location == FlickrLocation(10.0, 20.0, 16)


def test_empty_strings_are_none() -> None:
    photo = make_photo("1", "1@N01", username="", realname="", path_alias="", taken="")
    record = parse_photo_info(photo)
    assert record.owner == FlickrOwner("1@N01")
    assert record.date_taken is None and record.title is None


@pytest.mark.parametrize(
    ("text", "alias"),
    [
        ("britishlibrary", "britishlibrary"),
        ("https://www.flickr.com/photos/britishlibrary/", "britishlibrary"),
        ("https://flickr.com/photos/britishlibrary/11307035324/in/album-1", "britishlibrary"),
        ("http://www.flickr.com/people/some_one", "some_one"),
        ("  spaced/ ", "spaced"),
    ],
)
def test_alias_from(text: str, alias: str) -> None:
    assert alias_from(text) == alias


def test_parse_retry_after() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412490.0) == 0.0


# --------------------------------------------------------------------------- cassettes


def cassette(name: str) -> Any:
    recorder = vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode="none",
        filter_query_parameters=["api_key"],
        match_on=["method", "scheme", "host", "port", "path", "query"],
    )
    return recorder.use_cassette(name)


@pytest.fixture()
def cassette_client() -> Iterator[FlickrClient]:
    client = FlickrClient(
        "cassette-test-key", rate_limiter=TokenBucket.unlimited(), retry=FAST, sleep=lambda s: None
    )
    yield client
    client.close()


def test_cassettes_hold_no_api_key() -> None:
    for path in CASSETTES.glob("*.yaml"):
        assert "api_key=" not in path.read_text(), path.name


def test_cassette_get_info_with_geo_and_machine_tags(cassette_client: FlickrClient) -> None:
    with cassette("photos_getInfo_ok.yaml"):
        photo = cassette_client.get_photo("54000000001")
    assert photo == FlickrPhoto(
        id="54000000001",
        owner=FlickrOwner(
            "10000001@N01", "Example Natural History Library", None, "examplenhl", None
        ),
        date_posted=datetime(2024, 6, 1, 12, 0, tzinfo=UTC),
        date_taken="1898-01-01 00:00:00",
        date_taken_granularity=6,
        date_taken_unknown=False,
        license_id="9",
        media="photo",
        location=FlickrLocation(-1.292066, 36.821946, 11),
        machine_tags=(
            "bhl:page=70000012",
            "dc:identifier=https://www.biodiversitylibrary.org/page/70000012",
            "taxonomy:binomial=Loxodonta africana",
        ),
        title="Plate 12: Loxodonta africana",
        is_public=True,
    )
    assert cassette_client.calls_by_method == Counter({GET_INFO: 1})


def test_cassette_get_info_code_1_is_not_found(cassette_client: FlickrClient) -> None:
    with cassette("photos_getInfo_not_found.yaml"):
        gone = cassette_client.get_photo("54000000404")
    assert gone == FlickrPhotoGone(
        "54000000404", GoneReason.NOT_FOUND, 1, 'Photo "54000000404" not found (invalid ID)'
    )


def test_cassette_get_info_code_2_is_private(cassette_client: FlickrClient) -> None:
    with cassette("photos_getInfo_private.yaml"):
        gone = cassette_client.get_photo("54000000403")
    assert gone == FlickrPhotoGone("54000000403", GoneReason.PRIVATE, 2, "Photo is private")


def test_cassette_people_get_info(cassette_client: FlickrClient) -> None:
    with cassette("people_getInfo.yaml"):
        owner = cassette_client.get_owner("10000001@N01")
        deleted = cassette_client.get_owner("10000666@N05")
    assert owner == FlickrOwner(
        nsid="10000001@N01",
        username="Example Natural History Library",
        realname="Example NHL Digitisation Team",
        path_alias="examplenhl",
        photos_count=123456,
    )
    assert deleted == FlickrOwner("10000666@N05", is_deleted=True)


def test_cassette_lookup_user(cassette_client: FlickrClient) -> None:
    with cassette("urls_lookupUser.yaml"):
        assert cassette_client.lookup_user("https://www.flickr.com/photos/examplenhl/") == (
            "10000001@N01"
        )
        assert cassette_client.lookup_user("no-such-alias-here") is None
    # both answers are cached: no further call (the cassette would refuse one anyway)
    assert cassette_client.lookup_user("ExampleNHL") == "10000001@N01"
    assert cassette_client.lookup_user("no-such-alias-here") is None
    assert cassette_client.calls == 2


def test_cassette_people_get_photos_page(cassette_client: FlickrClient) -> None:
    with cassette("people_getPhotos_page.yaml"):
        photos = list(cassette_client.iter_owner_photos("10000002@N03"))
    owner = FlickrOwner("10000002@N03", "jdoe_photos", "Jane Doe", "jdoe")
    assert photos == [
        FlickrPhoto(
            id="54100000003",
            owner=owner,
            date_posted=datetime.fromtimestamp(1720000300, UTC),
            date_taken="2024-06-30 21:14:05",
            license_id="4",
            location=FlickrLocation(43.296482, 5.36978, 16),
            title="Harbour at dusk",
            machine_tags_normalised=True,
        ),
        FlickrPhoto(
            id="54100000002",
            owner=owner,
            date_posted=datetime.fromtimestamp(1720000200, UTC),
            date_taken="1952-01-01 00:00:00",
            date_taken_granularity=8,
            license_id="5",
            machine_tags=("archive:box=17", "dc:identifier=httpsexampleorgitem17"),
            machine_tags_normalised=True,
        ),
        FlickrPhoto(
            id="54100000001",
            owner=owner,
            date_posted=datetime.fromtimestamp(1720000100, UTC),
            date_taken="2024-06-29 10:00:00",
            date_taken_unknown=True,
            license_id="0",
            media="video",
            location=None,  # geo_is_public 0
            title="Video test",
            machine_tags_normalised=True,
        ),
    ]
    assert cassette_client.calls_by_method == Counter({GET_PHOTOS: 1})


BHL_CASSETTE_PAGES = {  # photo -> P687 as getInfo's raw tags give it (the old way)
    "54400000001": "33665645",  # plain digits, the dc:identifier names the same page
    "54400000002": None,  # raw "4321(2)": listed as "43212", its dc:identifier says 4321
    "54400000003": None,  # raw "p.12a": listed as "p12a", not digits
    "54400000004": "33665646",  # plain digits, but nothing in the list corroborates them
    "54400000005": None,  # no bhl:page tag at all
}


def test_cassette_bhl_photos_come_from_the_list_with_getinfo_only_when_in_doubt(
    cassette_client: FlickrClient,
) -> None:
    bhl = FlickrOwner(ids.BHL_NSID, "BioDivLibrary", photos_count=len(BHL_CASSETTE_PAGES))
    cassette_client.owner_cache.put_owner(bhl)  # known: one page is cheaper than 5 getInfo
    with cassette("bhl_listing_and_getinfo.yaml"):
        fetched = cassette_client.fetch_photos(ids.BHL_NSID, sorted(BHL_CASSETTE_PAGES))
    assert cassette_client.calls_by_method == Counter({GET_PHOTOS: 1, GET_INFO: 3})
    photos = {pid: p for pid, p in fetched.items() if isinstance(p, FlickrPhoto)}
    assert {pid: p.machine_tags_normalised for pid, p in photos.items()} == {
        "54400000001": True,  # digits vouched for: no getInfo
        "54400000002": False,
        "54400000003": False,
        "54400000004": False,
        "54400000005": True,  # no page tag: nothing to read raw
    }
    assert {pid: bhl_page_id(p) for pid, p in photos.items()} == BHL_CASSETTE_PAGES


def test_cassette_bhl_pages_from_the_list_equal_those_of_getinfo(
    cassette_client: FlickrClient,
) -> None:
    with cassette("bhl_listing_and_getinfo.yaml"):
        listed = {p.id: p for p in cassette_client.iter_owner_photos(ids.BHL_NSID)}
    with cassette("bhl_listing_and_getinfo.yaml"):
        raw = {pid: cassette_client.get_photo(pid) for pid in BHL_CASSETTE_PAGES}
    assert listed["54400000002"].machine_tags[0] == "bhl:page=43212"  # looks like a page
    assert raw["54400000002"].machine_tags[0] == "bhl:page=4321(2)"  # type: ignore[union-attr]
    assert {pid: bhl_page_id(p) for pid, p in raw.items()} == BHL_CASSETTE_PAGES  # type: ignore[arg-type]
    for pid, photo in listed.items():
        vouched = bhl_page_id(photo)
        assert vouched is None or vouched == BHL_CASSETTE_PAGES[pid], pid
    assert [pid for pid, p in listed.items() if bhl_page_id(p) is not None] == ["54400000001"]


def test_cassette_bhl_list_gives_the_pages_reverse_matching_keeps(
    cassette_client: FlickrClient,
) -> None:
    """BHL reverse matching indexes the listed pages; a doubtful normalised one is left out."""
    with cassette("bhl_listing_and_getinfo.yaml"):
        listed = {
            p.id: listed_pages(p.machine_tags)
            for p in cassette_client.iter_owner_photos(ids.BHL_NSID)
        }
    assert listed == {
        "54400000005": (),  # no page tag
        "54400000004": ("33665646",),  # digits, nothing to check them against
        "54400000003": (),  # "p12a": not digits
        "54400000002": (),  # "43212", but its dc:identifier names page 4321
        "54400000001": ("33665645",),
    }


def test_cassette_invalid_key(cassette_client: FlickrClient) -> None:
    with cassette("invalid_api_key.yaml"), pytest.raises(FlickrAuthError) as err:
        cassette_client.get_photo("54000000001")
    assert "cassette-test-key" not in str(err.value)
    assert "Invalid API Key" in str(err.value)


# --------------------------------------------------------------------------- against the stand-in


def test_user_agent_and_wire_format(
    standin: StandinHandle, make_client: Callable[..., FlickrClient]
) -> None:
    client = make_client()
    client.get_photo("51000000000")
    request = standin.requests[0]
    assert request.user_agent == DEFAULT_USER_AGENT
    assert request.user_agent.startswith("flickr-sdc-backfill/")
    assert "https://commons.wikimedia.org/wiki/Commons:Flickr_SDC_backfill_bot" in (
        request.user_agent
    )
    assert request.params == {
        "method": GET_INFO,
        "photo_id": "51000000000",
        "format": "json",
        "nojsoncallback": "1",
    }
    make_client(user_agent="custom-agent/1.0").get_photo("51000000000")
    assert standin.requests[-1].user_agent == "custom-agent/1.0"


def test_api_key_from_environment(standin: StandinHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLICKR_API_KEY", standin.api_key)
    with FlickrClient(base_url=standin.url, rate_limiter=TokenBucket.unlimited()) as client:
        assert isinstance(client.get_photo("51000000000"), FlickrPhoto)
    monkeypatch.delenv("FLICKR_API_KEY")
    with pytest.raises(FlickrAuthError, match="FLICKR_API_KEY"):
        FlickrClient(base_url=standin.url)


@pytest.mark.parametrize(
    "fault",
    [
        Fault.HTTP_500,
        Fault.HTTP_503,
        Fault.HTTP_429,
        Fault.CODE_201,
        Fault.CODE_105,
        Fault.INVALID_JSON,
    ],
)
def test_transient_failures_are_retried_then_succeed(
    standin: StandinHandle,
    make_client: Callable[..., FlickrClient],
    sleeps: list[float],
    fault: Fault,
) -> None:
    client = make_client()
    standin.inject(fault, times=2, retry_after=None)
    photo = client.get_photo("51000000001")
    assert isinstance(photo, FlickrPhoto) and photo.id == "51000000001"
    assert standin.counts == Counter({GET_INFO: 3})
    assert client.calls == 3 and client.calls_by_method == Counter({GET_INFO: 3})
    assert client.retries == 2
    assert len(sleeps) == 2


def test_retry_after_is_honoured(
    standin: StandinHandle, make_client: Callable[..., FlickrClient], sleeps: list[float]
) -> None:
    client = make_client(retry=RetryPolicy(attempts=3, initial_wait=0.5, max_wait=1, jitter=0))
    standin.inject(Fault.HTTP_429, times=1, retry_after=7)
    standin.inject(Fault.HTTP_500, times=1)
    assert isinstance(client.get_photo("51000000001"), FlickrPhoto)
    assert sleeps[0] == 7.0  # what Flickr asked for, not the backoff
    assert 0 < sleeps[1] <= 1.0  # exponential backoff for the 500


def test_retry_after_is_capped(
    standin: StandinHandle, make_client: Callable[..., FlickrClient], sleeps: list[float]
) -> None:
    client = make_client(
        retry=RetryPolicy(attempts=2, initial_wait=0, jitter=0, max_retry_after=30)
    )
    standin.inject(Fault.HTTP_429, times=1, retry_after=86_400)
    client.get_photo("51000000001")
    assert sleeps == [30.0]


def test_backoff_grows_with_jitter(
    standin: StandinHandle, sleeps: list[float], make_client: Callable[..., FlickrClient]
) -> None:
    client = make_client(retry=RetryPolicy(attempts=5, initial_wait=1, max_wait=100, jitter=0.5))
    standin.inject(Fault.CODE_201, times=4)
    client.get_photo("51000000001")
    assert len(sleeps) == 4
    for k, wait in enumerate(sleeps):
        assert 2**k <= wait <= 2**k + 0.5


def test_slow_answer_times_out_and_is_retried(
    standin: StandinHandle, make_client: Callable[..., FlickrClient]
) -> None:
    client = make_client(timeout=0.2)
    standin.inject(Fault.SLOW, times=1, delay=1.0)
    assert isinstance(client.get_photo("51000000002"), FlickrPhoto)
    assert client.calls == 2 and client.retries == 1


def test_giving_up_affects_only_that_photo(
    standin: StandinHandle, make_client: Callable[..., FlickrClient]
) -> None:
    client = make_client()
    standin.inject(Fault.HTTP_500, times=None, match={"photo_id": "51000000005"})
    results = client.fetch_photos(None, ["51000000004", "51000000005", "51000000006"])
    assert isinstance(results["51000000004"], FlickrPhoto)
    assert isinstance(results["51000000006"], FlickrPhoto)
    assert results["51000000005"] == FetchError(
        "51000000005", "flickr.photos.getInfo: gave up after 4 attempts (HTTP 500)"
    )
    assert standin.counts == Counter({GET_INFO: 2 + 4})
    with pytest.raises(FlickrUnavailableError):
        client.get_photo("51000000005")


def test_an_unreachable_flickr_stops_the_fetch_without_the_key(free_port: int) -> None:
    """No connection (nothing listens on the port): not a FetchError per photo, which
    would let a run spend the bounded retries again on every photo, but one error that
    stops the run, after ``connect_attempts`` tries even though ``attempts`` allows more."""
    secret = "abad1deaabad1deaabad1deaabad1dea"
    with (
        FlickrClient(
            secret,
            base_url=f"http://127.0.0.1:{free_port}/services/rest/",
            rate_limiter=TokenBucket.unlimited(),
            retry=RetryPolicy(attempts=5, connect_attempts=2, initial_wait=0, jitter=0),
            sleep=lambda s: None,
        ) as client,
        pytest.raises(FlickrUnreachableError) as err,
    ):
        client.fetch_photos(None, ["1", "2"])
    assert str(err.value) == (
        f"cannot reach Flickr at 127.0.0.1:{free_port}: connection refused (2 tries)"
    )
    assert secret not in str(err.value) and client.calls == 2
    assert err.value.exit_code == ExitCode.NETWORK


def test_the_default_flickr_bound_on_an_unreachable_host_is_at_most_30_s() -> None:
    """Computed from the policy and the connect timeout the client uses by default."""
    with FlickrClient("k", rate_limiter=TokenBucket.unlimited()) as client:
        assert client.unreachable_after <= 30
    assert (
        unreachable_bound(RetryPolicy(), DEFAULT_TIMEOUT.connect or 0) == client.unreachable_after
    )
    assert unreachable_bound(RetryPolicy(connect_attempts=1), 5.0) == 5.0
    assert unreachable_bound(RetryPolicy(connect_attempts=3, jitter=0), 5.0) == 15 + 2 + 4


def test_a_missing_key_is_named_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLICKR_API_KEY", raising=False)
    with pytest.raises(FlickrKeyMissing, match="FLICKR_API_KEY is not set") as err:
        api_key_from_env()
    assert err.value.exit_code == ExitCode.CONFIG
    assert api_key_from_env({"FLICKR_API_KEY": " k "}) == "k"


def test_non_retryable_http_status_is_a_fetch_error_at_once(
    standin: StandinHandle, make_client: Callable[..., FlickrClient]
) -> None:
    client = make_client(base_url=standin.url.replace("/services/rest/", "/nowhere/"))
    result = client.fetch_photos(None, ["51000000001"])["51000000001"]
    assert isinstance(result, FetchError) and "HTTP 404" in result.message
    assert client.calls == 1


def test_unknown_method_is_an_api_error(make_client: Callable[..., FlickrClient]) -> None:
    with pytest.raises(FlickrApiError) as err:
        make_client().call("flickr.photos.noSuchThing")
    assert err.value.code == 112


def test_invalid_key_stops_the_run_and_never_shows_the_key(
    standin: StandinHandle,
    make_client: Callable[..., FlickrClient],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "f00dfeedf00dfeedf00dfeedf00dfeed"
    client = make_client(api_key=secret)
    with pytest.raises(FlickrAuthError) as err:
        client.fetch_photos(None, ["51000000001", "51000000002"])
    assert standin.counts == Counter({GET_INFO: 1})  # no retry, no second photo
    message = str(err.value)
    assert "Invalid API Key" in message and "FLICKR_API_KEY" in message
    assert secret not in message
    assert secret not in repr(client)
    assert secret not in caplog.text
    assert all(secret not in record.getMessage() for record in caplog.records)
    assert "api_key=***" in caplog.text  # httpx's request line was there, redacted
    with pytest.raises(FlickrAuthError):
        client.fetch_photos(BIG, ids_of(51_000_000_000, range(300)))


def test_rate_limit_applies_to_every_call_and_counts_retries(
    standin: StandinHandle, make_client: Callable[..., FlickrClient]
) -> None:
    now = [0.0]
    waits: list[float] = []

    def fake_sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    bucket = TokenBucket(3600, burst=2, clock=lambda: now[0], sleep=fake_sleep)
    client = make_client(rate_limiter=bucket)
    standin.inject(Fault.HTTP_500, times=1)
    for i in range(4):
        client.get_photo(str(51_000_000_000 + i))
    assert client.calls == 5 == bucket.acquired
    assert waits == pytest.approx([1.0, 1.0, 1.0])
    assert client.calls_by_method == Counter({GET_INFO: 5})


def test_three_hundred_photos_of_a_2000_photo_owner_cost_five_calls(
    standin: StandinHandle, make_client: Callable[..., FlickrClient]
) -> None:
    client = make_client()
    wanted = ids_of(51_000_000_000, list(range(0, 2000, 6))[:300])  # 0 = oldest: last page
    assert len(wanted) == 300
    results = client.fetch_photos(BIG, wanted)
    assert standin.counts == Counter({PEOPLE_GET_INFO: 1, GET_PHOTOS: 4})
    assert client.calls == 5
    assert list(results) == wanted
    assert all(isinstance(r, FlickrPhoto) and r.owner.nsid == BIG for r in results.values())
    photo = results["51000000042"]
    assert isinstance(photo, FlickrPhoto)
    assert photo.machine_tags == ("archive:item=51000000042",) and photo.machine_tags_normalised
    assert photo.owner == FlickrOwner(
        BIG, "bigarchive on Flickr", "Bigarchive Archive", "bigarchive"
    )
    # the listing asked for the documented extras, 500 a page
    page = next(r for r in standin.requests if r.method == GET_PHOTOS)
    assert page.params["extras"] == LISTING_EXTRAS
    assert page.params["per_page"] == "500"
    assert page.params["user_id"] == BIG


def test_two_consecutive_batches_of_one_owner_reuse_the_fetched_pages(
    standin: StandinHandle, make_client: Callable[..., FlickrClient]
) -> None:
    # What the job does: one fetch_photos per 50-file batch, the owner's files in order.
    client = make_client()
    first = client.fetch_photos(BIG, ids_of(51_000_000_000, range(0, 2000, 40)))  # 50
    assert standin.counts == Counter({PEOPLE_GET_INFO: 1, GET_PHOTOS: 4})
    standin.reset()
    second = client.fetch_photos(BIG, ids_of(51_000_000_000, range(1, 2000, 40)))  # 50 more
    assert standin.counts == Counter()  # every page was held: no call at all
    assert len(first) == len(second) == 50
    assert all(isinstance(r, FlickrPhoto) for r in [*first.values(), *second.values()])
    assert second["51000000041"] == parse_listing_photo(
        listing_entry(standin.data.photos["51000000041"], LISTING_EXTRAS.split(",")), BIG
    )


def test_a_later_batch_fetches_only_the_pages_not_held(
    standin: StandinHandle, make_client: Callable[..., FlickrClient]
) -> None:
    client = make_client()
    client.fetch_photos(BIG, ids_of(51_000_000_000, range(1950, 2000)))  # newest: page 1
    assert standin.counts == Counter({PEOPLE_GET_INFO: 1, GET_PHOTOS: 1})
    standin.reset()
    results = client.fetch_photos(BIG, ids_of(51_000_000_000, range(0, 2000, 40)))
    assert [r.params["page"] for r in standin.requests] == ["2", "3", "4"]
    assert all(isinstance(r, FlickrPhoto) for r in results.values())


def test_a_photo_missing_from_a_complete_held_list_goes_straight_to_getinfo(
    standin: StandinHandle, make_client: Callable[..., FlickrClient]
) -> None:
    client = make_client()
    client.fetch_photos(BIG, ids_of(51_000_000_000, range(0, 2000, 40)))
    standin.reset()
    gone = "51000009999"
    results = client.fetch_photos(BIG, [gone, "51000000003"])
    assert standin.counts == Counter({GET_INFO: 1})
    assert isinstance(results[gone], FlickrPhotoGone)
    assert isinstance(results["51000000003"], FlickrPhoto)


def test_the_owners_later_files_can_make_listing_worth_it(
    standin: StandinHandle, make_client: Callable[..., FlickrClient]
) -> None:
    cache = MemoryOwnerCache()
    cache.put_owner(FlickrOwner(SMALL, "smallarchive", photos_count=1000))  # 2 pages
    newest = ids_of(52_000_000_000, [999])
    alone = make_client(owner_cache=cache)
    alone.fetch_photos(SMALL, newest)
    assert standin.counts == Counter({GET_INFO: 1})  # 2 pages would cost more
    standin.reset()
    hinted = make_client(owner_cache=cache)
    hinted.fetch_photos(SMALL, newest, expected_later=5)  # 1 + 5 photos > 2 pages
    assert standin.counts == Counter({GET_PHOTOS: 1})  # found on page 1: stop there
    standin.reset()
    hinted.fetch_photos(SMALL, ids_of(52_000_000_000, [998, 3]), expected_later=3)
    assert [r.params["page"] for r in standin.requests] == ["2"]
    standin.reset()
    cold = make_client()
    cold.fetch_photos(SMALL, newest, expected_later=9)  # count unknown: worth asking
    assert standin.counts == Counter({PEOPLE_GET_INFO: 1, GET_PHOTOS: 1})


def test_listing_cache_keeps_whole_pages_and_drops_the_least_recently_used() -> None:
    def page(start: int) -> list[FlickrPhoto]:
        posted = datetime(2024, 1, 1, tzinfo=UTC)
        return [FlickrPhoto(str(i), FlickrOwner(BIG), posted) for i in range(start, start + 3)]

    cache = ListingCache(max_photos=6)
    cache.put_page(BIG, 1, 3, page(100))
    cache.put_page(BIG, 2, 3, page(200))
    assert (len(cache), cache.pages(BIG), cache.pages_fetched(BIG)) == (6, 3, 2)
    assert not cache.complete(BIG)
    assert cache.photo(BIG, "100") is not None  # page 1 is now the most recently used
    cache.put_page(BIG, 3, 3, page(300))
    assert len(cache) == 6 and not cache.has_page(BIG, 2) and cache.has_page(BIG, 1)
    assert cache.photo(BIG, "201") is None and cache.photo(BIG, "301") is not None
    assert cache.photo(SMALL, "100") is None  # per owner
    cache.put_page(BIG, 2, 3, page(200))
    assert cache.has_page(BIG, 2) and not cache.complete(BIG)  # page 3 made room for it
    cache.put_page(SMALL, 1, 1, page(900)[:1])
    assert cache.complete(SMALL)
    cache.clear()
    assert len(cache) == 0 and cache.pages(BIG) is None


def test_a_bounded_listing_cache_refetches_a_dropped_page(
    standin: StandinHandle, make_client: Callable[..., FlickrClient]
) -> None:
    client = make_client(listing_cache=ListingCache(max_photos=1000))  # two pages of 500
    client.fetch_photos(BIG, ids_of(51_000_000_000, range(0, 2000, 40)))
    standin.reset()
    client.fetch_photos(BIG, ids_of(51_000_000_000, range(1, 2000, 40)))
    assert [r.params["page"] for r in standin.requests] == ["1", "2"]  # 3 and 4 were held


def test_owners_are_looked_up_again_after_the_maximum_age(
    standin: StandinHandle, make_client: Callable[..., FlickrClient]
) -> None:
    now = [datetime(2025, 1, 1, tzinfo=UTC)]
    cache = MemoryOwnerCache(clock=lambda: now[0])
    client = make_client(owner_cache=cache, owner_max_age=timedelta(days=30))
    assert client.get_owner(BIG) is not None
    now[0] += timedelta(days=29)
    assert client.get_owner(BIG) is not None
    assert standin.counts == Counter({PEOPLE_GET_INFO: 1})
    now[0] += timedelta(days=2)  # 31 days after it was fetched
    standin.data.add_owner(make_person(BIG, "Big Archive (renamed)", path_alias="bigarchive"))
    renamed = client.get_owner(BIG)
    assert renamed is not None and renamed.username == "Big Archive (renamed)"
    assert standin.counts == Counter({PEOPLE_GET_INFO: 2})
    # A stale photo count is not trusted either: 3 photos of an owner of unknown size.
    now[0] += timedelta(days=31)
    standin.reset()
    client.fetch_photos(BIG, ids_of(51_000_000_000, [1997, 1998, 1999]))
    assert standin.counts == Counter({GET_INFO: 3})


def test_the_store_as_owner_cache_honours_the_maximum_age(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.store.caches

    monkeypatch.setattr(bot.store.caches, "utcnow", lambda: "2020-01-01T00:00:00.000000Z")
    store.put_owner(FlickrOwner(BIG, "old name", photos_count=2000))
    monkeypatch.undo()
    store.put_owner(FlickrOwner(SMALL, "fresh", photos_count=1000))
    assert store.get_owner(BIG) is not None  # no max age: forever
    assert store.get_owner(BIG, max_age=timedelta(days=30)) is None
    assert store.get_owner(SMALL, max_age=timedelta(days=30)) is not None
    assert store.get_owner(SMALL, max_age=timedelta(0)) is None


def test_listing_stops_as_soon_as_everything_is_found(
    standin: StandinHandle, make_client: Callable[..., FlickrClient]
) -> None:
    client = make_client()
    wanted = ids_of(51_000_000_000, range(1990, 2000))  # the ten newest: page 1
    results = client.fetch_photos(BIG, wanted)
    assert all(isinstance(r, FlickrPhoto) for r in results.values())
    assert standin.counts == Counter({PEOPLE_GET_INFO: 1, GET_PHOTOS: 1})


def test_listing_stops_when_getinfo_is_cheaper_for_the_rest(
    standin: StandinHandle, make_client: Callable[..., FlickrClient]
) -> None:
    cache = MemoryOwnerCache()
    cache.put_owner(FlickrOwner(BIG, photos_count=2000))
    client = make_client(owner_cache=cache)
    gone = "51000009999"  # never in the list: paging on would read all 4 pages for it
    results = client.fetch_photos(BIG, [*ids_of(51_000_000_000, range(1996, 2000)), gone])
    assert standin.counts == Counter({GET_PHOTOS: 1, GET_INFO: 1})
    assert isinstance(results[gone], FlickrPhotoGone)
    assert sum(isinstance(r, FlickrPhoto) for r in results.values()) == 4


def test_three_photos_of_a_50000_photo_owner_cost_three_getinfo(
    standin: StandinHandle, make_client: Callable[..., FlickrClient]
) -> None:
    client = make_client()
    results = client.fetch_photos(HUGE, ids_of(53_000_000_000, range(3)))
    assert all(isinstance(r, FlickrPhoto) for r in results.values())
    assert standin.counts == Counter({GET_INFO: 3})


def test_a_cached_owner_count_decides_without_people_getinfo(
    standin: StandinHandle, make_client: Callable[..., FlickrClient]
) -> None:
    cache = MemoryOwnerCache()
    cache.put_owner(FlickrOwner(HUGE, "Huge Library", photos_count=50_000))
    cache.put_owner(FlickrOwner(SMALL, "smallarchive", photos_count=1000))
    client = make_client(owner_cache=cache)
    client.fetch_photos(HUGE, ids_of(53_000_000_000, range(6)))
    assert standin.counts == Counter({GET_INFO: 6})
    standin.reset()
    client.fetch_photos(SMALL, ids_of(52_000_000_000, [999, 998, 997]))  # newest: page 1
    assert standin.counts == Counter({GET_PHOTOS: 1})


def test_an_owner_lookup_that_does_not_pay_off_costs_one_call(
    standin: StandinHandle, make_client: Callable[..., FlickrClient]
) -> None:
    client = make_client()
    client.fetch_photos(HUGE, ids_of(53_000_000_000, range(5)))
    assert standin.counts == Counter({PEOPLE_GET_INFO: 1, GET_INFO: 5})


def test_photos_missing_from_the_owners_list_fall_back_to_getinfo(
    standin: StandinHandle, make_client: Callable[..., FlickrClient]
) -> None:
    client = make_client()
    listed = ids_of(52_000_000_000, range(0, 1000, 100))
    private, deleted, foreign = "52000009999", "52000008888", "54000000777"
    results = client.fetch_photos(SMALL, [*listed, private, deleted, foreign])
    assert standin.counts == Counter({PEOPLE_GET_INFO: 1, GET_PHOTOS: 2, GET_INFO: 3})
    assert all(isinstance(results[i], FlickrPhoto) for i in listed)
    assert results[private] == FlickrPhotoGone(
        private, GoneReason.NOT_FOUND, 1, f'Photo "{private}" not found (invalid ID)'
    )
    assert isinstance(results[deleted], FlickrPhotoGone)
    other = results[foreign]
    assert isinstance(other, FlickrPhoto) and other.owner.nsid == OTHER
    assert not other.machine_tags_normalised  # read with getInfo


def test_private_photos_with_the_older_code_2(
    make_client: Callable[..., FlickrClient], standin: StandinHandle
) -> None:
    standin.data.private_code = 2
    gone = make_client().get_photo("52000009999")
    assert gone == FlickrPhotoGone("52000009999", GoneReason.PRIVATE, 2, "Photo is private")


def test_a_failing_listing_falls_back_to_getinfo_for_the_rest(
    standin: StandinHandle, make_client: Callable[..., FlickrClient]
) -> None:
    client = make_client()
    standin.inject(Fault.HTTP_500, times=None, method=GET_PHOTOS, match={"page": "2"})
    wanted = ids_of(52_000_000_000, [999, 998, 5, 4, 3])  # two on page 1, three on page 2
    results = client.fetch_photos(SMALL, wanted)
    assert all(isinstance(r, FlickrPhoto) for r in results.values())
    assert standin.counts == Counter({PEOPLE_GET_INFO: 1, GET_PHOTOS: 1 + 4, GET_INFO: 3})


def test_deleted_owner(standin: StandinHandle, make_client: Callable[..., FlickrClient]) -> None:
    client = make_client()
    assert client.get_owner(GONE_OWNER) == FlickrOwner(GONE_OWNER, is_deleted=True)
    assert client.get_owner("99999999@N99") is None
    standin.reset()
    results = client.fetch_photos(GONE_OWNER, ids_of(55_000_000_000, range(5)))
    assert standin.counts == Counter({GET_INFO: 5})  # the deleted owner was cached
    for photo_id, result in results.items():
        assert isinstance(result, FlickrPhotoGone)
        assert result.reason is GoneReason.OWNER_DELETED and result.id == photo_id


def test_owner_cache_spares_people_getinfo_within_and_across_runs(
    standin: StandinHandle, make_client: Callable[..., FlickrClient]
) -> None:
    shared = MemoryOwnerCache()  # stands for bot.store.Store between runs
    first = make_client(owner_cache=shared)
    first.fetch_photos(BIG, ids_of(51_000_000_000, range(0, 2000, 10)))
    assert standin.counts[PEOPLE_GET_INFO] == 1
    first.fetch_photos(BIG, ids_of(51_000_000_000, range(1, 2000, 10)))
    assert standin.counts[PEOPLE_GET_INFO] == 1
    assert shared.get_owner(BIG) == FlickrOwner(
        BIG, "bigarchive on Flickr", None, "bigarchive", photos_count=2000
    )
    standin.reset()
    second_run = make_client(owner_cache=shared)
    second_run.fetch_photos(BIG, ids_of(51_000_000_000, range(2, 2000, 10)))
    assert standin.counts == Counter({GET_PHOTOS: 4})
    assert second_run.get_owner(BIG) is not None and second_run.calls == 4


def bhl_photo(photo_id: int, i: int, tags: list[str]) -> dict[str, Any]:
    return make_photo(
        str(photo_id),
        ids.BHL_NSID,
        username="BioDivLibrary",
        realname="Biodiversity Heritage Library",
        path_alias="biodivlibrary",
        posted=1_600_000_000 + i,
        machine_tags=tags,
    )


def bhl_tags(i: int) -> list[str]:
    """BHL's usual pair of tags, but for a few photos that need their raw tags read."""
    page = 70_000_000 + i
    url = f"dc:identifier=https://biodiversitylibrary.org/page/{page}"
    return {
        7: ["bhl:page=4321(2)", "dc:identifier=https://biodiversitylibrary.org/page/4321"],
        8: [f"bhl:page={page}a", url],
        9: [f"bhl:page={page}"],  # no dc:identifier to vouch for it
        10: ["taxonomy:genus=Loxodonta"],  # no page tag: no getInfo either
    }.get(i, [f"bhl:page={page}", url])


def test_bhl_photos_come_from_the_list_and_getinfo_only_for_doubtful_tags(
    standin: StandinHandle, make_client: Callable[..., FlickrClient]
) -> None:
    first = 56_000_000_000
    for i in range(600):
        standin.data.add_photo(bhl_photo(first + i, i, bhl_tags(i)))
    cache = MemoryOwnerCache()
    cache.put_owner(FlickrOwner(ids.BHL_NSID, "BioDivLibrary", photos_count=600))
    wanted = ids_of(first, range(60))
    results = make_client(owner_cache=cache).fetch_photos(ids.BHL_NSID, wanted)
    assert standin.counts == Counter({GET_PHOTOS: 2, GET_INFO: 3})  # photos 7, 8 and 9
    from_list = {pid: bhl_page_id(r) for pid, r in results.items() if isinstance(r, FlickrPhoto)}

    standin.reset()
    before = make_client(owner_cache=MemoryOwnerCache()).fetch_photos(None, wanted)
    assert standin.counts == Counter({GET_INFO: 60})  # the old way: getInfo for each
    from_info = {pid: bhl_page_id(r) for pid, r in before.items() if isinstance(r, FlickrPhoto)}
    assert from_list == from_info and len(from_list) == 60
    assert from_list[str(first)] == "70000000"
    assert [from_list[str(first + i)] for i in (7, 8, 9, 10)] == [None, None, "70000009", None]


def test_bhl_listed_photo_keeps_its_record_when_getinfo_fails(
    standin: StandinHandle, make_client: Callable[..., FlickrClient]
) -> None:
    first = 57_000_000_000
    for i in range(3):
        standin.data.add_photo(bhl_photo(first + i, i, ["bhl:page=4321(2)"]))
    cache = MemoryOwnerCache()
    cache.put_owner(FlickrOwner(ids.BHL_NSID, "BioDivLibrary", photos_count=3))
    standin.data.photo_errors[str(first + 1)] = (1, "Photo not found")  # gone since listed
    standin.data.photo_errors[str(first + 2)] = (201, "Service currently unavailable")
    client = make_client(owner_cache=cache, retry=RetryPolicy(attempts=1))
    results = client.fetch_photos(ids.BHL_NSID, ids_of(first, range(3)))
    assert standin.counts == Counter({GET_PHOTOS: 1, GET_INFO: 3})
    for pid in ids_of(first, [1, 2]):
        kept = results[pid]
        assert isinstance(kept, FlickrPhoto) and kept.machine_tags == ("bhl:page=43212",)
    assert isinstance(results[str(first)], FlickrPhoto)
    assert not results[str(first)].machine_tags_normalised  # type: ignore[union-attr]
    assert all(bhl_page_id(r) is None for r in results.values() if isinstance(r, FlickrPhoto))


def test_lookup_user_and_alias_cache(
    standin: StandinHandle, make_client: Callable[..., FlickrClient]
) -> None:
    client = make_client()
    assert client.lookup_user("bigarchive") == BIG
    assert client.lookup_user("https://www.flickr.com/photos/BigArchive/51000000001/") == BIG
    assert client.lookup_user("no-such-person") is None
    assert client.lookup_user("no-such-person") is None
    assert client.lookup_user(HUGE) == HUGE  # an NSID needs no call
    assert standin.counts == Counter({LOOKUP_USER: 2})
    assert standin.requests[0].params["url"] == "https://www.flickr.com/photos/bigarchive/"


def test_fetch_photos_small_cases(
    standin: StandinHandle, make_client: Callable[..., FlickrClient]
) -> None:
    client = make_client()
    assert client.fetch_photos(BIG, []) == {}
    results = client.fetch_photos(None, ["51000000001", "51000000001", " 51000000002 "])
    assert list(results) == ["51000000001", "51000000002"]
    assert standin.counts == Counter({GET_INFO: 2})


def test_iter_owner_photos_is_lazy(
    standin: StandinHandle, make_client: Callable[..., FlickrClient]
) -> None:
    client = make_client()
    photos = client.iter_owner_photos(BIG, per_page=100)
    first = [next(photos) for _ in range(150)]
    assert first[0].id == "51000001999" and first[-1].id == "51000001850"
    assert standin.counts == Counter({GET_PHOTOS: 2})
    assert len(list(client.iter_owner_photos(SMALL))) == 1000  # the private one is not listed


def test_an_owner_list_since_an_upload_date(
    standin: StandinHandle, make_client: Callable[..., FlickrClient]
) -> None:
    """``min_upload_date`` is inclusive; the photos come newest first, as without it."""
    client = make_client()
    since = 1_600_000_000 + 60 * 1995  # the upload time of BIG's 1996th photo
    photos = list(client.iter_owner_photos(BIG, min_upload_date=since))
    assert [p.id for p in photos] == [str(51_000_001_999 - i) for i in range(5)]
    (request,) = standin.requests
    assert request.params["min_upload_date"] == str(since)
    assert "machine_tags" in request.params["extras"].split(",")


def test_listing_without_page_counts_stops_on_a_short_page() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        seen.append(str(page))
        count = 2 if page == 1 else 1
        photos = [
            {"id": f"{page}{i}", "owner": "1@N01", "dateupload": "1600000000"} for i in range(count)
        ]
        return httpx.Response(
            200,
            content=orjson.dumps(
                {"photos": {"page": page, "perpage": 2, "photo": photos}, "stat": "ok"}
            ),
        )

    with FlickrClient(
        "k", transport=httpx.MockTransport(handler), rate_limiter=TokenBucket.unlimited()
    ) as client:
        photos = list(client.iter_owner_photos("1@N01", per_page=2))
    assert [p.id for p in photos] == ["10", "11", "20"] and seen == ["1", "2"]


def test_concurrent_fetches_are_counted_exactly(
    standin: StandinHandle, make_client: Callable[..., FlickrClient]
) -> None:
    client = make_client()
    errors: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            client.fetch_photos(None, ids_of(52_000_000_000, range(offset, offset + 10)))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k * 10,)) for k in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert client.calls == 60 == standin.counts[GET_INFO]


def test_loose_types_over_the_wire_give_identical_records() -> None:
    records = []
    for mode in ("strings", "numbers"):
        photo = loosen(copy.deepcopy(BASE_PHOTO), random.Random(0), mode)
        if mode == "numbers":
            assert photo["dates"]["posted"] == 1_650_000_000 and photo["farm"] == 66
        else:
            assert photo["visibility"]["ispublic"] == "1"
        data = StandinData()
        data.add_photo(photo)
        with (
            run_flickr_standin(data) as handle,
            FlickrClient(
                handle.api_key, base_url=handle.url, rate_limiter=TokenBucket.unlimited()
            ) as client,
        ):
            records.append(
                (client.get_photo("54300000001"), next(client.iter_owner_photos("20000005@N01")))
            )
    assert records[0] == records[1]
    assert records[0][0] == parse_photo_info(BASE_PHOTO)


# --------------------------------------------------------------------------- the stand-in itself


def test_standin_data_directory(tmp_path: Path) -> None:
    data = load_standin_data(FIXTURES / "standin")
    with (
        run_flickr_standin(data) as handle,
        FlickrClient(
            handle.api_key, base_url=handle.url, rate_limiter=TokenBucket.unlimited()
        ) as client,
    ):
        photo = client.get_photo("54200000001")
        assert isinstance(photo, FlickrPhoto)
        assert photo.location == FlickrLocation(50.123456, -5.654321, 16)
        assert photo.owner == FlickrOwner(
            "10000003@N04", "coastal_walker", "Sam Rivera", "coastalwalker"
        )
        bare = client.get_photo("54200000002")
        assert isinstance(bare, FlickrPhoto) and bare.machine_tags == ("archive:card=42",)
        assert bare.date_taken_granularity == 8
        assert client.get_photo("54200000003") == FlickrPhotoGone(
            "54200000003", GoneReason.PRIVATE, 2, "Photo is private"
        )
        private = client.get_photo("54200000004")
        assert isinstance(private, FlickrPhotoGone) and private.reason is GoneReason.NOT_FOUND
        owner = client.get_owner("10000003@N04")
        assert owner is not None and owner.photos_count == 2  # public photos
        assert client.get_owner("10000666@N05") == FlickrOwner("10000666@N05", is_deleted=True)
        assert client.lookup_user("samrivera-old") == "10000003@N04"
        assert client.lookup_user("coastalwalker") == "10000003@N04"
        assert [p.id for p in client.iter_owner_photos("10000003@N04")] == [
            "54200000002",
            "54200000001",
        ]
    save_standin_data(data, tmp_path)
    again = load_standin_data(tmp_path)
    assert again.photos == data.photos and again.owners == data.owners
    assert again.photo_errors == data.photo_errors
    assert again.deleted_owners == data.deleted_owners and again.aliases == data.aliases


def test_standin_speaks_flickrs_wire_format(standin: StandinHandle) -> None:
    url = standin.url
    base = {"format": "json", "api_key": STANDIN_API_KEY}
    jsonp = httpx.get(url, params={**base, "method": GET_INFO, "photo_id": "51000000001"})
    assert jsonp.text.startswith("jsonFlickrApi({")  # without nojsoncallback, like Flickr
    plain = {**base, "nojsoncallback": "1"}
    bad_key = httpx.get(url, params={**plain, "api_key": "nope", "method": GET_INFO}).json()
    assert bad_key == {
        "stat": "fail",
        "code": 100,
        "message": "Invalid API Key (Key has invalid format)",
    }
    missing = httpx.get(url, params={**plain, "method": GET_INFO, "photo_id": "1"}).json()
    assert missing == {"stat": "fail", "code": 1, "message": 'Photo "1" not found (invalid ID)'}
    deleted = httpx.get(
        url, params={**plain, "method": PEOPLE_GET_INFO, "user_id": GONE_OWNER}
    ).json()
    assert deleted == {"stat": "fail", "code": 5, "message": "User deleted"}
    page = httpx.get(
        url,
        params={
            **plain,
            "method": "flickr.people.getPublicPhotos",
            "user_id": BIG,
            "per_page": "1000",
            "page": "2",
            "extras": "geo,path_alias",
        },
    ).json()["photos"]
    assert (page["page"], page["pages"], page["perpage"], page["total"]) == (2, 4, 500, 2000)
    assert page["photo"][0]["pathalias"] == "bigarchive"
    assert "ownername" not in page["photo"][0]  # only the extras asked for
    standin.inject(Fault.HTTP_429, retry_after=3)
    limited = httpx.get(url, params={**plain, "method": GET_INFO, "photo_id": "1"})
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
    assert [r.fault for r in standin.requests][-1] == "http_429"
    assert all("api_key" not in r.params for r in standin.requests)
