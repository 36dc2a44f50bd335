"""Finding the Flickr source in a file page's wikitext: one line per real-world form."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.wikitext import WikitextEvidence, find_flickr_source, iter_templates

TITLE = "File:Some photo.jpg"
SEED_WIKI = Path(__file__).parents[1] / "fixtures" / "commons" / "seed" / "mediainfo" / "M1004.wiki"

FLICKYPEDIA = """=={{int:filedesc}}==
{{Information
|Source=https://www.flickr.com/photos/199246608@N02/53255367525/
|Date=2023-10-11 11:49:25
|Author=[https://www.flickr.com/people/199246608@N02 Alex Chan]
|Permission=
|other_versions=
}}

=={{int:license-header}}==
{{cc-by-2.0}}
"""


@pytest.mark.parametrize(
    ("title", "text", "ids", "owner", "strength"),
    [
        # {{Information}} source, as Flickypedia writes it
        (TITLE, FLICKYPEDIA, ("53255367525",), "199246608@N02", "source"),
        # lower-case parameter, bracketed link with a label, path alias
        (
            TITLE,
            "{{Information|source=[http://www.flickr.com/photos/stewart/253009/ Flickr]"
            "|author=Stewart}}",
            ("253009",),
            "stewart",
            "source",
        ),
        # Fæ-style batch upload: plain URL, other fields around it
        (
            TITLE,
            "{{Information\n|date=1841\n|author=Schlegel, H.\n"
            "|source=https://www.flickr.com/photos/internetarchivebookimages/16095238834/\n"
            "|permission={{User:Fæ/Flickr API}}\n}}",
            ("16095238834",),
            "internetarchivebookimages",
            "source",
        ),
        # a nested template and a wikilink with a pipe before the source parameter
        (
            TITLE,
            "{{Information|description={{en|1=[[Kyoto|the city]] at night}}"
            "|source=https://flickr.com/photos/35168673@N03/7476891542/in/photostream/}}",
            ("7476891542",),
            "35168673@N03",
            "source",
        ),
        # {{Artwork}} / {{Photograph}} also have source=
        (
            TITLE,
            "{{Photograph|photographer=X|source=https://www.flickr.com/photos/x/111111/}}",
            ("111111",),
            "x",
            "source",
        ),
        # FlickreviewR: named sourceurl ...
        (
            TITLE,
            "{{FlickreviewR|status=pass|author=Someone|sourceurl=https://flickr.com/photos/"
            "96239768@N00/49585670702|reviewdate=2020-03-01|reviewer=FlickreviewR 2}}",
            ("49585670702",),
            "96239768@N00",
            "source",
        ),
        # ... or positional (2nd parameter)
        (
            TITLE,
            "{{flickreviewR|status=pass|Someone|https://www.flickr.com/photos/someone/22222222/"
            "|2020-03-01}}",
            ("22222222",),
            "someone",
            "source",
        ),
        # a static image URL as source: owner from the author field
        (
            TITLE,
            "{{Information|source=https://live.staticflickr.com/65535/"
            "53253175319_2f310021b6_o_d.jpg|author=[https://www.flickr.com/people/"
            "199246608@N02 A]}}",
            ("53253175319",),
            "199246608@N02",
            "source",
        ),
        # a short link
        (
            TITLE,
            "{{Information|source=http://flic.kr/p/2oGvJ9w}}",
            ("52967001310",),
            None,
            "source",
        ),
        # the source field wins over another photo linked in the description
        (
            TITLE,
            "{{Information|description=See also https://www.flickr.com/photos/x/999999/"
            "|source=https://www.flickr.com/photos/x/123456/}}",
            ("123456",),
            "x",
            "source",
        ),
        # no source field: a photo URL anywhere in the text
        (
            TITLE,
            "Taken by me. Original: https://www.flickr.com/photos/bob/3731022/.",
            ("3731022",),
            "bob",
            "text",
        ),
        (
            TITLE,
            "{{Information|source=own work}}\n[[Category:X]] from www.flickr.com/photos/"
            "bob/3731022/sizes/o/",
            ("3731022",),
            "bob",
            "text",
        ),
        # the same photo twice is one photo
        (
            TITLE,
            "https://www.flickr.com/photos/bob/3731022/ and http://flickr.com/photos/bob/3731022",
            ("3731022",),
            "bob",
            "text",
        ),
        # two different photos: ambiguous
        (
            TITLE,
            "{{Information|source=https://www.flickr.com/photos/a/111111/ and "
            "https://www.flickr.com/photos/b/222222/}}",
            ("111111", "222222"),
            None,
            "source",
        ),
        # a photo id in the file name, when the page mentions Flickr
        (
            "File:Harbour at dawn (53208249252).jpg",
            "{{Information|source=Flickr}}\n{{flickrreview|Reviewer|2023-10-01}}",
            ("53208249252",),
            None,
            "filename",
        ),
        # ... not when it does not
        (
            "File:Harbour at dawn (53208249252).jpg",
            "{{Information|source={{own}}}}",
            (),
            None,
            "none",
        ),
        # a Flickr user page is not a photo
        (
            TITLE,
            "{{Information|source=https://www.flickr.com/photos/bob/|author=bob}}",
            (),
            None,
            "none",
        ),
        # commented-out and nowiki URLs do not count
        (
            TITLE,
            "<!-- https://www.flickr.com/photos/bob/3731022/ -->\n"
            "<nowiki>https://www.flickr.com/photos/bob/4444444/</nowiki>",
            (),
            None,
            "none",
        ),
        # look-alike hosts are not Flickr
        (
            TITLE,
            "https://notflickr.com/photos/bob/3731022/ "
            "https://flickr.com.evil.example/photos/bob/5555555/",
            (),
            None,
            "none",
        ),
        # nothing at all
        (TITLE, "{{Information|source={{own}}|author=[[User:Me|Me]]}}", (), None, "none"),
        (TITLE, "", (), None, "none"),
    ],
)
def test_find_flickr_source(
    title: str, text: str, ids: tuple[str, ...], owner: str | None, strength: str
) -> None:
    evidence = find_flickr_source(title, text)
    assert evidence.photo_ids == ids
    assert evidence.owner == owner
    assert evidence.strength == strength
    assert evidence.ambiguous is (len(ids) > 1)
    assert bool(evidence.sources) is bool(ids)


def test_sources_record_where_the_ids_came_from() -> None:
    evidence = find_flickr_source(TITLE, FLICKYPEDIA)
    assert evidence.sources == ("https://www.flickr.com/photos/199246608@N02/53255367525/",)
    assert evidence.photo_id == "53255367525"
    assert find_flickr_source("File:A (12345678).jpg", "flickr").sources == (
        "file name: File:A (12345678).jpg",
    )


def test_seed_file_page() -> None:
    evidence = find_flickr_source("File:Nyungw.jpg", SEED_WIKI.read_text("utf-8"))
    assert evidence == WikitextEvidence(
        photo_ids=("7476891542",),
        owner="35168673@N03",
        sources=(
            "https://www.flickr.com/photos/35168673@N03/7476891542/",
            "https://flickr.com/photos/35168673@N03/7476891542",
        ),
        strength="source",
    )


def test_iter_templates_handles_nesting() -> None:
    text = "{{Information|description={{en|1=a=b [[x|y]]}}|Source=s|3rd}}"
    templates = list(iter_templates(text))
    assert templates[0] == ("en", [("1", "a=b [[x|y]]")])
    assert templates[1] == (
        "information",
        [("description", "{{en|1=a=b [[x|y]]}}"), ("source", "s"), ("1", "3rd")],
    )
    assert list(iter_templates("{{Template:Flickr_review}}")) == [("flickr review", [])]
    assert list(iter_templates("{{{1}}} {{unclosed")) == []
    assert list(iter_templates("{{a|{{b}}}}")) == [("b", []), ("a", [("1", "{{b}}")])]
