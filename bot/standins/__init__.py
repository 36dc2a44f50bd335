"""Local stand-ins for Commons and Flickr (HTTP servers on 127.0.0.1) and the bundled sample
data, for ``backfill demo``, ``backfill sandbox`` and the tests.

They may import ``bot.core`` for ids and shapes; never the bot's planner or ``apply_edit``:
their behaviour comes from what the real services were seen to do.
"""
