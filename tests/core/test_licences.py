"""Licence drift: Flickr's licence now against the file's P275, else its wikitext template."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.core import ids
from bot.core.flickr_photo import FlickrOwner, FlickrPhoto
from bot.core.licences import LicenceStatus, licence_check, wikitext_licence_items
from bot.core.wikibase import item_snak, new_statement

OWNER = FlickrOwner(nsid="74108412@N03", username="Harbour Lights")


def photo(license_id: str | None) -> FlickrPhoto:
    return FlickrPhoto(
        id="52810336619",
        owner=OWNER,
        date_posted=datetime(2023, 4, 1, tzinfo=UTC),
        license_id=license_id,
    )


def p275(*qids: str, rank: str = "normal") -> dict[str, Any]:
    statements = [new_statement(item_snak(ids.P_COPYRIGHT_LICENSE, q)) for q in qids]
    for s in statements:
        s["rank"] = rank
    return {"statements": {"P275": statements}} if qids else {"statements": {}}


CASES = [
    # (Flickr licence id, entity, wikitext, status, Commons' licence, source)
    ("4", p275(ids.Q_CC_BY_2_0), None, "same", "CC BY 2.0", "P275"),
    ("5", p275(ids.Q_CC_BY_2_0), None, "changed", "CC BY 2.0", "P275"),
    ("0", p275(ids.Q_CC_BY_SA_2_0), None, "changed", "CC BY-SA 2.0", "P275"),
    ("4", p275(ids.Q_CC_BY_SA_2_0, ids.Q_CC_BY_2_0), None, "same", "CC BY-SA 2.0; CC BY 2.0", "P275"),
    ("4", p275("Q99999999"), None, "changed", "Q99999999", "P275"),
    ("4", p275(ids.Q_CC_BY_SA_2_0, rank="deprecated"), "{{cc-by-2.0}}", "same", "CC BY 2.0", "wikitext"),
    ("4", p275(), "== Licensing ==\n{{Cc-by-sa-2.0|Ada Marsh}}", "changed", "CC BY-SA 2.0", "wikitext"),
    ("9", p275(), "{{cc-zero}}", "same", "Public Domain Dedication (CC0)", "wikitext"),
    ("4", p275(), "{{Information|...}}", "unknown", None, None),
    ("4", p275(), None, "unknown", None, None),
    ("7", p275(ids.Q_CC_BY_2_0), None, "unknown", None, None),
    ("99", p275(ids.Q_CC_BY_2_0), None, "unknown", None, None),
    (None, p275(ids.Q_CC_BY_2_0), None, "unknown", None, None),
]  # fmt: skip


@pytest.mark.parametrize(("licence", "entity", "text", "status", "commons", "source"), CASES)
def test_licence_check(
    licence: str | None,
    entity: dict[str, Any],
    text: str | None,
    status: str,
    commons: str | None,
    source: str | None,
) -> None:
    check = licence_check(photo(licence), entity, text)
    assert check.status is LicenceStatus(status)
    assert (check.commons_licence, check.commons_source) == (commons, source)


def test_wikitext_templates_in_order_each_once() -> None:
    text = "{{cc-by-sa-4.0}} {{Self|cc-by-2.0}} {{CC-BY-SA-4.0}} {{cc-by-sa-3.0-de}}"
    assert wikitext_licence_items(text) == [ids.Q_CC_BY_SA_4_0]
