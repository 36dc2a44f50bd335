"""Reading a Commons structured-data snapshot (gzip JSON, one entity per line) into the
store's worklist.

It may import ``bot.core`` and ``bot.store``.
"""
