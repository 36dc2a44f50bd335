"""One decoded Commons mediainfo entity → its Flickr evidence (pure: no I/O, no logging).

The snapshot extractor calls :func:`evidence_from_entity` on every entity its byte
prefilter lets through; the result is one worklist row (:class:`FileEvidence`)
or ``None`` when the entity names no Flickr photo and no Flickr account.

Where evidence comes from (``source`` in each evidence item):

- ``P12120``       the Flickr photo id statement itself (the file already has one);
- ``P7482.P973``   "described at URL" qualifier of a "source of file" statement (what
                   upload tools write: the photo page), with its ``P137`` operator;
- ``P7482.P2699``  "URL" qualifier of the same (often the static image URL);
- ``P170.P2699``   the creator's profile URL;
- ``P170.P3267``   the creator's Flickr user id (NSID);
- ``P687``         a BHL page id, kept only for a file with no Flickr photo id: the job
                   looks for BHL's Flickr photo of that page (:mod:`bot.core.bhl`).

Decisions worth knowing:

- A URL counts only if :func:`bot.core.flickr_urls.parse_flickr_url` says it is Flickr: a
  P7482 whose ``P137`` is Flickr but whose URL is not is no evidence.
- URLs that name neither a photo nor a user (group, tag, the homepage, ``flic.kr/s/``
  albums) are not evidence either: they say nothing the bot could act on.
- Statements of deprecated rank are skipped: someone marked their value as wrong.
- The owner hint prefers ``P170.P3267`` for the NSID, then NSIDs from URLs; the path
  alias comes from URLs. A ``P3267`` value that is not NSID-shaped is ignored.
- Snapshot mainsnaks carry no ``hash`` and nothing here needs one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final, NamedTuple

import msgspec
import orjson

from bot.core.bhl import EVIDENCE_KEY as BHL_EVIDENCE_KEY
from bot.core.bhl import SRC_P687
from bot.core.bhl import page_id as bhl_page_id
from bot.core.errors import InputInvalid
from bot.core.flickr_urls import FlickrUrlError, is_nsid, may_be_flickr, parse_flickr_url
from bot.core.ids import (
    P_BHL_PAGE_ID,
    P_CREATOR,
    P_DESCRIBED_AT_URL,
    P_FLICKR_PHOTO_ID,
    P_FLICKR_USER_ID,
    P_OPERATOR,
    P_SOURCE_OF_FILE,
    P_URL,
    Q_FLICKR,
)

SRC_P12120: Final = P_FLICKR_PHOTO_ID
SRC_SOURCE_P973: Final = f"{P_SOURCE_OF_FILE}.{P_DESCRIBED_AT_URL}"
SRC_SOURCE_P2699: Final = f"{P_SOURCE_OF_FILE}.{P_URL}"
SRC_CREATOR_P2699: Final = f"{P_CREATOR}.{P_URL}"
SRC_CREATOR_P3267: Final = f"{P_CREATOR}.{P_FLICKR_USER_ID}"


# Every evidence source, in the order summaries and ``evidence_sources`` list them.
class FileEvidence(NamedTuple):
    """What the snapshot says about one file's Flickr origin (one worklist row).

    A named tuple: the extractor makes one per Flickr file of the snapshot (millions)
    and may pickle it between processes; both are several times cheaper than for a
    frozen dataclass.
    """

    mid: str
    pageid: int | None
    title: str | None
    snapshot_revid: int | None
    photo_ids: tuple[str, ...]
    owner_nsid: str | None
    owner_alias: str | None
    evidence: tuple[Mapping[str, Any], ...]
    evidence_sources: tuple[str, ...]
    has_p12120: bool

    @property
    def multi_photo(self) -> bool:
        return len(self.photo_ids) > 1

    @property
    def user_only(self) -> bool:
        return not self.photo_ids and bool(self.owner_nsid or self.owner_alias)


SOURCES: Final = (
    SRC_P12120,
    SRC_SOURCE_P973,
    SRC_SOURCE_P2699,
    SRC_CREATOR_P2699,
    SRC_CREATOR_P3267,
    SRC_P687,
)

_MID_RE: Final = re.compile(r"M[1-9][0-9]{0,17}", re.ASCII)  # its page id fits SQLite
_MAX_ROW_ID: Final = (1 << 63) - 1  # SQLite's INTEGER; a bigger "revision id" is hostile
_PHOTO_ID_RE: Final = re.compile(r"0*([1-9][0-9]{0,18})", re.ASCII)


class MalformedEntity(InputInvalid, ValueError):
    """The decoded line is not a usable mediainfo entity (not an object, no M-id), or
    could not be decoded at all (nested too deeply, too big for memory)."""


def entity_mid(entity: Any) -> str:
    """The entity's M-id; raises :class:`MalformedEntity` if there is none."""
    if not isinstance(entity, dict):
        raise MalformedEntity(f"not a JSON object but {type(entity).__name__}")
    mid = entity.get("id")
    if not isinstance(mid, str) or _MID_RE.fullmatch(mid) is None:
        raise MalformedEntity(f"missing or invalid id: {mid!r}"[:120])
    return mid


