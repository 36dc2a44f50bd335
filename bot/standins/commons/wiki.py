"""The wiki's state: its pages (files with their mediainfo, and other pages), each page's
revisions, the one wiki-wide revision counter, and the edits it took; plus what tests and
rehearsals do to it directly (a person's edit, an upload, a deletion)."""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.standins.commons.data import (
    HUMAN,
    MID_RE,
    Page,
    StandinData,
    normalise_title,
    now,
    title_ns,
)
from bot.standins.commons.wikibase import change_entity, public_entity


class Wiki:
    """Pages by id and title, and the revision counter every edit takes its revid from."""

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
        self.pages: dict[int, Page] = {}
        self.by_title: dict[str, int] = {}
        self._revid = 0
        self._load(data)

    # ----------------------------------------------------------------- seeding

    def _load(self, data: StandinData) -> None:
        revids = [int(e["lastrevid"]) for e in data.entities.values() if e.get("lastrevid")]
        self._revid = max([1000, *revids])
        for mid, seed in data.entities.items():
            match = MID_RE.match(mid)
            if not match:
                raise ValueError(f"not an M-id: {mid!r}")
            pageid = int(seed.get("pageid") or match.group(1))
            if pageid != int(match.group(1)):
                raise ValueError(f"{mid}: pageid {pageid} does not match the M-id")
            title = normalise_title(str(seed.get("title") or f"File:{mid}.jpg"))
            if title_ns(title) != 6:
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
            lastrevid = int(seed.get("lastrevid") or self.next_revid())
            self.add_page(
                Page(
                    pageid,
                    6,
                    title,
                    lastrevid,
                    str(seed.get("wikitext") or ""),
                    mediainfo,
                    now(),
                    metadata=copy.deepcopy(seed.get("metadata")),
                    commonmetadata=copy.deepcopy(seed.get("commonmetadata") or []),
                )
            )
        next_pageid = max([10_000_000, *self.pages]) + 1
        for title, text in data.pages.items():
            title = normalise_title(title)
            if title in self.by_title:  # a seeded file: this is its wikitext
                self.pages[self.by_title[title]].text = text
                continue
            if title_ns(title) == 6:
                raise ValueError(f"{title!r}: seed files under entities (they need an M-id)")
            self.add_page(
                Page(next_pageid, title_ns(title), title, self.next_revid(), text, None, now())
            )
            next_pageid += 1

    def add_page(self, page: Page) -> None:
        if page.pageid in self.pages or page.title in self.by_title:
            raise ValueError(f"page {page.title!r} ({page.pageid}) seeded twice")
        if page.ns == 6:
            page.remember(None)
        self.pages[page.pageid] = page
        self.by_title[page.title] = page.pageid

    def next_revid(self) -> int:
        self._revid += 1
        return self._revid

    # ----------------------------------------------------------------- changed by hand

    def human_edit(
        self, mid: str, *, claims: list[dict[str, Any]] | None = None, wikitext: str | None = None
    ) -> int:
        """Someone else edits the file now (statements and/or wikitext); new revid."""
        with self.lock:
            page = self.file_page(mid)
            if page is None:
                raise KeyError(f"no file {mid}")
            if claims:
                page.mediainfo = change_entity(page.mediainfo, mid, {"claims": claims})
            if wikitext is not None:
                page.text = wikitext
            page.lastrevid = self.next_revid()
            page.touched = now()
            page.remember(HUMAN)
            return page.lastrevid

    def add_file(self, title: str, wikitext: str = "") -> str:
        """A new file (an upload) without structured data, now; its M-id."""
        with self.lock:
            title = normalise_title(title if ":" in title else f"File:{title}")
            if title_ns(title) != 6:
                raise ValueError(f"{title!r} is not a file title")
            pageid = max([999, *(p for p in self.pages if p < 10_000_000)]) + 1
            self.add_page(Page(pageid, 6, title, self.next_revid(), wikitext, None, now()))
            return f"M{pageid}"

    def set_page(self, title: str, text: str | None) -> None:
        """Create, change (new revision) or, with ``None``, delete a non-file page."""
        with self.lock:
            title = normalise_title(title)
            pageid = self.by_title.get(title)
            if text is None:
                if pageid is not None:
                    del self.pages[pageid], self.by_title[title]
                return
            if pageid is None:
                pageid = max([10_000_000, *self.pages]) + 1
                self.add_page(
                    Page(pageid, title_ns(title), title, self.next_revid(), text, None, now())
                )
            else:
                page = self.pages[pageid]
                page.text, page.lastrevid = text, self.next_revid()

    def delete_file(self, mid: str) -> None:
        """The file is deleted: its page and M-id no longer exist."""
        with self.lock:
            page = self.file_page(mid)
            if page is not None:
                del self.pages[page.pageid], self.by_title[page.title]

    def set_user(self, **flags: bool) -> None:
        """Change the bot account: ``hasmsg``, ``blocked``, ``apihighlimits``, ``bot_group``,
        ``bot_right``."""
        with self.lock:
            for key, value in flags.items():
                if key not in ("hasmsg", "blocked", "apihighlimits", "bot_group", "bot_right"):
                    raise ValueError(f"unknown user flag {key!r}")
                setattr(self.data, key, value)

    def entity(self, mid: str) -> dict[str, Any] | None:
        """The file's entity as ``wbgetentities`` shows it (info and statements); None if gone."""
        with self.lock:
            page = self.file_page(mid)
            return None if page is None else self.entity_json(page, mid, {"info", "claims"})

    def lastrevid(self, title_or_mid: str) -> int | None:
        """The latest revision of a page, by title or M-id."""
        with self.lock:
            page = (
                self.file_page(title_or_mid)
                if MID_RE.match(title_or_mid)
                else self.page_by_title(title_or_mid)
            )
            return None if page is None else page.lastrevid

    def wikitext(self, title: str) -> str | None:
        """The page's current wikitext, None if the page does not exist."""
        with self.lock:
            page = self.page_by_title(title)
            return None if page is None else page.text

    # ----------------------------------------------------------------- lookups

    def file_page(self, mid: str) -> Page | None:
        match = MID_RE.match(mid)
        page = self.pages.get(int(match.group(1))) if match else None
        return page if page is not None and page.ns == 6 else None

    def page_by_title(self, title: str) -> Page | None:
        pageid = self.by_title.get(normalise_title(title))
        return None if pageid is None else self.pages[pageid]

    def entity_json(self, page: Page, mid: str, props: set[str]) -> dict[str, Any]:
        if page.mediainfo is None:
            return {"id": mid, "missing": ""}
        entity: dict[str, Any] = {}
        if "info" in props:
            entity.update(
                pageid=page.pageid,
                ns=page.ns,
                title=page.title,
                lastrevid=page.lastrevid,
                modified=page.touched or now(),
            )
        public = public_entity(page.mediainfo, mid)
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
