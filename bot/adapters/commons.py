"""The Commons adapter: batched reads of structured data, one-edit writes, the stop checks.

Everything goes through a pywikibot ``DataSite`` (see :mod:`bot.adapters.pywikibot_setup`), so
login, tokens, maxlag, retries and the edit throttle are pywikibot's. What this module
adds:

- **Reads in batches** with ``wbgetentities`` called directly (not ``preload_entities``,
  which drops ``missing`` entities): 50 M-ids per request, 500 when the account has
  ``apihighlimits``. Commons answers ``{"id": "M1004", "missing": ""}`` both for a file
  without structured data and for a page that does not exist, so those ids get one
  follow-up ``prop=info`` request (by page id) that tells them apart and supplies the
  ``lastrevid`` an edit needs as ``baserevid``. Every read is counted in ``read_calls``.
  :meth:`CommonsClient.latest_revisions` is the cheap check of many files (one
  ``prop=info`` per batch) used to find conflict files that changed.
- **One edit per file**: ``wbeditentity`` with all claims, ``baserevid`` (required: an
  edit without one would overwrite blindly), ``bot=1``, ``maxlag``, a summary and
  optional tags; the answer comes back as an :class:`EditResult` with the entity as
  Commons stored it and Wikibase's warnings. A stale ``baserevid`` is *not* always
  refused: Wikibase patches the change onto the latest revision and says so with
  ``wikibase-conflict-patched``. Its answer is then the base revision plus this edit,
  not what it stored, so the file is read again for the job to check; and since the
  last writer wins on a statement both edits changed, a change someone made meanwhile
  to a statement this edit resent is put back and reported as :class:`EditConflict`
  (seen on a real Wikibase: ``tests/adapters/test_commons_conformance.py``). ``editconflict``,
  and Wikibase's ``BadRevisionException`` for a base from before the file had
  structured data, become :class:`EditConflict`.
  maxlag, ``ratelimited`` and ``badtoken`` are API answers, so pywikibot's own waits and
  retries handle them. HTTP 5xx, timeouts and unreadable answers are ambiguous for a
  write (it may have landed), so the write request never resends on them
  (:func:`_write_request_class`); this module re-reads the file first and only resends
  if ``lastrevid`` is still the ``baserevid``, otherwise it raises :class:`EditConflict`
  (``maybe_ours``) and the job re-plans. If the last attempt gets no answer either,
  :class:`WriteOutcomeUnknown` tells the job to keep its journal entry open.
- **The emergency stop** (:meth:`CommonsClient.check_may_run`): a run page and the bot
  account's talk-page messages, read in one request.

pywikibot is imported lazily: importing this module must not load pywikibot's config
before :func:`bot.adapters.pywikibot_setup.setup_pywikibot` has chosen the config dir.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from bot.adapters.commons_metadata import read_exif_dates
from bot.core.errors import RemoteError
from bot.core.wikibase import normalise_file_title

if TYPE_CHECKING:
    from bot.adapters.config import Settings

log = logging.getLogger(__name__)

BATCH: Final = 50
HIGH_BATCH: Final = 500
SUMMARY_LIMIT: Final = 260
DEFAULT_RUN_PAGE: Final = "User:{username}/Run"
RUN_VALUES_YES: Final = frozenset({"yes", "true"})
_MID_RE: Final = re.compile(r"^M[1-9][0-9]*$")
_RUN_LINE_RE: Final = re.compile(r"^\s*run\s*[:=]\s*(.*?)\s*$", re.IGNORECASE | re.MULTILINE)
_COMMENT_RE: Final = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)


# --------------------------------------------------------------------------- results & errors


@dataclass(slots=True)
class EntityState:
    """A file's structured data as read, with what an edit of it needs.

    Not frozen so that it satisfies ``bot.run.job.EntityStateLike`` (a Protocol with plain,
    settable attributes); nothing here changes one after it is made.

    ``entity`` is the mediainfo JSON as ``wbgetentities`` gives it (``statements``); a file
    without SDC gets an empty one (``has_sdc=False``) with the page's ``lastrevid``. A
    file that does not exist (deleted, never uploaded, a redirect, not a file) is
    ``gone`` with an empty entity.
    """

    mid: str
    title: str | None
    pageid: int | None
    lastrevid: int | None
    entity: dict[str, Any]
    has_sdc: bool
    gone: bool


@dataclass(frozen=True, slots=True)
class EditResult:
    """What ``wbeditentity`` answered: the new revision, the entity as stored, warnings.

    ``entity`` is the whole entity after the edit: Wikibase's answer, or for a
    ``patched`` stale edit the file as read again (Wikibase's answer then lacks what
    others added meanwhile), so the job can see statements someone else added.
    """

    revid: int
    entity: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def patched(self) -> bool:
        """Wikibase merged this edit into a newer revision than its ``baserevid``."""
        return any(w.endswith("conflict-patched") for w in self.warnings)


class CommonsError(RemoteError):
    """Commons could not be read or written (after pywikibot's own retries)."""


class WriteOutcomeUnknown(CommonsError):
    """The last attempt of an edit got no answer: it may or may not have landed.

    The job keeps its journal intent open, so the next run re-reads the file and finds out.
    """


class EditConflict(CommonsError):
    """The file changed since ``baserevid``: re-read, re-plan, retry.

    ``maybe_ours`` is set when the change may be our own edit that landed although its
    response was lost (HTTP 5xx, timeout): re-planning finds it as already done.
    """

    def __init__(
        self, mid: str, baserevid: int | None, info: str = "", *, maybe_ours: bool = False
    ) -> None:
        message = f"edit conflict on {mid} (base revision {baserevid})"
        super().__init__(f"{message}: {info}" if info else message)
        self.mid = mid
        self.baserevid = baserevid
        self.maybe_ours = maybe_ours


EditConflictError = EditConflict  # the name bot.run.job uses for the same thing


class EditRefused(CommonsError):
    """Commons refused the edit with an API error other than an edit conflict."""

    def __init__(self, mid: str, code: str, info: str) -> None:
        super().__init__(f"edit of {mid} refused: {code}: {info}")
        self.mid = mid
        self.code = code
        self.info = info


class ReadOnlySession(CommonsError):
    """An edit was asked of an anonymous (dry-run) session."""


# --------------------------------------------------------------------------- helpers


class _NoAnswer(Exception):
    """A write got no usable answer (HTTP 5xx, timeout, connection error, not JSON)."""


_WRITE_REQUEST_CLASS: Any = None


def _write_request_class() -> Any:
    """pywikibot's ``Request`` for writes: its API-error retries, no blind resends.

    pywikibot answers maxlag, ``ratelimited``, ``badtoken`` and ``readonly`` by waiting
    and resending, which is right: the wiki answered and did not write. It also waits
    and resends after an HTTP failure or an answer that is not JSON, which for a write
    is wrong (the edit may have landed). This subclass turns those into ``_NoAnswer``
    so :meth:`CommonsClient.edit` can look before it resends.
    """
    global _WRITE_REQUEST_CLASS
    if _WRITE_REQUEST_CLASS is not None:
        return _WRITE_REQUEST_CLASS
    from pywikibot.comms import http
    from pywikibot.data import api

    class WriteRequest(api.Request):
        def _http_request(
            self,
            use_get: bool,
            uri: str,
            data: Any,
            headers: Any,
            paramstring: str,
        ) -> tuple[Any, bool]:
            try:
                response = http.request(
                    self.site,
                    uri=uri,
                    method="GET" if use_get else "POST",
                    data=data,
                    headers=headers,
                )
            except Exception as exc:  # whatever the transport raised: no answer
                raise _NoAnswer(f"{type(exc).__name__}: {exc}") from exc
            return response, use_get

        def _json_loads(self, response: Any) -> dict[str, Any] | None:
            try:
                response.json()
            except ValueError as exc:
                raise _NoAnswer(f"HTTP {response.status_code}, not a JSON answer") from exc
            result: dict[str, Any] | None = super()._json_loads(response)
            return result

    _WRITE_REQUEST_CLASS = WriteRequest
    return WriteRequest


def _warning_names(result: dict[str, Any]) -> tuple[str, ...]:
    """Wikibase's warning message names (``wikibase-conflict-patched``, ...) of an answer."""
    names: list[str] = []
    for module in (result.get("warnings") or {}).values():
        if isinstance(module, dict):
            for message in module.get("messages") or ():
                if isinstance(message, dict) and message.get("name"):
                    names.append(str(message["name"]))
    return tuple(names)


def _groups(entity: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """The statement lists of an entity (``statements`` may be ``[]`` when there are none)."""
    found = entity.get("statements") or entity.get("claims") or {}
    return list(found.values()) if isinstance(found, dict) else []


def _content(statement: Any) -> bytes:
    """What a statement says (value, qualifiers, references, rank), for comparing versions."""
    from bot.core.concurrency import content_key

    return content_key(statement) if isinstance(statement, dict) else b""


def _batches(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _unique(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))


def empty_entity(mid: str) -> dict[str, Any]:
    """The mediainfo entity of a file without structured data."""
    return {"type": "mediainfo", "id": mid, "labels": {}, "descriptions": {}, "statements": {}}


def run_page_allows(text: str | None) -> tuple[bool, str]:
    """Apply the run-page rule to the page's wikitext (None: the page does not exist).

    The bot may run only if the page exists and, with HTML comments removed, either its
    whole text is ``yes`` or ``true``, or it has at least one ``run: <value>`` line
    (``=`` also accepted, any case, spaces allowed) and every such line says ``yes`` or
    ``true``. Anything else (empty page, ``run: no``, ``stop``, a typo) stops the bot.
    """
    if text is None:
        return False, "the run page does not exist"
    cleaned = _COMMENT_RE.sub("", text).strip()
    if cleaned.lower() in RUN_VALUES_YES:
        return True, f"the run page says {cleaned!r}"
    values = [v.strip().lower() for v in _RUN_LINE_RE.findall(cleaned)]
    if not values:
        return False, "the run page has no 'run: yes' line"
    refused = [v for v in values if v not in RUN_VALUES_YES]
    if refused:
        return False, f"the run page says 'run: {refused[0]}'"
    return True, "the run page says 'run: yes'"


# --------------------------------------------------------------------------- the client


class CommonsClient:
    """Reads and writes Commons structured data through a pywikibot ``DataSite``."""

    def __init__(
        self,
        site: Any,
        *,
        run_page: str | None = DEFAULT_RUN_PAGE,
        tags: Sequence[str] = (),
        batch_size: int | None = None,
        write_attempts: int = 3,
    ) -> None:
        """``run_page`` may contain ``{username}``; None disables the run-page check.

        ``batch_size`` overrides the ids per ``wbgetentities`` (default: 50, or 500 with
        ``apihighlimits``); ``write_attempts`` bounds resends after HTTP 5xx/timeouts.
        """
        self.site = site
        self.run_page = run_page
        self.tags = tuple(tags)
        self._batch_size = batch_size
        self.write_attempts = max(1, write_attempts)
        self.read_calls = 0
        """Reads of file data (wbgetentities, page info, wikitext): the per-file budget."""
        self.control_calls = 0
        """Reads for the emergency stop (run page, talk-page messages), counted apart."""
        self.write_calls = 0

    @classmethod
    def from_settings(
        cls, settings: Settings, *, dry_run: bool, username: str | None = None
    ) -> CommonsClient:
        """Set up pywikibot from the project settings and return a client.

        A dry run reads anonymously (no account, no login, no way to write). Otherwise
        the account comes from ``username`` or :func:`bot.adapters.pywikibot_setup.resolve_username`.
        """
        from bot.adapters.pywikibot_setup import (
            CredentialsMissing,
            resolve_username,
            setup_pywikibot,
        )

        config_dir = Path(settings.pywikibot_dir)
        account = None
        if not dry_run:
            account = resolve_username(username, config_dir=config_dir)
            if not account:
                raise CredentialsMissing(
                    "no bot account: pass one, set COMMONS_BOT_USERNAME, or set "
                    "usernames['commons']['commons'] in user-config.py"
                )
        site = setup_pywikibot(
            settings.commons_api_url or None,
            config_dir,
            account,
            put_throttle=settings.put_throttle,
            maxlag=settings.maxlag,
            user_agent=settings.user_agent,
        )
        return cls(site, run_page=settings.run_page, tags=settings.edit_tags)

    # ------------------------------------------------------------- session facts

    @property
    def username(self) -> str | None:
        """The logged-in account, None for an anonymous (read-only) session."""
        user: str | None = self.site.user()
        return user

    @property
    def batch_size(self) -> int:
        """Ids per ``wbgetentities``: 500 with ``apihighlimits``, else 50."""
        if self._batch_size:
            return self._batch_size
        if self.username and self.site.has_right("apihighlimits"):
            return HIGH_BATCH
        return BATCH

    def _submit(self, **params: Any) -> dict[str, Any]:
        """One read request; pywikibot retries maxlag, 5xx and timeouts itself."""
        from pywikibot.exceptions import Error

        self.read_calls += 1
        try:
            result: dict[str, Any] = self.site.simple_request(**params).submit()
        except Error as exc:
            raise CommonsError(f"{params.get('action')} failed: {exc}") from exc
        return result

    # ------------------------------------------------------------- reads

    def read_entities(self, mids: Sequence[str]) -> dict[str, EntityState]:
        """The current state of each file by M-id (every requested id gets an entry)."""
        wanted = _unique([m.strip() for m in mids])
        for mid in wanted:
            if not _MID_RE.match(mid):
                raise ValueError(f"not an M-id: {mid!r}")
        states: dict[str, EntityState] = {}
        unresolved: list[str] = []
        for batch in _batches(wanted, self.batch_size):
            data = self._submit(action="wbgetentities", ids=batch, props="info|claims")
            entities = data.get("entities") or {}
            for mid in batch:
                entity = entities.get(mid)
                if entity is None or "missing" in entity:
                    unresolved.append(mid)
                else:
                    states[mid] = self._state_of(entity)
        for mid, state in self._page_states(unresolved).items():
            states[mid] = state
        return {mid: states[mid] for mid in wanted}

    def read_entities_by_title(self, titles: Sequence[str]) -> dict[str, EntityState]:
        """The current state of each file by title, keyed by the titles as given.

        A title that is not a file on Commons maps to a ``gone`` state with ``mid=""``.
        """
        asked = _unique(titles)
        by_norm: dict[str, list[str]] = {}
        for raw in asked:
            by_norm.setdefault(normalise_file_title(raw), []).append(raw)
        found: dict[str, EntityState] = {}
        unresolved: list[str] = []
        for batch in _batches([t for t in by_norm if t], self.batch_size):
            data = self._submit(
                action="wbgetentities", sites=self.site.dbName(), titles=batch, props="info|claims"
            )
            for entity in (data.get("entities") or {}).values():
                if "missing" not in entity:
                    state = self._state_of(entity)
                    found[normalise_file_title(state.title or "")] = state
                elif entity.get("id"):
                    unresolved.append(entity["id"])  # a file without SDC: title via page info
        for state in self._page_states(unresolved).values():
            if state.title:
                found[normalise_file_title(state.title)] = state
        result: dict[str, EntityState] = {}
        for norm, raws in by_norm.items():
            state = found.get(norm) or EntityState("", norm or None, None, None, {}, False, True)
            for raw in raws:
                result[raw] = state
        return result

    def _state_of(self, entity: dict[str, Any]) -> EntityState:
        pageid = entity.get("pageid")
        lastrevid = entity.get("lastrevid")
        return EntityState(
            mid=str(entity["id"]),
            title=entity.get("title"),
            pageid=int(pageid) if pageid is not None else None,
            lastrevid=int(lastrevid) if lastrevid is not None else None,
            entity=entity,
            has_sdc=True,
            gone=False,
        )

    def _page_states(self, mids: Sequence[str]) -> dict[str, EntityState]:
        """Existing files without SDC vs gone pages, by one ``prop=info`` per batch."""
        states: dict[str, EntityState] = {}
        for batch in _batches(_unique(mids), self.batch_size):
            pageids = [mid[1:] for mid in batch]
            data = self._submit(action="query", prop="info", pageids=pageids, formatversion=2)
            pages = {str(p.get("pageid")): p for p in (data.get("query") or {}).get("pages", [])}
            for mid in batch:
                page = pages.get(mid[1:])
                if (
                    page is None
                    or page.get("missing")
                    or page.get("invalid")
                    or page.get("ns") != 6
                    or page.get("redirect")
                ):
                    states[mid] = EntityState(
                        mid,
                        page.get("title") if page else None,
                        int(mid[1:]),
                        None,
                        {},
                        False,
                        True,
                    )
                    continue
                entity = empty_entity(mid)
                entity.update(
                    pageid=page["pageid"], ns=6, title=page["title"], lastrevid=page["lastrevid"]
                )
                states[mid] = EntityState(
                    mid,
                    page["title"],
                    int(page["pageid"]),
                    int(page["lastrevid"]),
                    entity,
                    False,
                    False,
                )
        return states

    def get_wikitext(self, titles: Sequence[str]) -> dict[str, str | None]:
        """Current wikitext of each page by title as given (None: no such page).

        50 titles per request (page text is large; the API may still split a batch, and
        its ``continue`` is followed).
        """
        asked = _unique(titles)
        texts: dict[str, str | None] = {}
        for batch in _batches(asked, BATCH):
            params: dict[str, Any] = {
                "action": "query",
                "prop": "revisions",
                "rvprop": "content",
                "rvslots": "main",
                "titles": batch,
                "formatversion": 2,
            }
            renamed: dict[str, str] = {}
            by_title: dict[str, str | None] = {}
            while True:
                data = self._submit(**params)
                query = data.get("query") or {}
                renamed.update({n["from"]: n["to"] for n in query.get("normalized", ())})
                for page in query.get("pages", ()):
                    title = page.get("title", "")
                    revisions = page.get("revisions") or []
                    if revisions and not page.get("missing"):
                        slot = (revisions[0].get("slots") or {}).get("main") or {}
                        by_title[title] = slot.get("content", slot.get("*"))
                    else:
                        by_title.setdefault(title, None)
                if "continue" not in data:
                    break
                params.update(data["continue"])
            for raw in batch:
                texts[raw] = by_title.get(renamed.get(raw, raw))
        return {title: texts.get(title) for title in asked}

    def get_exif_dates(self, titles: Sequence[str]) -> dict[str, dict[str, str]]:
        """The EXIF date fields of each file by title as given ({}: none, or no such file);
        see :func:`bot.adapters.commons_metadata.read_exif_dates`."""
        return read_exif_dates(self._submit, titles)

    # ------------------------------------------------------------- writes

    def edit(
        self,
        mid: str,
        claims: list[dict[str, Any]],
        *,
        baserevid: int,
        summary: str,
        tags: Sequence[str] | None = None,
    ) -> EditResult:
        """All of a file's claims in one ``wbeditentity``; returns what Commons answered.

        Raises :class:`EditConflict` when Wikibase refuses because the file changed
        since ``baserevid``, :class:`EditRefused` for other API errors,
        :class:`ReadOnlySession` when not logged in, :class:`WriteOutcomeUnknown` when the
        last attempt got no answer, and ``ValueError`` without a ``baserevid``.
        """
        from pywikibot.exceptions import APIError, Error

        if not _MID_RE.match(mid):
            raise ValueError(f"not an M-id: {mid!r}")
        if not claims:
            raise ValueError(f"nothing to write for {mid}")
        if baserevid is None or int(baserevid) <= 0:
            raise ValueError(f"refusing to edit {mid} without the revision the edit is based on")
        username = self.username
        if username is None:
            raise ReadOnlySession(f"cannot edit {mid}: the session is anonymous (dry run)")
        if len(summary) > SUMMARY_LIMIT:
            log.warning("edit summary for %s cut to %d characters", mid, SUMMARY_LIMIT)
            summary = summary[: SUMMARY_LIMIT - 1] + "…"
        params: dict[str, Any] = {
            "action": "wbeditentity",
            "id": mid,
            "data": json.dumps({"claims": claims}, ensure_ascii=False, separators=(",", ":")),
            "bot": 1,
            "summary": summary,
            "assertuser": username,
            "baserevid": int(baserevid),
        }
        chosen_tags = self.tags if tags is None else tuple(tags)
        if chosen_tags:
            params["tags"] = "|".join(chosen_tags)
        request_class = _write_request_class()
        for attempt in range(1, self.write_attempts + 1):
            params["token"] = self.site.tokens["csrf"]
            request = request_class.create_simple(self.site, **params)
            self.write_calls += 1
            try:
                result = request.submit()
            except APIError as exc:
                if exc.code == "editconflict":
                    raise EditConflict(mid, baserevid, exc.info) from None
                if exc.code.endswith("BadRevisionException"):
                    # Wikibase fails this way when baserevid is from before the file had
                    # structured data and it has some now: someone added SDC meanwhile.
                    raise EditConflict(mid, baserevid, f"{exc.code}: {exc.info}") from None
                raise EditRefused(mid, exc.code, exc.info) from None
            except (_NoAnswer, Error) as exc:
                # _NoAnswer: HTTP failure; Error: pywikibot gave up its own retries
                self._after_failed_write(mid, baserevid, attempt, exc)
                continue
            entity = result.get("entity") or {}
            if "lastrevid" not in entity:
                raise EditRefused(mid, "unexpected-response", json.dumps(result)[:300])
            warnings = _warning_names(result)
            revid = int(entity["lastrevid"])
            if warnings:
                log.info("edit of %s: Commons warned %s", mid, ", ".join(warnings))
            if any(w.endswith("conflict-patched") for w in warnings):
                entity = self._after_patched_edit(mid, claims, int(baserevid), revid, summary)
            return EditResult(revid, dict(entity), warnings)
        raise AssertionError("unreachable")  # _after_failed_write raises on the last attempt

    def _after_patched_edit(
        self, mid: str, claims: list[dict[str, Any]], baserevid: int, revid: int, summary: str
    ) -> dict[str, Any]:
        """After Wikibase patched a stale edit: the entity as stored, and no lost change.

        Wikibase answers a patched edit with the *base* revision plus this edit, so the
        statements others added meanwhile are only seen by reading the file again. And a
        statement this edit resent (by id) that someone else changed meanwhile is simply
        overwritten (last writer wins): their change would be lost. That case is undone
        here, their version put back, and reported as :class:`EditConflict` so the job
        re-reads and re-plans against what they wrote.
        """
        touched = [str(c["id"]) for c in claims if c.get("id")]
        stored = self.read_entities([mid])[mid]
        if not touched:
            return stored.entity
        parent = self._parent_revision(revid)
        then, before_ours = self._statements_at([baserevid, parent]) if parent else ({}, {})
        lost = [
            sid
            for sid in touched
            if sid in before_ours
            and sid in then
            and _content(before_ours[sid]) != _content(then[sid])
        ]
        if not lost:
            return stored.entity
        sent = {str(c["id"]): c for c in claims if c.get("id")}
        now = {str(s.get("id")): s for group in _groups(stored.entity) for s in group}
        restore = [
            before_ours[sid]
            for sid in lost
            if ("remove" in sent[sid] and sid not in now)
            or (sid in now and _content(now[sid]) == _content(sent[sid]))
        ]
        log.warning(
            "edit of %s overwrote a concurrent change of %s; putting theirs back",
            mid,
            ", ".join(lost),
        )
        if restore and stored.lastrevid:
            self.edit(
                mid,
                restore,
                baserevid=stored.lastrevid,
                summary=f"Restore {len(restore)} statement(s) changed by another edit while "
                f"the bot wrote: {summary}"[:SUMMARY_LIMIT],
            )
        raise EditConflict(
            mid, baserevid, f"statements {', '.join(lost)} were changed by another edit meanwhile"
        )

    def _parent_revision(self, revid: int) -> int | None:
        data = self._submit(
            action="query", prop="revisions", revids=revid, rvprop="ids", formatversion=2
        )
        for page in (data.get("query") or {}).get("pages", ()):
            for rev in page.get("revisions") or ():
                if rev.get("revid") == revid and rev.get("parentid"):
                    return int(rev["parentid"])
        return None

    def _statements_at(self, revids: list[int]) -> tuple[dict[str, Any], ...]:
        """Statements by id as stored in each revision (its mediainfo slot)."""
        data = self._submit(
            action="query",
            prop="revisions",
            revids=revids,
            rvprop="ids|content",
            rvslots="mediainfo",
            formatversion=2,
        )
        found: dict[int, dict[str, Any]] = {}
        for page in (data.get("query") or {}).get("pages", ()):
            for rev in page.get("revisions") or ():
                slot = (rev.get("slots") or {}).get("mediainfo") or {}
                entity = json.loads(slot["content"]) if slot.get("content") else {}
                found[int(rev["revid"])] = {
                    str(s.get("id")): s for group in _groups(entity) for s in group
                }
        return tuple(found.get(r, {}) for r in revids)

    def _after_failed_write(self, mid: str, baserevid: int, attempt: int, exc: Exception) -> None:
        """After a write with no answer: resend only if the file is unchanged, after a pause."""
        import pywikibot

        if attempt >= self.write_attempts:
            raise WriteOutcomeUnknown(
                f"edit of {mid} got no answer after {attempt} attempt(s), it may have landed: {exc}"
            ) from exc
        state = self.read_entities([mid])[mid]
        if state.gone or state.lastrevid != baserevid:
            raise EditConflict(
                mid, baserevid, "changed while our edit got no answer", maybe_ours=True
            ) from exc
        config = pywikibot.config
        delay = min(float(config.retry_wait) * 2 ** (attempt - 1), float(config.retry_max))
        log.warning(
            "edit of %s got no answer (%s); unchanged, resending in %.1f s", mid, exc, delay
        )
        time.sleep(delay)

    def latest_revisions(self, mids: Sequence[str]) -> dict[str, int | None]:
        """The latest revision of each file (None: gone), one ``prop=info`` per batch.

        Much cheaper than reading the entities: the job uses it to find which files with
        open conflicts changed since it last looked, and re-plans only those.
        """
        return {
            mid: (None if state.gone else state.lastrevid)
            for mid, state in self._page_states(mids).items()
        }

    # ------------------------------------------------------------- emergency stop

    def run_page_title(self) -> str | None:
        """The configured run page with ``{username}`` filled in (None: no check)."""
        if not self.run_page:
            return None
        if "{username}" in self.run_page:
            username = self.site.username()
            if not username:
                return None
            return self.run_page.format(username=username)
        return self.run_page

    def check_may_run(self) -> tuple[bool, str]:
        """(may the bot edit now, why): the run page and new talk-page messages.

        One request reads the run page and the account's ``hasmsg``/block state. See
        :func:`run_page_allows` for the run-page rule; new messages or a block stop too.
        An anonymous session has no account to check and only reads.
        """
        from pywikibot.exceptions import Error

        title = self.run_page_title()
        params: dict[str, Any] = {
            "action": "query",
            "meta": "userinfo",
            "uiprop": "hasmsg|blockinfo",
            "formatversion": 2,
        }
        if title:
            params.update(prop="revisions", rvprop="content", rvslots="main", titles=title)
        self.control_calls += 1
        try:
            data = self.site.simple_request(**params).submit()
        except Error as exc:
            return False, f"could not read the stop signals: {exc}"
        query = data.get("query") or {}
        userinfo = query.get("userinfo") or {}
        username = self.username
        if username and userinfo.get("name") != username:
            return False, f"logged out: the session is {userinfo.get('name')!r}, not {username!r}"
        if username and userinfo.get("messages"):
            return False, f"new message on User talk:{username}"
        if username and ("blockid" in userinfo or "blockinfo" in userinfo):
            return False, f"{username} is blocked"
        if not title:
            if username:
                return True, "no run page configured"
            return True, "anonymous read-only session: no run page or talk page to check"
        pages = query.get("pages") or []
        text = None
        if pages and not pages[0].get("missing"):
            revisions = pages[0].get("revisions") or []
            if revisions:
                slot = (revisions[0].get("slots") or {}).get("main") or {}
                text = slot.get("content", slot.get("*"))
        allowed, why = run_page_allows(text)
        return allowed, f"{why} ([[{title}]])"


__all__ = [
    "BATCH",
    "HIGH_BATCH",
    "CommonsClient",
    "CommonsError",
    "EditConflict",
    "EditConflictError",
    "EditRefused",
    "EditResult",
    "EntityState",
    "ReadOnlySession",
    "WriteOutcomeUnknown",
    "empty_entity",
    "normalise_file_title",
    "run_page_allows",
]
