"""A local stand-in for Commons and Wikidata: a real HTTP server speaking the Action API.

Tests and the offline demo point real pywikibot (and the bot's httpx Wikidata client)
at it, so start-up, login, batched reads, edits, retries and throttling run the same
code as against the wikis. It answers what that code asks, in the shapes the wikis use
(see ``/work/shared/reference/commons``), and nothing more:

- ``/w/api.php`` (Commons): ``meta=siteinfo|userinfo|tokens``, ``action=paraminfo``,
  ``action=login`` (BotPassword names ``User@suffix``), ``prop=info|revisions`` (also
  by ``revids``, with the mediainfo slot as stored at that revision),
  ``wbgetentities`` (by ``ids`` or ``sites``/``titles``) and ``wbeditentity``;
- ``/wikidata/w/api.php``: ``wbgetentities`` for seeded items.

``wbeditentity`` does what MediaWiki 1.39 + Wikibase + WikibaseMediaInfo were seen to do
(``tests/conformance/`` runs the same scenarios against both; the code here is the
stand-in's own, never the bot's): input under ``claims`` (a list or a map by property),
a claim with ``id`` replaces that statement whole, one without is appended under a new
random ``M123$UUID``, ``"remove": ""`` deletes one, other statements stay; snaks are
stored without ``datatype``; an entity without statements shows ``"statements": []``;
``lastrevid`` comes from one wiki-wide revision counter; the same data again is
``nochange``. A stale ``baserevid`` is patched onto the latest revision with the warning::

    "warnings": {"wbeditentity": {"messages": [{"name": "wikibase-conflict-patched", ...}]}}

new statements are appended after the ones others added, a statement someone else
changed meanwhile is overwritten (last writer wins); a caption both changed, a change
to a statement someone removed, or the same change made twice is ``editconflict``. The
answer's entity is the *base revision plus this edit*, not what was stored (re-read to
see others' statements). A revision the page never had is ``nosuchrevid``; a base from
before the file had structured data, when it has some now, is Wikibase's internal error
``internal_api_error_Wikibase\\Lib\\Store\\BadRevisionException``. ``strict_baserevid``
(seed setting, or the attribute of a running stand-in) refuses every stale
``baserevid`` with ``editconflict`` instead. ``maxlag`` below -1 is refused as on a
one-server wiki (its lag reads as -1). OAuth requests are accepted by consumer key and
access token, without checking the signature.

Each stand-in also answers a small control API next to the wiki (for ``backfill
sandbox --inject`` and hand-driven rehearsals), on 127.0.0.1 only like the rest:
``POST /_standin/inject`` with ``{"fault": "maxlag", "count": 3, "action": ...,
"endpoint": "commons", "options": {...}}`` (the arguments of :meth:`CommonsStandin.inject`)
and ``GET /_standin/state`` (writes, write attempts, requests by action, pending faults).

Seed it from Python (:class:`StandinData`) or from a directory::

    seed/
      standin.json         optional: {"username": ..., "botpasswords": {"Bot@suffix": "pw"},
                           "apihighlimits": false, "hasmsg": false, "blocked": false,
                           "bot_group": true, "oauth": {"consumer key": "access token"},
                           "strict_baserevid": false, "defined_tags": ["tag"]}
      mediainfo/M123.json  one file each: {"title": "File:X.jpg", "pageid": 123,
                           "lastrevid": 456, "statements": {...}, "labels": {...}};
                           without "statements" and "labels" the file has no SDC yet;
                           "pageid" defaults to the number in the file name;
                           optional "metadata" / "commonmetadata": the file's
                           imageinfo metadata, [{"name": "DateTimeOriginal",
                           "value": "2018:03:04 10:21:55"}, ...] (absent: none)
      mediainfo/M123.wiki  optional wikitext of that file
      pages.json           optional: {"User:Bot/Run": "run: yes", ...} pages' wikitext
                           (a seeded file's title sets that file's wikitext)
      wikidata/Q42.json    optional: a Wikidata item ({"claims": {...}})

A file that is not seeded does not exist (deleted). Use :func:`run_commons_standin`::

    with run_commons_standin(data) as wiki:
        site = setup_pywikibot(wiki.api_url, tmp_dir, "FlickrSdcBot")
        ...
        wiki.writes, wiki.requests["wbgetentities"], wiki.entity("M123")
        wiki.inject("maxlag", 2)   # the next 2 requests that carry maxlag= get maxlag
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import re
import secrets
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

log = logging.getLogger(__name__)

COMMONS_PATH = "/w/api.php"
WIKIDATA_PATH = "/wikidata/w/api.php"
CONTROL_PREFIX = "/_standin/"
HUMAN = "Example human"  # the user of ``human_edit`` revisions
DBNAME = "commonswiki"
ANON_TOKEN = "+\\"
_MID_RE = re.compile(r"^M([1-9][0-9]*)$")
_QID_RE = re.compile(r"^Q[1-9][0-9]*$")
_SECRET_PARAMS = frozenset({"lgpassword", "password", "token", "lgtoken", "logintoken"})

_NAMESPACES: dict[int, tuple[str, str]] = {
    # id: (local name, canonical name)
    -2: ("Media", "Media"),
    -1: ("Special", "Special"),
    0: ("", ""),
    1: ("Talk", "Talk"),
    2: ("User", "User"),
    3: ("User talk", "User talk"),
    4: ("Commons", "Project"),
    5: ("Commons talk", "Project talk"),
    6: ("File", "File"),
    7: ("File talk", "File talk"),
    8: ("MediaWiki", "MediaWiki"),
    9: ("MediaWiki talk", "MediaWiki talk"),
    10: ("Template", "Template"),
    11: ("Template talk", "Template talk"),
    12: ("Help", "Help"),
    13: ("Help talk", "Help talk"),
    14: ("Category", "Category"),
    15: ("Category talk", "Category talk"),
}
_NS_ALIASES = {"Image": 6, "Image talk": 7, "COM": 4, "Project": 4, "Project talk": 5}
_QUERY_PROPS = ("info", "revisions", "imageinfo")
_QUERY_LISTS = ("allusers",)
_QUERY_METAS = ("siteinfo", "tokens", "userinfo")
_ACTIONS = ("help", "login", "logout", "paraminfo", "query", "wbeditentity", "wbgetentities")
_TOKEN_TYPES = ("createaccount", "csrf", "login", "patrol", "rollback", "userrights", "watch")
_BOT_RIGHTS = (
    "read",
    "edit",
    "writeapi",
    "bot",
    "noratelimit",
    "autoconfirmed",
    "skipcaptcha",
    "editsemiprotected",
    "nominornewtalk",
    "autopatrol",
    "suppressredirect",
)
FAULTS = ("maxlag", "ratelimited", "http503", "badtoken", "concurrent_edit", "lost_response")


# --------------------------------------------------------------------------- seed data


@dataclass
class StandinData:
    """What the stand-in starts with. Titles are full (``File:X.jpg``, ``User:Bot/Run``)."""

    entities: dict[str, dict[str, Any]] = field(default_factory=dict)
    """M-id → ``{"title", "pageid"?, "lastrevid"?, "statements"?, "labels"?, "wikitext"?}``;
    without ``statements`` and ``labels`` (or with ``missing``) the file has no SDC."""
    pages: dict[str, str] = field(default_factory=dict)
    """Wikitext by title: of seeded files, or of other pages (run page, talk pages)."""
    wikidata: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Q-id → item JSON (``claims`` at least) served by the Wikidata endpoint."""
    username: str = "FlickrSdcBot"
    botpasswords: dict[str, str] = field(
        default_factory=lambda: {"FlickrSdcBot@backfill": "standin-bot-password"}
    )
    oauth: dict[str, str] = field(default_factory=dict)
    """OAuth consumer key → access token that authenticate as ``username``."""
    apihighlimits: bool = False
    revisions_per_response: int | None = None
    """Page texts per ``prop=revisions`` answer before ``continue`` (None: all)."""
    bot_group: bool = True
    hasmsg: bool = False
    blocked: bool = False
    strict_baserevid: bool = False
    """Refuse every stale ``baserevid`` (older stand-in behaviour) instead of patching."""
    defined_tags: list[str] | None = None
    """Change tags an edit may carry (others: ``badtags``, as on a real wiki); None: any."""

    @classmethod
    def from_directory(cls, root: Path) -> StandinData:
        """Load the seed-directory layout described in the module docstring."""
        root = Path(root)
        data = cls()
        settings_file = root / "standin.json"
        if settings_file.is_file():
            for key, value in json.loads(settings_file.read_text("utf-8")).items():
                if not hasattr(data, key) or key in ("entities", "pages", "wikidata"):
                    raise ValueError(f"{settings_file}: unknown setting {key!r}")
                setattr(data, key, value)
        for path in sorted((root / "mediainfo").glob("M*.json")):
            entity = json.loads(path.read_text("utf-8"))
            wiki = path.with_suffix(".wiki")
            if wiki.is_file():
                entity.setdefault("wikitext", wiki.read_text("utf-8"))
            data.entities[path.stem] = entity
        pages_file = root / "pages.json"
        if pages_file.is_file():
            data.pages.update(json.loads(pages_file.read_text("utf-8")))
        for path in sorted((root / "wikidata").glob("Q*.json")):
            data.wikidata[path.stem] = json.loads(path.read_text("utf-8"))
        return data