def evidence_from_entity(entity: Mapping[str, Any]) -> FileEvidence | None:
    """The worklist row for one entity, or None when it has no Flickr evidence.

    Runs on every candidate line of the snapshot, so it is written for speed: one look
    at each of the three properties, no helper generators on the common path.
    """
    mid = entity_mid(entity)
    statements = entity.get("statements")
    if not isinstance(statements, dict):
        statements = entity.get("claims")  # the pre-2020 name
        if not isinstance(statements, dict):
            return None  # the dump writes an entity without statements as []
    photo_id_statements = statements.get(P_FLICKR_PHOTO_ID)
    source_statements = statements.get(P_SOURCE_OF_FILE)
    creator_statements = statements.get(P_CREATOR)
    bhl_statements = statements.get(P_BHL_PAGE_ID)
    if not (photo_id_statements or source_statements or creator_statements or bhl_statements):
        return None  # a caption that mentions Flickr, say
    found = _Found()

    for statement in _live(photo_id_statements):
        mainsnak = statement.get("mainsnak")
        value = _string(mainsnak) if isinstance(mainsnak, dict) else None
        if value is not None:
            photo_id = _photo_id(value)
            if photo_id is not None:
                found.add(SRC_P12120, value, photo_id, None, None)

    for statement in _live(source_statements):
        qualifiers = statement.get("qualifiers")
        if not isinstance(qualifiers, dict):
            continue
        operator = None
        operators = qualifiers.get(P_OPERATOR)
        if operators:
            qids = _items(operators)
            operator = Q_FLICKR if Q_FLICKR in qids else (qids[0] if qids else None)
        for url in _strings(qualifiers.get(P_DESCRIBED_AT_URL)):
            found.add_url(SRC_SOURCE_P973, url, operator)
        for url in _strings(qualifiers.get(P_URL)):
            found.add_url(SRC_SOURCE_P2699, url, operator)

    for statement in _live(creator_statements):
        qualifiers = statement.get("qualifiers")
        if not isinstance(qualifiers, dict):
            continue
        for url in _strings(qualifiers.get(P_URL)):
            found.add_url(SRC_CREATOR_P2699, url, None)
        for value in _strings(qualifiers.get(P_FLICKR_USER_ID)):
            nsid = value.strip()
            if is_nsid(nsid):
                found.add(SRC_CREATOR_P3267, value, None, nsid, None)
                if nsid not in found.p3267_nsids:
                    found.p3267_nsids.append(nsid)

    if bhl_statements and not found.photo_ids:
        for statement in _live(bhl_statements):
            mainsnak = statement.get("mainsnak")
            value = _string(mainsnak) if isinstance(mainsnak, dict) else None
            if value is not None:
                found.add_bhl_page(value)

    if not found.items:
        return None
    return found.evidence(mid, entity.get("pageid"), entity.get("title"), entity.get("lastrevid"))


# --------------------------------------------------------------------------- raw lines
#
# Decoding a whole candidate line builds thousands of Python objects for captions and
# statements evidence never reads, and walking the decoded dicts in Python was the
# biggest single cost of an extract. msgspec decodes a line against the typed shape
# below instead: only the fields named here become (small, typed) objects, everything
# else is parsed (its syntax checked) and skipped in C, and :func:`_evidence_of_struct`
# reads the result without the type checks the dict walk needs. A line that does not fit
# the shape (not an object, a statement that is not an object, a snak value of another
# type...) is decoded whole by orjson and goes through :func:`evidence_from_entity`, so it
# gives exactly the result or the error it always gave.


class _ItemValue(msgspec.Struct):
    """``datavalue.value`` of an item snak (``id``; ``numeric-id`` in old JSON)."""

    id: Any = None
    numeric_id: Any = msgspec.field(default=None, name="numeric-id")


