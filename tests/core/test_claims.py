"""The data model: which statements a Flickr photo turns into (``bot.core.claims``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.core import ids
from bot.core.claims import (
    FLICKR_LICENCES,
    bhl_page_id,
    coordinates_statement,
    creator_statement,
    date_taken,
    inception_statement,
    licence_info,
    listed_bhl_page,
    needs_raw_machine_tags,
    published_in_statement,
    source_statement,
    wanted_statements,
)
from bot.core.flickr_photo import (
    FlickrLocation,
    FlickrOwner,
    FlickrPhoto,
    FlickrPhotoGone,
    GoneReason,
)
from bot.core.wikibase import item_snak

ALEX = FlickrOwner(nsid="199246608@N02", username="cefarrjf87", realname="Alex Chan")
COAST_GUARD = FlickrOwner(
    nsid="36281769@N04", username="Coast Guard News", realname=None, path_alias="coast_guard"
)
BHL = FlickrOwner(
    nsid=ids.BHL_NSID,
    username="BioDivLibrary",
    realname="Biodiversity Heritage Library",
    path_alias="biodivlibrary",
)


def posted(text: str) -> datetime:
    """A posting time, UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def photo(**overrides: Any) -> FlickrPhoto:
    """A live photo like flickr.photos.getInfo-53253175319, with overrides."""
    fields: dict[str, Any] = {
        "id": "53253175319",
        "owner": ALEX,
        "date_posted": posted("2023-10-12T13:12:45"),
        "date_taken": "2023-10-11 11:32:02",
        "date_taken_granularity": 0,
        "date_taken_unknown": False,
        "license_id": "4",
        "machine_tags": (),
    }
    fields.update(overrides)
    return FlickrPhoto(**fields)


def props(statements: list[dict[str, Any]]) -> list[str]:
    return [s["mainsnak"]["property"] for s in statements]


# --- single statements, exact JSON ------------------------------------------------------


def test_photo_id_statement_is_a_plain_string_statement() -> None:
    (statement, *_) = wanted_statements(photo())
    assert statement == {
        "mainsnak": {
            "snaktype": "value",
            "property": "P12120",
            "datavalue": {"value": "53253175319", "type": "string"},
        },
        "type": "statement",
        "rank": "normal",
    }


def test_creator_statement_has_the_shape_commons_stores() -> None:
    # Same qualifiers and order as the creator in wbeditentity-exchange.json.
    assert creator_statement(ALEX) == {
        "mainsnak": {"snaktype": "somevalue", "property": "P170"},
        "type": "statement",
        "rank": "normal",
        "qualifiers": {
            "P3267": [
                {
                    "snaktype": "value",
                    "property": "P3267",
                    "datavalue": {"value": "199246608@N02", "type": "string"},
                }
            ],
            "P2093": [
                {
                    "snaktype": "value",
                    "property": "P2093",
                    "datavalue": {"value": "Alex Chan", "type": "string"},
                }
            ],
            "P2699": [
                {
                    "snaktype": "value",
                    "property": "P2699",
                    "datavalue": {
                        "value": "https://www.flickr.com/people/199246608@N02/",
                        "type": "string",
                    },
                }
            ],
        },
        "qualifiers-order": ["P3267", "P2093", "P2699"],
    }


@pytest.mark.parametrize(
    ("case", "owner", "name", "profile"),
    [
        ("realname wins", ALEX, "Alex Chan", "https://www.flickr.com/people/199246608@N02/"),
        (
            "no realname: username, alias in URL",
            COAST_GUARD,
            "Coast Guard News",
            "https://www.flickr.com/people/coast_guard/",
        ),
        (
            "no names at all: no P2093",
            FlickrOwner(nsid="12345678@N00"),
            None,
            "https://www.flickr.com/people/12345678@N00/",
        ),
    ],
)
def test_creator_names(case: str, owner: FlickrOwner, name: str | None, profile: str) -> None:
    statement = creator_statement(owner)
    quals = statement["qualifiers"]
    assert quals["P3267"][0]["datavalue"]["value"] == owner.nsid
    assert ("P2093" in quals) == (name is not None)
    if name is not None:
        assert quals["P2093"][0]["datavalue"]["value"] == name
    assert quals["P2699"][0]["datavalue"]["value"] == profile