@dataclass
class _Page:
    pageid: int
    ns: int
    title: str
    lastrevid: int
    text: str
    mediainfo: dict[str, Any] | None = None  # the stored entity; None: no SDC yet
    touched: str = ""
    metadata: list[dict[str, Any]] | None = None
    """imageinfo ``metadata`` (EXIF) of the file; None: the file has none."""
    commonmetadata: list[dict[str, Any]] = field(default_factory=list)
    history: dict[int, tuple[dict[str, Any] | None, str | None]] = field(default_factory=dict)
    """revid → (the entity as of that revision, its user): what a stale edit is patched against."""

    def remember(self, user: str | None) -> None:
        """Record the current revision in the history."""
        self.history[self.lastrevid] = (copy.deepcopy(self.mediainfo), user)


@dataclass
class _Session:
    sid: str
    new: bool


@dataclass
class _Fault:
    kind: str
    remaining: int
    action: str | None
    endpoint: str
    options: dict[str, Any]


def normalise_title(title: str) -> str:
    """MediaWiki's title form: spaces for underscores, first letters upper-cased."""
    title = " ".join(title.replace("_", " ").split())
    prefix, sep, rest = title.partition(":")
    ns = _namespace_id(prefix) if sep else None
    if ns is not None and ns != 0:
        rest = rest.strip()
        return f"{_NAMESPACES[ns][0]}:{rest[:1].upper()}{rest[1:]}"
    return title[:1].upper() + title[1:]


def _namespace_id(prefix: str) -> int | None:
    prefix = prefix.strip().replace("_", " ")
    for ns, (local, canonical) in _NAMESPACES.items():
        if ns != 0 and prefix.lower() in (local.lower(), canonical.lower()):
            return ns
    for alias, ns in _NS_ALIASES.items():
        if prefix.lower() == alias.lower():
            return ns
    return None