class _DataValue(msgspec.Struct):
    value: str | _ItemValue | None = None


class _Snak(msgspec.Struct):
    snaktype: str = "value"
    datavalue: _DataValue | None = None


class _Qualifiers(msgspec.Struct):
    """The qualifiers evidence reads, of ``P7482`` and ``P170`` statements."""

    P137: list[_Snak] | None = None
    P973: list[_Snak] | None = None
    P2699: list[_Snak] | None = None
    P3267: list[_Snak] | None = None


class _Statement(msgspec.Struct):
    mainsnak: _Snak | None = None
    qualifiers: _Qualifiers | None = None
    rank: str | None = None


class _Statements(msgspec.Struct):
    """The properties evidence reads; every other one is skipped."""

    P12120: list[_Statement] | None = None
    P7482: list[_Statement] | None = None
    P170: list[_Statement] | None = None
    P687: list[_Statement] | None = None


class _Entity(msgspec.Struct):
    """The entity fields evidence reads (``claims``: the pre-2020 name of ``statements``;
    the dump writes an entity without statements as ``[]``)."""

    id: Any = None
    pageid: Any = None
    title: Any = None
    lastrevid: Any = None
    statements: _Statements | list[Any] | None = None
    claims: _Statements | list[Any] | None = None


_EVIDENCE_PROPERTIES: Final = (P_FLICKR_PHOTO_ID, P_SOURCE_OF_FILE, P_CREATOR, P_BHL_PAGE_ID)
_PAGE_FIELDS: Final = ("id", "pageid", "title", "lastrevid")
assert _EVIDENCE_PROPERTIES == ("P12120", "P7482", "P170", "P687")
assert (P_OPERATOR, P_DESCRIBED_AT_URL, P_URL, P_FLICKR_USER_ID) == (
    "P137",
    "P973",
    "P2699",
    "P3267",
)

_line_decoder: Final = msgspec.json.Decoder(_Entity)

# For a line with non-ASCII bytes (the dump escapes every non-ASCII character, so only a
# damaged line has them): the evidence statements decoded whole, which checks the text
# encoding of everything in them, keys included; the typed shape would skip a key with
# a stray byte in it without looking, and lose that evidence quietly.
_EvidenceStatements: Final = msgspec.defstruct(
    "_EvidenceStatements", [(prop, list[Any] | None, None) for prop in _EVIDENCE_PROPERTIES]
)
_EvidenceEntity: Final = msgspec.defstruct(
    "_EvidenceEntity",
    [
        *((name, Any, None) for name in _PAGE_FIELDS),
        ("statements", _EvidenceStatements | list[Any] | None, None),
        ("claims", _EvidenceStatements | list[Any] | None, None),
    ],
)
_checked_line_decoder: Final = msgspec.json.Decoder(_EvidenceEntity)


def evidence_from_line(line: bytes) -> FileEvidence | None:
    """:func:`evidence_from_entity` of one snapshot line (without its trailing comma),
    decoding only what it reads. Raises ``orjson.JSONDecodeError`` for a line that is not
    JSON and :class:`MalformedEntity` for one that is not an entity, as a full decode
    would, or that cannot be decoded at all (:func:`check_nesting`, a decoder's
    ``RecursionError`` or ``MemoryError``). (The text encoding of skipped strings is not
    checked: a stray byte in a caption does not cost the file its evidence; but a non-ASCII
    line that gives no evidence gets the full decode's verdict, so a stray byte in a key is
    not taken for "no evidence".)"""
    check_nesting(line)
    if not line.isascii():
        return _evidence_of_non_ascii(line)
    try:
        found = _line_decoder.decode(line)
    except msgspec.MsgspecError:
        return evidence_from_entity(decode_line(line))  # the error, or an odd shape
    except Exception as exc:  # RecursionError, MemoryError: the line, not the run
        raise undecodable(exc) from exc
    return _evidence_of_struct(found)