def test_source_statement_like_commons() -> None:
    statement = source_statement("https://www.flickr.com/photos/coast_guard/32812033543/")
    assert statement["mainsnak"] == item_snak("P7482", "Q74228490")
    assert statement["mainsnak"]["datavalue"]["value"] == {
        "entity-type": "item",
        "numeric-id": 74228490,
        "id": "Q74228490",
    }
    assert statement["qualifiers-order"] == ["P973", "P137"]
    assert (
        statement["qualifiers"]["P973"][0]["datavalue"]["value"]
        == "https://www.flickr.com/photos/coast_guard/32812033543/"
    )
    assert statement["qualifiers"]["P137"][0]["datavalue"]["value"]["id"] == "Q103204"


@pytest.mark.parametrize(
    ("case", "owner", "url"),
    [
        ("path alias", COAST_GUARD, "https://www.flickr.com/photos/coast_guard/53253175319/"),
        ("no alias: NSID", ALEX, "https://www.flickr.com/photos/199246608@N02/53253175319/"),
    ],
)
def test_source_url_uses_alias_or_nsid(case: str, owner: FlickrOwner, url: str) -> None:
    source = next(
        s for s in wanted_statements(photo(owner=owner)) if s["mainsnak"]["property"] == "P7482"
    )
    assert source["qualifiers"]["P973"][0]["datavalue"]["value"] == url


# --- inception ----------------------------------------------------------------------

DAY, MONTH, YEAR = ids.PRECISION_DAY, ids.PRECISION_MONTH, ids.PRECISION_YEAR


@pytest.mark.parametrize(
    ("case", "taken", "granularity", "unknown", "posted_at", "expected"),
    [
        (
            "granularity 0: day",
            "2017-02-17 00:00:00",
            0,
            False,
            "2017-03-24T17:27:52",
            ("+2017-02-17T00:00:00Z", DAY, False),
        ),
        (
            "granularity 4: month",
            "1965-05-01 00:00:00",
            4,
            False,
            "2010-01-01T00:00:00",
            ("+1965-05-00T00:00:00Z", MONTH, False),
        ),
        (
            "granularity 6: year",
            "1950-01-01 00:00:00",
            6,
            False,
            "2010-12-07T14:50:11",
            ("+1950-00-00T00:00:00Z", YEAR, False),
        ),
        (
            "granularity 8: circa year",
            "1943-01-01 00:00:00",
            8,
            False,
            "2008-01-09T04:31:45",
            ("+1943-00-00T00:00:00Z", YEAR, True),
        ),
        (
            "early year keeps four digits",
            "0950-01-01 00:00:00",
            6,
            False,
            "2008-01-09T04:31:45",
            ("+0950-00-00T00:00:00Z", YEAR, False),
        ),
        ("takenunknown set", "2021-06-30 18:45:19", 0, True, "2021-06-30T22:45:19", None),
        ("0000 year, granularity 6", "0000-01-01 00:00:00", 6, False, "2009-07-08T18:30:36", None),
        ("0000-00-00 date", "0000-00-00 00:00:00", 0, False, "2022-05-05T20:50:47", None),
        (
            "taken months after posting",
            "2024-12-02 11:52:58",
            0,
            False,
            "2024-11-20T12:12:38",
            None,
        ),
        (
            "taken next day, east of UTC: allowed",
            "2023-10-12 08:00:00",
            0,
            False,
            "2023-10-11T22:30:00",
            ("+2023-10-12T00:00:00Z", DAY, False),
        ),
        (
            "taken two days after posting",
            "2023-10-13 08:00:00",
            0,
            False,
            "2023-10-11T09:00:00",
            None,
        ),
        (
            "same month as posting at month precision",
            "2023-10-01 00:00:00",
            4,
            False,
            "2023-10-11T09:00:00",
            ("+2023-10-00T00:00:00Z", MONTH, False),
        ),
        (
            "next year at year precision",
            "2024-01-01 00:00:00",
            6,
            False,
            "2023-06-01T00:00:00",
            None,
        ),
        ("undocumented granularity", "2001-01-01 00:00:00", 2, False, "2010-01-01T00:00:00", None),
        ("no date at all", None, 0, False, "2010-01-01T00:00:00", None),
        ("garbage date", "yesterday", 0, False, "2010-01-01T00:00:00", None),
        ("impossible day", "2010-02-30 00:00:00", 0, False, "2011-01-01T00:00:00", None),
        (
            "month 00 at month precision",
            "2010-00-01 00:00:00",
            4,
            False,
            "2011-01-01T00:00:00",
            None,
        ),
    ],
)
def test_date_taken(
    case: str,
    taken: str | None,
    granularity: int,
    unknown: bool,
    posted_at: str,
    expected: tuple[str, int, bool] | None,
) -> None:
    p = photo(
        date_taken=taken,
        date_taken_granularity=granularity,
        date_taken_unknown=unknown,
        date_posted=posted(posted_at),
    )
    result = date_taken(p)
    assert (None if result is None else (result.time, result.precision, result.circa)) == expected
    statement = inception_statement(p)
    assert (statement is None) == (expected is None)


