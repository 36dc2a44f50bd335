"""Local stand-ins for Commons and Flickr (HTTP servers on 127.0.0.1) and the bundled sample
data, for ``backfill demo``, ``backfill sandbox`` and the tests.

``commons/`` (a MediaWiki + Wikibase Action API, werkzeug WSGI) and ``flickr/`` (Flickr's
REST API, ``http.server``), each split by concern; ``faults`` is their one fault model (the
kinds, counts and targets ``--inject`` names, and the queue of faults to come);
``serving`` their one server base (serve in a thread, stop; the control API's path);
``sandbox`` runs both from a data directory; ``sample/`` is the bundled data.

They may import ``bot.core`` for ids and shapes; never the bot's planner or ``apply_edit``:
their behaviour comes from what the real services were seen to do.
"""
