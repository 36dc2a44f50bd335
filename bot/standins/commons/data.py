"""The wiki's vocabulary: the seed (:class:`StandinData`), pages and their revisions,
titles and namespaces, and the API error every action raises."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

COMMONS_PATH = "/w/api.php"
WIKIDATA_PATH = "/wikidata/w/api.php"
HUMAN = "Example human"  # the user of ``human_edit`` revisions
DBNAME = "commonswiki"
ANON_TOKEN = "+\\"
MID_RE = re.compile(r"^M([1-9][0-9]*)$")
QID_RE = re.compile(r"^Q[1-9][0-9]*$")

NAMESPACES: dict[int, tuple[str, str]] = {
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
NS_ALIASES = {"Image": 6, "Image talk": 7, "COM": 4, "Project": 4, "Project talk": 5}


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
    # False: in the bot group but without the ``bot`` right, as a real wiki shows a
    # BotPassword made without the highvolume grant (edits then carry no bot flag)
    bot_right: bool = True
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
class Page:
    """A page: a file (ns 6, with its mediainfo slot) or another page, and its revisions."""

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
class Session:
    """A session cookie's id, and whether this request created it (then it is set)."""

    sid: str
    new: bool


def normalise_title(title: str) -> str:
    """MediaWiki's title form: spaces for underscores, first letters upper-cased."""
    title = " ".join(title.replace("_", " ").split())
    prefix, sep, rest = title.partition(":")
    ns = namespace_id(prefix) if sep else None
    if ns is not None and ns != 0:
        rest = rest.strip()
        return f"{NAMESPACES[ns][0]}:{rest[:1].upper()}{rest[1:]}"
    return title[:1].upper() + title[1:]


def namespace_id(prefix: str) -> int | None:
    prefix = prefix.strip().replace("_", " ")
    for ns, (local, canonical) in NAMESPACES.items():
        if ns != 0 and prefix.lower() in (local.lower(), canonical.lower()):
            return ns
    for alias, ns in NS_ALIASES.items():
        if prefix.lower() == alias.lower():
            return ns
    return None


def title_ns(title: str) -> int:
    prefix, sep, _ = title.partition(":")
    return (namespace_id(prefix) or 0) if sep else 0


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def split_values(value: str | None) -> list[str]:
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