def _evidence_of_non_ascii(line: bytes) -> FileEvidence | None:
    """:func:`evidence_from_line` for a line that is not pure ASCII (rare: damaged)."""
    try:
        found = _checked_line_decoder.decode(line)
    except msgspec.MsgspecError:
        return evidence_from_entity(decode_line(line))
    except Exception as exc:  # RecursionError, MemoryError: the line, not the run
        raise undecodable(exc) from exc
    entity: dict[str, Any] = {name: getattr(found, name) for name in _PAGE_FIELDS}
    for key in ("statements", "claims"):
        value = getattr(found, key)
        if isinstance(value, _EvidenceStatements):
            value = {
                prop: statements
                for prop in _EVIDENCE_PROPERTIES
                if (statements := getattr(value, prop)) is not None
            }
        if value is not None:
            entity[key] = value
    try:
        result = evidence_from_entity(entity)
    except MalformedEntity:
        result = None
    if result is None or None in (entity.get(name) for name in _PAGE_FIELDS):
        # Nothing found, or a page field missing: was it the damage? The full decode says.
        return evidence_from_entity(decode_line(line))
    return result


def _evidence_of_struct(entity: _Entity) -> FileEvidence | None:
    """:func:`evidence_from_entity` for an entity decoded into the typed shape above
    (the same steps, in the same order; the types make most of its checks needless)."""
    mid = entity.id
    # _MID_RE without the regex: "M", a digit other than 0, at most 18 ASCII digits.
    if not (
        isinstance(mid, str)
        and 1 < len(mid) <= 19
        and mid[0] == "M"
        and mid[1] != "0"
        and mid.isascii()
        and mid[1:].isdigit()
    ):
        raise MalformedEntity(f"missing or invalid id: {mid!r}"[:120])
    statements = entity.statements
    if not isinstance(statements, _Statements):
        statements = entity.claims
        if not isinstance(statements, _Statements):
            return None
    photo_id_statements = statements.P12120
    source_statements = statements.P7482
    creator_statements = statements.P170
    bhl_statements = statements.P687
    if not (photo_id_statements or source_statements or creator_statements or bhl_statements):
        return None
    # What _Found.add and _Found.evidence do, flattened into locals: this runs once per
    # Flickr file (a call and an object per item cost as much as the rest of the walk).
    # Evidence sources are kept as a bit mask (_SOURCE_BITS), their tuple looked up.
    items: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    mask = 0
    photo_ids: list[str] = []
    nsids: list[str] = []
    aliases: list[str] = []
    p3267_nsids: list[str] = []
    url_evidence = _url_evidence

    if photo_id_statements:
        for statement in photo_id_statements:
            if statement.rank == "deprecated":
                continue
            value = _struct_string(statement.mainsnak)
            if value is None:
                continue
            photo_id = _photo_id(value)
            if photo_id is None or (SRC_P12120, value) in seen:
                continue
            seen.add((SRC_P12120, value))
            mask |= 1
            items.append({"source": SRC_P12120, "value": value, "photo_id": photo_id})
            if photo_id not in photo_ids:
                photo_ids.append(photo_id)

    if source_statements:
        for statement in source_statements:
            qualifiers = statement.qualifiers
            if qualifiers is None or statement.rank == "deprecated":
                continue
            operator = None
            if qualifiers.P137:
                qids = _struct_items(qualifiers.P137)
                operator = Q_FLICKR if Q_FLICKR in qids else (qids[0] if qids else None)
            for snaks, source, bit in (
                (qualifiers.P973, SRC_SOURCE_P973, 2),
                (qualifiers.P2699, SRC_SOURCE_P2699, 4),
            ):
                if not snaks:
                    continue
                for url in _struct_strings(snaks):
                    found = url_evidence(url)
                    if found is None or (source, url) in seen:
                        continue
                    seen.add((source, url))
                    mask |= bit
                    item = {"source": source, "value": url}
                    photo_id, user = found
                    if photo_id is not None:
                        item["photo_id"] = photo_id
                        if photo_id not in photo_ids:
                            photo_ids.append(photo_id)
                    if user is not None:
                        item["user"] = user
                        names = nsids if is_nsid(user) else aliases
                        if user not in names:
                            names.append(user)
                    if operator is not None:
                        item["operator"] = operator
                    items.append(item)

    if creator_statements:
        for statement in creator_statements:
            qualifiers = statement.qualifiers
            if qualifiers is None or statement.rank == "deprecated":
                continue
            if qualifiers.P2699:
                for url in _struct_strings(qualifiers.P2699):
                    found = _profile_evidence(url)
                    if found is None or (SRC_CREATOR_P2699, url) in seen:
                        continue
                    seen.add((SRC_CREATOR_P2699, url))
                    mask |= 8
                    item = {"source": SRC_CREATOR_P2699, "value": url}
                    photo_id, user = found
                    if photo_id is not None:
                        item["photo_id"] = photo_id
                        if photo_id not in photo_ids:
                            photo_ids.append(photo_id)
                    if user is not None:
                        item["user"] = user
                        names = nsids if is_nsid(user) else aliases
                        if user not in names:
                            names.append(user)
                    items.append(item)
            if qualifiers.P3267:
                for value in _struct_strings(qualifiers.P3267):
                    nsid = value.strip()
                    if not is_nsid(nsid):
                        continue
                    if (SRC_CREATOR_P3267, value) not in seen:
                        seen.add((SRC_CREATOR_P3267, value))
                        mask |= 16
                        items.append({"source": SRC_CREATOR_P3267, "value": value, "user": nsid})
                        if nsid not in nsids:
                            nsids.append(nsid)
                    if nsid not in p3267_nsids:
                        p3267_nsids.append(nsid)

    if bhl_statements and not photo_ids:
        for statement in bhl_statements:
            if statement.rank == "deprecated":
                continue
            value = _struct_string(statement.mainsnak)
            page = bhl_page_id(value) if value is not None else None
            if value is None or page is None or (SRC_P687, page) in seen:
                continue
            seen.add((SRC_P687, page))
            mask |= 32
            items.append({"source": SRC_P687, "value": value, BHL_EVIDENCE_KEY: page})

    if not items:
        return None
    owners = p3267_nsids or nsids
    pageid = entity.pageid
    title = entity.title
    revid = entity.lastrevid
    return FileEvidence(
        mid,
        pageid if _row_id(pageid) else int(mid[1:]),
        title if isinstance(title, str) else None,
        revid if _row_id(revid) else None,
        tuple(photo_ids),
        owners[0] if owners else None,
        aliases[0] if aliases else None,
        tuple(items),
        _SOURCE_TUPLES[mask],
        bool(mask & 1),
    )


