"""bot.core.bhl: the BHL page ids a file cites, and the pages a listed BHL photo is tagged with."""

from __future__ import annotations

import pytest

from bot.core.bhl import (
    MatchKind,
    evidence_items,
    listed_pages,
    match_kind,
    page_id,
    pages_in_evidence,
    pages_in_wikitext,
)

# --------------------------------------------------------------------------- wikitext


@pytest.mark.parametrize(
    ("text", "pages"),
    [
        ("|source=https://www.biodiversitylibrary.org/page/33665645", ("33665645",)),
        ("[http://biodiversitylibrary.org/page/4321212 BHL]", ("4321212",)),
        ("https://www.biodiversitylibrary.org/pageimage/33665645", ("33665645",)),
        ("{{BHL|page=33665645}}", ("33665645",)),
        ("{{BHL|pageid = 0033665645 }}", ("33665645",)),
        ("{{BHL|page|33665645}}", ("33665645",)),
        ("{{Biodiversity Heritage Library|page=4321212}}", ("4321212",)),
        ("{{BHL|item=12345}}", ()),  # an item, not a page
        ("{{BHL|12345}}", ()),  # a bare number: which kind of id is not said
        ("{{Information|page=33665645}}", ()),  # not a BHL template
        ("<!-- https://www.biodiversitylibrary.org/page/33665645 -->", ()),
        ("https://www.biodiversitylibrary.org/item/12345#page/7/mode/1up", ()),
        ("https://www.biodiversitylibrary.org/page/33665645x", ()),
        (
            "{{BHL|page=33665645}} also https://biodiversitylibrary.org/page/33665645 and "
            "https://biodiversitylibrary.org/page/4321212",
            ("33665645", "4321212"),
        ),
    ],
)
def test_pages_in_wikitext(text: str, pages: tuple[str, ...]) -> None:
    assert pages_in_wikitext(text) == pages


def test_pages_in_a_whole_file_description() -> None:
    text = (
        "=={{int:filedesc}}==\n{{Information\n|description={{en|1=Elephas indicus}}\n"
        "|source={{BHL|page=33665645}}\n|author=Hardwicke, Thomas\n}}\n"
        "[[Category:Illustrations of Indian zoology]]\n"
    )
    assert pages_in_wikitext(text) == ("33665645",)


# --------------------------------------------------------------------------- listed tags


def test_a_listed_photo_in_bhls_shape_gives_its_page() -> None:
    # people.getPhotos' machine_tags extra: the normalised tags of
    # flickr.photos.getInfo-51281775881 (bhl:page=33665645, dc:identifier=https://...)
    tags = (
        "bhl:page=33665645",
        "dc:identifier=httpsbiodiversitylibraryorgpage33665645",
        "taxonomy:binomial=elephasindicus",
    )
    assert listed_pages(tags) == ("33665645",)


@pytest.mark.parametrize(
    ("tags", "pages"),
    [
        # raw "4321(2)" lists as "43212"; its dc:identifier names page 4321: not taken
        (("bhl:page=43212", "dc:identifier=httpsbiodiversitylibraryorgpage4321"), ()),
        (("bhl:page=p12a", "dc:identifier=httpsbiodiversitylibraryorgpage12"), ()),
        (("bhl:page=33665646",), ("33665646",)),  # nothing to check it against
        (("taxonomy:genus=loxodonta",), ()),
        ((), ()),
        (
            (
                "bhl:page=4321212",
                "bhl:page=4321213",
                "dc:identifier=httpbiodiversitylibraryorgpage4321212",
                "dc:identifier=httpbiodiversitylibraryorgpage4321213",
            ),
            ("4321212", "4321213"),  # a plate across two pages
        ),
    ],
)
def test_listed_pages(tags: tuple[str, ...], pages: tuple[str, ...]) -> None:
    assert listed_pages(tags) == pages


# --------------------------------------------------------------------------- evidence, match


def test_pages_travel_in_the_evidence_items() -> None:
    items = evidence_items("wikitext.bhl", ["33665645"])
    assert items == [{"source": "wikitext.bhl", "value": "33665645", "bhl_page": "33665645"}]
    other = {"source": "P7482.P973", "value": "https://flic.kr/p/x", "photo_id": "1"}
    assert pages_in_evidence([other, *items, {"source": "P687", "bhl_page": "33665645"}]) == (
        "33665645",
    )
    assert pages_in_evidence([other]) == ()


def test_page_ids_are_canonical_digits() -> None:
    assert page_id(" 0033665645 ") == "33665645"
    assert page_id("p.12") is None and page_id("0") is None and page_id("") is None


@pytest.mark.parametrize(
    ("photos", "kind"),
    [
        (["51281775881"], MatchKind.ONE),
        (["51281775881", "51281775881"], MatchKind.ONE),
        (["7982377911", "7982377912"], MatchKind.SEVERAL),
        ([], MatchKind.NONE),
    ],
)
def test_match_kind(photos: list[str], kind: MatchKind) -> None:
    assert match_kind(photos) is kind