def test_inception_statement_json() -> None:
    circa = inception_statement(photo(date_taken="1943-01-01 00:00:00", date_taken_granularity=8))
    assert circa == {
        "mainsnak": {
            "snaktype": "value",
            "property": "P571",
            "datavalue": {
                "value": {
                    "time": "+1943-00-00T00:00:00Z",
                    "timezone": 0,
                    "before": 0,
                    "after": 0,
                    "precision": 9,
                    "calendarmodel": "http://www.wikidata.org/entity/Q1985727",
                },
                "type": "time",
            },
        },
        "type": "statement",
        "rank": "normal",
        "qualifiers": {"P1480": [item_snak("P1480", "Q5727902")]},
        "qualifiers-order": ["P1480"],
    }
    exact = inception_statement(photo(date_taken="1950-01-01 00:00:00", date_taken_granularity=6))
    assert exact is not None and "qualifiers" not in exact


# --- coordinates --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "location", "precision"),
    [
        ("accuracy 16, street", FlickrLocation(12.973908, 100.907111, 16), 1e-05),
        ("accuracy 15", FlickrLocation(42.998825, -81.256198, 15), 1 / 36000),
        ("accuracy 14", FlickrLocation(28.656738, 77.230796, 14), 1 / 36000),
        ("accuracy 13", FlickrLocation(51.5, -0.1, 13), 1e-04),
        ("accuracy 12", FlickrLocation(51.5, -0.1, 12), 1e-04),
        ("accuracy 11, city", FlickrLocation(53.035568, -3.029119, 11), 1 / 3600),
        ("accuracy 10", FlickrLocation(51.5, -0.1, 10), 0.001),
        ("accuracy 7", FlickrLocation(51.5, -0.1, 7), 0.001),
        ("accuracy 6, region", FlickrLocation(51.5, -0.1, 6), 0.01),
        ("accuracy 5", FlickrLocation(51.5, -0.1, 5), 1 / 60),
        ("accuracy 4", FlickrLocation(51.5, -0.1, 4), 1 / 60),
        ("accuracy 3, country", FlickrLocation(51.5, -0.1, 3), 0.1),
        ("accuracy 1, world", FlickrLocation(54.162433, -3.164062, 1), 0.1),
        ("accuracy 0: no statement", FlickrLocation(8.079310, 77.550004, 0), None),
        ("accuracy 17: undocumented", FlickrLocation(51.5, -0.1, 17), None),
        ("null island (0, 0)", FlickrLocation(0.0, 0.0, 16), None),
        ("only latitude 0 is fine", FlickrLocation(0.0, 32.5, 16), 1e-05),
        ("impossible latitude", FlickrLocation(91.0, 10.0, 16), None),
        ("no geo data", None, None),
    ],
)
def test_coordinates(case: str, location: FlickrLocation | None, precision: float | None) -> None:
    statement = coordinates_statement(location)
    if precision is None:
        assert statement is None
        return
    assert statement is not None and location is not None
    value = statement["mainsnak"]["datavalue"]["value"]
    assert statement["mainsnak"]["property"] == "P1259"
    assert value == {
        "latitude": location.latitude,
        "longitude": location.longitude,
        "altitude": None,
        "precision": pytest.approx(precision),
        "globe": "http://www.wikidata.org/entity/Q2",
    }


