"""``get_exif_dates``: imageinfo metadata in batches of 50 titles, real pywikibot against the stand-in."""

from __future__ import annotations

import struct
import uuid
import zlib

from bot.adapters.commons import CommonsClient
from bot.standins.commons import StandinData
from tests.support.commons import (
    SiteFactory,
    StandinFactory,
    commons_site_fixture,  # noqa: F401 - fixture
    files,
    offline_fixture,  # noqa: F401 - autouse fixture
    pywikibot_dir_fixture,  # noqa: F401 - fixture
    standin_fixture,  # noqa: F401 - fixture
)
from tests.support.wikibase import (
    Backend,
    real_backend_fixture,  # noqa: F401 - fixture
)

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


def _png_with_dates() -> bytes:
    """A 4×4 PNG with a tIME chunk and a tEXt "Creation Time" (MediaWiki reads both)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + uuid.uuid4().bytes[:3] * 4 for _ in range(4))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
        + chunk(b"tIME", struct.pack(">HBBBBB", 2018, 3, 4, 10, 21, 55))
        + chunk(b"tEXt", b"Creation Time\x002018:03:04 10:21:55")
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_exif_dates_of_a_real_mediawiki(real_backend: Backend) -> None:
    """MediaWiki 1.39 without ImageMagick still reads a PNG's dates (its PNG handler is
    PHP): the tIME chunk as DateTime, "Creation Time" as a language-tagged
    DateTimeDigitized; a PNG without them has none."""
    raw = real_backend.raw
    name = f"Exif-{uuid.uuid4().hex[:10]}.png"
    answer = raw.post(
        files={"file": (name, _png_with_dates(), "image/png")},
        action="upload",
        filename=name,
        text="A test file with dates in its metadata.",
        ignorewarnings="1",
        token=raw.csrf,
    ).json()
    assert answer.get("upload", {}).get("result") == "Success", answer
    plain = real_backend.new_file()
    plain_title = raw.get(action="query", pageids=plain[1:])["query"]["pages"][0]["title"]
    dates = real_backend.client.get_exif_dates([f"File:{name}", plain_title])
    assert dates[f"File:{name}"] == {
        "DateTime": "2018:03:04 10:21:55",
        "DateTimeDigitized": "2018:03:04 10:21:55",
    }
    assert dates[plain_title] == {}
