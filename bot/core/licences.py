"""Licence drift: does Flickr's licence now differ from the one Commons records?

Flickr licences change after upload; the licence at upload is what counts, so a drift is
never a conflict and nothing is written — it goes in a report for maintainers. Commons'
side is the file's P275 items, or, when there is no P275, the Creative Commons licence
template in the wikitext (``{{cc-by-sa-2.0}}``, ``{{cc-zero}}`` ...). Pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from bot.core import ids
from bot.core.claims import FLICKR_LICENCES, FlickrLicence, licence_items
from bot.core.flickr_photo import FlickrPhoto


class LicenceStatus(StrEnum):
    SAME = "same"
    CHANGED = "changed"
    UNKNOWN = "unknown"
    """One side cannot be read: an unknown Flickr licence id or a copyright status (7, 8),
    or a file with neither P275 nor a licence template the bot knows."""


@dataclass(frozen=True, slots=True)
class LicenceCheck:
    """Flickr's licence now against what Commons records, for one file."""

    status: LicenceStatus
    flickr_license_id: str | None = None
    flickr_licence: str | None = None
    commons_licence: str | None = None
    """Commons' licences as names (``CC BY-SA 2.0``, or the Q-id when the bot knows no
    name), ``; ``-separated in the file's order."""
    commons_source: str | None = None  # "P275" | "wikitext"


_BY_ITEM: Final[Mapping[str, FlickrLicence]] = {
    lic.item: lic for lic in FLICKR_LICENCES.values() if lic.item is not None
}


def _template_name(lic: FlickrLicence) -> str:
    """``CC BY-SA 2.0`` → ``cc-by-sa-2.0``; CC0 is ``cc-zero`` on Commons."""
    if lic.item == ids.Q_CC0_1_0:
        return "cc-zero"
    return lic.name.lower().replace(" ", "-")


_BY_TEMPLATE: Final[Mapping[str, FlickrLicence]] = {
    **{_template_name(lic): lic for lic in FLICKR_LICENCES.values() if lic.name.startswith("CC")},
    "cc-zero": FLICKR_LICENCES["9"],
    "cc0": FLICKR_LICENCES["9"],
}
_TEMPLATE_RE: Final = re.compile(r"\{\{\s*(cc-[a-z-]+(?:-\d\.\d)?|cc0)\s*[|}]", re.IGNORECASE)


def wikitext_licence_items(text: str) -> list[str]:
    """The licence items of the CC templates in a file's wikitext, in order, each once."""
    found: dict[str, None] = {}
    for match in _TEMPLATE_RE.finditer(text or ""):
        lic = _BY_TEMPLATE.get(match.group(1).lower())
        if lic is not None and lic.item is not None:
            found.setdefault(lic.item, None)
    return list(found)


def _name(qid: str) -> str:
    lic = _BY_ITEM.get(qid)
    return lic.name if lic is not None else qid


def licence_check(
    photo: FlickrPhoto, entity: Mapping[str, Any], wikitext: str | None = None
) -> LicenceCheck:
    """Compare Flickr's licence now with the file's P275 (else its wikitext template).

    Same when Flickr's licence item is among Commons' licences; changed when it is not
    (Flickr's "All Rights Reserved" has no item, so it is never among them); unknown when
    either side cannot be read.
    """
    lic = FLICKR_LICENCES.get(str(photo.license_id)) if photo.license_id is not None else None
    if lic is None or not lic.is_licence:
        return LicenceCheck(LicenceStatus.UNKNOWN)
    items, source = licence_items(entity), "P275"
    if not items:
        items, source = wikitext_licence_items(wikitext or ""), "wikitext"
    if not items:
        return LicenceCheck(LicenceStatus.UNKNOWN, lic.id, lic.name)
    status = LicenceStatus.SAME if lic.item in items else LicenceStatus.CHANGED
    return LicenceCheck(status, lic.id, lic.name, "; ".join(_name(q) for q in items), source)