# --- published in -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "posted_at", "day"),
    [
        ("afternoon UTC", datetime(2023, 10, 12, 13, 12, 45, tzinfo=UTC), "+2023-10-12T00:00:00Z"),
        (
            "late evening in New York is the next day in UTC",
            datetime.fromisoformat("2021-06-30T22:45:19-04:00"),
            "+2021-07-01T00:00:00Z",
        ),
    ],
)
def test_published_in_flickr_on_the_posting_day(case: str, posted_at: datetime, day: str) -> None:
    statement = published_in_statement(posted_at)
    assert statement["mainsnak"]["datavalue"]["value"]["id"] == "Q103204"
    (date,) = statement["qualifiers"]["P577"]
    assert date["datavalue"]["value"]["time"] == day
    assert date["datavalue"]["value"]["precision"] == 11


# --- BHL ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "owner", "tags", "page"),
    [
        (
            "BHL photo with one page tag",
            BHL,
            ("bhl:page=33665645", "dc:identifier=https://biodiversitylibrary.org/page/33665645"),
            "33665645",
        ),
        ("namespace in capitals", BHL, ("BHL:page=33665645",), "33665645"),
        ("same tag twice counts once", BHL, ("bhl:page=1", "bhl:page=1"), "1"),
        ("two different pages: ambiguous", BHL, ("bhl:page=1", "bhl:page=2"), None),
        ("not digits", BHL, ("bhl:page=33665645a",), None),
        ("empty value", BHL, ("bhl:page=",), None),
        ("no page tag", BHL, ("taxonomy:genus=Loxodonta",), None),
        ("page tag on someone else's photo", ALEX, ("bhl:page=33665645",), None),
    ],
)
def test_bhl_page_id(
    case: str, owner: FlickrOwner, tags: tuple[str, ...], page: str | None
) -> None:
    statements = wanted_statements(photo(owner=owner, machine_tags=tags))
    found = [s for s in statements if s["mainsnak"]["property"] == "P687"]
    assert [s["mainsnak"]["datavalue"]["value"] for s in found] == ([page] if page else [])


URL = "dc:identifier=httpsbiodiversitylibraryorgpage"  # a normalised BHL page URL


@pytest.mark.parametrize(
    ("case", "listed", "page", "needs_raw"),
    [
        # What a photo list gives (Flickr's normalised tags) and what the bot makes of it.
        (
            "digits and the page URL agree",
            ("bhl:page=33665645", URL + "33665645"),
            "33665645",
            False,
        ),
        (
            "http and www in the URL",
            ("bhl:page=1", "dc:identifier=httpwwwbiodiversitylibraryorgpage1"),
            "1",
            False,
        ),
        ("no page URL to agree", ("bhl:page=33665645",), None, True),
        ("the URL names another page", ("bhl:page=43212", URL + "4321"), None, True),
        ("two page URLs", ("bhl:page=1", URL + "1", URL + "2"), None, True),
        ("not digits", ("bhl:page=p12a", URL + "12"), None, True),
        ("empty value", ("bhl:page=", URL + "1"), None, True),
        ("two page tags, even equal", ("bhl:page=1", "bhl:page=1", URL + "1"), None, True),
        ("no page tag", ("taxonomy:genus=loxodonta",), None, False),
        ("no machine tags", (), None, False),
    ],
)
def test_bhl_page_from_a_photo_list(
    case: str, listed: tuple[str, ...], page: str | None, needs_raw: bool
) -> None:
    listed_photo = photo(owner=BHL, machine_tags=listed, machine_tags_normalised=True)
    assert listed_bhl_page(listed) == page
    assert bhl_page_id(listed_photo) == page
    assert needs_raw_machine_tags(listed_photo) is needs_raw
    someone_else = photo(owner=ALEX, machine_tags=listed, machine_tags_normalised=True)
    assert bhl_page_id(someone_else) is None and not needs_raw_machine_tags(someone_else)


