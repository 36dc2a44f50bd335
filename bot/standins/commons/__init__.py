"""A local stand-in for Commons and Wikidata: a real HTTP server speaking the Action API.

Tests and the offline demo point real pywikibot (and the bot's httpx Wikidata client)
at it, so start-up, login, batched reads, edits, retries and throttling run the same
code as against the wikis. It answers what that code asks, in the shapes the wikis use
(see ``/work/shared/reference/commons``), and nothing more:

- ``/w/api.php`` (Commons): ``meta=siteinfo|userinfo|tokens``, ``action=paraminfo``,
  ``action=login`` (BotPassword names ``User@suffix``), ``prop=info|revisions`` (also
  by ``revids``, with the mediainfo slot as stored at that revision),
  ``wbgetentities`` (by ``ids`` or ``sites``/``titles``) and ``wbeditentity``;
- ``/wikidata/w/api.php``: ``wbgetentities`` for seeded items.

``wbeditentity`` does what MediaWiki 1.39 + Wikibase + WikibaseMediaInfo were seen to do
(``tests/conformance/`` runs the same scenarios against both; the code here is the
stand-in's own, never the bot's): input under ``claims`` (a list or a map by property),
a claim with ``id`` replaces that statement whole, one without is appended under a new
random ``M123$UUID``, ``"remove": ""`` deletes one, other statements stay; snaks are
stored without ``datatype``; an entity without statements shows ``"statements": []``;
``lastrevid`` comes from one wiki-wide revision counter; the same data again is
``nochange``. A stale ``baserevid`` is patched onto the latest revision with the warning::

    "warnings": {"wbeditentity": {"messages": [{"name": "wikibase-conflict-patched", ...}]}}

new statements are appended after the ones others added, a statement someone else
changed meanwhile is overwritten (last writer wins); a caption both changed, a change
to a statement someone removed, or the same change made twice is ``editconflict``. The
answer's entity is the *base revision plus this edit*, not what was stored (re-read to
see others' statements). A revision the page never had is ``nosuchrevid``; a base from
before the file had structured data, when it has some now, is Wikibase's internal error
``internal_api_error_Wikibase\\Lib\\Store\\BadRevisionException``. ``strict_baserevid``
(seed setting, or the attribute of a running stand-in) refuses every stale
``baserevid`` with ``editconflict`` instead. ``maxlag`` below -1 is refused as on a
one-server wiki (its lag reads as -1). OAuth requests are accepted by consumer key and
access token, without checking the signature.

Each stand-in also answers a small control API next to the wiki (for ``backfill
sandbox --inject`` and hand-driven rehearsals), on 127.0.0.1 only like the rest:
``POST /_standin/inject`` with ``{"fault": "maxlag", "count": 3, "action": ...,
"endpoint": "commons", "options": {...}}`` (the arguments of :meth:`CommonsStandin.inject`)
and ``GET /_standin/state`` (writes, write attempts, requests by action, pending faults).

Seed it from Python (:class:`StandinData`) or from a directory::

    seed/
      standin.json         optional: {"username": ..., "botpasswords": {"Bot@suffix": "pw"},
                           "apihighlimits": false, "hasmsg": false, "blocked": false,
                           "bot_group": true, "oauth": {"consumer key": "access token"},
                           "strict_baserevid": false, "defined_tags": ["tag"]}
      mediainfo/M123.json  one file each: {"title": "File:X.jpg", "pageid": 123,
                           "lastrevid": 456, "statements": {...}, "labels": {...}};
                           without "statements" and "labels" the file has no SDC yet;
                           "pageid" defaults to the number in the file name;
                           optional "metadata" / "commonmetadata": the file's
                           imageinfo metadata, [{"name": "DateTimeOriginal",
                           "value": "2018:03:04 10:21:55"}, ...] (absent: none)
      mediainfo/M123.wiki  optional wikitext of that file
      pages.json           optional: {"User:Bot/Run": "run: yes", ...} pages' wikitext
                           (a seeded file's title sets that file's wikitext)
      wikidata/Q42.json    optional: a Wikidata item ({"claims": {...}})

A file that is not seeded does not exist (deleted). Use :func:`run_commons_standin`::

    with run_commons_standin(data) as wiki:
        site = setup_pywikibot(wiki.api_url, tmp_dir, "FlickrSdcBot")
        ...
        wiki.writes, wiki.requests["wbgetentities"], wiki.entity("M123")
        wiki.inject("maxlag", 2)   # the next 2 requests that carry maxlag= get maxlag

The parts: ``data`` (the seed, pages, titles, ApiError), ``wiki`` (pages, revisions, the
wiki-wide revision counter, a person's edits), ``wikibase`` (the edit model: claims input,
GUIDs, patching a stale edit), ``edit`` (``wbeditentity`` as an action), ``read``
(``query``, ``wbgetentities``, Wikidata), ``auth`` (sessions, login, tokens), ``siteinfo``
(siteinfo, paraminfo), ``faults`` (Commons' faults on the wire; the model is
:mod:`bot.standins.faults`), ``app`` (the WSGI app) and ``server`` (serving it).
"""

from bot.standins.commons.app import CommonsStandin
from bot.standins.commons.data import (
    COMMONS_PATH,
    DBNAME,
    HUMAN,
    WIKIDATA_PATH,
    ApiError,
    StandinData,
    normalise_title,
)
from bot.standins.commons.faults import FAULTS
from bot.standins.commons.server import StandinHandle, main, run_commons_standin
from bot.standins.commons.wikibase import (
    BAD_REVISION_CODE,
    PATCHED_WARNING,
    change_entity,
    empty_mediainfo,
    patch_onto_latest,
)
from bot.standins.serving import CONTROL_PREFIX

__all__ = [
    "BAD_REVISION_CODE",
    "COMMONS_PATH",
    "CONTROL_PREFIX",
    "DBNAME",
    "FAULTS",
    "HUMAN",
    "PATCHED_WARNING",
    "WIKIDATA_PATH",
    "ApiError",
    "CommonsStandin",
    "StandinData",
    "StandinHandle",
    "change_entity",
    "empty_mediainfo",
    "main",
    "normalise_title",
    "patch_onto_latest",
    "run_commons_standin",
]
