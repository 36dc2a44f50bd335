"""Find the Flickr photo a Commons file came from in its wikitext (pure).

Used for files whose structured data names no Flickr photo. Evidence comes in three
strengths, and only the strongest one present is used, so a photo linked in the
description ("see also ...") cannot outvote the one in the source field:

``source``
    A Flickr photo URL in a ``source`` or ``sourceurl`` parameter of any template:
    ``{{Information|Source=...}}`` (Flickypedia, Flickr2Commons, UploadWizard and
    Fæ's batch uploads write the photo page there), ``{{Artwork}}``/``{{Photograph}}``
    (``source``), and ``{{FlickreviewR|sourceurl=...}}`` (or its 2nd positional
    parameter), which the license-review bot adds after checking the photo on Flickr.
``text``
    A Flickr photo URL anywhere else in the page (outside HTML comments).
``filename``
    Weak: a photo id in parentheses at the end of the file name, ``Title (12345678901).jpg``
    as Flickr2Commons names files, counted only when the page mentions Flickr at all.

``{{Flickrreview}}`` (reviewer and date only) and license templates name no photo, so
they are not evidence of which photo. Several different photo ids at the chosen
strength make the result ambiguous (the job queues a conflict); none gives
``strength="none"`` (the job records ``no_flickr_id``). The owner (NSID or path alias)
is taken from the chosen URLs, or from Flickr links in an ``author`` field, when they
agree on one account.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final, Literal

from bot.core.flickr_urls import FlickrUrlError, parse_flickr_url

Strength = Literal["source", "text", "filename", "none"]

SOURCE_PARAMS: Final = frozenset({"source", "sourceurl"})
AUTHOR_PARAMS: Final = frozenset({"author", "photographer", "artist"})
_FLICKREVIEWR: Final = "flickreviewr"

_COMMENT_RE: Final = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_NOWIKI_RE: Final = re.compile(r"<nowiki\s*>.*?</nowiki\s*>", re.DOTALL | re.IGNORECASE)
# URLs that may be on a Flickr host, up to wikitext/HTML delimiters; the parser decides.
# A Flickr host written out (flickr.com/.net/.org, flic.kr, staticflickr.com and their
# subdomains; any case, a trailing dot, scheme optional), and, apart, a URL whose
# authority has a userinfo "@", a %-escape or a non-ASCII letter: hosts the parser reads
# as Flickr's once decoded ("someone@flickr.com", "fl%69ckr.com", full-width letters).
_URL_END: Final = r"[^\s\[\]<>\"'|{}]"
_URL_RE: Final = re.compile(
    r"(?<![\w.@%-])(?:https?:)?(?://)?(?:[a-z0-9-]+\.)*"
    r"(?:flickr\.(?:com|net|org)|flic\.kr|staticflickr\.com)\.?"
    r"(?:[:/]" + _URL_END + "*)?",
    re.IGNORECASE,
)
# (Case-sensitive but for the scheme: under IGNORECASE the non-ASCII range would also
# match "k" and "s", which the Kelvin sign and the long s fold to.)
_ENCODED_HOST_URL_RE: Final = re.compile(
    r"(?:(?i:https?):)?//(?=[^/?#\s\[\]<>\"'|{}]*[@%\u0080-\U0010ffff])" + _URL_END + "+"
)
_TRAILING: Final = ".,;:!?)"
_FILENAME_ID_RE: Final = re.compile(r"\((\d{5,19})\)\s*\.[A-Za-z0-9]{2,5}$")


@dataclass(frozen=True, slots=True)
class WikitextEvidence:
    """What the wikitext says about the file's Flickr origin.

    ``photo_ids`` are distinct, in order of appearance; ``sources`` the URLs (or the file
    name) they were read from; ``owner`` an NSID or path alias when one is evident.
    """

    photo_ids: tuple[str, ...] = ()
    owner: str | None = None
    sources: tuple[str, ...] = ()
    strength: Strength = "none"

    @property
    def ambiguous(self) -> bool:
        """Several different photos at the strongest level: a person has to choose."""
        return len(self.photo_ids) > 1

    @property
    def photo_id(self) -> str | None:
        """The one photo id, if there is exactly one."""
        return self.photo_ids[0] if len(self.photo_ids) == 1 else None


@dataclass(frozen=True, slots=True)
class _Found:
    url: str
    photo_id: str | None
    user: str | None


def find_flickr_source(title: str, wikitext: str) -> WikitextEvidence:
    """The Flickr photo evidence in a file page's wikitext (see the module docstring)."""
    text = _NOWIKI_RE.sub("", _COMMENT_RE.sub("", wikitext or ""))
    source_values: list[str] = []
    author_values: list[str] = []
    for name, params in iter_templates(text):
        for key, value in params:
            if key in SOURCE_PARAMS or (name == _FLICKREVIEWR and key == "2"):
                source_values.append(value)
            elif key in AUTHOR_PARAMS:
                author_values.append(value)

    in_source = [f for value in source_values for f in _flickr_urls(value)]
    everywhere = _flickr_urls(text)
    tiers: tuple[tuple[Strength, list[_Found]], ...] = (("source", in_source), ("text", everywhere))
    for strength, found in tiers:
        photos = [f for f in found if f.photo_id]
        if photos:
            return _evidence(strength, photos, author_values)

    match = _FILENAME_ID_RE.search(title.strip())
    if match and "flickr" in text.lower():
        owner = _single_owner([f for v in author_values for f in _flickr_urls(v)])
        return WikitextEvidence((match.group(1),), owner, (f"file name: {title}",), "filename")
    return WikitextEvidence()