def _struct_string(snak: _Snak | None) -> str | None:
    """:func:`_string` of a typed snak."""
    if snak is None or snak.snaktype != "value" or snak.datavalue is None:
        return None
    value = snak.datavalue.value
    return value if isinstance(value, str) and value else None


def _struct_strings(snaks: list[_Snak]) -> list[str]:
    """:func:`_strings` of typed snaks."""
    return [v for snak in snaks if (v := _struct_string(snak)) is not None]


def _struct_items(snaks: list[_Snak]) -> list[str]:
    """:func:`_items` of typed snaks."""
    out: list[str] = []
    for snak in snaks:
        if snak.snaktype != "value" or snak.datavalue is None:
            continue
        value = snak.datavalue.value
        if isinstance(value, _ItemValue):
            if isinstance(value.id, str):
                out.append(value.id)
            elif isinstance(value.numeric_id, int):
                out.append(f"Q{value.numeric_id}")
    return out


# --------------------------------------------------------------------------- hostile lines
#
# A real entity nests 11 levels at most (entity, statements, property, statement,
# references, reference, snaks, property, snak, datavalue, value; the bundled sample
# and the reference slice of a real dump go to 9). 64 leaves room for any future
# datavalue type and is still far below where the decoders give up (msgspec: Python's
# recursion limit, ~1000 levels minus the stack in use; orjson: 1024), so a hostile
# line is refused the same way wherever it is decoded from.

MAX_NESTING: Final = 64
# The cheap test run on every candidate line: a run of more than MAX_NESTING "[", which
# outside a string is nesting beyond the bound by itself (real entities have no arrays
# of arrays at all). Substring search with a long needle skips ahead its length at a
# time: about 0.5 µs on a 5 kB line, against 20 µs to decode it. Only a line with such
# a run is measured exactly (it may be inside a string). A line nested too deeply
# another way (``[{"a":[{"a":...``) is decoded, and stopped by the decoder's own limit
# if it goes on past it, reported the same way (:func:`undecodable`).
_DEEP_RUN: Final = b"[" * (MAX_NESTING + 1)
# Flickr URLs are under 200 characters; no upload tool writes one of 10,000. Parsing a
# multi-megabyte "URL" would take a dozen copies of it in memory, so it is not evidence.
MAX_URL_CHARS: Final = 10_000
_NOT_STRUCTURE: Final = bytes(c for c in range(256) if c not in b'"[]{}')


