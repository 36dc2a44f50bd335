"""BHL reverse matching (pure): a file's Biodiversity Heritage Library page ids, and the
BHL Flickr photos tagged with them.

About 150,000 Commons files came from BHL's Flickr account (``61021753@N02``) but cite
only BHL's own page id: a ``{{BHL…}}`` template, a ``biodiversitylibrary.org/page/<id>``
link, or P687 in their structured data. BHL tags each of its Flickr photos
``bhl:page=<id>``, so the photo can be found from Flickr's side: the job reads BHL's photo
list with its machine tags (into the store), and this module says which page ids a file
cites and which pages a listed photo is tagged with.

A match is only ever a proposal: exactly one photo gives a ``bhl_page_match`` conflict
(a person, or a maintainers' bulk decision, accepts it), several give one
``bhl_page_several`` conflict per candidate (chosen one by one), none is a file outcome.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from itertools import pairwise
from typing import Any, Final

from bot.core.wikitext import iter_templates

MATCH_REASON: Final = "bhl_page_match"
SEVERAL_REASON: Final = "bhl_page_several"

# Evidence sources of a BHL page id (``source`` of the worklist's evidence items).
SRC_P687: Final = "P687"
SRC_WIKITEXT: Final = "wikitext.bhl"
EVIDENCE_KEY: Final = "bhl_page"  # the page id in an evidence item

_PAGE_ID_RE: Final = re.compile(r"0*([1-9][0-9]{0,18})", re.ASCII)
# A BHL page link (the page, its image or its thumbnail name the same page id).
_PAGE_URL_RE: Final = re.compile(
    r"biodiversitylibrary\.org/(?:page|pageimage|pagethumb)/([0-9]{1,19})(?!\w)",
    re.IGNORECASE | re.ASCII,
)
_COMMENT_RE: Final = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
# Named parameters of a BHL template that hold a page id.
_PAGE_PARAMS: Final = frozenset({"page", "pageid", "page id", "page_id"})
_BHL_TEMPLATE_RE: Final = re.compile(r"^(?:bhl|biodiversity heritage library)\b")

# Flickr's normalised machine tags, as an owner's photo list gives them
# (``extras=machine_tags``): lower case, punctuation of the value gone.
_LISTED_PAGE_PREFIX: Final = "bhl:page="
_LISTED_IDENTIFIER_PREFIX: Final = "dc:identifier="
_LISTED_PAGE_URL_RE: Final = re.compile(
    r"(?:https?)?(?:www)?biodiversitylibrary(?:org)?page([0-9]+)", re.ASCII
)


class MatchKind(StrEnum):
    """What BHL's photo list holds for a file's page ids."""

    ONE = "one"
    SEVERAL = "several"
    NONE = "none"


def page_id(value: str) -> str | None:
    """A page id as canonical digits (no leading zeros), else None."""
    m = _PAGE_ID_RE.fullmatch(value.strip())
    return m[1] if m else None


def pages_in_wikitext(text: str) -> tuple[str, ...]:
    """The BHL page ids a file's wikitext cites, distinct, in order of appearance.

    Counted: ``biodiversitylibrary.org/page/<id>`` links anywhere outside HTML comments
    (also ``pageimage``/``pagethumb``), and ``{{BHL…}}`` templates with a named
    ``page``/``pageid`` parameter or the positional pair ``page|<id>``. A bare number in
    a BHL template is not taken: it may be an item or title id.
    """
    text = _COMMENT_RE.sub("", text)
    found: list[str] = []
    for m in _PAGE_URL_RE.finditer(text):
        _add(found, page_id(m[1]))
    if "{{" in text:
        for name, params in iter_templates(text):
            if not _BHL_TEMPLATE_RE.match(name):
                continue
            positional = [v for k, v in params if k.isdigit()]
            for key, value in params:
                if key in _PAGE_PARAMS:
                    _add(found, page_id(value))
            for first, second in pairwise(positional):
                if first.strip().lower() == "page":
                    _add(found, page_id(second))
    return tuple(found)


def pages_in_evidence(evidence: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """The BHL page ids of a worklist row's evidence items, distinct, in order."""
    found: list[str] = []
    for item in evidence:
        value = item.get(EVIDENCE_KEY)
        if isinstance(value, str):
            _add(found, page_id(value))
    return tuple(found)


def evidence_items(source: str, pages: Sequence[str]) -> list[dict[str, str]]:
    """Worklist evidence items for page ids found in ``source``."""
    return [{"source": source, "value": p, EVIDENCE_KEY: p} for p in pages]


def listed_pages(normalised_tags: Sequence[str]) -> tuple[str, ...]:
    """The BHL pages a listed photo is tagged with (``bhl:page=<digits>``).

    The list gives Flickr's normalised tags, where ``bhl:page=4321(2)`` would read
    ``43212``. BHL's uploads carry a ``dc:identifier`` page URL beside each page tag, so
    when a photo has such URLs a page counts only if one of them names it too; a photo
    with none is taken at its page tags (a person reviews every match anyway).
    """
    pages = [
        value
        for tag in normalised_tags
        if tag.startswith(_LISTED_PAGE_PREFIX)
        and (value := tag[len(_LISTED_PAGE_PREFIX) :]).isascii()
        and value.isdigit()
    ]
    if not pages:
        return ()
    vouched = {
        m[1]
        for tag in normalised_tags
        if tag.startswith(_LISTED_IDENTIFIER_PREFIX)
        and (m := _LISTED_PAGE_URL_RE.fullmatch(tag[len(_LISTED_IDENTIFIER_PREFIX) :]))
    }
    found: list[str] = []
    for value in pages:
        if not vouched or value in vouched:
            _add(found, page_id(value))
    return tuple(found)


def match_kind(photo_ids: Sequence[str]) -> MatchKind:
    """One photo, several, or none for a file's page ids."""
    distinct = set(photo_ids)
    if not distinct:
        return MatchKind.NONE
    return MatchKind.ONE if len(distinct) == 1 else MatchKind.SEVERAL


def _add(found: list[str], value: str | None) -> None:
    if value is not None and value not in found:
        found.append(value)


__all__ = [
    "EVIDENCE_KEY",
    "MATCH_REASON",
    "SEVERAL_REASON",
    "SRC_P687",
    "SRC_WIKITEXT",
    "MatchKind",
    "evidence_items",
    "listed_pages",
    "match_kind",
    "page_id",
    "pages_in_evidence",
    "pages_in_wikitext",
]
