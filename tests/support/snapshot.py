"""Build mediainfo entities and snapshot files in the dump's exact format, for the tests.

Imported as ``tests.support.snapshot`` by the snapshot tests. The dump writes one
entity per line between ``[`` and ``]``, with a comma after every entity but the last,
``\\/`` for slashes and ``\\uXXXX`` for non-ASCII; mainsnaks carry no ``hash``.
"""

from __future__ import annotations

import bz2
import gzip
import itertools
import json
import lzma
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

_ids = itertools.count(1)


def item(prop: str, qid: str) -> dict[str, Any]:
    return {
        "snaktype": "value",
        "property": prop,
        "datavalue": {
            "value": {"entity-type": "item", "numeric-id": int(qid[1:]), "id": qid},
            "type": "wikibase-entityid",
        },
    }


def string(prop: str, value: str) -> dict[str, Any]:
    return {"snaktype": "value", "property": prop, "datavalue": {"value": value, "type": "string"}}


def somevalue(prop: str) -> dict[str, Any]:
    return {"snaktype": "somevalue", "property": prop}


def statement(
    mid: str,
    mainsnak: dict[str, Any],
    qualifiers: Sequence[dict[str, Any]] = (),
    rank: str = "normal",
) -> dict[str, Any]:
    st: dict[str, Any] = {"mainsnak": mainsnak, "type": "statement"}
    if qualifiers:
        quals: dict[str, list[dict[str, Any]]] = {}
        for q in qualifiers:
            quals.setdefault(q["property"], []).append(
                {**q, "hash": f"{next(_ids):040x}"}
            )  # qualifiers may carry a hash
        st["qualifiers"] = quals
        st["qualifiers-order"] = list(quals)
    st["id"] = f"{mid}${next(_ids):08X}-0000-4000-8000-000000000000"
    st["rank"] = rank
    return st


def source(
    mid: str, *urls: tuple[str, str], operator: str | None = "Q103204", rank: str = "normal"
) -> dict[str, Any]:
    """A P7482 "file available on the internet" statement with URL qualifiers."""
    quals = [string(prop, url) for prop, url in urls]
    if operator:
        quals.append(item("P137", operator))
    return statement(mid, item("P7482", "Q74228490"), quals, rank)


def creator(
    mid: str, *, name: str | None = None, profile: str | None = None, nsid: str | None = None
) -> dict[str, Any]:
    quals = []
    if name:
        quals.append(string("P2093", name))
    if profile:
        quals.append(string("P2699", profile))
    if nsid:
        quals.append(string("P3267", nsid))
    return statement(mid, somevalue("P170"), quals)


def ordinary_statements(mid: str) -> dict[str, list[dict[str, Any]]]:
    """What a non-Flickr own work carries: depicts, licence, creator, checksum..."""
    return {
        "P180": [statement(mid, item("P180", "Q146"))],
        "P275": [statement(mid, item("P275", "Q18199165"))],
        "P6216": [statement(mid, item("P6216", "Q50423863"))],
        "P170": [
            statement(
                mid,
                somevalue("P170"),
                [
                    item("P3831", "Q33231"),
                    string("P2093", "Example User"),
                    string("P2699", "https://commons.wikimedia.org/wiki/User:Example"),
                ],
            )
        ],
        "P7482": [statement(mid, item("P7482", "Q66458942"))],
        "P4092": [statement(mid, string("P4092", "0" * 40), [item("P459", "Q13414952")])],
    }


def entity(
    mid: str,
    statements: dict[str, list[dict[str, Any]]] | None = None,
    *,
    title: str | None = None,
    caption: str | None = None,
    revid: int = 1000,
    pageid: bool = True,
) -> dict[str, Any]:
    ent: dict[str, Any] = {
        "type": "mediainfo",
        "id": mid,
        "labels": {"en": {"language": "en", "value": caption}} if caption else {},
        "descriptions": {},
        "statements": statements or [],
    }
    if pageid:
        ent["pageid"] = int(mid[1:])
    ent.update(
        {
            "ns": 6,
            "title": title or f"File:Example {mid}.jpg",
            "lastrevid": revid,
            "modified": "2025-10-01T00:00:00Z",
        }
    )
    return ent


def flickr_entity(
    mid: str, photo_id: str = "52810336619", user: str = "harbourlight", **kw: Any
) -> dict[str, Any]:
    """The most common Flickr file: P7482 with a photo page URL and P137 Flickr."""
    statements = ordinary_statements(mid)
    statements["P7482"] = [
        source(mid, ("P973", f"https://www.flickr.com/photos/{user}/{photo_id}/"))
    ]
    del statements["P170"]
    return entity(mid, statements, **kw)


def plain_entity(mid: str, **kw: Any) -> dict[str, Any]:
    return entity(mid, ordinary_statements(mid), **kw)


def dump_line(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/")


def dump_text(lines: Iterable[dict[str, Any] | str]) -> bytes:
    """The dump around entities (dicts) and raw lines (str, written as they are)."""
    body = [x if isinstance(x, str) else dump_line(x) for x in lines]
    return ("[\n" + ",\n".join(body) + "\n]\n").encode()


def write_snapshot(
    path: Path,
    lines: Iterable[dict[str, Any] | str],
    fmt: str = "gzip",
    *,
    text: bytes | None = None,
) -> Path:
    """Write a snapshot as gzip, bz2, xz or plain (the name is the caller's)."""
    data = dump_text(lines) if text is None else text
    if fmt == "gzip":
        path.write_bytes(gzip.compress(data, mtime=0))
    elif fmt == "bz2":
        path.write_bytes(bz2.compress(data))
    elif fmt == "xz":
        path.write_bytes(lzma.compress(data))
    else:
        path.write_bytes(data)
    return path
