"""``get_exif_dates``: imageinfo metadata in batches of 50 titles, real pywikibot against the stand-in."""

from __future__ import annotations

from commons_fixtures import (
    SiteFactory,
    StandinFactory,
    commons_site_fixture,  # noqa: F401 - fixture
    files,
    offline_fixture,  # noqa: F401 - autouse fixture
    pywikibot_dir_fixture,  # noqa: F401 - fixture
    standin_fixture,  # noqa: F401 - fixture
)

from bot.adapters.commons import CommonsClient
from bot.standins.commons import StandinData

# The shape MediaWiki gives a scanned JPEG (EXIF in ``metadata``; ``commonmetadata`` the
# format-neutral fields) and a file without EXIF (``metadata`` null).
SCAN_EXIF = [
    {"name": "Make", "value": "EPSON"},
    {"name": "DateTime", "value": "2018:03:04 10:30:00"},
    {"name": "DateTimeOriginal", "value": "2018:03:04 10:21:55"},
    {"name": "MEDIAWIKI_EXIF_VERSION", "value": 2},
]


def test_exif_dates_in_batches_of_50(standin: StandinFactory, commons_site: SiteFactory) -> None:
    seeds = files(60)
    seeds["M1003"]["metadata"] = SCAN_EXIF
    seeds["M1055"]["commonmetadata"] = [{"name": "DateTimeDigitized", "value": "2001:02:03"}]
    wiki = standin(StandinData(entities=seeds))
    client = CommonsClient(commons_site(wiki))
    titles = [seeds[f"M{1000 + i}"]["title"] for i in range(60)]
    dates = client.get_exif_dates([*titles, "File:gone_file.jpg"])
    assert dates[titles[3]] == {
        "DateTime": "2018:03:04 10:30:00",
        "DateTimeOriginal": "2018:03:04 10:21:55",
    }
    assert dates[titles[55]] == {"DateTimeDigitized": "2001:02:03"}
    assert dates[titles[0]] == {} and dates["File:gone_file.jpg"] == {}
    assert wiki.requests["query+imageinfo"] == 2 == client.read_calls
    batches = [
        len(e["params"]["titles"].split("|"))
        for e in wiki.log
        if e["params"].get("prop") == "imageinfo"
    ]
    assert batches == [50, 11]


def test_exif_dates_follow_title_normalisation(
    standin: StandinFactory, commons_site: SiteFactory
) -> None:
    seeds = files(1)
    seeds["M1000"]["metadata"] = SCAN_EXIF
    wiki = standin(StandinData(entities=seeds))
    client = CommonsClient(commons_site(wiki))
    raw = seeds["M1000"]["title"].replace(" ", "_")
    assert client.get_exif_dates([raw])[raw]["DateTimeOriginal"] == "2018:03:04 10:21:55"
