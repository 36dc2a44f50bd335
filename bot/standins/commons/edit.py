"""``wbeditentity`` as an action: who may edit (token, asserts, blocks), which entity,
change tags, and an edit on the latest revision or a stale one (patched, refused or
Wikibase's internal error, as seen on the real wiki); the answer and the write's record."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from bot.standins.commons.data import DBNAME, ApiError, Page, StandinData, now, split_values
from bot.standins.commons.wiki import Wiki
from bot.standins.commons.wikibase import (
    BAD_REVISION_CODE,
    CONFLICT_INFO,
    PATCHED_WARNING,
    change_entity,
    empty_mediainfo,
    patch_onto_latest,
    public_entity,
)


def apply_wbeditentity(
    wiki: Wiki, http_method: str, params: dict[str, str], csrf_token: str, user: str | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One ``wbeditentity`` by ``user`` (whose session's token is ``csrf_token``):
    (the answer, the record of the write); ApiError for a refusal, nothing changed."""
    check_editor(wiki.data, http_method, params, csrf_token, user)
    page, mid = target_page(wiki, params)
    data = edit_data(params)
    check_tags(wiki.data, params.get("tags"))
    base = int(params["baserevid"]) if params.get("baserevid") else None
    if base is None or base == page.lastrevid:
        ours = after = change_entity(page.mediainfo, mid, data)
        warning = None
    else:
        ours, after, patched = stale_edit(wiki, page, mid, base, data)
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
        page.lastrevid = wiki.next_revid()
        page.touched = now()
        page.remember(user)
        record["revid"] = page.lastrevid
    wiki.writes.append(record)
    return edit_answer(page, mid, ours, nochange, bool(record["patched"])), record


def check_editor(
    data: StandinData, http_method: str, params: Mapping[str, str], csrf: str, user: str | None
) -> None:
    """The request may edit: posted, with this session's token, asserts hold, not blocked."""
    if http_method != "POST":
        raise ApiError("mustbeposted", 'The "wbeditentity" module requires a POST request.')
    if "token" not in params:
        raise ApiError("missingparam", 'The "token" parameter must be set.')
    if params["token"] != csrf:
        raise ApiError("badtoken", "Invalid CSRF token.")
    if params.get("assert") == "user" and user is None:
        raise ApiError(
            "assertuserfailed",
            "You are no longer logged in, so the action could not be completed.",
        )
    if params.get("assert") == "bot" and not (user and data.bot_group and data.bot_right):
        raise ApiError("assertbotfailed", 'You do not have the "bot" right.')
    if params.get("assertuser") and params["assertuser"] != user:
        raise ApiError(
            "assertnameduserfailed", f'You are no longer logged in as "{params["assertuser"]}".'
        )
    if user is not None and data.blocked:
        raise ApiError("blocked", "You have been blocked from editing.")
    if user is None:
        raise ApiError("permissiondenied", "Anonymous edits are disabled on the stand-in.")


def target_page(wiki: Wiki, params: Mapping[str, str]) -> tuple[Page, str]:
    """The file edited (by ``id``, or ``site`` and ``title``) and its M-id."""
    if "id" in params:
        mid = params["id"]
        page = wiki.file_page(mid)
    elif params.get("site") == DBNAME and params.get("title"):
        page = wiki.page_by_title(params["title"])
        if page is not None and page.ns != 6:
            page = None
        mid = f"M{page.pageid}" if page else ""
    else:
        raise ApiError("param-missing", "Either provide the id or site and title.")
    if page is None:
        raise ApiError("no-such-entity", f'Could not find an entity with the ID "{mid}".')
    return page, mid


def edit_data(params: Mapping[str, str]) -> dict[str, Any]:
    """The ``data`` parameter: a JSON object."""
    try:
        data = json.loads(params.get("data") or "")
    except ValueError:
        raise ApiError("invalid-json", "Could not parse the data parameter.") from None
    if not isinstance(data, dict):
        raise ApiError("not-recognized-array", "The data parameter must be an object.")
    return data


def edit_answer(
    page: Page, mid: str, ours: Mapping[str, Any], nochange: bool, patched: bool
) -> dict[str, Any]:
    """Wikibase answers with the base revision plus this edit, not what it stored after
    patching: statements others added meanwhile are not in the answer."""
    entity = public_entity(ours if page.mediainfo is None or not nochange else page.mediainfo, mid)
    entity["lastrevid"] = page.lastrevid
    if nochange:
        entity["nochange"] = ""
    result: dict[str, Any] = {"entity": entity, "success": 1}
    if patched:
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
    return result


def check_tags(data: StandinData, tags: str | None) -> None:
    """Tags must be defined on the wiki (``badtags`` otherwise), when the seed lists them."""
    allowed = data.defined_tags
    wanted = split_values(tags)
    if allowed is None or not wanted:
        return
    refused = [t for t in wanted if t not in allowed]
    if refused:
        raise ApiError(
            "badtags",
            f'The tag "{refused[0]}" is not allowed to be manually applied.',
            disallowedtags=refused,
        )


def stale_edit(
    wiki: Wiki, page: Page, mid: str, base: int, data: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """(the answer's entity, what gets stored, patched?) for an edit on an older revision.

    As seen on the real wiki: a revision this page never had is ``nosuchrevid``; a
    base from before the file had structured data, when it has some now, fails
    inside Wikibase (``BadRevisionException``); otherwise the change is patched
    onto the latest revision (:func:`patch_onto_latest`).
    """
    if base not in page.history or base > page.lastrevid:
        raise ApiError("nosuchrevid", "Revision with ID not found.")
    if wiki.data.strict_baserevid:
        raise ApiError("editconflict", CONFLICT_INFO)
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