def nesting_depth(line: bytes, limit: int = MAX_NESTING) -> int:
    """How deeply the arrays and objects of a JSON line nest, counted up to ``limit + 1``
    (brackets inside strings do not count)."""
    if b"\\\\" in line:  # escaped backslashes first, then escaped quotes
        line = line.replace(b"\\\\", b"")
    if b'\\"' in line:
        line = line.replace(b'\\"', b"")
    # Only quotes and brackets are left; an empty string (or the gap between two strings)
    # is a pair of quotes with nothing between, and the quotes that are left still
    # alternate, opening and closing the strings that hold brackets.
    skeleton = line.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
    if b'"' in skeleton:
        skeleton = b"".join(skeleton.split(b'"')[::2])
    depth = deepest = 0
    for byte in skeleton:
        if byte == 0x5B or byte == 0x7B:  # [ {
            depth += 1
            if depth > deepest:
                deepest = depth
                if depth > limit:
                    break
        else:
            depth -= 1
    return deepest


def check_nesting(line: bytes) -> None:
    """Refuse, before decoding, a line nested deeper than :data:`MAX_NESTING`."""
    if _DEEP_RUN in line and nesting_depth(line) > MAX_NESTING:
        raise MalformedEntity(f"nested deeper than {MAX_NESTING} levels")


def undecodable(exc: BaseException) -> MalformedEntity:
    """A decoder's failure other than bad JSON, as the reason the line is skipped."""
    if isinstance(exc, RecursionError):
        return MalformedEntity(f"nested deeper than {MAX_NESTING} levels ({exc})")
    if isinstance(exc, orjson.JSONDecodeError):  # orjson's own depth limit (1024)
        return MalformedEntity(f"nested deeper than {MAX_NESTING} levels ({exc})")
    if isinstance(exc, MemoryError):
        return MalformedEntity("too big to decode (out of memory)")
    return MalformedEntity(f"could not be decoded ({type(exc).__name__}: {exc})"[:200])


def decode_line(line: bytes) -> Any:
    """``orjson.loads`` of a snapshot line: ``orjson.JSONDecodeError`` for bad JSON, and
    :class:`MalformedEntity` (:func:`undecodable`) for any other failure."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        if nesting_depth(line) > MAX_NESTING:  # reported as the other decoders' limit is
            raise undecodable(exc) from exc
        raise
    except Exception as exc:
        raise undecodable(exc) from exc


class _Found:
    """Evidence items collected from one entity, deduplicated, in the order found."""

    __slots__ = ("aliases", "items", "nsids", "p3267_nsids", "photo_ids", "seen", "sources")

    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []
        self.seen: set[tuple[str, str]] = set()
        self.sources: set[str] = set()
        self.photo_ids: list[str] = []
        self.nsids: list[str] = []
        self.aliases: list[str] = []
        self.p3267_nsids: list[str] = []

    def evidence(self, mid: str, pageid: Any, title: Any, revid: Any) -> FileEvidence:
        """The worklist row of the entity these items were found in."""
        nsids = self.p3267_nsids or self.nsids
        sources = self.sources
        return FileEvidence(  # positional: this runs once per Flickr file
            mid,
            pageid if _row_id(pageid) else int(mid[1:]),
            title if isinstance(title, str) else None,
            revid if _row_id(revid) else None,
            tuple(self.photo_ids),
            nsids[0] if nsids else None,
            self.aliases[0] if self.aliases else None,
            tuple(self.items),
            tuple([s for s in SOURCES if s in sources]),
            SRC_P12120 in sources,
        )

    def add(
        self, source: str, value: str, photo_id: str | None, user: str | None, operator: str | None
    ) -> None:
        key = (source, value)
        if key in self.seen:
            return
        self.seen.add(key)
        self.sources.add(source)
        item = {"source": source, "value": value}
        if photo_id is not None:
            item["photo_id"] = photo_id
            if photo_id not in self.photo_ids:
                self.photo_ids.append(photo_id)
        if user is not None:
            item["user"] = user
            names = self.nsids if is_nsid(user) else self.aliases
            if user not in names:
                names.append(user)
        if operator is not None:
            item["operator"] = operator
        self.items.append(item)

    def add_bhl_page(self, value: str) -> None:
        """A P687 BHL page id (only for a file that names no Flickr photo)."""
        page = bhl_page_id(value)
        if page is None or (SRC_P687, page) in self.seen:
            return
        self.seen.add((SRC_P687, page))
        self.sources.add(SRC_P687)
        self.items.append({"source": SRC_P687, "value": value, BHL_EVIDENCE_KEY: page})

    def add_url(self, source: str, url: str, operator: str | None) -> None:
        """A URL is evidence if it is Flickr's and names a photo or a user."""
        found: tuple[str | None, str | None] | None
        if source == SRC_CREATOR_P2699:  # one profile URL per owner, on many files
            if url in _profile_urls:
                found = _profile_urls[url]
            else:
                found = _url_evidence(url)
                if len(_profile_urls) >= PROFILE_CACHE_SIZE:
                    _profile_urls.clear()
                _profile_urls[url] = found
        else:
            found = _url_evidence(url)
        if found is not None:
            self.add(source, url, found[0], found[1], operator)