RAW_URL = "dc:identifier=https://biodiversitylibrary.org/page/"


@pytest.mark.parametrize(
    ("case", "raw", "listed", "page_before"),
    [
        # Raw tags (getInfo), the same normalised as Flickr lists them (lower case, value
        # without punctuation), and P687 from the raw tags alone (the old way): the list
        # gives the same page, or asks for getInfo.
        (
            "plain page",
            ("bhl:page=33665645", RAW_URL + "33665645"),
            ("bhl:page=33665645", URL + "33665645"),
            "33665645",
        ),
        (
            "capitals",
            ("BHL:Page=33665645", RAW_URL + "33665645"),
            ("bhl:page=33665645", URL + "33665645"),
            "33665645",
        ),
        (
            "punctuation into digits",
            ("bhl:page=4321(2)", RAW_URL + "4321"),
            ("bhl:page=43212", URL + "4321"),
            None,
        ),
        (
            "a range",
            ("bhl:page=33665645-33665646", RAW_URL + "33665645"),
            ("bhl:page=3366564533665646", URL + "33665645"),
            None,
        ),
        (
            "not digits",
            ("bhl:page=33665645a", RAW_URL + "33665645"),
            ("bhl:page=33665645a", URL + "33665645"),
            None,
        ),
        ("no page URL", ("bhl:page=33665645",), ("bhl:page=33665645",), "33665645"),
    ],
)
def test_listed_bhl_page_is_the_raw_one_or_asks_for_it(
    case: str, raw: tuple[str, ...], listed: tuple[str, ...], page_before: str | None
) -> None:
    assert bhl_page_id(photo(owner=BHL, machine_tags=raw)) == page_before
    from_list = photo(owner=BHL, machine_tags=listed, machine_tags_normalised=True)
    assert needs_raw_machine_tags(from_list) or bhl_page_id(from_list) == page_before


def test_listed_bhl_page_known_blind_spot() -> None:
    """The one case a list cannot tell apart: a raw value of digits and punctuation whose
    page URL names the digits without the punctuation. The list then gives that page."""
    raw = ("bhl:page=4321(2)", RAW_URL + "43212")
    assert bhl_page_id(photo(owner=BHL, machine_tags=raw)) is None
    listed = photo(
        owner=BHL, machine_tags=("bhl:page=43212", URL + "43212"), machine_tags_normalised=True
    )
    assert bhl_page_id(listed) == "43212" and not needs_raw_machine_tags(listed)


# --- the whole set -----------------------------------------------------------------


def test_full_photo_gives_every_property_in_order() -> None:
    full = photo(
        owner=BHL,
        date_taken="1923-01-01 00:00:00",
        date_taken_granularity=8,
        location=FlickrLocation(42.998825, -81.256198, 15),
        machine_tags=("bhl:page=33665645",),
    )
    assert props(wanted_statements(full)) == list(ids.WRITTEN_PROPERTIES)


@pytest.mark.parametrize(
    ("case", "p", "expected"),
    [
        ("no geo, no date", photo(date_taken_unknown=True), ["P12120", "P170", "P7482", "P1433"]),
        ("date, no geo", photo(), ["P12120", "P170", "P7482", "P571", "P1433"]),
    ],
)
def test_optional_statements_are_left_out(case: str, p: FlickrPhoto, expected: list[str]) -> None:
    assert props(wanted_statements(p)) == expected


GONE = FlickrPhotoGone(id="28952265972", reason=GoneReason.NOT_FOUND, code=1)
PRIVATE = FlickrPhotoGone(id="28952265972", reason=GoneReason.PRIVATE, code=2)
GONE_WITH_OWNER = FlickrPhotoGone(
    id="28952265972", reason=GoneReason.OWNER_DELETED, code=5, message="User deleted"
)
LIVE_ACCOUNT = FlickrOwner(  # as flickr.people.getInfo describes it
    nsid="55696846@N04",
    username="Rafael Moura SP",
    realname="Rafael B. de Moura",
    path_alias="rbmoura",
    photos_count=2718,
)


