"""bot.core.evidence: one decoded entity → its Flickr evidence (every source, URL form, owner)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.core.evidence import FileEvidence, MalformedEntity, entity_mid, evidence_from_entity
from bot.core.flickr_urls import base58_encode
from tests.support import snapshot as h

# ../shared beside the checkout (as CI places it): real responses, read but never copied
REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "commons"


MID = "M131000101"
PHOTO = "https://www.flickr.com/photos/harbourlight/52810336619/"


def evidence(statements: dict[str, Any], **kw: Any) -> FileEvidence | None:
    return evidence_from_entity(h.entity(MID, statements, **kw))


def sources(found: FileEvidence | None) -> tuple[str, ...]:
    assert found is not None
    return found.evidence_sources


# --------------------------------------------------------------------------- each source


def test_p12120_alone_is_evidence_and_marks_the_file() -> None:
    found = evidence({"P12120": [h.statement(MID, h.string("P12120", "52810336619"))]})
    assert found is not None
    assert found.photo_ids == ("52810336619",)
    assert found.has_p12120
    assert found.evidence_sources == ("P12120",)
    assert found.evidence == (
        {"source": "P12120", "value": "52810336619", "photo_id": "52810336619"},
    )
    assert found.owner_nsid is None and found.owner_alias is None
    assert not found.user_only and not found.multi_photo


def test_p7482_p973_with_flickr_operator_records_it() -> None:
    found = evidence({"P7482": [h.source(MID, ("P973", PHOTO))]})
    assert found is not None
    assert found.photo_ids == ("52810336619",)
    assert found.owner_alias == "harbourlight" and found.owner_nsid is None
    assert not found.has_p12120
    assert found.evidence == (
        {
            "source": "P7482.P973",
            "value": PHOTO,
            "photo_id": "52810336619",
            "user": "harbourlight",
            "operator": "Q103204",
        },
    )


def test_p7482_p973_without_operator_has_no_operator_key() -> None:
    found = evidence({"P7482": [h.source(MID, ("P973", PHOTO), operator=None)]})
    assert found is not None
    assert "operator" not in found.evidence[0]
    assert sources(found) == ("P7482.P973",)


def test_other_operator_is_recorded_as_written() -> None:
    found = evidence({"P7482": [h.source(MID, ("P973", PHOTO), operator="Q420747")]})
    assert found is not None and found.evidence[0]["operator"] == "Q420747"


def test_flickr_operator_with_a_non_flickr_url_is_not_evidence() -> None:
    statements = {"P7482": [h.source(MID, ("P973", "https://www.europeana.eu/item/1/abc"))]}
    assert evidence(statements) is None


def test_p7482_p2699_static_url_gives_the_photo_id_without_an_owner() -> None:
    url = "https://live.staticflickr.com/65535/53253175319_2f310021b6_o_d.jpg"
    found = evidence({"P7482": [h.source(MID, ("P2699", url))]})
    assert found is not None
    assert found.photo_ids == ("53253175319",)
    assert sources(found) == ("P7482.P2699",)
    assert found.owner_nsid is None and found.owner_alias is None
    assert "user" not in found.evidence[0]


def test_p170_profile_url_alone_is_a_user_only_file() -> None:
    found = evidence(
        {
            "P170": [
                h.creator(
                    MID, name="Jonas Berger", profile="https://www.flickr.com/people/23457880@N08/"
                )
            ]
        }
    )
    assert found is not None
    assert found.photo_ids == ()
    assert found.user_only
    assert found.owner_nsid == "23457880@N08"
    assert sources(found) == ("P170.P2699",)


def test_p170_p3267_alone_is_a_user_only_file() -> None:
    found = evidence({"P170": [h.creator(MID, name="Windpark Archive", nsid="190318445@N07")]})
    assert found is not None
    assert found.user_only and found.owner_nsid == "190318445@N07"
    assert found.evidence == (
        {"source": "P170.P3267", "value": "190318445@N07", "user": "190318445@N07"},
    )


def test_p3267_is_preferred_for_the_nsid_and_the_alias_kept() -> None:
    statements = {
        "P7482": [
            h.source(MID, ("P973", "https://www.flickr.com/photos/11111111@N01/52810336619/"))
        ],
        "P170": [
            h.creator(
                MID, profile="https://www.flickr.com/people/harbourlight/", nsid="74108412@N03"
            )
        ],
    }
    found = evidence(statements)
    assert found is not None
    assert found.owner_nsid == "74108412@N03"
    assert found.owner_alias == "harbourlight"
    assert sources(found) == ("P7482.P973", "P170.P2699", "P170.P3267")


def test_all_sources_are_listed_in_canonical_order() -> None:
    static = "https://live.staticflickr.com/65535/52810336619_3f9c2ab7d1_o.jpg"
    statements = {
        "P170": [
            h.creator(
                MID, profile="https://www.flickr.com/people/74108412@N03/", nsid="74108412@N03"
            )
        ],
        "P7482": [h.source(MID, ("P973", PHOTO), ("P2699", static))],
        "P12120": [h.statement(MID, h.string("P12120", "52810336619"))],
    }
    found = evidence(statements)
    assert found is not None
    assert found.evidence_sources == (
        "P12120",
        "P7482.P973",
        "P7482.P2699",
        "P170.P2699",
        "P170.P3267",
    )
    assert found.photo_ids == ("52810336619",)  # the same photo everywhere: one id
    assert found.has_p12120 and not found.multi_photo


# --------------------------------------------------------------------------- URL forms


@pytest.mark.parametrize(
    ("url", "photo_id", "user"),
    [
        ("https://www.flickr.com/photos/harbourlight/52810336619/", "52810336619", "harbourlight"),
        (
            "https://flickr.com/photos/74108412@N03/52810336619/in/album-72157719872345678/",
            "52810336619",
            "74108412@N03",
        ),
        ("http://farm5.static.flickr.com/4021/4653326011_2d1e3e6fde_b.jpg", "4653326011", None),
        ("https://live.staticflickr.com/65535/53201947316_8d2e41c0fa_b.jpg", "53201947316", None),
        ("http://www.flickr.com/photo.gne?id=50993316628", "50993316628", None),
        (f"https://flic.kr/p/{base58_encode(54021875530)}", "54021875530", None),
        ("HTTPS://WWW.FLICKR.COM/photos/harbourlight/52810336619/", "52810336619", "harbourlight"),
    ],
)
def test_photo_url_forms(url: str, photo_id: str, user: str | None) -> None:
    found = evidence({"P7482": [h.source(MID, ("P973", url))]})
    assert found is not None
    assert found.photo_ids == (photo_id,)
    assert found.evidence[0].get("user") == user


@pytest.mark.parametrize(
    "url",
    [
        "https://www.flickr.com/photos/harbourlight/",
        "https://www.flickr.com/people/harbourlight/",
        "https://www.flickr.com/photos/harbourlight/albums/72157719872345678",
    ],
)
def test_user_urls_give_the_owner_only(url: str) -> None:
    found = evidence({"P7482": [h.source(MID, ("P973", url))]})
    assert found is not None
    assert found.user_only and found.owner_alias == "harbourlight"


@pytest.mark.parametrize(
    "url",
    [
        "https://www.flickr.com/groups/harbourphotos/",
        "https://www.flickr.com/",
        "https://www.flickr.com/photos/tags/harbour",
        "https://help.flickr.com/account",
        "not a url at all",
        "https://commons.wikimedia.org/wiki/User:Example",
    ],
)
def test_urls_naming_no_photo_and_no_user_are_not_evidence(url: str) -> None:
    assert evidence({"P7482": [h.source(MID, ("P973", url))]}) is None


# --------------------------------------------------------------------------- files


def test_two_photos_make_a_multi_photo_file() -> None:
    statements = {
        "P7482": [
            h.source(MID, ("P973", "https://www.flickr.com/photos/harbourlight/53377120054/")),
            h.source(MID, ("P973", "https://www.flickr.com/photos/harbourlight/53377120188/")),
        ]
    }
    found = evidence(statements)
    assert found is not None
    assert found.photo_ids == ("53377120054", "53377120188")
    assert found.multi_photo


def test_p12120_and_a_different_url_photo_is_multi_photo() -> None:
    statements = {
        "P12120": [h.statement(MID, h.string("P12120", "51438862021"))],
        "P7482": [h.source(MID, ("P973", PHOTO))],
    }
    found = evidence(statements)
    assert found is not None and found.photo_ids == ("51438862021", "52810336619")


def test_repeated_urls_are_one_evidence_item() -> None:
    statements = {"P7482": [h.source(MID, ("P973", PHOTO)), h.source(MID, ("P973", PHOTO))]}
    found = evidence(statements)
    assert found is not None and len(found.evidence) == 1


def test_identity_fields() -> None:
    found = evidence(
        {"P7482": [h.source(MID, ("P973", PHOTO))]},
        title="File:Harbour at dusk (52810336619).jpg",
        revid=1234567,
    )
    assert found is not None
    assert (found.mid, found.pageid, found.title, found.snapshot_revid) == (
        MID,
        131000101,
        "File:Harbour at dusk (52810336619).jpg",
        1234567,
    )


def test_pageid_falls_back_to_the_mid() -> None:
    found = evidence_from_entity(
        h.entity(MID, {"P7482": [h.source(MID, ("P973", PHOTO))]}, pageid=False)
    )
    assert found is not None and found.pageid == 131000101


@pytest.mark.parametrize(
    ("pageid", "revid", "expected"),
    [
        (2**70, 2**70, (131000101, None)),  # would not fit the store's INTEGER
        (True, True, (131000101, None)),
        (-5, 0, (131000101, None)),
        (2**63 - 1, 2**63 - 1, (2**63 - 1, 2**63 - 1)),
    ],
)
def test_page_fields_the_store_cannot_keep_are_dropped(
    pageid: Any, revid: Any, expected: tuple[int, int | None]
) -> None:
    entity = h.entity(MID, {"P7482": [h.source(MID, ("P973", PHOTO))]})
    entity["pageid"], entity["lastrevid"] = pageid, revid
    found = evidence_from_entity(entity)
    assert found is not None and (found.pageid, found.snapshot_revid) == expected


def test_an_m_id_too_long_for_a_page_id_is_not_an_entity() -> None:
    with pytest.raises(MalformedEntity, match="invalid id"):
        entity_mid({"id": "M" + "9" * 19})
    assert entity_mid({"id": "M" + "9" * 18}) == "M" + "9" * 18


def test_a_url_of_megabytes_is_not_evidence() -> None:
    huge = PHOTO + "?" + "x" * 20_000
    assert evidence({"P7482": [h.source(MID, ("P973", huge))]}) is None


def test_ordinary_file_has_no_evidence() -> None:
    assert evidence_from_entity(h.plain_entity("M76")) is None


def test_entity_without_statements_has_no_evidence() -> None:
    ent = h.entity("M5", None)
    assert ent["statements"] == []  # as the dump writes it
    assert evidence_from_entity(ent) is None


def test_flickr_only_in_a_caption_is_no_evidence() -> None:
    ent = h.plain_entity("M77", caption="Photo walk of the local Flickr group")
    assert evidence_from_entity(ent) is None


def test_deprecated_statements_are_skipped() -> None:
    statements = {
        "P12120": [h.statement(MID, h.string("P12120", "52810336619"), rank="deprecated")],
        "P7482": [h.source(MID, ("P973", PHOTO), rank="deprecated")],
    }
    assert evidence(statements) is None


def test_odd_values_are_ignored() -> None:
    statements = {
        "P12120": [
            h.statement(MID, h.somevalue("P12120")),
            h.statement(MID, h.string("P12120", "not-an-id")),
            h.statement(MID, h.string("P12120", "000")),
        ],
        "P170": [
            h.creator(MID, nsid="harbourlight"),  # P3267 must be an NSID
            h.statement(MID, h.somevalue("P170"), [h.somevalue("P3267")]),
        ],
        "P7482": [
            h.statement(MID, h.item("P7482", "Q74228490"), [h.item("P973", "Q1")]),
            "not a statement",
            {"mainsnak": None, "qualifiers": []},
        ],
    }
    assert evidence(statements) is None


def test_leading_zeros_are_dropped_from_p12120() -> None:
    found = evidence({"P12120": [h.statement(MID, h.string("P12120", "0052810336619"))]})
    assert found is not None and found.photo_ids == ("52810336619",)
    assert found.evidence[0]["value"] == "0052810336619"


def test_old_claims_key_is_read() -> None:
    ent = h.entity(MID, None)
    ent["claims"] = {"P7482": [h.source(MID, ("P973", PHOTO))]}
    found = evidence_from_entity(ent)
    assert found is not None and found.photo_ids == ("52810336619",)


@pytest.mark.parametrize(
    "bad", [[], "M1", 3, None, {"type": "mediainfo"}, {"id": "Q42"}, {"id": "M0"}, {"id": 76}]
)
def test_malformed_entities_raise(bad: Any) -> None:
    with pytest.raises(MalformedEntity):
        entity_mid(bad)
    with pytest.raises(MalformedEntity):
        evidence_from_entity(bad)


# --------------------------------------------------------------------------- real statements


def _reference(name: str) -> dict[str, Any]:
    path = REFERENCE / name
    if not path.is_file():
        pytest.skip(f"reference file {path} not available")
    excerpt: dict[str, Any] = json.loads(path.read_text())["entity_excerpt"]
    return excerpt["statements"]


def _real(mid: str, *names: str) -> FileEvidence | None:
    statements: dict[str, Any] = {}
    for name in names:
        statements.update(_reference(name))
    return evidence_from_entity(h.entity(mid, statements))


def test_real_p7482_with_flickr_operator_and_nsid_url() -> None:
    found = _real("M27512034", "M27512034_P7482.json")
    assert found is not None
    assert found.photo_ids == ("6868541110",)
    assert found.owner_nsid == "16179216@N07"
    assert found.evidence[0]["operator"] == "Q103204"


def test_real_p7482_without_operator_path_alias() -> None:
    found = _real("M16767898", "M16767898_P7482.json")
    assert found is not None
    assert found.photo_ids == ("5902112330",) and found.owner_alias == "claudiunh"
    assert "operator" not in found.evidence[0]


def test_real_static_url_and_p12120() -> None:
    found = _real("M138765382", "M138765382_P7482.json", "M138765382_P12120.json")
    assert found is not None
    assert found.photo_ids == ("53253175319",)
    assert found.has_p12120
    assert found.owner_nsid == "199246608@N02"
    assert found.evidence_sources == ("P12120", "P7482.P973", "P7482.P2699")


def test_real_profile_url_only() -> None:
    found = _real("M620184", "M620184_P7482.json")
    assert found is not None and found.user_only
    assert found.owner_alias == "ofernandezberrios"


def test_real_two_operators_and_a_second_non_flickr_statement() -> None:
    found = _real("M51747012", "M51747012_P7482.json")
    assert found is not None
    assert found.photo_ids == ("16041507752",)
    assert [e["operator"] for e in found.evidence] == ["Q103204"]
    found = _real("M27807191", "M27807191_P7482.json")
    assert found is not None
    assert found.photo_ids == ("2675972715",)
    assert found.owner_alias == "normanbleventhalmapcenter"


@pytest.mark.parametrize("mid", ["M113422", "M15393706", "M423", "M52096071", "M76"])
def test_real_non_flickr_sources_are_not_evidence(mid: str) -> None:
    assert _real(mid, f"{mid}_P7482.json") is None


# --------------------------------------------------------------------------- BHL page ids


def _both_ways(ent: dict[str, Any]) -> FileEvidence | None:
    """The dict walk and the raw-line decoder give the same row (the extractor uses the
    second)."""
    from bot.core.evidence import evidence_from_line

    found = evidence_from_entity(ent)
    assert evidence_from_line(json.dumps(ent).encode()) == found
    return found


def test_a_p687_page_id_alone_is_kept_for_bhl_reverse_matching() -> None:
    ent = h.entity(MID, {"P687": [h.statement(MID, h.string("P687", "0033665645"))]})
    found = _both_ways(ent)
    assert found is not None
    assert found.photo_ids == () and not found.user_only and not found.has_p12120
    assert found.evidence_sources == ("P687",)
    assert found.evidence == ({"source": "P687", "value": "0033665645", "bhl_page": "33665645"},)


def test_a_p687_beside_a_flickr_photo_is_not_evidence() -> None:
    statements = {
        "P687": [h.statement(MID, h.string("P687", "33665645"))],
        "P7482": [h.source(MID, ("P973", PHOTO))],
    }
    found = _both_ways(h.entity(MID, statements))
    assert found is not None and found.photo_ids == ("52810336619",)
    assert "P687" not in found.evidence_sources


def test_a_deprecated_or_malformed_p687_is_no_evidence() -> None:
    deprecated = h.statement(MID, h.string("P687", "33665645"), rank="deprecated")
    assert _both_ways(h.entity(MID, {"P687": [deprecated]})) is None
    not_digits = h.statement(MID, h.string("P687", "p. 12"))
    assert _both_ways(h.entity(MID, {"P687": [not_digits]})) is None
    unknown = h.statement(MID, h.somevalue("P687"))
    assert _both_ways(h.entity(MID, {"P687": [unknown]})) is None


def test_a_p687_beside_a_flickr_account_only_is_kept() -> None:
    statements = {
        "P687": [h.statement(MID, h.string("P687", "33665645"))],
        "P170": [h.creator(MID, nsid="61021753@N02")],
    }
    found = _both_ways(h.entity(MID, statements))
    assert found is not None and found.user_only and found.owner_nsid == "61021753@N02"
    assert found.evidence_sources == ("P170.P3267", "P687")
