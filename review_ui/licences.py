"""The licence drift report: a read-only list of files whose Flickr licence now differs
from what Commons records, filterable by licence pair, paged, and exportable as CSV.

Nothing here writes: the job keeps the rows (``bot.store.licences``), and licences are
never changed on Commons by the bot.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, Response, current_app, render_template, request

from bot.store import Store
from review_ui import render
from review_ui.app import get_store

bp = Blueprint("licences", __name__)

PAGE_SIZE = 100
_MAX_ARG = 200


def _arg(name: str) -> str | None:
    value = (request.args.get(name) or "").strip()[:_MAX_ARG]
    return value or None


@bp.get("/licences")
def licences() -> str:
    store = get_store()
    commons, flickr, after = _arg("commons"), _arg("flickr"), _arg("after")
    rows = store.licence_drifts(
        commons=commons, flickr=flickr, after_mid=after, limit=PAGE_SIZE + 1
    )
    has_next = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    base = str(current_app.config["COMMONS_URL"])
    return render_template(
        "licences.html",
        rows=rows,
        pairs=store.licence_drift_pairs(),
        total=store.licence_drift_count(commons=commons, flickr=flickr),
        commons=commons,
        flickr=flickr,
        after=after,
        has_next=has_next,
        file_url=lambda title: render.commons_file_url(title, base),
        photo_url=render.flickr_photo_url,
    )


@bp.get("/licences.csv")
def licences_csv() -> Response:
    """The (filtered) report as CSV, streamed a page at a time.

    The stream outlives the request's own connection (closed at teardown), so it reads
    through a connection of its own, closed when the last row is sent.
    """
    get_store()  # the same checks as every page: the file exists, at this schema version
    path = current_app.config["DB_PATH"]
    commons, flickr = _arg("commons"), _arg("flickr")

    def rows() -> Iterator[str]:
        with Store(path, migrate=False) as store:
            yield from store.iter_licence_drift_csv(commons=commons, flickr=flickr)

    return Response(
        rows(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="licence-drift.csv"'},
    )