@pytest.mark.parametrize(
    ("case", "photo_gone", "hint", "expected"),
    [
        ("deleted photo, no account confirmed", GONE, None, ["P12120"]),
        ("deleted photo, account exists", GONE, LIVE_ACCOUNT, ["P12120", "P170"]),
        ("private photo, account exists", PRIVATE, LIVE_ACCOUNT, ["P12120", "P170"]),
        (
            "account exists, people.getInfo gave no names",
            GONE,
            FlickrOwner(nsid="55696846@N04", path_alias="rbmoura"),
            ["P12120", "P170"],
        ),
        (
            "people.getInfo: account deleted (code 5)",
            GONE,
            FlickrOwner(nsid="55696846@N04", is_deleted=True),
            ["P12120"],
        ),
        ("getInfo code 5: owner deleted, no hint", GONE_WITH_OWNER, None, ["P12120"]),
        (
            "getInfo code 5 even with a stale live hint",
            GONE_WITH_OWNER,
            LIVE_ACCOUNT,
            ["P12120"],
        ),
    ],
)
def test_gone_photo(
    case: str, photo_gone: FlickrPhotoGone, hint: FlickrOwner | None, expected: list[str]
) -> None:
    statements = wanted_statements(photo_gone, hint)
    assert props(statements) == expected
    assert statements[0]["mainsnak"]["datavalue"]["value"] == "28952265972"
    if hint is not None and len(statements) > 1:
        assert statements[1] == creator_statement(hint)


def test_owner_hint_is_ignored_for_a_live_photo() -> None:
    other = FlickrOwner(nsid="1@N01", realname="Someone Else")
    assert wanted_statements(photo(), other) == wanted_statements(photo())


# --- licence information -----------------------------------------------------------


def licensed(*qids: str, deprecated: bool = False) -> dict[str, Any]:
    return {
        "id": "M1",
        "statements": {
            "P275": [
                {
                    "mainsnak": item_snak("P275", q),
                    "type": "statement",
                    "id": f"M1${i}",
                    "rank": "deprecated" if deprecated else "normal",
                }
                for i, q in enumerate(qids)
            ]
        },
    }


@pytest.mark.parametrize(
    ("case", "license_id", "entity", "reported"),
    [
        ("same licence (CC BY-SA 2.0)", "5", licensed("Q19068220"), False),
        ("Flickr's among several", "4", licensed("Q19068220", "Q19125117"), False),
        ("Flickr CC BY 2.0, file CC BY-SA 2.0", "4", licensed("Q19068220"), True),
        ("Flickr now All Rights Reserved", "0", licensed("Q19068220"), True),
        ("Flickr now NC", "2", licensed("Q19125117"), True),
        ("No known copyright restrictions is not a licence", "7", licensed("Q19068220"), False),
        ("US Government Work is not a licence", "8", licensed("Q19068220"), False),
        ("file has no P275", "4", {"id": "M1", "statements": {}}, False),
        ("file without SDC", "4", {"id": "M1004", "missing": ""}, False),
        ("only a deprecated P275", "4", licensed("Q19068220", deprecated=True), False),
        ("unknown Flickr licence id", "99", licensed("Q19068220"), False),
    ],
)
def test_licence_info(case: str, license_id: str, entity: dict[str, Any], reported: bool) -> None:
    info = licence_info(photo(license_id=license_id), entity)
    assert (info is not None) == reported
    if info is not None:
        assert info["reason"] == "licence_differs"
        assert info["flickr_license_id"] == license_id
        assert info["flickr_license_item"] == FLICKR_LICENCES[license_id].item
        assert info["commons_license_items"]


def test_licence_info_for_gone_photo_is_none() -> None:
    assert licence_info(GONE, licensed("Q19068220")) is None


def test_every_flickr_licence_id_is_known() -> None:
    assert sorted(FLICKR_LICENCES, key=int) == [str(i) for i in range(17)]
    items = [lic.item for lic in FLICKR_LICENCES.values() if lic.item]
    assert len(items) == len(set(items))
