"""A local stand-in for Flickr's REST API, for tests and the bot's offline demo/sandbox.

It is a real HTTP server on 127.0.0.1 that speaks Flickr's wire format
(``GET /services/rest/?method=...&format=json&nojsoncallback=1&api_key=...``), so the real
``FlickrClient`` (httpx, retries, rate limit) runs against it unchanged. It implements

- ``flickr.photos.getInfo``      the seeded ``photo`` object; private photos answer code 1
                                 (code 2 with ``StandinData.private_code = 2``, Flickr's
                                 older behaviour); photos of deleted owners answer code 1;
- ``flickr.people.getInfo``      the seeded ``person`` object (``photos.count`` filled in
                                 from the public photos when absent), code 5 for deleted
                                 owners, code 1 for unknown ones;
- ``flickr.urls.lookupUser``     ``url=https://www.flickr.com/photos/<alias or NSID>/``;
- ``flickr.people.getPhotos`` and ``flickr.people.getPublicPhotos``: the owner's public
                                 photos, newest upload first, with ``per_page`` (max 500),
                                 ``page``, ``min_upload_date`` (unix time, inclusive) and
                                 ``extras`` in Flickr's field names (``machine_tags``: the
                                 normalised machine tags, space-separated);

with Flickr's error bodies (code 100 for a wrong key, 112 for an unknown method), a count
of every request by method, and injectable faults (HTTP 500/503/429 with ``Retry-After``,
codes 201/105, invalid JSON, slow answers) for the next N matching requests.

A control API next to it (for ``backfill sandbox --inject`` and hand-driven rehearsals):
``POST /_standin/inject`` with ``{"fault": "code_201", "count": 2, "method": ...,
"retry_after": 1, "delay": 1.0}`` (the arguments of :meth:`FlickrStandin.inject`) and
``GET /_standin/state`` (requests by method, faulted requests, pending faults).

Use ``run_flickr_standin(data)`` (a context manager giving a ``StandinHandle``: ``.url``,
``.requests``, ``.counts``, ``.inject(...)``) in code, or ``python -m bot.standins.flickr DIR
--port 8765`` to serve a data directory. The server is ``http.server``'s threading server
with HTTP/1.1 keep-alive, in a background thread. ``make_photo``/``make_person`` build
seed objects in Flickr's shape; ``save_standin_data`` writes a data directory.

Data directory layout (``load_standin_data``)::

    DIR/photos/<photo id>.json   a flickr.photos.getInfo response, {"stat": "ok",
                                 "photo": {...}} (the bare photo object works too), or a
                                 failure to pin for that id, e.g. {"stat": "fail",
                                 "code": 2, "message": "Photo is private"}
    DIR/people/<nsid>.json       a flickr.people.getInfo response, {"stat": "ok",
                                 "person": {...}}, or {"stat": "fail", "code": 5,
                                 "message": "User deleted"} for a deleted account
    DIR/aliases.json             optional {"<path alias>": "<nsid>"}; the ``path_alias``
                                 of people and photo owners is known without it

Owners without a people file are answered from the owner fields of their photos. Photo
and people objects are served as written, so a data set can use strings or numbers for
the same field, as real Flickr does.

The parts: ``data`` (the data model, seed builders, the directory layout), ``app`` (the
methods, the key check, faults: the model is :mod:`bot.standins.faults`) and ``server``
(HTTP, the handle).
"""

from bot.standins.flickr.app import (
    Fault,
    FlickrStandin,
    StandinRequest,
    StandinResponse,
)
from bot.standins.flickr.data import (
    LISTING_METHODS,
    MAX_PER_PAGE,
    REST_PATH,
    STANDIN_API_KEY,
    JSONDict,
    StandinData,
    listing_entry,
    load_standin_data,
    make_person,
    make_photo,
    normalise_machine_tag,
    save_standin_data,
)
from bot.standins.flickr.server import StandinHandle, main, run_flickr_standin
from bot.standins.serving import CONTROL_PREFIX

__all__ = [
    "CONTROL_PREFIX",
    "LISTING_METHODS",
    "MAX_PER_PAGE",
    "REST_PATH",
    "STANDIN_API_KEY",
    "Fault",
    "FlickrStandin",
    "JSONDict",
    "StandinData",
    "StandinHandle",
    "StandinRequest",
    "StandinResponse",
    "listing_entry",
    "load_standin_data",
    "main",
    "make_person",
    "make_photo",
    "normalise_machine_tag",
    "run_flickr_standin",
    "save_standin_data",
]
