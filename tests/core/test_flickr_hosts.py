"""Every way of writing a Flickr host that the URL parser accepts is also seen by the
prefilters in front of it: the evidence reader's (``may_be_flickr``), the wikitext URL
search, and (for the forms the dump can carry with a marker) the snapshot scanner.
One host form per line."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.evidence import evidence_from_entity, evidence_from_line
from bot.core.flickr_urls import NotAFlickrUrl, may_be_flickr, parse_flickr_url
from bot.core.wikitext import find_flickr_source
from bot.extract.snapshot import extract
from bot.store import Store
from tests.support import snapshot as h

MID = "M131000101"
PID = "52810336619"
PATH = f"/photos/harbourlight/{PID}/"

# (URL, whether the snapshot scanner's byte markers see it in a dump line)
HOST_FORMS = [
    (f"https://www.flickr.com{PATH}", True),  # the plain form, for comparison
    (f"HTTPS://WWW.FLICKR.COM{PATH}", True),  # upper case
    (f"https://www.FLickr.com{PATH}", True),  # mixed case ("Lickr")
    (f"https://Flickr.COM{PATH}", True),  # mixed case, no www
    (f"https://www.flickr.com.{PATH}", True),  # a trailing dot (the root of DNS)
    (f"https://www.flickr.com:443{PATH}", True),  # a port
    (f"https://someone@www.flickr.com{PATH}", True),  # userinfo before the host
    (f"//www.flickr.com{PATH}", True),  # scheme-relative, as on Commons' https pages
    (f"www.flickr.com{PATH}", True),  # no scheme at all
    (f"https://m.flickr.com{PATH}", True),  # the mobile host
    (f"https://secure.flickr.com{PATH}", True),  # the old https host
    (f"https://www.fl%69ckr.com{PATH}", False),  # a %-escaped letter
    (f"https://www.flickr.com%2E{PATH}", True),  # a %-escaped trailing dot
    ("https://ｗｗｗ.ｆｌｉｃｋｒ.ｃｏｍ" + PATH, False),  # full-width letters (IDNA maps them)
    (f"https://www.fl\tickr.com{PATH}", False),  # a tab, which browsers drop
    (f"http://farm5.static.flickr.com/4021/{PID}_2d1e3e6fde_b.jpg", True),
    (f"https://live.staticflickr.com/65535/{PID}_8d2e41c0fa_b.jpg", True),
    (f"HTTPS://LIVE.STATICFLICKR.COM/65535/{PID}_8d2e41c0fa_b.jpg", True),
    ("https://flic.kr/p/2osEMca", True),  # base58 of the photo id
    ("HTTPS://FLIC.KR/p/2osEMca", True),
    ("https://Flic.Kr/p/2osEMca", True),
]


def test_the_short_link_is_of_the_same_photo() -> None:
    assert parse_flickr_url("https://flic.kr/p/2osEMca").photo_id == PID


@pytest.mark.parametrize(("url", "scanned"), HOST_FORMS)
def test_the_parser_reads_every_host_form(url: str, scanned: bool) -> None:
    parsed = parse_flickr_url(url)
    assert parsed.type == "single_photo" and parsed.photo_id == PID
    assert may_be_flickr(url)


@pytest.mark.parametrize(("url", "scanned"), HOST_FORMS)
def test_evidence_reads_every_host_form(url: str, scanned: bool) -> None:
    entity = h.entity(MID, {"P7482": [h.source(MID, ("P973", url))]})
    for found in (evidence_from_entity(entity), evidence_from_line(h.dump_line(entity).encode())):
        assert found is not None and found.photo_ids == (PID,), url


@pytest.mark.parametrize(
    ("url", "scanned"),
    [form for form in HOST_FORMS if "\t" not in form[0]],  # wikitext URLs end at whitespace
)
def test_wikitext_finds_every_host_form(url: str, scanned: bool) -> None:
    as_source = find_flickr_source("File:X.jpg", f"{{{{Information|source={url}|author=A}}}}")
    assert as_source.photo_ids == (PID,) and as_source.strength == "source", url
    in_text = find_flickr_source("File:X.jpg", f"Taken from [{url} Flickr], thanks.")
    assert in_text.photo_ids == (PID,) and in_text.strength == "text", url


def test_the_scanner_sees_the_host_forms_with_a_marker(tmp_path: Path) -> None:
    entities = [
        h.entity(f"M{1000 + i}", {"P7482": [h.source(f"M{1000 + i}", ("P973", url))]})
        for i, (url, _) in enumerate(HOST_FORMS)
    ]
    path = h.write_snapshot(tmp_path / "commons-20251101-mediainfo.json.gz", entities)
    store = Store(tmp_path / "w.db")
    summary = extract(path, store, progress=False)
    found = {r.mid for r in store.iter_worklist()}
    expected = {f"M{1000 + i}" for i, (_, scanned) in enumerate(HOST_FORMS) if scanned}
    assert found == expected
    assert summary.files_with_evidence == len(expected) and summary.malformed_lines == 0


@pytest.mark.parametrize(
    "text",
    [
        "https://www.flickr.com.example.org/photos/x/123/",  # a look-alike host
        "https://xflickr.com/photos/x/123/",
        "https://example.org/?u=https://www.flickr.com/photos/x/123/",  # inside a query
        "mailto:someone@flickr.com",
    ],
)
def test_look_alike_hosts_stay_not_flickr(text: str) -> None:
    with pytest.raises(NotAFlickrUrl):
        parse_flickr_url(text)


@given(st.text())
def test_what_the_prefilter_turns_away_the_parser_refuses(text: str) -> None:
    if not may_be_flickr(text):
        with pytest.raises(NotAFlickrUrl):
            parse_flickr_url(text)
