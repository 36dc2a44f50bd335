"""What the wiki says about itself: ``meta=siteinfo`` and just enough ``action=paraminfo``
for pywikibot's start-up, in Commons' shapes (formatversion 1 and 2)."""

from __future__ import annotations

import copy
from typing import Any

from bot.standins.commons.auth import TOKEN_TYPES
from bot.standins.commons.data import DBNAME, NAMESPACES, NS_ALIASES, now

QUERY_PROPS = ("info", "revisions", "imageinfo")
QUERY_LISTS = ("allusers",)
QUERY_METAS = ("siteinfo", "tokens", "userinfo")
ACTIONS = ("help", "login", "logout", "paraminfo", "query", "wbeditentity", "wbgetentities")


def siteinfo(props: list[str], query: dict[str, Any], fv2: bool, server: str) -> set[str]:
    """Fill ``query`` with the ``siprop`` parts asked for; the names it knew."""
    known = set()
    for prop in props:
        if prop == "general":
            query["general"] = site_general(server, fv2)
        elif prop == "namespaces":
            query["namespaces"] = site_namespaces(fv2)
        elif prop == "namespacealiases":
            query["namespacealiases"] = [
                {"id": ns, "alias": alias} if fv2 else {"id": ns, "*": alias}
                for alias, ns in NS_ALIASES.items()
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


def site_general(server: str, fv2: bool) -> dict[str, Any]:
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
        "time": now(),
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


def site_namespaces(fv2: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for ns, (local, canonical) in NAMESPACES.items():
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


def paraminfo(modules: list[str]) -> dict[str, Any]:
    """Just enough ``action=paraminfo`` for pywikibot's ParamInfo (main, query, tokens)."""
    known: dict[str, dict[str, Any]] = {
        "main": {
            "name": "main",
            "classname": "ApiMain",
            "path": "main",
            "prefix": "",
            "source": "MediaWiki",
            "parameters": [
                _param("action", list(ACTIONS)),
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
                _param("prop", list(QUERY_PROPS), limit=50, highlimit=500, mustbe_query=True),
                _param("list", list(QUERY_LISTS), limit=50, highlimit=500, mustbe_query=True),
                _param("meta", list(QUERY_METAS), limit=50, highlimit=500, mustbe_query=True),
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
                    "type": list(TOKEN_TYPES),
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
