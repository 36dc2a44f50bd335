"""File metadata from Commons: the EXIF dates of files, for date conflicts.

Apart from the client because it is one self-contained read (``prop=imageinfo`` with
``iiprop=metadata|commonmetadata``, batched, ``continue`` followed) that only the evidence
step of a run asks for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bot.core.exif import exif_dates

# Titles per request: a file's metadata can be large.
METADATA_BATCH = 50


def read_exif_dates(
    submit: Callable[..., dict[str, Any]], titles: Sequence[str]
) -> dict[str, dict[str, str]]:
    """The EXIF date fields of each file by title as given ({}: none, or no such file).

    ``submit`` sends one API request (the client's, with its retries and errors).
    """
    asked = list(dict.fromkeys(titles))
    found: dict[str, dict[str, str]] = {}
    for start in range(0, len(asked), METADATA_BATCH):
        batch = asked[start : start + METADATA_BATCH]
        params: dict[str, Any] = {
            "action": "query",
            "prop": "imageinfo",
            "iiprop": "metadata|commonmetadata",
            "titles": batch,
            "formatversion": 2,
        }
        renamed: dict[str, str] = {}
        by_title: dict[str, dict[str, str]] = {}
        while True:
            data = submit(**params)
            query = data.get("query") or {}
            renamed.update({n["from"]: n["to"] for n in query.get("normalized", ())})
            for page in query.get("pages", ()):
                infos = page.get("imageinfo") or [{}]
                dates = exif_dates(infos[0].get("metadata"), infos[0].get("commonmetadata"))
                by_title.setdefault(page.get("title", ""), {}).update(dates)
            if "continue" not in data:
                break
            params.update(data["continue"])
        for raw in batch:
            found[raw] = by_title.get(renamed.get(raw, raw), {})
    return {title: found.get(title, {}) for title in asked}
