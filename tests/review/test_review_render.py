"""Statements in words: dates at their precision, coordinates, creators, safe links."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core import ids
from review_ui import labels, render, sample
from review_ui.render import Piece


def texts(pieces: list[Piece]) -> str:
    return " ".join(p.text for p in pieces)


def time_value(time: str, precision: int, calendar: str = ids.CALENDAR_GREGORIAN) -> dict[str, Any]:
    return {
        "time": time,
        "precision": precision,
        "timezone": 0,
        "before": 0,
        "after": 0,
        "calendarmodel": calendar,
    }


@pytest.mark.parametrize(
    ("time", "precision", "circa", "expected"),
    [
        ("+2017-02-17T00:00:00Z", 11, False, "17 February 2017"),
        ("+1965-05-00T00:00:00Z", 10, False, "May 1965"),
        ("+1965-05-01T00:00:00Z", 10, False, "May 1965"),  # month precision written with day 01
        ("+1943-00-00T00:00:00Z", 9, True, "circa 1943"),
        ("+1943-00-00T00:00:00Z", 9, False, "1943"),
        ("+1947-00-00T00:00:00Z", 8, False, "1940s"),
        ("+1943-00-00T00:00:00Z", 7, False, "20th century"),
        ("+1901-00-00T00:00:00Z", 7, False, "20th century"),
        ("+1900-00-00T00:00:00Z", 7, False, "19th century"),
        ("+2001-00-00T00:00:00Z", 6, False, "3rd millennium"),
        ("-0044-03-15T00:00:00Z", 11, False, "15 March 44 BCE"),
        ("+2017-02-17T13:45:00Z", 13, False, "17 February 2017, 13:45 UTC"),
    ],
)
def test_dates_read_at_their_precision(
    time: str, precision: int, circa: bool, expected: str
) -> None:
    assert render.format_time(time_value(time, precision), circa=circa) == expected


def test_a_non_gregorian_date_names_its_calendar() -> None:
    value = time_value("+1582-10-04T00:00:00Z", 11, "http://www.wikidata.org/entity/Q1985786")
    assert render.format_time(value) == "4 October 1582 (proleptic Julian calendar)"


def test_an_unreadable_date_is_shown_raw() -> None:
    assert render.format_time({"time": "yesterday", "precision": 11}) == "yesterday"


def test_circa_comes_from_the_statement_qualifier() -> None:
    view = render.render_statement(sample.inception("+1943-00-00T00:00:00Z", 9, circa=True))
    assert view.value[0].text == "circa 1943"
    assert view.value[1].text == "precision: year"
    assert view.prop.label == "inception"
    circa = view.qualifiers[0]
    assert circa.prop.id == ids.P_SOURCING_CIRCUMSTANCES
    assert texts(circa.values[0]) == "circa Q5727902"


def test_coordinates_in_words_with_precision_and_a_map_link() -> None:
    view = render.render_statement(sample.coordinates(51.5074, -0.1278, 0.0001))
    text, precision, link = view.value
    assert text.text == "51.5074° N, 0.1278° W"
    assert precision.text == "precision ±0.0001° (about 11 m)"
    assert precision.kind == "muted"
    assert link.text == "OpenStreetMap"
    assert link.href == (
        "https://www.openstreetmap.org/?mlat=51.507400&mlon=-0.127800#map=18/51.507400/-0.127800"
    )


def test_coarse_southern_coordinates() -> None:
    pieces = render.coordinate_pieces(
        {"latitude": -33.8568, "longitude": 151.2153, "precision": 0.01, "globe": ids.GLOBE_EARTH}
    )
    assert pieces[0].text == "33.86° S, 151.22° E"
    assert pieces[1].text == "precision ±0.01° (about 1.1 km)"
    assert "mlat=-33.856800&mlon=151.215300" in (pieces[2].href or "")


def test_coordinates_without_precision_or_on_another_globe() -> None:
    pieces = render.coordinate_pieces(
        {
            "latitude": 1.5,
            "longitude": 2.5,
            "precision": None,
            "globe": "http://www.wikidata.org/entity/Q405",
        }
    )
    assert [p.text for p in pieces] == [
        "1.500000° N, 2.500000° E",
        "precision not given",
        "on Moon",
    ]
    assert all(p.href is None for p in pieces)


def test_a_flickr_creator_reads_as_name_and_profile_links() -> None:
    view = render.render_statement(sample.creator("12345678@N00", "Jane Roe", sid="M1$X"))
    assert view.prop.text == "creator"
    assert view.value[0].text == "unknown value"
    assert "without a Wikidata item" in view.value[1].text
    by_prop = {q.prop.id: q.values[0] for q in view.qualifiers}
    assert [q.prop.label for q in view.qualifiers] == [
        "Flickr user ID",
        "author name string",
        "URL",
    ]
    assert by_prop[ids.P_AUTHOR_NAME_STRING] == [Piece("Jane Roe")]
    assert by_prop[ids.P_FLICKR_USER_ID][0].href == "https://www.flickr.com/people/12345678@N00/"
    assert by_prop[ids.P_URL][0].href == "https://www.flickr.com/people/12345678@N00/"
    assert view.statement_id == "M1$X"
    assert render.summary(sample.creator("1@N00", "Jane Roe")) == "Jane Roe"


def test_items_show_their_label_and_linked_id() -> None:
    view = render.render_statement(sample.source("https://www.flickr.com/photos/a/1/"))
    label, qid = view.value
    assert label == Piece("file available on the internet")
    assert qid.text == "Q74228490"
    assert qid.href == "https://www.wikidata.org/wiki/Q74228490"
    assert view.prop.href == "https://www.wikidata.org/wiki/Property:P7482"
    operator = next(q for q in view.qualifiers if q.prop.id == ids.P_OPERATOR)
    assert texts(operator.values[0]) == "Flickr Q103204"


def test_an_unknown_item_is_its_linked_id() -> None:
    pieces = render.entity_pieces("Q99999999999")
    assert pieces == [
        Piece(
            "Q99999999999",
            href="https://www.wikidata.org/wiki/Q99999999999",
            kind="id",
            title="Q99999999999 on Wikidata",
        )
    ]


def test_rank_and_references_are_counted() -> None:
    st = sample.statement(
        sample._string(ids.P_FLICKR_PHOTO_ID, "123"), rank="deprecated", references=2
    )
    view = render.render_statement(st)
    assert view.rank_text == "deprecated rank"
    assert view.references_text == "2 references"
    assert render.render_statement(sample.photo_id("1")).references_text == "no references"
    assert view.value[0].href == "https://www.flickr.com/photo.gne?id=123"


def test_the_target_statement_is_marked() -> None:
    views = render.render_statements(
        [sample.photo_id("1", sid="M1$A"), sample.photo_id("2", sid="M1$B")], target_id="M1$B"
    )
    assert [v.is_target for v in views] == [False, True]


def test_bhl_page_and_publication() -> None:
    assert render.render_statement(sample.bhl_page("33665645")).value[0].href == (
        "https://www.biodiversitylibrary.org/page/33665645"
    )
    view = render.render_statement(sample.published("+2017-02-18T00:00:00Z"))
    assert texts(view.value) == "Flickr Q103204"
    assert texts(view.qualifiers[0].values[0]) == "18 February 2017 precision: day"


def test_other_value_types_and_malformed_statements_never_raise() -> None:
    mono = {
        "snaktype": "value",
        "property": "P1476",
        "datavalue": {"type": "monolingualtext", "value": {"text": "Titel", "language": "de"}},
    }
    assert texts(render.snak_pieces(mono)) == "Titel (de)"
    qty = {
        "snaktype": "value",
        "property": "P2048",
        "datavalue": {"type": "quantity", "value": {"amount": "+12", "unit": "1"}},
    }
    assert texts(render.snak_pieces(qty)) == "12"
    novalue = {"snaktype": "novalue", "property": "P170"}
    assert texts(render.snak_pieces(novalue)) == "no value"
    odd = {"snaktype": "value", "property": "P1", "datavalue": {"type": "new-type", "value": 1}}
    assert texts(render.snak_pieces(odd)) == '{"type": "new-type", "value": 1}'
    broken = render.render_statement({"mainsnak": "not a snak"})
    assert broken.prop.id == "?"
    assert "not a snak" in broken.value[0].text


@pytest.mark.parametrize(
    ("url", "linked"),
    [
        ("https://www.flickr.com/photos/a/1/", True),
        ("http://example.org/x?a=1&b=2", True),
        ("HTTPS://EXAMPLE.ORG/", True),
        ("javascript:alert(1)", False),
        ("JavaScript:alert(1)", False),
        (" javascript:alert(1)", False),
        ("java\tscript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("//evil.example/", False),
        ("/relative", False),
        ("https://", False),
        ('https://example.org/"onmouseover="alert(1)', True),  # escaped in the attribute
        ("https://exa mple.org/", False),
        ("", False),
    ],
)
def test_only_http_urls_become_links(url: str, linked: bool) -> None:
    assert (render.safe_url(url) is not None) is linked
    pieces = render.string_pieces(ids.P_URL, url)
    assert (pieces[0].href is not None) is linked
    assert pieces[0].text == url


def test_only_real_ids_become_flickr_and_bhl_links() -> None:
    assert (
        render.flickr_photo_url("53253175319") == "https://www.flickr.com/photo.gne?id=53253175319"
    )
    assert render.flickr_photo_url("javascript:alert(1)") is None
    assert render.string_pieces(ids.P_FLICKR_USER_ID, "javascript:x")[0].href is None
    assert render.bhl_page_url("12a") is None


def test_commons_links_quote_titles() -> None:
    title = "File:Tower & bridge? (1).jpg"
    assert render.commons_file_url(title) == (
        "https://commons.wikimedia.org/wiki/File:Tower_%26_bridge%3F_(1).jpg"
    )
    assert render.commons_history_url(title).endswith("%3F_(1).jpg?action=history")
    assert render.commons_thumb_url(title) == (
        "https://commons.wikimedia.org/wiki/Special:FilePath/Tower_%26_bridge%3F_(1).jpg?width=400"
    )
    assert render.commons_diff_url(123) == "https://commons.wikimedia.org/w/index.php?diff=123"


def test_every_reason_code_is_explained_in_words() -> None:
    from bot.core.reasons import CONFLICT_REASONS, JOB_REASONS, REASONS

    assert render.reason_text("creator_differs") == REASONS["creator_differs"]
    for code in ("concurrent_edit", "weak_flickr_evidence"):  # raised by the job itself
        assert render.reason_text(code) == JOB_REASONS[code]
    assert set(render.known_reasons()) == set(CONFLICT_REASONS) | set(JOB_REASONS)
    assert all(render.reason_text(code) for code in render.known_reasons())
    assert render.reason_text("no_such_reason_code") is None


def test_every_id_the_bot_names_has_a_label() -> None:
    for name in dir(ids):
        value = getattr(ids, name)
        if name.startswith("P_"):
            assert labels.property_label(value), f"no label for {name} = {value}"
        elif name.startswith("Q_"):
            assert labels.item_label(value), f"no label for {name} = {value}"


def test_summaries_for_the_queue_list() -> None:
    assert render.summary(sample.coordinates(1, 2, 0.1)) == "1.0° N, 2.0° E"
    assert render.summary(sample.source("https://x.org/")) == "file available on the internet"
    assert render.summary(sample.inception("+1943-00-00T00:00:00Z", 9, circa=True)) == "circa 1943"
    assert render.summary({"mainsnak": {"snaktype": "somevalue", "property": "P170"}}) == (
        "unknown value"
    )
    assert render.summary(None) == "—"
    assert render.summary({"mainsnak": 5}) == "?"
    long = sample.statement(sample._string("P2093", "x" * 200))
    assert len(render.summary(long)) == 80


def test_coordinate_precisions_in_degrees_or_arcseconds() -> None:
    fine = render.coordinate_pieces({"latitude": 1, "longitude": 2, "precision": 0.000001})
    assert fine[1].text == "precision ±0.000001° (about 0.11 m)"
    arcsecond = render.coordinate_pieces(
        {"latitude": 49.79778, "longitude": 9.93611, "precision": 0.0002777777777777778}
    )
    assert [p.text for p in arcsecond[:2]] == [
        "49.7978° N, 9.9361° E",
        "precision ±1″ (about 31 m)",
    ]
    arcminute = render.coordinate_pieces({"latitude": 1, "longitude": 2, "precision": 1 / 60})
    assert arcminute[1].text == "precision ±1′ (about 1.9 km)"


def test_distance_between_two_points() -> None:
    london = sample.coordinates(51.5074, -0.1278, 0.0001)
    paris = sample.coordinates(48.858370, 2.294481, 0.000001)
    assert render.distance_between(london, paris) == "about 341 km"
    near = sample.coordinates(51.5084, -0.1278, 0.0001)
    assert render.distance_between(london, near) == "about 111 m"
    assert render.distance_between(london, sample.photo_id("1")) is None
    assert render.distance_between(london, None) is None


# --------------------------------------------------------------------------- bidi, times

RLO, PDF, LRI, RLI, FSI, PDI = "\u202e", "\u202c", "\u2066", "\u2067", "\u2068", "\u2069"


@pytest.mark.parametrize(
    ("raw", "balanced"),
    [
        ("plain text", "plain text"),
        ("مصور", "مصور"),  # right-to-left letters alone need no control
        (f"File:{RLO}gpj.exe", f"File:{RLO}gpj.exe{PDF}"),  # an override left open is closed
        (f"a{RLO}b{PDF}c", f"a{RLO}b{PDF}c"),  # already paired: unchanged
        (f"a{PDF}b", "ab"),  # a closer without an opener is dropped
        (f"a{PDI}{RLO}b", f"a{RLO}b{PDF}"),  # a stray PDI would end the <bdi> early
        (f"{RLI}x{PDI}{PDI}{RLO}y", f"{RLI}x{PDI}{RLO}y{PDF}"),
        (f"{LRI}x", f"{LRI}x{PDI}"),
        (f"{FSI}{RLO}x{PDI}y", f"{FSI}{RLO}x{PDI}y"),  # a PDI ends the override inside it
        (f"{RLO}{FSI}x{PDF}y", f"{RLO}{FSI}xy{PDI}{PDF}"),  # a PDF cannot cross an isolate
    ],
)
def test_bidi_controls_are_balanced(raw: str, balanced: str) -> None:
    assert render.balance_bidi(raw) == balanced
    assert render.balance_bidi(balanced) == balanced


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            f"{PDI}{RLO}Bob",
            '<bdi class="bidi-controls" title="Contains Unicode direction controls (U+202E, '
            'U+2069): the characters are not shown in the order they were typed">'
            f"{RLO}Bob{PDF}</bdi>",
        ),
        ("مصور", "<bdi>مصور</bdi>"),  # right-to-left letters are not marked
        ('<b>"x"</b>', "<bdi>&lt;b&gt;&#34;x&#34;&lt;/b&gt;</bdi>"),
        ("", ""),
        (None, ""),
        (17, "<bdi>17</bdi>"),
    ],
)
def test_outside_text_goes_into_a_bdi_escaped(value: Any, expected: str) -> None:
    assert str(render.bdi(value)) == expected


def test_plain_text_is_isolated_with_fsi_and_pdi() -> None:
    assert render.isolated(f"{PDI}{RLO}evil") == f"{FSI}{RLO}evil{PDF}{PDI}"
    assert render.isolated("") == "" and render.isolated(None) == ""


@pytest.mark.parametrize(
    ("stamp", "iso", "text"),
    [
        ("2026-12-04T13:34:56.123456Z", "2026-12-04T13:34:56Z", "2026-12-04 13:34 UTC"),
        ("2026-12-04T13:34:56Z", "2026-12-04T13:34:56Z", "2026-12-04 13:34 UTC"),
        ("2026-12-04T14:34:56+01:00", "2026-12-04T13:34:56Z", "2026-12-04 13:34 UTC"),
        ("2026-12-05T00:30:00+02:00", "2026-12-04T22:30:00Z", "2026-12-04 22:30 UTC"),
        ("2026-12-04 13:34:56", "2026-12-04T13:34:56Z", "2026-12-04 13:34 UTC"),  # no zone: UTC
    ],
)
def test_stored_times_read_as_utc(stamp: str, iso: str, text: str) -> None:
    assert render.utc_time(stamp) == render.UtcTime(iso, text)


@pytest.mark.parametrize("stamp", [None, "", "yesterday", "2026-13-40T00:00:00Z"])
def test_an_unreadable_time_is_none(stamp: str | None) -> None:
    assert render.utc_time(stamp) is None


def test_reasons_in_words_from_the_one_table() -> None:
    from bot.core.reasons import JOB_REASONS, REASONS

    view = render.reason_view("date_precision_differs")
    assert view == render.ReasonView(
        "date_precision_differs", REASONS["date_precision_differs"], True
    )
    assert render.reason_view("weak_flickr_evidence").text == JOB_REASONS["weak_flickr_evidence"]
    assert render.reason_view("retired_code") == render.ReasonView(
        "retired_code", "retired_code", False
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://commons.wikimedia.org", "https://commons.wikimedia.org"),
        ("https://commons.wikimedia.org/", "https://commons.wikimedia.org"),
        ("http://127.0.0.1:8181", "http://127.0.0.1:8181"),
        (" http://localhost:8080/ ", "http://localhost:8080"),
    ],
)
def test_the_site_address_is_an_http_origin(raw: str, expected: str) -> None:
    assert render.site_url(raw) == expected
    assert render.commons_diff_url(5, render.site_url(raw)) == f"{expected}/w/index.php?diff=5"


@pytest.mark.parametrize(
    "raw",
    ["", "commons.wikimedia.org", "javascript:alert(1)", "https://a.org/?x=1", "https://u:p@a.org"],
)
def test_a_site_address_that_is_not_one_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="not an http"):
        render.site_url(raw)