# Creator profile URLs already seen → what they gave (photo id, user) or None: a big
# uploader's profile URL is on thousands of files. Bounded; cleared when full.
PROFILE_CACHE_SIZE: Final = 50_000
_profile_urls: dict[str, tuple[str | None, str | None] | None] = {}


def _profile_evidence(url: str) -> tuple[str | None, str | None] | None:
    """:func:`_url_evidence` of a creator profile URL, through :data:`_profile_urls`."""
    if url in _profile_urls:
        return _profile_urls[url]
    found = _url_evidence(url)
    if len(_profile_urls) >= PROFILE_CACHE_SIZE:
        _profile_urls.clear()
    _profile_urls[url] = found
    return found


# Bit i of an evidence-source mask stands for SOURCES[i]; the tuple of a mask in order.
_SOURCE_TUPLES: Final = tuple(
    tuple(source for i, source in enumerate(SOURCES) if mask >> i & 1)
    for mask in range(1 << len(SOURCES))
)


def _url_evidence(url: str) -> tuple[str | None, str | None] | None:
    """(photo id, user) named by a Flickr URL, or None if it is not Flickr's or names
    neither (parsing is pure, so its result can be kept)."""
    # The parser's own test of whether a URL can be Flickr's, without parsing it: most
    # URLs on Commons are not, and an exception per URL costs more than this.
    if not may_be_flickr(url):
        return None
    if len(url) > MAX_URL_CHARS:  # a hostile value: parsing would copy it many times
        return None
    try:
        parsed = parse_flickr_url(url)
    except FlickrUrlError:
        return None
    photo_id = parsed.photo_id if parsed.type == "single_photo" else None
    if photo_id is None and parsed.user is None:
        return None
    return photo_id, parsed.user


def _row_id(value: Any) -> bool:
    """A page or revision id the store can keep (an int, not a bool, 1 to 2**63 - 1)."""
    return type(value) is int and 0 < value <= _MAX_ROW_ID


def _photo_id(value: str) -> str | None:
    """A P12120 value as a canonical photo id (digits, no leading zeros), else None."""
    m = _PHOTO_ID_RE.fullmatch(value.strip())
    return m[1] if m else None


def _live(statements: Any) -> list[dict[str, Any]]:
    """The well-formed statements of a property, deprecated ones left out."""
    if not isinstance(statements, list):
        return []
    return [s for s in statements if isinstance(s, dict) and s.get("rank") != "deprecated"]


def _string(snak: Mapping[str, Any]) -> str | None:
    """The value of a string-valued value snak, else None (somevalue, novalue, bad)."""
    if snak.get("snaktype", "value") != "value":
        return None
    datavalue = snak.get("datavalue")
    if isinstance(datavalue, dict):
        value = datavalue.get("value")
        if isinstance(value, str) and value:
            return value
    return None


def _strings(snaks: Any) -> list[str]:
    """The string values of a list of snaks."""
    if not isinstance(snaks, list):
        return []
    return [v for snak in snaks if isinstance(snak, dict) and (v := _string(snak)) is not None]


def _items(snaks: Any) -> list[str]:
    """The item ids of a list of snaks (``id``, or ``numeric-id`` in old JSON)."""
    out: list[str] = []
    if not isinstance(snaks, list):
        return out
    for snak in snaks:
        if not isinstance(snak, dict) or snak.get("snaktype", "value") != "value":
            continue
        datavalue = snak.get("datavalue")
        value = datavalue.get("value") if isinstance(datavalue, dict) else None
        if isinstance(value, dict):
            qid = value.get("id")
            if isinstance(qid, str):
                out.append(qid)
            elif isinstance(value.get("numeric-id"), int):
                out.append(f"Q{value['numeric-id']}")
    return out