def _title_ns(title: str) -> int:
    prefix, sep, _ = title.partition(":")
    return (_namespace_id(prefix) or 0) if sep else 0


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _statements_by_id(entity: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Every statement of an entity by its id."""
    groups = (entity or {}).get("statements") or {}
    return {str(st.get("id")): st for group in groups.values() for st in group}


def _strip(value: Any) -> Any:
    """A statement without its snak hashes (they follow from the data)."""
    if isinstance(value, Mapping):
        return {k: _strip(v) for k, v in value.items() if k != "hash"}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _split(value: str | None) -> list[str]:
    if not value:
        return []
    if value.startswith("\x1f"):  # MediaWiki's alternative multi-value separator
        return [v for v in value[1:].split("\x1f") if v]
    return [v for v in value.split("|") if v]


class ApiError(Exception):
    """An API error answer (HTTP 200 with ``{"error": ...}``), raised inside handlers."""

    def __init__(self, code: str, info: str, **extra: Any) -> None:
        super().__init__(f"{code}: {info}")
        self.code = code
        self.info = info
        self.extra = extra


# --------------------------------------------------------------------------- Wikibase's edit model
#
# What MediaWiki 1.39 + Wikibase + WikibaseMediaInfo were seen to do (the conformance suite
# in tests/conformance/ runs the same scenarios against both): the stand-in's own code,
# never the bot's (it must not agree with the bot by construction).

_NO_SUCH_GUID = "Entity does not have statement with GUID {}"
_CONFLICT_INFO = "Edit conflict. Could not patch the current revision."
PATCHED_WARNING = "wikibase-conflict-patched"
BAD_REVISION_CODE = "internal_api_error_Wikibase\\Lib\\Store\\BadRevisionException"


def _hash_of(content: Any) -> str:
    """A stable 40-hex hash of snak or reference content (Wikibase hashes PHP data)."""
    text = json.dumps(_strip(content), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _stored_snak(snak: Mapping[str, Any]) -> dict[str, Any]:
    """A snak as Wikibase stores it: ``snaktype, property, hash, datavalue``, no ``datatype``."""
    content = {k: copy.deepcopy(v) for k, v in snak.items() if k not in ("hash", "datatype")}
    stored: dict[str, Any] = {
        "snaktype": content.get("snaktype"),
        "property": content.get("property"),
    }
    stored["hash"] = _hash_of(content)
    if "datavalue" in content:
        stored["datavalue"] = content["datavalue"]
    return stored


def _snak_groups(groups: Any, order: Any) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """Snaks by property (a map, in ``order`` first) and the order as stored."""
    if not isinstance(groups, Mapping):
        raise ApiError("modification-failed", "snaks must be a map from property to a list")
    props = [p for p in (order or ()) if p in groups] + [
        p for p in groups if p not in (order or ())
    ]
    out = {p: [_stored_snak(s) for s in groups[p]] for p in props if groups[p]}
    return out, list(out)


def _stored_statement(claim: Mapping[str, Any], sid: str) -> dict[str, Any]:
    """A claim as Wikibase stores it (key order of ``wbgetentities``); rank defaults to normal."""
    if "mainsnak" not in claim:
        raise ApiError("modification-failed", "a claim needs a mainsnak")
    stored: dict[str, Any] = {"mainsnak": _stored_snak(claim["mainsnak"]), "type": "statement"}
    qualifiers, order = _snak_groups(claim.get("qualifiers") or {}, claim.get("qualifiers-order"))
    if qualifiers:
        stored["qualifiers"], stored["qualifiers-order"] = qualifiers, order
    stored["id"] = sid
    stored["rank"] = str(claim.get("rank") or "normal")
    references = []
    for reference in claim.get("references") or ():
        snaks, snaks_order = _snak_groups(
            reference.get("snaks") or {}, reference.get("snaks-order")
        )
        content = {"snaks": snaks, "snaks-order": snaks_order}
        references.append({"hash": _hash_of(content), **content})
    if references:
        stored["references"] = references
    return stored


def _input_claims(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """``data.claims`` as a list (Wikibase takes a list or a map by property).

    ``data.statements`` is not read: Wikibase silently ignores that key in input.
    """
    claims = data.get("claims") or []
    if isinstance(claims, Mapping):
        claims = [c for group in claims.values() for c in group]
    if not isinstance(claims, list) or not all(isinstance(c, Mapping) for c in claims):
        raise ApiError("not-recognized-array", "claims must be a list of statements")
    return claims


def _find_statement(
    statements: Mapping[str, list[dict[str, Any]]], sid: str
) -> tuple[str, int] | None:
    for prop, group in statements.items():
        for position, statement in enumerate(group):
            if statement.get("id") == sid:
                return prop, position
    return None


def empty_mediainfo(mid: str) -> dict[str, Any]:
    """The entity a file gets on its first structured-data edit."""
    return {"type": "mediainfo", "id": mid, "labels": {}, "descriptions": {}, "statements": {}}


def _public_entity(entity: Mapping[str, Any], mid: str) -> dict[str, Any]:
    """A stored mediainfo entity as the API shows it: no statements is ``[]``, not ``{}``.

    (Empty labels and descriptions are ``{}`` on a wiki that, like Commons, sets
    ``tmpSerializeEmptyListsAsObjects``; the statements map is not covered by it.)
    """
    statements = copy.deepcopy(entity.get("statements") or {})
    return {
        "type": "mediainfo",
        "id": mid,
        "labels": copy.deepcopy(entity.get("labels") or {}),
        "descriptions": copy.deepcopy(entity.get("descriptions") or {}),
        "statements": statements if statements else [],
    }


def change_entity(
    entity: Mapping[str, Any] | None, mid: str, data: Mapping[str, Any]
) -> dict[str, Any]:
    """``wbeditentity`` without ``clear``: the entity after ``data`` (the input is untouched).

    Per claim: with ``"remove"`` the statement of that GUID goes (an unknown GUID is
    ``modification-failed``); with an ``id`` of this entity the statement is replaced
    whole, in place (an unknown id of this entity is added; a GUID of another entity or
    another property for the GUID is ``modification-failed``); without one it is appended
    under ``M<n>$<UUID>``. Statements not named stay. Labels and descriptions are set per
    language (an empty value removes one).
    """
    result = copy.deepcopy(dict(entity)) if entity is not None else empty_mediainfo(mid)
    for key in ("labels", "descriptions"):
        terms = dict(result.get(key) or {})
        for lang, term in (data.get(key) or {}).items():
            value = term.get("value", "") if isinstance(term, Mapping) else ""
            if "remove" in term or not value:
                terms.pop(lang, None)
            else:
                terms[lang] = {"language": lang, "value": value}
        result[key] = terms
    statements = {p: list(g) for p, g in (result.get("statements") or {}).items()}
    for claim in _input_claims(data):
        sid = str(claim.get("id") or "")
        if sid and (sid.partition("$")[0].upper() != mid.upper() or "$" not in sid):
            raise ApiError("modification-failed", "Statement GUID invalid for given entity")
        where = _find_statement(statements, sid) if sid else None
        if "remove" in claim:
            if where is None:
                raise ApiError("modification-failed", _NO_SUCH_GUID.format(sid))
            prop, position = where
            del statements[prop][position]
            if not statements[prop]:
                del statements[prop]
            continue
        stored = _stored_statement(claim, sid or f"{mid}${str(uuid.uuid4()).upper()}")
        prop = str(stored["mainsnak"]["property"])
        if where is None:
            statements.setdefault(prop, []).append(stored)
        elif where[0] != prop:
            raise ApiError(
                "modification-failed",
                f"Claim with GUID {sid} uses property {where[0]}, can't change to {prop}",
            )
        else:
            statements[prop][where[1]] = stored
    result["statements"] = statements
    return result


def patch_onto_latest(
    base: Mapping[str, Any], ours: Mapping[str, Any], latest: Mapping[str, Any]
) -> dict[str, Any]:
    """A stale edit (``ours`` made from ``base``) applied to ``latest``, as Wikibase patches.

    Seen on the real wiki: a term or statement nobody else touched is patched in; a new
    statement is appended after the ones others added; a statement the other edit
    changed is overwritten (last writer wins); a caption both changed, a statement the
    other edit removed but this one changes, or one both changed the same way is an
    ``editconflict``; removing a statement the other edit already removed is
    ``modification-failed``.
    """
    conflict = ApiError("editconflict", _CONFLICT_INFO)
    patched = copy.deepcopy(dict(latest))
    for key in ("labels", "descriptions"):
        before, after, now = base.get(key) or {}, ours.get(key) or {}, dict(patched.get(key) or {})
        for lang in set(before) | set(after):
            if before.get(lang) == after.get(lang):
                continue
            if now.get(lang) != before.get(lang):
                raise conflict
            if lang in after:
                now[lang] = after[lang]
            else:
                now.pop(lang, None)
        patched[key] = now
    then, mine = _statements_by_id(base), _statements_by_id(ours)
    statements = {p: list(g) for p, g in (patched.get("statements") or {}).items()}
    for sid in list(then) + [s for s in mine if s not in then]:
        old, new = then.get(sid), mine.get(sid)
        if _strip(old) == _strip(new):
            continue
        where = _find_statement(statements, sid)
        if new is None:  # removed by us
            if where is None:
                raise ApiError("modification-failed", _NO_SUCH_GUID.format(sid))
            del statements[where[0]][where[1]]
            if not statements[where[0]]:
                del statements[where[0]]
        elif old is None:  # added by us
            statements.setdefault(str(new["mainsnak"]["property"]), []).append(new)
        elif where is None or _strip(statements[where[0]][where[1]]) == _strip(new):
            raise conflict
        else:
            statements[where[0]][where[1]] = new
    patched["statements"] = statements
    return patched


# --------------------------------------------------------------------------- the wiki


class CommonsStandin:
    """The stand-in's state and its WSGI app; :func:`run_commons_standin` serves it."""

    def __init__(self, data: StandinData | Mapping[str, Any] | Path | None = None) -> None:
        if data is None:
            data = StandinData()
        elif isinstance(data, Path):
            data = StandinData.from_directory(data)
        elif isinstance(data, Mapping):
            data = StandinData(**data)
        self.data = data
        self.lock = threading.RLock()
        self.writes: list[dict[str, Any]] = []
        """Every applied ``wbeditentity``: its params (token removed), ``data``, ``revid``."""
        self.write_attempts: list[dict[str, Any]] = []
        """Every ``wbeditentity`` request, applied or refused (``error`` holds the code)."""
        self.requests: Counter[str] = Counter()
        """Requests by action; queries also by module (``query+revisions``), Wikidata's
        as ``wikidata:<action>``, HTTP-level faults as ``fault:<kind>``."""
        self.log: list[dict[str, Any]] = []
        self.request_times: list[tuple[float, str]] = []
        self.api_url = ""
        self.wikidata_api_url = ""
        self.port = 0
        self._faults: list[_Fault] = []
        self._sessions: dict[str, str | None] = {}
        self._login_tokens: dict[str, str] = {}
        self._pages: dict[int, _Page] = {}
        self._by_title: dict[str, int] = {}
        self._revid = 0
        self._load(data)

    # ----------------------------------------------------------------- seeding

    def _load(self, data: StandinData) -> None:
        revids = [int(e["lastrevid"]) for e in data.entities.values() if e.get("lastrevid")]
        self._revid = max([1000, *revids])
        for mid, seed in data.entities.items():
            match = _MID_RE.match(mid)
            if not match:
                raise ValueError(f"not an M-id: {mid!r}")
            pageid = int(seed.get("pageid") or match.group(1))
            if pageid != int(match.group(1)):
                raise ValueError(f"{mid}: pageid {pageid} does not match the M-id")
            title = normalise_title(str(seed.get("title") or f"File:{mid}.jpg"))
            if _title_ns(title) != 6:
                raise ValueError(f"{mid}: {title!r} is not a file title")
            mediainfo = None
            if "missing" not in seed and ("statements" in seed or "labels" in seed):
                mediainfo = {
                    "type": "mediainfo",
                    "id": mid,
                    "labels": copy.deepcopy(seed.get("labels") or {}),
                    "descriptions": copy.deepcopy(seed.get("descriptions") or {}),
                    "statements": copy.deepcopy(seed.get("statements") or {}),
                }
            lastrevid = int(seed.get("lastrevid") or self._next_revid())
            self._add_page(
                _Page(
                    pageid,
                    6,
                    title,
                    lastrevid,
                    str(seed.get("wikitext") or ""),
                    mediainfo,
                    _now(),
                    metadata=copy.deepcopy(seed.get("metadata")),
                    commonmetadata=copy.deepcopy(seed.get("commonmetadata") or []),
                )
            )
        next_pageid = max([10_000_000, *self._pages]) + 1
        for title, text in data.pages.items():
            title = normalise_title(title)
            if title in self._by_title:  # a seeded file: this is its wikitext
                self._pages[self._by_title[title]].text = text
                continue
            if _title_ns(title) == 6:
                raise ValueError(f"{title!r}: seed files under entities (they need an M-id)")
            self._add_page(
                _Page(next_pageid, _title_ns(title), title, self._next_revid(), text, None, _now())
            )
            next_pageid += 1

    def _add_page(self, page: _Page) -> None:
        if page.pageid in self._pages or page.title in self._by_title:
            raise ValueError(f"page {page.title!r} ({page.pageid}) seeded twice")
        if page.ns == 6:
            page.remember(None)
        self._pages[page.pageid] = page
        self._by_title[page.title] = page.pageid

    def _next_revid(self) -> int:
        self._revid += 1
        return self._revid

    # ----------------------------------------------------------------- test helpers

    def inject(
        self,
        fault: str,
        count: int = 1,
        *,
        action: str | None = None,
        endpoint: str = "commons",
        **options: Any,
    ) -> None:
        """Make the next ``count`` matching requests fail.

        ``maxlag`` hits only requests that carry ``maxlag=`` (as MediaWiki; options
        ``lag`` seconds, default 0.01, and ``retry_after`` for the Retry-After header,
        default 0); ``ratelimited`` hits write actions; ``http503`` any request (option
        ``retry_after``); ``badtoken`` requests that send a token; ``concurrent_edit``
        makes a person edit the file (options ``mid``, ``claims`` as in wbeditentity,
        ``wikitext``) just before the next ``wbeditentity`` on it is processed;
        ``lost_response`` carries the request out but answers HTTP 503 (an edit that
        landed although the bot never heard back). ``action`` narrows any of them to
        one API action.
        """
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {FAULTS}")
        if endpoint not in ("commons", "wikidata"):
            raise ValueError(f"unknown endpoint {endpoint!r}")
        with self.lock:
            self._faults.append(_Fault(fault, count, action, endpoint, dict(options)))

    def pending_faults(self) -> int:
        """How many injected failures have not happened yet."""
        with self.lock:
            return sum(f.remaining for f in self._faults)

    def human_edit(
        self, mid: str, *, claims: list[dict[str, Any]] | None = None, wikitext: str | None = None
    ) -> int:
        """Someone else edits the file now (statements and/or wikitext); new revid."""
        with self.lock:
            page = self._file_page(mid)
            if page is None:
                raise KeyError(f"no file {mid}")
            if claims:
                page.mediainfo = change_entity(page.mediainfo, mid, {"claims": claims})
            if wikitext is not None:
                page.text = wikitext
            page.lastrevid = self._next_revid()
            page.touched = _now()
            page.remember(HUMAN)
            return page.lastrevid

    def add_file(self, title: str, wikitext: str = "") -> str:
        """A new file (an upload) without structured data, now; its M-id."""
        with self.lock:
            title = normalise_title(title if ":" in title else f"File:{title}")
            if _title_ns(title) != 6:
                raise ValueError(f"{title!r} is not a file title")
            pageid = max([999, *(p for p in self._pages if p < 10_000_000)]) + 1
            self._add_page(_Page(pageid, 6, title, self._next_revid(), wikitext, None, _now()))
            return f"M{pageid}"

    def set_page(self, title: str, text: str | None) -> None:
        """Create, change (new revision) or, with ``None``, delete a non-file page."""
        with self.lock:
            title = normalise_title(title)
            pageid = self._by_title.get(title)
            if text is None:
                if pageid is not None:
                    del self._pages[pageid], self._by_title[title]
                return
            if pageid is None:
                pageid = max([10_000_000, *self._pages]) + 1
                self._add_page(
                    _Page(pageid, _title_ns(title), title, self._next_revid(), text, None, _now())
                )
            else:
                page = self._pages[pageid]
                page.text, page.lastrevid = text, self._next_revid()

    def delete_file(self, mid: str) -> None:
        """The file is deleted: its page and M-id no longer exist."""
        with self.lock:
            page = self._file_page(mid)
            if page is not None:
                del self._pages[page.pageid], self._by_title[page.title]

    def set_user(self, **flags: bool) -> None:
        """Change the bot account: ``hasmsg``, ``blocked``, ``apihighlimits``, ``bot_group``."""
        with self.lock:
            for key, value in flags.items():
                if key not in ("hasmsg", "blocked", "apihighlimits", "bot_group"):
                    raise ValueError(f"unknown user flag {key!r}")
                setattr(self.data, key, value)

    def entity(self, mid: str) -> dict[str, Any] | None:
        """The file's entity as ``wbgetentities`` shows it (info and statements); None if gone."""
        with self.lock:
            page = self._file_page(mid)
            return None if page is None else self._entity_json(page, mid, {"info", "claims"})

    def lastrevid(self, title_or_mid: str) -> int | None:
        """The latest revision of a page, by title or M-id."""
        with self.lock:
            page = (
                self._file_page(title_or_mid)
                if _MID_RE.match(title_or_mid)
                else self._page_by_title(title_or_mid)
            )
            return None if page is None else page.lastrevid

    def wikitext(self, title: str) -> str | None:
        """The page's current wikitext, None if the page does not exist."""
        with self.lock:
            page = self._page_by_title(title)
            return None if page is None else page.text

    def reset_counters(self) -> None:
        """Forget requests, writes and the log (state stays)."""
        with self.lock:
            self.requests.clear()
            self.writes.clear()
            self.write_attempts.clear()
            self.log.clear()
            self.request_times.clear()

    # ----------------------------------------------------------------- lookups

    def _file_page(self, mid: str) -> _Page | None:
        match = _MID_RE.match(mid)
        page = self._pages.get(int(match.group(1))) if match else None
        return page if page is not None and page.ns == 6 else None

    def _page_by_title(self, title: str) -> _Page | None:
        pageid = self._by_title.get(normalise_title(title))
        return None if pageid is None else self._pages[pageid]

    def _entity_json(self, page: _Page, mid: str, props: set[str]) -> dict[str, Any]:
        if page.mediainfo is None:
            return {"id": mid, "missing": ""}
        entity: dict[str, Any] = {}
        if "info" in props:
            entity.update(
                pageid=page.pageid,
                ns=page.ns,
                title=page.title,
                lastrevid=page.lastrevid,
                modified=page.touched or _now(),
            )
        public = _public_entity(page.mediainfo, mid)
        entity.update(type=public["type"], id=public["id"])
        for prop, key in (
            ("labels", "labels"),
            ("descriptions", "descriptions"),
            ("claims", "statements"),
        ):
            if prop in props:
                entity[key] = public[key]
        return entity

    # ----------------------------------------------------------------- WSGI

    def wsgi_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """The WSGI entry point."""
        request = Request(environ)
        response = self._dispatch(request)
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        if request.path.startswith(CONTROL_PREFIX):
            return self._control(request)
        if request.path == COMMONS_PATH:
            endpoint = "commons"
        elif request.path == WIKIDATA_PATH:
            endpoint = "wikidata"
        else:
            return Response("Not Found", status=404, mimetype="text/plain")
        params = {key: value for key, value in request.values.items()}
        action = params.get("action", "help")
        with self.lock:
            self._count(endpoint, action, params)
            self.log.append(
                {
                    "endpoint": endpoint,
                    "method": request.method,
                    "user_agent": request.headers.get("User-Agent", ""),
                    "params": {k: ("***" if k in _SECRET_PARAMS else v) for k, v in params.items()},
                }
            )
            self.request_times.append((time.monotonic(), action))
            refusal = self._maxlag_refusal(params) if endpoint == "commons" else None
            if refusal is not None:
                return refusal
            fault_response = self._fault_for(endpoint, action, params)
            if fault_response is not None and fault_response.status_code != 204:
                return fault_response
            session = self._session_id(request)
            try:
                user = self._user_of(request, session)
                if endpoint == "wikidata":
                    result = self._wikidata(action, params)
                else:
                    result = self._commons(request, action, params, session, user)
            except ApiError as exc:
                result = {
                    "error": {
                        "code": exc.code,
                        "info": exc.info,
                        **exc.extra,
                        "*": "See the stand-in's module docstring.",
                    },
                    "servedby": "commons-standin",
                }
            response = self._json(result)
            if fault_response is not None:  # lost_response: done, but the answer is lost
                response = Response(
                    "<html><body><h1>503 Service Unavailable</h1></body></html>",
                    status=503,
                    mimetype="text/html",
                )
            if session.new:
                response.set_cookie(self._cookie_name, session.sid, httponly=True)
            return response

    def _control(self, request: Request) -> Response:
        """``POST /_standin/inject`` and ``GET /_standin/state`` (see the module docstring)."""
        name = request.path[len(CONTROL_PREFIX) :]
        if name == "state" and request.method == "GET":
            return self._json(self.state())
        if name != "inject" or request.method != "POST":
            return Response("Not Found", status=404, mimetype="text/plain")
        try:
            body = json.loads(request.get_data(as_text=True) or "{}")
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            unknown = set(body) - {"fault", "count", "action", "endpoint", "options"}
            if unknown:
                raise ValueError(f"unknown keys {sorted(unknown)}")
            self.inject(
                str(body.get("fault", "")),
                int(body.get("count", 1)),
                action=body.get("action"),
                endpoint=str(body.get("endpoint", "commons")),
                **dict(body.get("options") or {}),
            )
        except (ValueError, TypeError) as exc:
            return Response(
                json.dumps({"error": str(exc)}), status=400, mimetype="application/json"
            )
        return self._json({"ok": True, **self.state()})

    def state(self) -> dict[str, Any]:
        """What the stand-in has seen: writes, write attempts, requests, pending faults."""
        with self.lock:
            return {
                "writes": len(self.writes),
                "write_attempts": len(self.write_attempts),
                "writes_by_mid": dict(Counter(w["mid"] for w in self.writes)),
                "requests": dict(sorted(self.requests.items())),
                "pending_faults": [
                    {
                        "fault": f.kind,
                        "remaining": f.remaining,
                        "action": f.action,
                        "endpoint": f.endpoint,
                        "options": f.options,
                    }
                    for f in self._faults
                    if f.remaining > 0
                ],
            }

    @property
    def _cookie_name(self) -> str:
        # Cookies ignore ports: name them per stand-in so two stand-ins do not mix sessions.
        return f"standin{self.port}Session"

    def _count(self, endpoint: str, action: str, params: Mapping[str, str]) -> None:
        prefix = "wikidata:" if endpoint == "wikidata" else ""
        self.requests[prefix + action] += 1
        if action == "query":
            for kind in ("prop", "list", "meta"):
                for module in _split(params.get(kind)):
                    self.requests[f"{prefix}query+{module}"] += 1

    def _fault_for(self, endpoint: str, action: str, params: Mapping[str, str]) -> Response | None:
        for fault in self._faults:
            if fault.remaining <= 0 or fault.endpoint != endpoint:
                continue
            if fault.action is not None and fault.action != action:
                continue
            if fault.kind == "maxlag" and "maxlag" not in params:
                continue
            if fault.kind == "ratelimited" and action not in ("wbeditentity", "edit"):
                continue
            if fault.kind == "badtoken" and "token" not in params:
                continue
            if fault.kind == "concurrent_edit":
                target = fault.options.get("mid")
                if action != "wbeditentity" or (target and params.get("id") != target):
                    continue
                fault.remaining -= 1
                mid = target or params.get("id", "")
                self.human_edit(
                    mid, claims=fault.options.get("claims"), wikitext=fault.options.get("wikitext")
                )
                self.requests["fault:concurrent_edit"] += 1
                return None
            fault.remaining -= 1
            self.requests[f"fault:{fault.kind}"] += 1
            if fault.kind == "lost_response":
                return Response(status=204)  # marker: process it, then answer 503
            return self._fault_response(fault)
        return None

    def _fault_response(self, fault: _Fault) -> Response:
        retry_after = str(fault.options.get("retry_after", 0))
        if fault.kind == "http503":
            response = Response(
                "<html><body><h1>503 Service Unavailable</h1></body></html>",
                status=503,
                mimetype="text/html",
            )
            if "retry_after" in fault.options:
                response.headers["Retry-After"] = retry_after
            return response
        if fault.kind == "maxlag":
            lag = float(fault.options.get("lag", 0.01))
            response = self._json(
                {
                    "error": {
                        "code": "maxlag",
                        "info": f"Waiting for 10.64.0.1: {lag} seconds lagged.",
                        "host": "10.64.0.1",
                        "lag": lag,
                        "type": "db",
                        "*": "See https://www.mediawiki.org/wiki/Manual:Maxlag_parameter",
                    }
                }
            )
            response.headers["Retry-After"] = retry_after
            response.headers["X-Database-Lag"] = str(lag)
            return response
        if fault.kind == "ratelimited":
            return self._json(
                {
                    "error": {
                        "code": "ratelimited",
                        "info": "As an anti-abuse measure, you are limited from performing this "
                        "action too many times in a short space of time, and you have "
                        "exceeded this limit. Please try again in a few minutes.",
                    }
                }
            )
        return self._json({"error": {"code": "badtoken", "info": "Invalid CSRF token."}})

    @staticmethod
    def _json(result: Mapping[str, Any]) -> Response:
        return Response(json.dumps(result), mimetype="application/json")

    # ----------------------------------------------------------------- sessions

    def _session_id(self, request: Request) -> _Session:
        sid = request.cookies.get(self._cookie_name)
        if sid and sid in self._sessions:
            return _Session(sid, False)
        sid = secrets.token_hex(16)
        self._sessions[sid] = None
        return _Session(sid, True)

    def _user_of(self, request: Request, session: _Session) -> str | None:
        header = request.headers.get("Authorization", "")
        if header.startswith("OAuth "):
            fields = dict(re.findall(r'(\w+)="([^"]*)"', header))
            key, token = fields.get("oauth_consumer_key"), fields.get("oauth_token")
            if key and self.data.oauth.get(key) == token:
                return self.data.username
            raise ApiError(
                "mwoauth-invalid-authorization",
                "The authorization headers in your request are not valid: "
                "Invalid consumer or access token",
            )
        return self._sessions.get(session.sid)

    def _csrf_token(self, session: _Session, user: str | None, kind: str = "csrf") -> str:
        # Salted per type like MediaWiki's (pywikibot finds a token's type by its value).
        if user is None:
            return ANON_TOKEN
        return hashlib.sha1(f"{kind}|{session.sid}|{user}".encode()).hexdigest() + ANON_TOKEN

    # ----------------------------------------------------------------- Commons API

    def _commons(
        self,
        request: Request,
        action: str,
        params: dict[str, str],
        session: _Session,
        user: str | None,
    ) -> dict[str, Any]:
        if action == "query":
            return self._query(params, session, user)
        if action == "wbgetentities":
            return self._wbgetentities(params, user)
        if action == "wbeditentity":
            return self._wbeditentity(request, params, session, user)
        if action == "login":
            return self._login(request, params, session)
        if action == "logout":
            self._sessions[session.sid] = None
            return {}
        if action == "paraminfo":
            return _paraminfo(_split(params.get("modules")))
        raise ApiError("badvalue", f'Unrecognized value for parameter "action": {action}.')

    def _fv2(self, params: Mapping[str, str]) -> bool:
        return params.get("formatversion") in ("2", "latest")

    def _query(self, params: dict[str, str], session: _Session, user: str | None) -> dict[str, Any]:
        fv2 = self._fv2(params)
        query: dict[str, Any] = {}
        result: dict[str, Any] = {"batchcomplete": True if fv2 else ""}
        warnings: dict[str, Any] = {}
        metas = _split(params.get("meta"))
        for meta in metas:
            if meta == "siteinfo":
                props = _split(params.get("siprop")) or ["general"]
                known = self._siteinfo(props, query, fv2)
                unknown = [p for p in props if p not in known]
                if unknown:
                    text = f'Unrecognized value for parameter "siprop": {", ".join(unknown)}.'
                    warnings["siteinfo"] = {"warnings": text} if fv2 else {"*": text}
            elif meta == "userinfo":
                query["userinfo"] = self._userinfo(user, _split(params.get("uiprop")), fv2)
            elif meta == "tokens":
                query["tokens"] = self._tokens(
                    _split(params.get("type")) or ["csrf"], session, user
                )
            else:
                raise ApiError("badvalue", f'Unrecognized value for parameter "meta": {meta}.')
        props = _split(params.get("prop"))
        if params.get("list"):
            raise ApiError("badvalue", "the stand-in answers no list= modules")
        if params.get("revids"):
            pages, bad = self._query_revids(params, fv2)
            query["pages"] = pages
            if bad:
                query["badrevids"] = bad
        elif props or params.get("titles") or params.get("pageids"):
            pages, normalized, more = self._query_pages(params, props, fv2)
            query["pages"] = pages
            if normalized:
                query["normalized"] = normalized
            if more:
                result["continue"] = more
                result.pop("batchcomplete")
        if query:
            result["query"] = query
        if warnings:
            result["warnings"] = warnings
        return result

    def _siteinfo(self, props: list[str], query: dict[str, Any], fv2: bool) -> set[str]:
        known = set()
        server = self.api_url.removesuffix(COMMONS_PATH)
        for prop in props:
            if prop == "general":
                query["general"] = _general(server, fv2)
            elif prop == "namespaces":
                query["namespaces"] = _namespaces(fv2)
            elif prop == "namespacealiases":
                query["namespacealiases"] = [
                    {"id": ns, "alias": alias} if fv2 else {"id": ns, "*": alias}
                    for alias, ns in _NS_ALIASES.items()
                    if alias not in ("Project", "Project talk")
                ]
            elif prop == "extensions":
                query["extensions"] = [
                    {"type": kind, "name": name, "license-name": "GPL-2.0-or-later"}
                    for kind, name in (
                        ("wikibase", "WikibaseRepository"),
                        ("wikibase", "WikibaseClient"),
                        ("wikibase", "WikibaseMediaInfo"),
                        ("other", "CentralAuth"),
                        ("other", "OAuth"),
                        ("parserhook", "Cite"),
                    )
                ]
            elif prop == "fileextensions":
                query["fileextensions"] = [
                    {"ext": e}
                    for e in (
                        "png",
                        "gif",
                        "jpg",
                        "jpeg",
                        "webp",
                        "xcf",
                        "pdf",
                        "mid",
                        "ogg",
                        "ogv",
                        "svg",
                        "djvu",
                        "tif",
                        "tiff",
                        "oga",
                        "flac",
                        "opus",
                        "wav",
                        "webm",
                        "mp3",
                        "mpg",
                        "mpeg",
                        "stl",
                    )
                ]
            else:
                continue
            known.add(prop)
        return known

    def _userinfo(self, user: str | None, uiprops: list[str], fv2: bool) -> dict[str, Any]:
        flag: Any = True if fv2 else ""
        if user is None:
            info: dict[str, Any] = {"id": 0, "name": "127.0.0.1", "anon": flag}
            groups = ["*"]
            rights = ["read", "edit", "createaccount", "writeapi"]
            has_messages = False
        else:
            info = {"id": 4242, "name": user}
            groups = ["*", "user", "autoconfirmed"] + (["bot"] if self.data.bot_group else [])
            rights = ["read", "edit", "writeapi", "autoconfirmed"]
            if self.data.bot_group:
                rights = list(_BOT_RIGHTS)
            if self.data.apihighlimits:
                rights.append("apihighlimits")
            has_messages = self.data.hasmsg
        if "groups" in uiprops:
            info["groups"] = groups
        if "rights" in uiprops:
            info["rights"] = rights
        if "ratelimits" in uiprops:
            info["ratelimits"] = (
                {} if "noratelimit" in rights else {"edit": {"user": {"hits": 90, "seconds": 60}}}
            )
        if "hasmsg" in uiprops:
            if fv2:
                info["messages"] = has_messages
            elif has_messages:
                info["messages"] = ""
        if "blockinfo" in uiprops and user is not None and self.data.blocked:
            info.update(
                blockid=1,
                blockedby="Admin",
                blockedbyid=1,
                blockreason="stand-in block",
                blockedtimestamp="2024-01-01T00:00:00Z",
                blockexpiry="infinite",
                blockpartial=False,
            )
        return info

    def _tokens(self, types: list[str], session: _Session, user: str | None) -> dict[str, str]:
        tokens: dict[str, str] = {}
        for kind in types:
            if kind not in _TOKEN_TYPES:
                raise ApiError("badvalue", f'Unrecognized value for parameter "type": {kind}.')
            if kind == "login":
                token = secrets.token_hex(16) + ANON_TOKEN
                self._login_tokens[session.sid] = token
                tokens["logintoken"] = token
            elif kind == "createaccount":
                tokens["createaccounttoken"] = secrets.token_hex(8) + ANON_TOKEN
            else:
                tokens[f"{kind}token"] = self._csrf_token(session, user, kind)
        return tokens

    def _query_pages(
        self, params: dict[str, str], props: list[str], fv2: bool
    ) -> tuple[Any, list[dict[str, Any]], dict[str, str]]:
        for prop in props:
            if prop not in _QUERY_PROPS:
                raise ApiError("badvalue", f'Unrecognized value for parameter "prop": {prop}.')
        titles = _split(params.get("titles"))
        pageids = _split(params.get("pageids"))
        if titles and pageids:
            raise ApiError("multisource", "Cannot use titles and pageids at the same time.")
        limit = 500 if self.data.apihighlimits else 50
        if len(titles) > limit or len(pageids) > limit:
            raise ApiError("toomanyvalues", f"Too many values supplied. The limit is {limit}.")
        if (
            "revisions" in props
            and "content" in _split(params.get("rvprop"))
            and params.get("rvslots") is None
        ):
            log.debug("stand-in: rvprop=content without rvslots (deprecated)")
        entries: list[dict[str, Any]] = []
        normalized = []
        missing_index = -1
        for raw in titles:
            title = normalise_title(raw)
            if title != raw:
                normalized.append(
                    {"fromencoded": False, "from": raw, "to": title}
                    if fv2
                    else {"from": raw, "to": title}
                )
            page = self._page_by_title(title)
            if page is None:
                entries.append(
                    {
                        "ns": _title_ns(title),
                        "title": title,
                        "missing": True,
                        "_key": str(missing_index),
                    }
                )
                if "imageinfo" in props and _title_ns(title) == 6:
                    entries[-1]["imagerepository"] = ""  # as MediaWiki 1.39 answers
                missing_index -= 1
            else:
                entries.append(self._page_json(page, props, params))
        for raw in pageids:
            page = self._pages.get(int(raw)) if raw.isdigit() else None
            if page is None:
                entries.append(
                    {"pageid": int(raw) if raw.isdigit() else raw, "missing": True, "_key": raw}
                )
            else:
                entries.append(self._page_json(page, props, params))
        more = self._cut_revisions(entries, params)
        if fv2:
            for entry in entries:
                entry.pop("_key", None)
            return entries, normalized, more
        pages = {}
        for entry in entries:
            key = entry.pop("_key", None) or str(entry["pageid"])
            if entry.get("missing") is True:
                entry["missing"] = ""
            for rev in entry.get("revisions", ()):
                main = rev.get("slots", {}).get("main")
                if main and "content" in main:
                    main["*"] = main.pop("content")
            pages[key] = entry
        return pages, normalized, more

    def _query_revids(self, params: Mapping[str, str], fv2: bool) -> tuple[Any, dict[str, Any]]:
        """``prop=revisions&revids=…``: ids, user and, with ``rvslots``, the mediainfo slot
        (the entity as stored at that revision). The main slot is the page's current text:
        the stand-in keeps no old wikitext."""
        by_page: dict[int, list[dict[str, Any]]] = {}
        bad: dict[str, Any] = {}
        for raw in _split(params.get("revids")):
            revid = int(raw) if raw.isdigit() else -1
            page = next((p for p in self._pages.values() if revid in p.history), None)
            if page is None:
                bad[raw] = {"revid": revid, "missing": True if fv2 else ""}
                continue
            entity, user = page.history[revid]
            older = [r for r in page.history if r < revid]
            rev: dict[str, Any] = {
                "revid": revid,
                "parentid": max(older) if older else 0,
                "user": user or self.data.username,
            }
            if "content" in _split(params.get("rvprop")):
                slots: dict[str, Any] = {
                    "main": {
                        "contentmodel": "wikitext",
                        "contentformat": "text/x-wiki",
                        "content": page.text,
                    }
                }
                if entity is not None and params.get("rvslots"):
                    slots["mediainfo"] = {
                        "contentmodel": "wikibase-mediainfo",
                        "contentformat": "application/json",
                        "content": json.dumps(entity, separators=(",", ":")),
                    }
                rev["slots"] = slots
            by_page.setdefault(page.pageid, []).append(rev)
        entries = [
            {
                "pageid": pid,
                "ns": self._pages[pid].ns,
                "title": self._pages[pid].title,
                "revisions": sorted(revs, key=lambda r: r["revid"]),
            }
            for pid, revs in by_page.items()
        ]
        if fv2:
            return entries, bad
        return {str(e["pageid"]): e for e in entries}, bad

    def _maxlag_refusal(self, params: Mapping[str, str]) -> Response | None:
        """A wiki with one database server reports a lag of -1: only ``maxlag`` < -1 trips."""
        try:
            maxlag = int(params.get("maxlag", ""))
        except ValueError:
            return None
        if maxlag >= -1:
            return None
        response = self._json(
            {
                "error": {
                    "code": "maxlag",
                    "info": "Waiting for a database server: -1 second lagged.",
                    "host": "",
                    "lag": -1,
                    "type": "db",
                }
            }
        )
        response.headers.update(
            {"Retry-After": "5", "X-Database-Lag": "-1", "MediaWiki-API-Error": "maxlag"}
        )
        return response

    def _cut_revisions(
        self, entries: list[dict[str, Any]], params: Mapping[str, str]
    ) -> dict[str, str]:
        """Emulate a result-size limit: texts from ``rvcontinue`` on, a few per answer."""
        limit = self.data.revisions_per_response
        with_text = [e for e in entries if "revisions" in e]
        if not limit or not with_text:
            return {}
        start = int(params.get("rvcontinue") or 0)
        for index, entry in enumerate(with_text):
            if not start <= index < start + limit:
                del entry["revisions"]
        if start + limit < len(with_text):
            return {"rvcontinue": str(start + limit), "continue": "||"}
        return {}

    def _page_json(
        self, page: _Page, props: list[str], params: Mapping[str, str]
    ) -> dict[str, Any]:
        entry: dict[str, Any] = {"pageid": page.pageid, "ns": page.ns, "title": page.title}
        if "info" in props:
            entry.update(
                contentmodel="wikitext",
                pagelanguage="en",
                pagelanguagehtmlcode="en",
                pagelanguagedir="ltr",
                touched=page.touched or _now(),
                lastrevid=page.lastrevid,
                length=len(page.text.encode("utf-8")),
            )
        if "revisions" in props:
            rev: dict[str, Any] = {"revid": page.lastrevid, "parentid": 0}
            if "content" in _split(params.get("rvprop")):
                rev["slots"] = {
                    "main": {
                        "contentmodel": "wikitext",
                        "contentformat": "text/x-wiki",
                        "content": page.text,
                    }
                }
            entry["revisions"] = [rev]
        if "imageinfo" in props and page.ns == 6:
            entry.update(self._imageinfo(page, params))
        return entry

    def _imageinfo(self, page: _Page, params: Mapping[str, str]) -> dict[str, Any]:
        """``prop=imageinfo`` for a file page, as MediaWiki answers it: one entry for the
        current version; ``metadata`` is null for a file without any, ``commonmetadata``
        a list (maybe empty). Only the ``iiprop`` values the bot reads are served."""
        info: dict[str, Any] = {}
        for prop in _split(params.get("iiprop")) or ["timestamp", "user"]:
            if prop == "metadata":
                info["metadata"] = copy.deepcopy(page.metadata)
            elif prop == "commonmetadata":
                info["commonmetadata"] = copy.deepcopy(page.commonmetadata)
            elif prop == "timestamp":
                info["timestamp"] = page.touched or _now()
            elif prop == "user":
                info["user"] = HUMAN
            else:
                raise ApiError("badvalue", f'Unrecognized value for parameter "iiprop": {prop}.')
        return {"imagerepository": "local", "imageinfo": [info]}

    def _wbgetentities(self, params: dict[str, str], user: str | None) -> dict[str, Any]:
        ids = _split(params.get("ids"))
        titles = _split(params.get("titles"))
        props = set(
            _split(params.get("props"))
            or ["info", "sitelinks", "aliases", "labels", "descriptions", "claims", "datatype"]
        )
        limit = 500 if (user is not None and self.data.apihighlimits) else 50
        for name, values in (("ids", ids), ("titles", titles)):
            if len(values) > limit:
                raise ApiError(
                    "toomanyvalues",
                    f'Too many values supplied for parameter "{name}". The limit is {limit}.',
                    limit=limit,
                    parameter=name,
                )
        entities: dict[str, Any] = {}
        for mid in ids:
            if not _MID_RE.match(mid):
                raise ApiError(
                    "no-such-entity", f'Could not find an entity with the ID "{mid}".', id=mid
                )
            page = self._file_page(mid)
            entities[mid] = (
                {"id": mid, "missing": ""} if page is None else self._entity_json(page, mid, props)
            )
        if titles:
            sites = _split(params.get("sites"))
            if sites != [DBNAME]:
                raise ApiError(
                    "param-missing" if not sites else "no-such-site",
                    f"The stand-in only knows sites={DBNAME}.",
                )
            missing_index = -1
            for raw in titles:
                page = self._page_by_title(raw)
                if page is None or page.ns != 6:
                    entities[str(missing_index)] = {
                        "site": DBNAME,
                        "title": normalise_title(raw),
                        "missing": "",
                    }
                    missing_index -= 1
                    continue
                mid = f"M{page.pageid}"
                entities[mid] = self._entity_json(page, mid, props)
        if not ids and not titles:
            raise ApiError("param-missing", "Either provide the ids or site and title.")
        return {"entities": entities, "success": 1}

    def _wbeditentity(
        self, request: Request, params: dict[str, str], session: _Session, user: str | None
    ) -> dict[str, Any]:
        attempt: dict[str, Any] = {
            "params": {k: v for k, v in params.items() if k != "token"},
            "user": user,
            "time": time.monotonic(),
        }
        self.write_attempts.append(attempt)
        try:
            result, record = self._apply_wbeditentity(request, params, session, user)
        except ApiError as exc:
            attempt["error"] = exc.code
            raise
        attempt["revid"] = record["revid"]
        return result

    def _apply_wbeditentity(
        self, request: Request, params: dict[str, str], session: _Session, user: str | None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        if request.method != "POST":
            raise ApiError("mustbeposted", 'The "wbeditentity" module requires a POST request.')
        if "token" not in params:
            raise ApiError("missingparam", 'The "token" parameter must be set.')
        if params["token"] != self._csrf_token(session, user):
            raise ApiError("badtoken", "Invalid CSRF token.")
        if params.get("assert") == "user" and user is None:
            raise ApiError(
                "assertuserfailed",
                "You are no longer logged in, so the action could not be completed.",
            )
        if params.get("assert") == "bot" and not (user and self.data.bot_group):
            raise ApiError("assertbotfailed", 'You do not have the "bot" right.')
        if params.get("assertuser") and params["assertuser"] != user:
            raise ApiError(
                "assertnameduserfailed", f'You are no longer logged in as "{params["assertuser"]}".'
            )
        if user is not None and self.data.blocked:
            raise ApiError("blocked", "You have been blocked from editing.")
        if user is None:
            raise ApiError("permissiondenied", "Anonymous edits are disabled on the stand-in.")
        if "id" in params:
            mid = params["id"]
            page = self._file_page(mid)
        elif params.get("site") == DBNAME and params.get("title"):
            page = self._page_by_title(params["title"])
            if page is not None and page.ns != 6:
                page = None
            mid = f"M{page.pageid}" if page else ""
        else:
            raise ApiError("param-missing", "Either provide the id or site and title.")
        if page is None:
            raise ApiError("no-such-entity", f'Could not find an entity with the ID "{mid}".')
        try:
            data = json.loads(params.get("data") or "")
        except ValueError:
            raise ApiError("invalid-json", "Could not parse the data parameter.") from None
        if not isinstance(data, dict):
            raise ApiError("not-recognized-array", "The data parameter must be an object.")
        self._check_tags(params.get("tags"))
        base = int(params["baserevid"]) if params.get("baserevid") else None
        if base is None or base == page.lastrevid:
            ours = after = change_entity(page.mediainfo, mid, data)
            warning = None
        else:
            ours, after, patched = self._stale_edit(page, mid, base, data)
            warning = PATCHED_WARNING if patched else None
        nochange = page.mediainfo is not None and after == page.mediainfo
        record = {
            "params": {k: v for k, v in params.items() if k != "token"},
            "data": data,
            "user": user,
            "mid": mid,
            "baserevid": base,
            "revid": page.lastrevid,
            "nochange": nochange,
            "patched": warning if not nochange else None,
            "time": time.monotonic(),
        }
        if not nochange:
            page.mediainfo = after
            page.lastrevid = self._next_revid()
            page.touched = _now()
            page.remember(user)
            record["revid"] = page.lastrevid
        self.writes.append(record)
        # Wikibase answers with the base revision plus this edit, not what it stored
        # after patching: statements others added meanwhile are not in the answer.
        entity = _public_entity(
            ours if page.mediainfo is None or not nochange else page.mediainfo, mid
        )
        entity["lastrevid"] = page.lastrevid
        if nochange:
            entity["nochange"] = ""
        result: dict[str, Any] = {"entity": entity, "success": 1}
        if record["patched"]:
            result["warnings"] = {
                "wbeditentity": {
                    "messages": [
                        {
                            "name": PATCHED_WARNING,
                            "parameters": [],
                            "html": {"*": "Your edit was patched into the latest version."},
                            "type": "warning",
                        }
                    ]
                }
            }
        return result, record

    def _check_tags(self, tags: str | None) -> None:
        """Tags must be defined on the wiki (``badtags`` otherwise), when the seed lists them."""
        allowed = self.data.defined_tags
        wanted = _split(tags)
        if allowed is None or not wanted:
            return
        refused = [t for t in wanted if t not in allowed]
        if refused:
            raise ApiError(
                "badtags",
                f'The tag "{refused[0]}" is not allowed to be manually applied.',
                disallowedtags=refused,
            )

    def _stale_edit(
        self, page: _Page, mid: str, base: int, data: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any], bool]:
        """(the answer's entity, what gets stored, patched?) for an edit on an older revision.

        As seen on the real wiki: a revision this page never had is ``nosuchrevid``; a
        base from before the file had structured data, when it has some now, fails
        inside Wikibase (``BadRevisionException``); otherwise the change is patched
        onto the latest revision (:func:`patch_onto_latest`).
        """
        if base not in page.history or base > page.lastrevid:
            raise ApiError("nosuchrevid", "Revision with ID not found.")
        if self.data.strict_baserevid:
            raise ApiError("editconflict", _CONFLICT_INFO)
        then = page.history[base][0]
        if then is None:
            if page.mediainfo is not None:
                raise ApiError(
                    BAD_REVISION_CODE,
                    f"Exception caught: No such revision found for {mid}: {base}",
                    errorclass="Wikibase\\Lib\\Store\\BadRevisionException",
                )
            ours = change_entity(None, mid, data)  # only the page text changed: no patching
            return ours, ours, False
        ours = change_entity(then, mid, data)
        current = page.mediainfo if page.mediainfo is not None else empty_mediainfo(mid)
        return ours, patch_onto_latest(then, ours, current), True

    def _login(self, request: Request, params: dict[str, str], session: _Session) -> dict[str, Any]:
        if request.method != "POST":
            raise ApiError("mustbeposted", 'The "login" module requires a POST request.')
        token = params.get("lgtoken")
        if not token or token != self._login_tokens.get(session.sid):
            return {
                "login": {
                    "result": "NeedToken" if not token else "WrongToken",
                    "token": self._tokens(["login"], session, None)["logintoken"],
                }
            }
        name, password = params.get("lgname", ""), params.get("lgpassword", "")
        del self._login_tokens[session.sid]
        if (
            self.data.botpasswords.get(name) != password
            or name.partition("@")[0] != self.data.username
        ):
            return {
                "login": {
                    "result": "Failed",
                    "reason": "Incorrect username or password entered. Please try again.",
                }
            }
        self._sessions[session.sid] = self.data.username
        return {"login": {"result": "Success", "lguserid": 4242, "lgusername": self.data.username}}

    # ----------------------------------------------------------------- Wikidata API

    def _wikidata(self, action: str, params: dict[str, str]) -> dict[str, Any]:
        if action != "wbgetentities":
            raise ApiError(
                "badvalue", f"the Wikidata stand-in answers wbgetentities only, not {action}"
            )
        ids = _split(params.get("ids"))
        if len(ids) > 50:
            raise ApiError(
                "toomanyvalues", 'Too many values supplied for parameter "ids". The limit is 50.'
            )
        props = set(_split(params.get("props")) or ["claims", "labels"])
        entities: dict[str, Any] = {}
        for qid in ids:
            if not _QID_RE.match(qid):
                raise ApiError("no-such-entity", f'Could not find an entity with the ID "{qid}".')
            seed = self.data.wikidata.get(qid)
            if seed is None:
                entities[qid] = {"id": qid, "missing": ""}
                continue
            entity: dict[str, Any] = {"type": "item", "id": qid}
            for prop in ("labels", "descriptions", "claims", "sitelinks", "aliases"):
                if prop in props:
                    entity[prop] = copy.deepcopy(seed.get(prop) or {})
            entities[qid] = entity
        return {"entities": entities, "success": 1}


# --------------------------------------------------------------------------- siteinfo


def _general(server: str, fv2: bool) -> dict[str, Any]:
    flag: Any = True if fv2 else ""
    general: dict[str, Any] = {
        "mainpage": "Main Page",
        "base": f"{server}/wiki/Main_Page",
        "sitename": "Wikimedia Commons",
        "generator": "MediaWiki 1.45.0-wmf.7",
        "phpversion": "8.1.31",
        "phpsapi": "fpm-fcgi",
        "dbtype": "mysql",
        "case": "first-letter",
        "lang": "en",
        "fallback": [],
        "rtl": False,
        "fallback8bitEncoding": "windows-1252",
        "writeapi": flag,
        "maxarticlesize": 2097152,
        "timezone": "UTC",
        "timeoffset": 0,
        "articlepath": "/wiki/$1",
        "scriptpath": "/w",
        "script": "/w/index.php",
        "server": server,
        "servername": server.partition("://")[2],
        "wikiid": DBNAME,
        "time": _now(),
        "misermode": flag,
        "uploadsenabled": flag,
        "maxuploadsize": 5368709120,
        "linktrail": "/^([a-z]+)(.*)$/sD",
        "legaltitlechars": " %!\"$&'()*,\\-.\\/0-9:;=?@A-Z\\\\^_`a-z~\\x80-\\xFF+",
        "invalidusernamechars": "@:>=",
        "thumblimits": {str(i): v for i, v in enumerate((120, 150, 180, 200, 220, 250, 300, 400))},
        "imagelimits": {
            str(i): {"width": w, "height": h}
            for i, (w, h) in enumerate(
                ((320, 240), (640, 480), (800, 600), (1024, 768), (1280, 1024), (2560, 2048))
            )
        },
        "magiclinks": {"ISBN": False, "PMID": False, "RFC": False},
        "centralidlookupprovider": "CentralAuth",
        "wikibase-conceptbaseuri": "https://commons.wikimedia.org/entity/",
    }
    if not fv2:  # formatversion 1 lists these and omits false flags
        general["thumblimits"] = list(general["thumblimits"].values())
        general["imagelimits"] = list(general["imagelimits"].values())
        general["magiclinks"] = []
        del general["rtl"]
    return general


def _namespaces(fv2: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for ns, (local, canonical) in _NAMESPACES.items():
        info: dict[str, Any] = {
            "id": ns,
            "case": "first-letter",
            "name": local,
            "subpages": ns in (2, 3, 4, 5, 7, 9, 11, 12, 13, 15),
            "content": ns in (0, 6, 14),
            "nonincludable": False,
        }
        if ns != 0:
            info["canonical"] = canonical
        if not fv2:
            info["*"] = info.pop("name")
            for key in ("subpages", "content", "nonincludable"):
                if info[key]:
                    info[key] = ""
                else:
                    del info[key]
        out[str(ns)] = info
    return out


# --------------------------------------------------------------------------- paraminfo


def _param(
    name: str,
    values: list[str],
    *,
    prefix: str = "",
    limit: int | None = None,
    highlimit: int | None = None,
    mustbe_query: bool = False,
) -> dict[str, Any]:
    param: dict[str, Any] = {
        "index": 0,
        "name": name,
        "type": values,
        "multi": "",
        "submodules": {v: (f"query+{v}" if mustbe_query else v) for v in values},
    }
    if limit is not None:
        param["limit"] = limit
        param["highlimit"] = highlimit or limit
        param["lowlimit"] = limit
    return param


def _paraminfo(modules: list[str]) -> dict[str, Any]:
    """Just enough ``action=paraminfo`` for pywikibot's ParamInfo (main, query, tokens)."""
    known: dict[str, dict[str, Any]] = {
        "main": {
            "name": "main",
            "classname": "ApiMain",
            "path": "main",
            "prefix": "",
            "source": "MediaWiki",
            "parameters": [
                _param("action", list(_ACTIONS)),
                {"index": 1, "name": "format", "type": ["json"], "submodules": {"json": "json"}},
            ],
        },
        "paraminfo": {
            "name": "paraminfo",
            "classname": "ApiParamInfo",
            "path": "paraminfo",
            "group": "action",
            "prefix": "",
            "parameters": [{"index": 0, "name": "modules", "type": "string", "multi": ""}],
        },
        "query": {
            "name": "query",
            "classname": "ApiQuery",
            "path": "query",
            "group": "action",
            "prefix": "",
            "parameters": [
                _param("prop", list(_QUERY_PROPS), limit=50, highlimit=500, mustbe_query=True),
                _param("list", list(_QUERY_LISTS), limit=50, highlimit=500, mustbe_query=True),
                _param("meta", list(_QUERY_METAS), limit=50, highlimit=500, mustbe_query=True),
                _param("generator", ["allusers"], mustbe_query=True),
                {
                    "index": 5,
                    "name": "titles",
                    "type": "string",
                    "multi": "",
                    "limit": 50,
                    "highlimit": 500,
                    "lowlimit": 50,
                },
            ],
        },
        "query+tokens": {
            "name": "tokens",
            "classname": "ApiQueryTokens",
            "path": "query+tokens",
            "group": "meta",
            "prefix": "",
            "parameters": [
                {
                    "index": 0,
                    "name": "type",
                    "type": list(_TOKEN_TYPES),
                    "multi": "",
                    "default": "csrf",
                }
            ],
        },
        "query+info": {
            "name": "info",
            "classname": "ApiQueryInfo",
            "path": "query+info",
            "group": "prop",
            "prefix": "in",
            "parameters": [
                {
                    "index": 0,
                    "name": "prop",
                    "type": ["protection", "url"],
                    "multi": "",
                    "limit": 50,
                    "highlimit": 500,
                    "lowlimit": 50,
                }
            ],
        },
        "wbgetentities": {
            "name": "wbgetentities",
            "path": "wbgetentities",
            "group": "action",
            "prefix": "",
            "parameters": [],
        },
        "wbeditentity": {
            "name": "wbeditentity",
            "path": "wbeditentity",
            "group": "action",
            "prefix": "",
            "mustbeposted": "",
            "writerights": "",
            "parameters": [],
        },
    }
    for name in ("query+revisions", "query+userinfo", "query+siteinfo", "query+allusers"):
        base = name.partition("+")[2]
        known[name] = {"name": base, "path": name, "group": "query", "prefix": "", "parameters": []}
    return {"paraminfo": {"modules": [copy.deepcopy(known[m]) for m in modules if m in known]}}


# --------------------------------------------------------------------------- serving


class _QuietHandler(WSGIRequestHandler):
    """werkzeug's handler without a log line per request."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug("stand-in %s %s -> %s", self.command, self.path, code)


@dataclass
class StandinHandle:
    """A running stand-in: its URLs, its state and the test helpers (see CommonsStandin)."""

    standin: CommonsStandin
    server: BaseWSGIServer

    @property
    def api_url(self) -> str:
        return self.standin.api_url

    @property
    def wikidata_api_url(self) -> str:
        return self.standin.wikidata_api_url

    @property
    def writes(self) -> list[dict[str, Any]]:
        return self.standin.writes

    @property
    def write_attempts(self) -> list[dict[str, Any]]:
        return self.standin.write_attempts

    @property
    def requests(self) -> Counter[str]:
        return self.standin.requests

    def __getattr__(self, name: str) -> Any:
        # inject, human_edit, entity, set_page, set_user, delete_file, wikitext, ...
        return getattr(self.standin, name)


@contextmanager
def run_commons_standin(
    data: StandinData | Mapping[str, Any] | Path | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
) -> Iterator[StandinHandle]:
    """Serve a stand-in on ``host`` (a free port by default) for the ``with`` block."""
    standin = CommonsStandin(data)
    server = make_server(host, port, standin.wsgi_app, threaded=True, request_handler=_QuietHandler)
    standin.port = server.server_port
    standin.api_url = f"http://{host}:{server.server_port}{COMMONS_PATH}"
    standin.wikidata_api_url = f"http://{host}:{server.server_port}{WIKIDATA_PATH}"
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.02},
        name="commons-standin",
        daemon=True,
    )
    thread.start()
    try:
        yield StandinHandle(standin, server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def main(argv: list[str] | None = None) -> int:
    """``python -m bot.standins.commons [--seed DIR] [--port N]``: serve until interrupted."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--seed", type=Path, help="seed directory (layout: module docstring)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    args = parser.parse_args(argv)
    with run_commons_standin(args.seed, host=args.host, port=args.port) as wiki:
        print(f"Commons API:  {wiki.api_url}", flush=True)
        print(f"Wikidata API: {wiki.wikidata_api_url}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


__all__ = [
    "FAULTS",
    "CommonsStandin",
    "StandinData",
    "StandinHandle",
    "normalise_title",
    "run_commons_standin",
]


if __name__ == "__main__":
    raise SystemExit(main())