def _evidence(
    strength: Strength, photos: list[_Found], author_values: list[str]
) -> WikitextEvidence:
    ids = tuple(dict.fromkeys(f.photo_id for f in photos if f.photo_id))
    sources = tuple(dict.fromkeys(f.url for f in photos))
    owner = _single_owner(photos)
    if owner is None and not any(f.user for f in photos):
        owner = _single_owner([f for v in author_values for f in _flickr_urls(v)])
    return WikitextEvidence(ids, owner, sources, strength)


def _single_owner(found: list[_Found]) -> str | None:
    """The one account the URLs name (NSIDs compared as-is, aliases without case)."""
    users = {f.user.lower(): f.user for f in found if f.user}
    return next(iter(users.values())) if len(users) == 1 else None


def _flickr_urls(text: str) -> list[_Found]:
    """Every Flickr URL in ``text`` that parses, in order (photos and user pages)."""
    found: list[_Found] = []
    matches = list(_URL_RE.finditer(text))
    if "//" in text and not (text.isascii() and "@" not in text and "%" not in text):
        matches += _ENCODED_HOST_URL_RE.finditer(text)
        matches.sort(key=lambda m: m.start())
    for match in matches:
        url = match.group(0).rstrip(_TRAILING)
        try:
            parsed = parse_flickr_url(url)
        except FlickrUrlError:
            continue
        if parsed.type == "single_photo":
            found.append(_Found(url, parsed.photo_id, parsed.user))
        elif parsed.type == "user":
            found.append(_Found(url, None, parsed.user))
    return found


# --------------------------------------------------------------------------- templates


def iter_templates(text: str) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """Every template call in ``text`` (nested ones too), innermost first.

    Yields the normalised name (lower case, ``_`` as space, no ``Template:``) and the
    parameters as ``(key, value)``: named keys lower-cased, positional ones numbered
    from ``"1"``. Pipes inside nested templates and ``[[links|labels]]`` are respected.
    Triple-brace parameters (``{{{1}}}``) only appear on template pages and are skipped.
    """
    stack: list[int] = []
    parameters = 0  # open {{{...}}}
    i = 0
    while i < len(text) - 1:
        pair = text[i : i + 2]
        if text[i : i + 3] == "{{{":
            parameters += 1
            i += 3
        elif text[i : i + 3] == "}}}" and parameters:
            parameters -= 1
            i += 3
        elif pair == "{{":
            stack.append(i)
            i += 2
        elif pair == "}}" and stack:
            start = stack.pop()
            yield _parse_template(text[start + 2 : i])
            i += 2
        else:
            i += 1


def _parse_template(inner: str) -> tuple[str, list[tuple[str, str]]]:
    parts = _split_top_level(inner)
    name = parts[0].strip().replace("_", " ").lower()
    name = re.sub(r"^\s*(?:template|msg|subst|safesubst)\s*:\s*", "", name)
    params: list[tuple[str, str]] = []
    position = 0
    for part in parts[1:]:
        key, sep, value = _split_named(part)
        if sep:
            params.append((key.strip().lower(), value.strip()))
        else:
            position += 1
            params.append((str(position), part.strip()))
    return " ".join(name.split()), params


def _split_top_level(inner: str) -> list[str]:
    """Split on ``|`` outside nested ``{{ }}`` and ``[[ ]]``."""
    parts: list[str] = []
    depth_braces = depth_links = 0
    current: list[str] = []
    i = 0
    while i < len(inner):
        pair = inner[i : i + 2]
        if pair in ("{{", "}}", "[[", "]]"):
            if pair == "{{":
                depth_braces += 1
            elif pair == "}}":
                depth_braces = max(0, depth_braces - 1)
            elif pair == "[[":
                depth_links += 1
            else:
                depth_links = max(0, depth_links - 1)
            current.append(pair)
            i += 2
            continue
        char = inner[i]
        if char == "|" and depth_braces == 0 and depth_links == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    parts.append("".join(current))
    return parts


def _split_named(part: str) -> tuple[str, str, str]:
    """``key=value`` when the first ``=`` is outside nested markup, else ``("", "", part)``."""
    depth = 0
    for i, char in enumerate(part):
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth = max(0, depth - 1)
        elif char == "=" and depth == 0:
            key = part[:i]
            if key.strip() and "\n" not in key.strip():
                return key, "=", part[i + 1 :]
            break
    return "", "", part


__all__ = ["Strength", "WikitextEvidence", "find_flickr_source", "iter_templates"]
