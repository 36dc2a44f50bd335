"""The read actions: ``action=query`` (meta modules, ``prop=info|revisions`` by title or
page id, revisions by id with the mediainfo slot as stored then), ``wbgetentities`` on
Commons (by ``ids`` or ``sites``/``titles``) and on the Wikidata endpoint."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Mapping
from typing import Any

from bot.standins.commons.auth import Accounts
from bot.standins.commons.data import (
    DBNAME,
    HUMAN,
    MID_RE,
    QID_RE,
    ApiError,
    Page,
    Session,
    StandinData,
    normalise_title,
    now,
    split_values,
    title_ns,
)
from bot.standins.commons.siteinfo import QUERY_PROPS, siteinfo
from bot.standins.commons.wiki import Wiki

log = logging.getLogger("bot.standins.commons")

BOT_RIGHTS = (
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


def formatversion2(params: Mapping[str, str]) -> bool:
    return params.get("formatversion") in ("2", "latest")


def query(
    wiki: Wiki,
    accounts: Accounts,
    params: dict[str, str],
    session: Session,
    user: str | None,
    server: str,
) -> dict[str, Any]:
    """``action=query``: meta modules, pages by title or id, revisions by id."""
    fv2 = formatversion2(params)
    query: dict[str, Any] = {}
    result: dict[str, Any] = {"batchcomplete": True if fv2 else ""}
    warnings: dict[str, Any] = {}
    metas = split_values(params.get("meta"))
    for meta in metas:
        if meta == "siteinfo":
            props = split_values(params.get("siprop")) or ["general"]
            known = siteinfo(props, query, fv2, server)
            unknown = [p for p in props if p not in known]
            if unknown:
                text = f'Unrecognized value for parameter "siprop": {", ".join(unknown)}.'
                warnings["siteinfo"] = {"warnings": text} if fv2 else {"*": text}
        elif meta == "userinfo":
            query["userinfo"] = userinfo(wiki.data, user, split_values(params.get("uiprop")), fv2)
        elif meta == "tokens":
            query["tokens"] = accounts.tokens(
                split_values(params.get("type")) or ["csrf"], session, user
            )
        else:
            raise ApiError("badvalue", f'Unrecognized value for parameter "meta": {meta}.')
    props = split_values(params.get("prop"))
    if params.get("list"):
        raise ApiError("badvalue", "the stand-in answers no list= modules")
    if params.get("revids"):
        pages, bad = query_revids(wiki, params, fv2)
        query["pages"] = pages
        if bad:
            query["badrevids"] = bad
    elif props or params.get("titles") or params.get("pageids"):
        pages, normalized, more = query_pages(wiki, params, props, fv2)
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


def userinfo(data: StandinData, user: str | None, uiprops: list[str], fv2: bool) -> dict[str, Any]:
    """``meta=userinfo`` for the bot account (or an anonymous user)."""
    flag: Any = True if fv2 else ""
    if user is None:
        info: dict[str, Any] = {"id": 0, "name": "127.0.0.1", "anon": flag}
        groups = ["*"]
        rights = ["read", "edit", "createaccount", "writeapi"]
        has_messages = False
    else:
        info = {"id": 4242, "name": user}
        groups = ["*", "user", "autoconfirmed"] + (["bot"] if data.bot_group else [])
        rights = ["read", "edit", "writeapi", "autoconfirmed"]
        if data.bot_group:
            rights = [r for r in BOT_RIGHTS if data.bot_right or r != "bot"]
        if data.apihighlimits:
            rights.append("apihighlimits")
        has_messages = data.hasmsg
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
    if "blockinfo" in uiprops and user is not None and data.blocked:
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


def query_pages(
    wiki: Wiki, params: dict[str, str], props: list[str], fv2: bool
) -> tuple[Any, list[dict[str, Any]], dict[str, str]]:
    for prop in props:
        if prop not in QUERY_PROPS:
            raise ApiError("badvalue", f'Unrecognized value for parameter "prop": {prop}.')
    titles = split_values(params.get("titles"))
    pageids = split_values(params.get("pageids"))
    if titles and pageids:
        raise ApiError("multisource", "Cannot use titles and pageids at the same time.")
    limit = 500 if wiki.data.apihighlimits else 50
    if len(titles) > limit or len(pageids) > limit:
        raise ApiError("toomanyvalues", f"Too many values supplied. The limit is {limit}.")
    if (
        "revisions" in props
        and "content" in split_values(params.get("rvprop"))
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
        page = wiki.page_by_title(title)
        if page is None:
            entries.append(
                {
                    "ns": title_ns(title),
                    "title": title,
                    "missing": True,
                    "_key": str(missing_index),
                }
            )
            if "imageinfo" in props and title_ns(title) == 6:
                entries[-1]["imagerepository"] = ""  # as MediaWiki 1.39 answers
            missing_index -= 1
        else:
            entries.append(page_json(page, props, params))
    for raw in pageids:
        page = wiki.pages.get(int(raw)) if raw.isdigit() else None
        if page is None:
            entries.append(
                {"pageid": int(raw) if raw.isdigit() else raw, "missing": True, "_key": raw}
            )
        else:
            entries.append(page_json(page, props, params))
    more = cut_revisions(wiki.data, entries, params)
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


def query_revids(wiki: Wiki, params: Mapping[str, str], fv2: bool) -> tuple[Any, dict[str, Any]]:
    """``prop=revisions&revids=…``: ids, user and, with ``rvslots``, the mediainfo slot
    (the entity as stored at that revision). The main slot is the page's current text:
    the stand-in keeps no old wikitext."""
    by_page: dict[int, list[dict[str, Any]]] = {}
    bad: dict[str, Any] = {}
    for raw in split_values(params.get("revids")):
        revid = int(raw) if raw.isdigit() else -1
        page = next((p for p in wiki.pages.values() if revid in p.history), None)
        if page is None:
            bad[raw] = {"revid": revid, "missing": True if fv2 else ""}
            continue
        entity, user = page.history[revid]
        older = [r for r in page.history if r < revid]
        rev: dict[str, Any] = {
            "revid": revid,
            "parentid": max(older) if older else 0,
            "user": user or wiki.data.username,
        }
        if "content" in split_values(params.get("rvprop")):
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
            "ns": wiki.pages[pid].ns,
            "title": wiki.pages[pid].title,
            "revisions": sorted(revs, key=lambda r: r["revid"]),
        }
        for pid, revs in by_page.items()
    ]
    if fv2:
        return entries, bad
    return {str(e["pageid"]): e for e in entries}, bad


def cut_revisions(
    data: StandinData, entries: list[dict[str, Any]], params: Mapping[str, str]
) -> dict[str, str]:
    """Emulate a result-size limit: texts from ``rvcontinue`` on, a few per answer."""
    limit = data.revisions_per_response
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


def page_json(page: Page, props: list[str], params: Mapping[str, str]) -> dict[str, Any]:
    entry: dict[str, Any] = {"pageid": page.pageid, "ns": page.ns, "title": page.title}
    if "info" in props:
        entry.update(
            contentmodel="wikitext",
            pagelanguage="en",
            pagelanguagehtmlcode="en",
            pagelanguagedir="ltr",
            touched=page.touched or now(),
            lastrevid=page.lastrevid,
            length=len(page.text.encode("utf-8")),
        )
    if "revisions" in props:
        rev: dict[str, Any] = {"revid": page.lastrevid, "parentid": 0}
        if "content" in split_values(params.get("rvprop")):
            rev["slots"] = {
                "main": {
                    "contentmodel": "wikitext",
                    "contentformat": "text/x-wiki",
                    "content": page.text,
                }
            }
        entry["revisions"] = [rev]
    if "imageinfo" in props and page.ns == 6:
        entry.update(imageinfo(page, params))
    return entry


def imageinfo(page: Page, params: Mapping[str, str]) -> dict[str, Any]:
    """``prop=imageinfo`` for a file page, as MediaWiki answers it: one entry for the
    current version; ``metadata`` is null for a file without any, ``commonmetadata`` a
    list (maybe empty). Only the ``iiprop`` values the bot reads are served."""
    info: dict[str, Any] = {}
    for prop in split_values(params.get("iiprop")) or ["timestamp", "user"]:
        if prop == "metadata":
            info["metadata"] = copy.deepcopy(page.metadata)
        elif prop == "commonmetadata":
            info["commonmetadata"] = copy.deepcopy(page.commonmetadata)
        elif prop == "timestamp":
            info["timestamp"] = page.touched or now()
        elif prop == "user":
            info["user"] = HUMAN
        else:
            raise ApiError("badvalue", f'Unrecognized value for parameter "iiprop": {prop}.')
    return {"imagerepository": "local", "imageinfo": [info]}


def wbgetentities(wiki: Wiki, params: dict[str, str], user: str | None) -> dict[str, Any]:
    ids = split_values(params.get("ids"))
    titles = split_values(params.get("titles"))
    props = set(
        split_values(params.get("props"))
        or ["info", "sitelinks", "aliases", "labels", "descriptions", "claims", "datatype"]
    )
    limit = 500 if (user is not None and wiki.data.apihighlimits) else 50
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
        if not MID_RE.match(mid):
            raise ApiError(
                "no-such-entity", f'Could not find an entity with the ID "{mid}".', id=mid
            )
        page = wiki.file_page(mid)
        entities[mid] = (
            {"id": mid, "missing": ""} if page is None else wiki.entity_json(page, mid, props)
        )
    if titles:
        sites = split_values(params.get("sites"))
        if sites != [DBNAME]:
            raise ApiError(
                "param-missing" if not sites else "no-such-site",
                f"The stand-in only knows sites={DBNAME}.",
            )
        missing_index = -1
        for raw in titles:
            page = wiki.page_by_title(raw)
            if page is None or page.ns != 6:
                entities[str(missing_index)] = {
                    "site": DBNAME,
                    "title": normalise_title(raw),
                    "missing": "",
                }
                missing_index -= 1
                continue
            mid = f"M{page.pageid}"
            entities[mid] = wiki.entity_json(page, mid, props)
    if not ids and not titles:
        raise ApiError("param-missing", "Either provide the ids or site and title.")
    return {"entities": entities, "success": 1}


def wikidata(data: StandinData, action: str, params: dict[str, str]) -> dict[str, Any]:
    if action != "wbgetentities":
        raise ApiError(
            "badvalue", f"the Wikidata stand-in answers wbgetentities only, not {action}"
        )
    ids = split_values(params.get("ids"))
    if len(ids) > 50:
        raise ApiError(
            "toomanyvalues", 'Too many values supplied for parameter "ids". The limit is 50.'
        )
    props = set(split_values(params.get("props")) or ["claims", "labels"])
    entities: dict[str, Any] = {}
    for qid in ids:
        if not QID_RE.match(qid):
            raise ApiError("no-such-entity", f'Could not find an entity with the ID "{qid}".')
        seed = data.wikidata.get(qid)
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
